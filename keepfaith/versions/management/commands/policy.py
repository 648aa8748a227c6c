"""``keepfaith policy check|render|publish|diff|export``: the policy file from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepfaith.policy import Policy, PolicyError
from keepfaith.policy.commands import (
    policy_diff_command,
    policy_fides_command,
    policy_render_command,
)
from keepfaith.policy.diff import diff_to_text, policy_diff
from keepfaith.policy.report import format_problem, policy_check_command
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.selectors import policy_of
from keepfaith.versions.services import policy_publish_file

FORMATS = {"md": "markdown", "markdown": "markdown", "html": "html", "json": "json"}


class Command(BaseCommand):
    help = "Check, render, publish, diff and export privacy policy files."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate; exit 1 on errors (file:line:col each)")
        check.add_argument("file", type=Path)
        render = sub.add_parser("render", help="print the statement the site would show")
        render.add_argument("file", type=Path)
        render.add_argument("--format", choices=sorted(FORMATS), default="md")
        render.add_argument("--lang", default="en")
        publish = sub.add_parser("publish", help="store a new version (same content: nothing)")
        publish.add_argument("file", type=Path)
        diff = sub.add_parser("diff", help="what changed between two files or published versions")
        diff.add_argument("old", help="a policy file, or the label of a published version")
        diff.add_argument("new", help="a policy file, or the label of a published version")
        diff.add_argument("--lang", default="en")
        export = sub.add_parser("export", help="write the policy in another format")
        export.add_argument("file", type=Path)
        export.add_argument("--format", choices=("fides",), default="fides")

    def handle(self, *args: Any, **options: Any) -> None:
        action, out = options["action"], cast(TextIO, self.stdout)
        if action == "check":
            code = policy_check_command(path=options["file"], out=out)
        elif action == "render":
            fmt = FORMATS[options["format"]]
            code = policy_render_command(
                path=options["file"],
                out=out,
                fmt=fmt,  # type: ignore[arg-type]
                lang=options["lang"],
            )
        elif action == "export":
            code = policy_fides_command(path=options["file"], out=out)
        elif action == "diff":
            code = self._diff(options["old"], options["new"], options["lang"])
        else:
            code = self._publish(options["file"])
        if code:
            sys.exit(code)

    def _publish(self, path: Path) -> int:
        try:
            version, created = policy_publish_file(path=path)
        except PolicyError as exc:
            for problem in exc.problems:
                self.stderr.write(format_problem(problem))
            return 1
        verb = "published" if created else "already published, nothing to do:"
        self.stdout.write(f"{verb} version {version.label} ({version.content_hash})")
        for use in version.requires_reconsent:
            self.stdout.write(f"  needs fresh consent: {use}")
        return 0

    def _diff(self, old: str, new: str, lang: str) -> int:
        if Path(old).is_file() and Path(new).is_file():
            return policy_diff_command(old=old, new=new, out=cast(TextIO, self.stdout), lang=lang)
        before, after = self._policy_or_version(old), self._policy_or_version(new)
        self.stdout.write(diff_to_text(policy_diff(before, after), lang=lang))
        return 0

    def _policy_or_version(self, ref: str) -> Policy:
        if Path(ref).is_file():
            from keepfaith.policy import load_policy

            return load_policy(Path(ref))
        version = PolicyVersion.objects.filter(label=ref).order_by("-seq").first()
        if version is None:
            raise CommandError(f"{ref}: neither a policy file nor a published version label")
        return policy_of(version)
