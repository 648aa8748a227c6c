"""Staff commands that show customer data ask the gate as the console does (QS-3).

A command run by a person at a shell names that person with ``--as EMAIL`` (a staff
account): the read is asked of the gate with their roles, refused with the gate's reason
(and the refusal audited), or audited as their read, exactly like a console page.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.management.base import CommandError

from keepfaith.accounts.models import User
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor, audit_append
from keepfaith.console.access import StaffRead, read_decision, roles_with, subject_gate
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces


def _staff(email: str) -> tuple[User, Actor]:
    """The active staff account ``--as`` names, and it as an audit actor."""
    user = User.objects.filter(email=email.strip().lower(), is_staff=True, is_active=True).first()
    if user is None:
        raise CommandError(f"--as {email}: no active staff account with that e-mail")
    return user, Actor(ActorKind.STAFF, user.email)


def staff_cli_actor(email: str, permission: str) -> Actor:
    """The staff member ``--as`` names, for an action (send a campaign, release partner data):
    refused, naming the roles that may, when their role lacks ``permission``."""
    user, actor = _staff(email)
    if not user.has_perm(permission):
        raise CommandError(f"--as {email}: only these roles may do this: {roles_with(permission)}")
    return actor


def staff_cli_allowed(*, email: str, read: StaffRead) -> bool:
    """Would the gate let staff member ``email`` read ``read``? (Nothing is read or audited:
    a command asks this before it looks up whom the read is about.)"""
    user, actor = _staff(email)
    gate = in_force().gate(actor=actor)
    return read_decision(gate=gate, read=read, roles=user.role_names).allowed


@enforces("QS-3", features=("staff.reads-by-policy",))
def staff_cli_read(
    *, email: str, read: StaffRead, subjects: Iterable[str], command: str,
    subject: str | None = None,
) -> Actor:  # fmt: skip
    """Ask the gate whether staff member ``email`` may read ``read`` about ``subjects``;
    audit the read (or the refusal, then raise ``CommandError`` with the gate's reason).
    ``subject``: the command is about that one customer, so their own state counts too (a
    restriction of processing), as on the console's page about them."""
    user, actor = _staff(email)
    shown = sorted(set(subjects))
    gate = subject_gate() if subject else in_force().gate(actor=actor)
    decision = read_decision(gate=gate, read=read, roles=user.role_names, subject=subject)
    audit_append(
        actor=actor,
        action=read.action,
        outcome="read" if decision.allowed else "refused",
        subject=shown[0] if len(shown) == 1 else "",
        categories=read.categories,
        use=decision.use,
        clauses=read.clauses,
        detail={
            "command": command,
            "recipient": decision.recipient,
            "subjects": shown[:500],
            "count": len(shown),
            **({} if decision.allowed else {"reason": decision.reason}),
        },
    )
    if not decision.allowed:
        raise CommandError(f"--as {email}: refused by the policy in force: {decision.reason}")
    return actor
