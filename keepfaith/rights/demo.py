"""The demo's data-subject requests: one open request of each kind for the privacy officer."""

from __future__ import annotations

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor
from keepfaith.inforce import in_force
from keepfaith.rights.models import Channel, RightsRequest
from keepfaith.rights.services import request_from_address, request_open_signed_in

DEMO_REQUESTS = (
    ("alice@example.com", "access", ""),
    ("alice@example.com", "rectification", "My organisation is Andersen ApS, not Andersen IVS."),
    ("carol@example.com", "portability", ""),
    ("carol@example.com", "restriction", "I dispute that my address is right; hold my data."),
    ("carol@example.com", "erasure", "Please close my account."),
)


def demo_requests() -> list[str]:
    """Open requests of each kind (once); the objection comes by the public form from an
    address with no account, so it waits in the queue to be matched."""
    lines = ["Data-subject requests for pat (see /console/rights/ and /account/privacy/):"]
    if not RightsRequest.objects.exists():
        now = in_force()
        for email, kind, details in DEMO_REQUESTS:
            customer = User.objects.filter(email=email).first()
            if customer is not None:
                request_open_signed_in(
                    customer=customer, kind=kind, details=details, language="en", policy=now.policy
                )
        request_from_address(
            email="someone@example.org",
            kind="objection",
            details="Stop using my data for security profiling.",
            channel=Channel.EMAIL,
            language="en",
            policy=now.policy,
            gate=now.gate(actor=Actor.system("demo")),
        )
    for r in RightsRequest.objects.order_by("pk"):
        lines.append(f"  {r.reference} {r.get_kind_display():<40} {r.get_state_display()}")
    return lines
