"""The command bodies of ``keepfaith policy diff|render|fides``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from keepfaith.policy.commands import (
    policy_diff_command,
    policy_fides_command,
    policy_render_command,
)
from keepfaith.policy.fides import validate_fides_manifest
from tests.policy.examples import BE_FILE, QS_FILE, yaml_load


@pytest.mark.clause("BE-11")
def test_diff_command_prints_the_changes(tmp_path: Path) -> None:
    newer = tmp_path / "policy.yaml"
    text = BE_FILE.read_text(encoding="utf-8")
    newer.write_text(text.replace("    choice: opt-out\n", "    choice: opt-in\n", 1))
    out = io.StringIO()
    assert policy_diff_command(old=BE_FILE, new=newer, out=out) == 0
    assert "~ choice marketing.communications.email: choice opt-out -> opt-in (needs consent)" in (
        out.getvalue()
    )


def test_diff_command_reports_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: [\n")
    out = io.StringIO()
    assert policy_diff_command(old=BE_FILE, new=broken, out=out) == 1
    assert "broken.yaml" in out.getvalue()
    assert "failed" in out.getvalue()


@pytest.mark.parametrize(("fmt", "start"), [("markdown", "# "), ("html", "<article")])
def test_render_command_writes_the_statement(fmt: str, start: str) -> None:
    out = io.StringIO()
    assert policy_render_command(path=BE_FILE, out=out, fmt=fmt, lang="da") == 0  # type: ignore[arg-type]
    assert out.getvalue().startswith(start)


def test_render_command_refuses_a_missing_language() -> None:
    out = io.StringIO()
    assert policy_render_command(path=QS_FILE, out=out, fmt="html", lang="da") == 1
    assert "the policy has no 'da' text" in out.getvalue()


def test_render_and_fides_commands_write_data() -> None:
    out = io.StringIO()
    assert policy_render_command(path=QS_FILE, out=out, fmt="json") == 0
    assert '"keepfaith_format": 1' in out.getvalue()
    out = io.StringIO()
    assert policy_fides_command(path=QS_FILE, out=out) == 0
    assert validate_fides_manifest(yaml_load(out.getvalue())).system[0].name == "QualiSpace"
