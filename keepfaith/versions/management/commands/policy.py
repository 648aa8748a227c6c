"""``keepfaith policy check|render|publish|notify|diff|export``: the policy file from the
command line. Publishing a version that changes an earlier one tells every customer by e-mail
when the policy says so (``changes.notify``); ``notify`` queues what is still missing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepfaith.inforce import policy_of
from keepfaith.policy import Policy, PolicyError
from keepfaith.policy.commands import (
    policy_diff_command,
    policy_fides_command,
    policy_render_command,
)
from keepfaith.policy.diff import diff_to_text, policy_diff
from keepfaith.policy.report import format_problem, policy_check_command
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.services import PublishRefused, policy_publish_file

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
        publish = sub.add_parser(
            "publish",
            help="store a new version under a new label and tell customers (the version in "
            "force again: nothing)",
        )
        publish.add_argument("file", type=Path)
        notify = sub.add_parser(
            "notify",
            help="queue the change notice of the version in force for every customer "
            "who has not had it (resumable; each customer once)",
        )
        notify.set_defaults(file=None)
        diff = sub.add_parser("diff", help="what changed between two files or published versions")
        diff.add_argument("old", help="a policy file, or the label of a published version")
        diff.add_argument("new", help="a policy file, or the label of a published version")
        diff.add_argument("--lang", choices=("en", "da"), default="en")
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
        elif action == "notify":
            code = self._notify()
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
        except PublishRefused as exc:
            raise CommandError(str(exc)) from None
        verb = "published" if created else "in force already, nothing to do:"
        self.stdout.write(f"{verb} version {version.label} ({version.content_hash})")
        for use in version.requires_reconsent:
            self.stdout.write(f"  needs fresh consent: {use}")
        return self._notify() if created else 0

    def _notify(self) -> int:
        """The change notice of the version in force, to every customer still without it."""
        from django.conf import settings

        from keepfaith.audit.services import Actor
        from keepfaith.comms.notices import policy_change_notify
        from keepfaith.inforce import changes_between, in_force

        now = in_force()
        version = now.version
        earlier = (
            PolicyVersion.objects.filter(seq__lt=version.seq).order_by("-seq").first()
            if version is not None
            else None
        )
        if version is None or earlier is None or "email" not in now.policy.changes.notify:
            self.stdout.write("no change notice to send (first version, or the policy sends none)")
            return 0
        languages = now.policy.controller.languages
        actor = Actor.system("policy notify")
        added = policy_change_notify(
            label=version.label,
            changes={lang: changes_between(earlier, version, lang) for lang in languages},
            update_url=f"{settings.PUBLIC_URL}{now.policy.changes.update_page}",
            controller=now.policy.controller.legal_name,
            gate=now.gate(actor=actor),
            actor=actor,
        )
        self.stdout.write(f"change notice of {version.label} queued for {added} customer(s)")
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

            try:
                return load_policy(Path(ref))
            except PolicyError as exc:
                for problem in exc.problems:
                    self.stderr.write(format_problem(problem))
                raise CommandError(f"{ref}: not a valid policy (problems above)") from None
        version = PolicyVersion.objects.filter(label=ref).order_by("-seq").first()
        if version is None:
            raise CommandError(f"{ref}: neither a policy file nor a published version label")
        return policy_of(version)
