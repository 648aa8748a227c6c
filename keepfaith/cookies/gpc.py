"""Global Privacy Control (``Sec-GPC: 1``): honoured server-side as a refusal (BE-2, BE-4).

The signal refuses every purpose the registry marks as tracking for marketing (see
``CookieRegistry.gpc_refused``), whatever the visitor's cookie choice says. For a signed-in
customer it is recorded once per policy version: as opt-outs in the consent ledger (source
``gpc``) and as an audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from keepfaith.audit.models import ActorKind
from keepfaith.audit.selectors import audit_entries
from keepfaith.audit.services import Actor, audit_append
from keepfaith.consent.selectors import current_choices
from keepfaith.consent.services import consent_record_many
from keepfaith.gate.choices import ChoiceStatus
from keepfaith.policy.trace import enforces
from keepfaith.versions.selectors import active_version

GPC_ACTION = "cookie.gpc"
_SESSION_FLAG = "kf_gpc_recorded"


def gpc_signal(request: HttpRequest) -> bool:
    """Does the browser send ``Sec-GPC: 1``? (Any other value is no signal.)"""
    return request.headers.get("Sec-GPC", "").strip() == "1"


@enforces("BE-2", "BE-4")
def gpc_record(*, customer_number: str, refused: Iterable[str], policy_version: str) -> None:
    """Record that ``customer_number``'s browser refuses ``refused`` through GPC: an opt-out in
    the consent ledger for each purpose not already declined, and one audit entry."""
    purposes = sorted(refused)
    declined = {ChoiceStatus.OPTED_OUT, ChoiceStatus.WITHDRAWN}
    current = current_choices(subject=customer_number)
    changes = {
        key: "opted-out"
        for key in purposes
        if key not in current or current[key].status not in declined
    }
    if changes:
        consent_record_many(
            subject=customer_number,
            changes=changes,
            source="gpc",
            policy_version=active_version(),
            evidence={"header": "Sec-GPC: 1"},
        )
    audit_append(
        actor=Actor(ActorKind.CUSTOMER, customer_number),
        action=GPC_ACTION,
        outcome="refused",
        subject=customer_number,
        categories=["user.device.cookie_id"],
        clauses=["BE-2", "BE-4"],
        detail={"signal": "Sec-GPC: 1", "refused": purposes, "policy_version": policy_version},
    )


def gpc_note(request: HttpRequest, *, refused: frozenset[str], policy_version: str) -> None:
    """Record the signal once per signed-in customer (anonymous visitors leave no record)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return
    number = getattr(user, "customer_number", "") or ""
    if not number or request.session.get(_SESSION_FLAG) == policy_version:
        return
    already = audit_entries(subject=number, action=GPC_ACTION).filter(
        detail__policy_version=policy_version
    )
    if not already.exists():
        gpc_record(customer_number=number, refused=refused, policy_version=policy_version)
    request.session[_SESSION_FLAG] = policy_version
