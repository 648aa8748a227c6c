"""``keepfaith consent rebuild|verify|show SUBJECT``: the consent ledger from the command line."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepfaith.audit.selectors import chain_verify
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import consent_history, current_choices, pending_reconsent
from keepfaith.consent.services import consent_rebuild
from keepfaith.consent.words import choice_name, event_word, source_word, status_word
from keepfaith.inforce import in_force
from keepfaith.terminal import shell_time


class Command(BaseCommand):
    help = "Rebuild the current choices from the consent ledger, verify it, or show a subject."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rebuild", help="regenerate the current-choices table from the ledger")
        sub.add_parser("verify", help="walk the ledger's chain; exit 1 naming the first bad entry")
        show = sub.add_parser(
            "show", help="a subject's current choices and ledger history (a staff read)"
        )
        show.add_argument(
            "subject", help="a customer number, a customer's e-mail address, or a ledger subject"
        )
        show.add_argument("--as", dest="actor", required=True, help="staff e-mail (the reader)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "rebuild":
            rows = consent_rebuild()
            self.stdout.write(f"current choices rebuilt from the ledger: {rows} rows")
        elif action == "verify":
            self._verify()
        else:
            from keepfaith.console.cli import staff_cli_allowed, staff_cli_read
            from keepfaith.console.reads import CONSENT_HISTORY

            # The reader first: a refused one learns nothing of whom the address belongs to.
            if not staff_cli_allowed(email=options["actor"], read=CONSENT_HISTORY):
                staff_cli_read(  # audits the refusal and stops
                    email=options["actor"], read=CONSENT_HISTORY, subjects=[],
                    command="consent show",
                )  # fmt: skip
            subject = self._subject(options["subject"])
            staff_cli_read(
                email=options["actor"], read=CONSENT_HISTORY, subjects=[subject],
                command="consent show", subject=subject,
            )  # fmt: skip
            self._show(subject)

    @staticmethod
    def _subject(given: str) -> str:
        """The subject reference for a customer number, a customer's e-mail address or a
        reference the ledger knows; an error for anything else (not an empty history)."""
        from keepfaith.accounts.models import User, normalise_email

        text = given.strip()
        if "@" in text:
            user = User.objects.filter(email=normalise_email(text), is_staff=False).first()
            if user is None:
                raise CommandError(f"no customer has the address {text}")
            return user.subject_ref
        known = User.objects.filter(customer_number=text.upper()).exists()
        if known:
            return text.upper()
        if ConsentEvent.objects.filter(subject=text).exists():
            return text
        if not text:
            raise CommandError("give a customer number, an e-mail address or a ledger subject")
        raise CommandError(f"no customer number {text}, and the consent ledger has no {text}")

    def _verify(self) -> None:
        verdict = chain_verify(ConsentEvent)
        if verdict.intact:
            self.stdout.write(verdict.summary("consent ledger"))
            return
        self.stderr.write(verdict.summary("consent ledger"))
        sys.exit(1)

    def _show(self, subject: str) -> None:
        choices = current_choices(subject=subject)
        self.stdout.write(f"{subject}: current choices")
        if not choices:
            self.stdout.write("  (none recorded: every use reads 'not asked')")
        # By the policy's names, as the console shows them (a person reads this, not a key).
        policy = in_force().policy
        for key, state in sorted(choices.items()):
            shown = f" (policy {state.policy_version})" if state.policy_version else ""
            name = choice_name(policy, key)
            self.stdout.write(f"  {name:<55} {status_word(state.status, key)}{shown}")
        from keepfaith.accounts.selectors import customer_joined

        joined = customer_joined(subject=subject)
        for key in pending_reconsent(subject=subject, policy=policy, joined=joined):
            self.stdout.write(f"  needs fresh consent: {choice_name(policy, key)}")
        self.stdout.write("history, newest first:")
        for event in consent_history(subject=subject):
            version = f"; policy {event.policy_version.label}" if event.policy_version else ""
            self.stdout.write(
                f"  #{event.seq} {shell_time(event.at, seconds=True)} "
                f"{event_word(event.event, event.key)}: {choice_name(policy, event.key)} "
                f"({source_word(policy, event.source)}{version}, by {event.actor})"
            )
