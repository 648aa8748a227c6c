"""Command bodies for ``keepfaith policy diff|render|fides``: load, write, return the exit code.

Each takes paths and an output stream and never raises for a bad file: a policy with
errors is reported like ``policy check`` does and the command exits 1.
"""

from __future__ import annotations

import io
import json
import os
from typing import Literal, TextIO

from ruamel.yaml import YAML

from keepfaith.policy.diff import diff_to_text, policy_diff
from keepfaith.policy.fides import to_fides_manifest
from keepfaith.policy.loader import check_policy
from keepfaith.policy.render import statement, to_html, to_json, to_markdown
from keepfaith.policy.report import format_report
from keepfaith.policy.schema import Policy

StatementFormat = Literal["markdown", "html", "json"]


def _loaded(path: str | os.PathLike[str], out: TextIO) -> Policy | None:
    report = check_policy(path)
    if report.policy is None or not report.ok:
        out.write(format_report(report))
        return None
    return report.policy


def policy_diff_command(
    *, old: str | os.PathLike[str], new: str | os.PathLike[str], out: TextIO, lang: str = "en"
) -> int:
    """Print what changed from ``old`` to ``new``; 0 when both load, 1 otherwise."""
    before, after = _loaded(old, out), _loaded(new, out)
    if before is None or after is None:
        return 1
    out.write(diff_to_text(policy_diff(before, after), lang=lang))
    return 0


def policy_render_command(
    *, path: str | os.PathLike[str], out: TextIO, fmt: StatementFormat, lang: str = "en"
) -> int:
    """Write the statement (markdown or html) or /privacy.json of the policy at ``path``."""
    policy = _loaded(path, out)
    if policy is None:
        return 1
    if fmt == "json":
        out.write(json.dumps(to_json(policy), ensure_ascii=False, indent=2) + "\n")
        return 0
    try:
        doc = statement(policy, lang=lang)
    except ValueError as exc:
        out.write(f"{path}: {exc}\n")
        return 1
    out.write(to_html(doc) if fmt == "html" else to_markdown(doc))
    return 0


def policy_fides_command(*, path: str | os.PathLike[str], out: TextIO) -> int:
    """Write the fideslang manifest of the policy at ``path`` as YAML."""
    policy = _loaded(path, out)
    if policy is None:
        return 1
    writer = YAML(typ="safe", pure=True)
    writer.default_flow_style = False
    writer.allow_unicode = True
    # Into a buffer, then written at once: the YAML writer sends small pieces, and a stream
    # that ends each write with a newline (a management command's stdout) broke the document.
    text = io.StringIO()
    writer.dump(to_fides_manifest(policy), text)
    out.write(text.getvalue().rstrip("\n"))
    return 0
