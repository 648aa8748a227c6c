"""``keepfaith rights list|show|ready|erase|restrict|extend``: data-subject requests for
operators and scripts, through the same services as the console (RIGHTS-12 to RIGHTS-21).

Every command is a staff read or step: ``--as STAFF-EMAIL`` is asked of the gate and
audited like the console's pages. ``ready``, ``erase`` and ``restrict`` carry out a request
of their kind only, answering in the requester's language. ``ready`` makes the copy of an
access or portability request ready in the customer's account: the copy goes to the
customer, never to a file staff could read (the policy grants no role all of it).
``erase`` re-run after a crash finishes the erasure.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from keepfaith.inforce import in_force
from keepfaith.rights.models import KIND_FOR_STAFF, RightKind, RightsRequest
from keepfaith.terminal import shell_time, whole_number

# The kinds of request each carrying-out command is for.
KINDS = {
    "ready": (RightKind.ACCESS, RightKind.PORTABILITY),
    "erase": (RightKind.ERASURE,),
    "restrict": (RightKind.RESTRICTION,),
}
KIND_WORDS = {
    "ready": "access and portability requests",
    "erase": "erasure requests",
    "restrict": "restriction requests",
}


class Command(BaseCommand):
    help = (
        "Data-subject requests: list the open ones with their flags, show one, make an "
        "access or portability copy ready in the customer's account, carry out an erasure or "
        "a restriction, or extend a request once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action", choices=["list", "show", "ready", "erase", "restrict", "extend"]
        )
        parser.add_argument("reference", nargs="?", default="")
        parser.add_argument("--as", dest="actor", required=True, help="staff e-mail")
        parser.add_argument(
            "--months", type=whole_number(1, 2), default=None, help="extend: by 1 or 2 months"
        )
        parser.add_argument("--reason", default="", help="extend: sent to the requester")

    def handle(self, *args: Any, **options: Any) -> None:
        from keepfaith.console.cli import staff_cli_read
        from keepfaith.console.rights import RIGHTS_QUEUE, RIGHTS_REQUEST

        action = options["action"]
        now = in_force()
        if action == "list":
            rows = list(RightsRequest.objects.filter(state__in=("open", "queued", "awaiting-code")))
            staff_cli_read(
                email=options["actor"],
                read=RIGHTS_QUEUE,
                subjects=[r.subject for r in rows if r.subject],
                command="rights list",
            )
            self._list(rows, now.policy)
            return
        if not options["reference"].strip():
            raise CommandError(
                f"rights {action} needs a request's reference (DSR-...): "
                "see `keepfaith rights list`"
            )
        if action == "extend" and options["months"] is None:  # before any read is recorded
            raise CommandError("rights extend needs --months 1 or 2, and --reason")
        request = RightsRequest.objects.filter(reference=options["reference"].upper()).first()
        if request is None:
            raise CommandError(f"no request {options['reference']!r}: see `keepfaith rights list`")
        actor = staff_cli_read(
            email=options["actor"],
            read=RIGHTS_REQUEST,
            subjects=[request.subject] if request.subject else [],
            command=f"rights {action}",
            subject=request.subject or None,
        )
        self._as = options["actor"]
        self._act(action, request, actor, options)

    def _list(self, rows: list[RightsRequest], policy: Any) -> None:
        from keepfaith.rights.selectors import request_flags

        when = timezone.now()
        for r in rows:
            flags = ",".join(sorted(request_flags(r, policy=policy, now=when))) or "-"
            self.stdout.write(
                f"{r.reference}  {KIND_FOR_STAFF[RightKind(r.kind)]}; {r.get_state_display()}; "
                f"due {r.due_at:%Y-%m-%d}; {r.subject or 'no customer matched'}; flags: {flags}"
            )
        self.stdout.write(f"{len(rows)} open request(s)")

    def _act(self, action: str, request: RightsRequest, actor: Any, options: Any) -> None:
        from keepfaith.rights.actions import carry_out
        from keepfaith.rights.services import RightsError, request_extend

        now = in_force()
        gate = now.gate(actor=actor)
        try:
            if action == "show":
                self._show(request)
            elif action in KINDS:
                if request.kind not in KINDS[action]:
                    kind = KIND_FOR_STAFF[RightKind(request.kind)]
                    raise CommandError(
                        f"{request.reference} is a request of another kind ({kind}): "
                        f"`rights {action}` carries out {KIND_WORDS[action]} only"
                    )
                done = carry_out(request=request, policy=now.policy, actor=actor, gate=gate)
                self.stdout.write(f"{done.reference}: {done.outcome}")
            else:
                request_extend(
                    request=request,
                    months=options["months"],
                    reason=options["reason"],
                    actor=actor,
                    policy=now.policy,
                    gate=gate,
                )
                self.stdout.write(f"{request.reference}: due {request.due_at:%Y-%m-%d}")
        except RightsError as error:
            raise CommandError(str(error)) from error

    def _show(self, request: RightsRequest) -> None:
        kind = KIND_FOR_STAFF[RightKind(request.kind)]
        self.stdout.write(f"{request.reference} {kind} ({request.get_state_display()})")
        self.stdout.write(
            f"received {shell_time(request.received_at)}, due "
            f"{request.due_at:%Y-%m-%d}, customer {request.subject or '-'}"
        )
        for step in request.steps.all():
            self.stdout.write(f"  {shell_time(step.at)} {step.action} by {step.actor}")
        if request.outcome:
            self.stdout.write(self._outcome(request))

    def _outcome(self, request: RightsRequest) -> str:
        """The answer; a correction's names the values set: asked of the gate as the console
        asks it (``console.rights.rectified``), audited either way."""
        if request.kind != RightKind.RECTIFICATION:
            return request.outcome
        from keepfaith.console.cli import staff_cli_read
        from keepfaith.console.rights import RECTIFIED

        try:
            staff_cli_read(
                email=self._as,
                read=RECTIFIED,
                subjects=[request.subject] if request.subject else [],
                command="rights show",
                subject=request.subject or None,
            )
        except CommandError:
            return "(the corrected details are not open to your role)"
        return request.outcome
