"""Known-weak public keys, checked offline with badkeys (MIT, Hanno Böck).

Checked here, without any network: ROCA (Infineon's weak RSA key generation, CVE-2017-15361),
Fermat (RSA primes too close together), shared primes with a shipped list of known-broken
moduli, small prime factors, a small private exponent (Wiener), invalid RSA values, a
polynomial 0-byte pattern in the modulus, and DSA sparse keys.

Not checked: badkeys' blocklists of compromised keys (the Debian OpenSSL bug keys, keys
published in firmware and documentation, ...). They are a separate download of several
hundred megabytes from badkeys.info (``badkeys --update-bl``), so an offline install cannot
have them; see README, "Certificate tools".
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import dsa, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

OFFLINE_RSA_CHECKS = (
    "roca",
    "fermat",
    "sharedprimes",
    "smallfactors",
    "smalld",
    "rsainvalid",
    "rsapoly",
)
OFFLINE_DSA_CHECKS = ("dsasparse",)


@dataclass(frozen=True)
class WeakKey:
    check: str  # badkeys' name of the check, e.g. "roca", "fermat"
    detail: str


def weak_key_checks(key: PublicKeyTypes) -> list[WeakKey]:
    """Every known weakness badkeys finds offline in ``key`` (empty when none)."""
    from badkeys.checks import checkdsa, checkrsa

    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        results = checkrsa(numbers.n, e=numbers.e, checks=OFFLINE_RSA_CHECKS)
    elif isinstance(key, dsa.DSAPublicKey):
        p = key.parameters().parameter_numbers().p
        results = checkdsa(key.public_numbers().y, p=p, checks=OFFLINE_DSA_CHECKS)
    else:
        return []
    found = []
    for check, result in sorted(results.items()):
        detail = str(result.get("subtest", "")) if isinstance(result, dict) else ""
        found.append(WeakKey(check, detail))
    return found
