"""``keepfaith policy check|render|publish|diff|export``: the policy file from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepfaith.policy import Policy, PolicyError, load_policy
from keepfaith.policy.diff import diff_to_text, policy_diff
from keepfaith.policy.document import to_html, to_markdown
from keepfaith.policy.fides import to_fides_manifest
from keepfaith.policy.render import statement, to_json
from keepfaith.policy.report import format_problem, policy_check_command
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.selectors import policy_of
from keepfaith.versions.services import policy_publish_file


class Command(BaseCommand):
    help = "Check, render, publish, diff and export privacy policy files."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate; exit 1 on errors (file:line:col each)")
        check.add_argument("file", type=Path)
        render = sub.add_parser("render", help="print the statement the site would show")
        render.add_argument("file", type=Path)
        render.add_argument("--format", choices=("html", "md", "json"), default="md")
        render.add_argument("--lang", default="en")
        publish = sub.add_parser("publish", help="store a new version (same content: nothing)")
        publish.add_argument("file", type=Path)
        diff = sub.add_parser("diff", help="what changed between two files or published versions")
        diff.add_argument("old", help="a policy file, or the label of a published version")
        diff.add_argument("new", help="a policy file, or the label of a published version")
        export = sub.add_parser("export", help="write the policy in another format")
        export.add_argument("file", type=Path)
        export.add_argument("--format", choices=("fides",), default="fides")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "check":
            sys.exit(policy_check_command(path=options["file"], out=self.stdout))
        if action == "diff":
            old, new = self._policy_or_version(options["old"]), self._policy_or_version(
                options["new"]
            )
            self.stdout.write(diff_to_text(policy_diff(old, new)))
            return
        policy = self._load(options["file"])
        if action == "render":
            self._render(policy, options["format"], options["lang"])
        elif action == "publish":
            version, created = policy_publish_file(path=options["file"])
            verb = "published" if created else "already published, nothing to do:"
            self.stdout.write(f"{verb} version {version.label} ({version.content_hash[:12]})")
            for use in version.requires_reconsent:
                self.stdout.write(f"  needs fresh consent: {use}")
        else:
            manifest = to_fides_manifest(policy)
            self.stdout.write(json.dumps(manifest, indent=2, ensure_ascii=False))

    def _load(self, path: Path) -> Policy:
        try:
            return load_policy(path)
        except PolicyError as exc:
            for problem in exc.problems:
                self.stderr.write(format_problem(problem))
            raise CommandError(f"{path}: not a valid policy ({len(exc.problems)} problems)") from None

    def _policy_or_version(self, ref: str) -> Policy:
        if Path(ref).is_file():
            return self._load(Path(ref))
        version = PolicyVersion.objects.filter(label=ref).order_by("-seq").first()
        if version is None:
            raise CommandError(f"{ref}: neither a policy file nor a published version label")
        return policy_of(version)

    def _render(self, policy: Policy, fmt: str, lang: str) -> None:
        if fmt == "json":
            self.stdout.write(json.dumps(to_json(policy), indent=2, ensure_ascii=False))
            return
        try:
            document = statement(policy, lang=lang)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(to_html(document) if fmt == "html" else to_markdown(document))
