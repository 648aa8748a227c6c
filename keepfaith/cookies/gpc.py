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
from keepfaith.consent.answers import choices_decline
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.versions.models import PolicyVersion

GPC_ACTION = "cookie.gpc"
_SESSION_FLAG = "kf_gpc_recorded"


def gpc_signal(request: HttpRequest) -> bool:
    """Does the browser send ``Sec-GPC: 1``? (Any other value is no signal.)

    Read from ``META`` (where ``request.headers`` finds it too): building ``request.headers``
    walks every header of the request, and this runs on every page."""
    return str(request.META.get("HTTP_SEC_GPC", "")).strip() == "1"


@enforces("BE-2", "BE-4")
def gpc_record(
    *,
    customer_number: str,
    refused: Iterable[str],
    policy: Policy,
    version: PolicyVersion | None,
) -> None:
    """Record that ``customer_number``'s browser refuses ``refused`` through GPC: an opt-out in
    the consent ledger for each purpose not already declined, and one audit entry."""
    purposes = sorted(refused)
    choices_decline(
        subject=customer_number,
        keys=purposes,
        source="gpc",
        version=version,
        evidence={"header": "Sec-GPC: 1"},
    )
    policy_version = version.label if version is not None else policy.version
    audit_append(
        actor=Actor(ActorKind.CUSTOMER, customer_number),
        action=GPC_ACTION,
        outcome="refused",
        subject=customer_number,
        categories=["user.device.cookie_id"],
        clauses=["BE-2", "BE-4"],
        detail={"signal": "Sec-GPC: 1", "refused": purposes, "policy_version": policy_version},
    )


def gpc_note(
    request: HttpRequest, *, refused: frozenset[str], policy: Policy, version: PolicyVersion | None
) -> None:
    """Record the signal once per signed-in customer (anonymous visitors leave no record)."""
    policy_version = version.label if version is not None else policy.version
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
        gpc_record(customer_number=number, refused=refused, policy=policy, version=version)
    request.session[_SESSION_FLAG] = policy_version
