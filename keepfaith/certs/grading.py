"""The SSL server test's grade, in the spirit of SSL Labs' published rating guide.

A server starts at A; each problem caps the grade, and the lowest cap wins. Trust problems
give T (the grade the server would have if trusted is kept as ``if_trusted``), a name
mismatch M. A+ needs an A with nothing capped, HSTS of at least 180 days and TLS 1.3.
The rules are listed in ``CAPS`` and in docs/certs.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from keepfaith.certs.findings import Finding

ORDER = ("A+", "A", "A-", "B", "C", "F")
TRUST_CODES = frozenset(
    {
        "cert.self_signed",
        "cert.untrusted",
        "cert.unreadable",
        "cert.expired",
        "cert.not_yet_valid",
        "signature.sha1",
        "ocsp.revoked",
    }
)
MISMATCH_CODES = frozenset({"cert.name_mismatch"})
# finding code -> the highest grade a server with it can get
CAPS = {
    "protocol.none": "F",
    "cipher.null_or_anonymous": "F",
    "signature.md5": "F",
    "key.rsa_tiny": "F",
    "key.weak": "F",
    "protocol.no_tls12": "C",
    "cipher.rc4": "C",
    "cipher.64bit_block": "C",
    "protocol.tls10": "B",
    "protocol.tls11": "B",
    "chain.incomplete": "B",
    "cipher.no_forward_secrecy": "B",
    "cipher.weak_bits": "B",
    "key.rsa_too_small": "B",
    "cipher.no_aead": "A-",
}


@dataclass(frozen=True)
class Grade:
    letter: str
    if_trusted: str
    reasons: tuple[str, ...]


def _cap_of(code: str) -> str | None:
    if code.startswith("key.weak."):
        return CAPS["key.weak"]
    return CAPS.get(code)


def grade_for(findings: Iterable[Finding], *, hsts_max_age: int | None, tls13: bool) -> Grade:
    letter, reasons, trust, mismatch = "A", [], False, False
    for finding in findings:
        trust = trust or finding.code in TRUST_CODES
        mismatch = mismatch or finding.code in MISMATCH_CODES
        cap = _cap_of(finding.code)
        if finding.code in TRUST_CODES or finding.code in MISMATCH_CODES or cap:
            reasons.append(finding.message)
        if cap and ORDER.index(cap) > ORDER.index(letter):
            letter = cap
    if letter == "A" and not reasons and tls13 and (hsts_max_age or 0) >= 15552000:
        letter = "A+"
    shown = "T" if trust else "M" if mismatch else letter
    return Grade(shown, letter, tuple(reasons))
