"""Requests that arrive by e-mail at the privacy address (RIGHTS-12).

``right_asked_in(text)`` reads which right a message asks for (English and Danish words);
``request_from_mail`` files it like the public form: matched to the sender's account and
confirmed by a code mailed to the account's address, or queued for the privacy officer. The
inbound listener (``keepfaith.comms.receiving``) calls it for mail to the privacy address that
is not an opt-out (one call; see docs/rights.md).
"""

from __future__ import annotations

import re

from keepfaith.gate import Gate
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.rights.models import Channel, RightKind, RightsRequest
from keepfaith.rights.services import request_from_address

_WORDS: tuple[tuple[str, str], ...] = (
    (RightKind.PORTABILITY, r"portab|machine[- ]readable|dataportabilitet|maskinlæsbar"),
    (RightKind.ERASURE, r"\berase|\berasure|\bdelete|forget me|\bslet|sletning|glemt"),
    (RightKind.RECTIFICATION, r"rectif|\bcorrect|\bwrong\b|berigtig|\bret\b|rettelse|forkert"),
    (RightKind.RESTRICTION, r"restrict|begræns"),
    (RightKind.OBJECTION, r"\bobject|indsigelse"),
    (RightKind.ACCESS, r"\baccess\b|copy of (my|the) data|subject access|indsigt|kopi af"),
)


def right_asked_in(text: str) -> str | None:
    """The right a message asks for, or None when it names none."""
    lowered = text.lower()
    for kind, pattern in _WORDS:
        if re.search(pattern, lowered):
            return str(kind)
    return None


@enforces("RIGHTS-12", features=("rights.request.code",))
def request_from_mail(
    *, sender: str, subject: str, body: str, policy: Policy, gate: Gate, language: str = "en"
) -> RightsRequest | None:
    """File the request a message asks for (None when it asks for no right)."""
    kind = right_asked_in(f"{subject}\n{body}")
    if kind is None or not sender:
        return None
    request, _code = request_from_address(
        email=sender,
        kind=kind,
        details=f"{subject}\n\n{body}"[:4000],
        channel=Channel.EMAIL,
        language=language,
        policy=policy,
        gate=gate,
    )
    return request
