"""Public keys and signature algorithms: what they are, and what is too weak.

Shared by the CSR checker and the SSL server test. The limits follow the CA/Browser Forum's
Baseline Requirements (RSA at least 2048 bits; ECDSA on P-256, P-384 or P-521; no DSA; no
SHA-1 or MD5 signatures).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from django.utils.translation import gettext as _

from keepfaith.certs.findings import Finding, error, warning
from keepfaith.certs.weakkeys import weak_key_checks

MIN_RSA_BITS = 2048
CA_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})
WEAK_HASHES = frozenset({"md5", "sha1"})
WEAK_KEY_NAMES = {
    "roca": "ROCA (CVE-2017-15361)",
    "fermat": "Fermat factorisation (primes too close together)",
    "sharedprimes": "a prime shared with known broken keys",
    "smallfactors": "small prime factors",
    "smalld": "a small private exponent (Wiener's attack)",
    "rsainvalid": "invalid RSA values",
    "rsapoly": "a pattern that allows polynomial factoring",
    "dsasparse": "a sparse DSA key",
}


@dataclass(frozen=True)
class KeyInfo:
    kind: str  # "RSA", "EC", "Ed25519", "Ed448", "DSA", or the class name
    bits: int
    curve: str | None
    spki_sha256: str  # SHA-256 of the DER SubjectPublicKeyInfo, hex

    def label(self) -> str:
        if self.curve:
            return f"{self.kind} {self.curve} ({self.bits} bits)"
        return f"{self.kind} {self.bits} bits"


def spki_der(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_info(key: PublicKeyTypes) -> KeyInfo:
    digest = hashlib.sha256(spki_der(key)).hexdigest()
    if isinstance(key, rsa.RSAPublicKey):
        return KeyInfo("RSA", key.key_size, None, digest)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return KeyInfo("EC", key.curve.key_size, key.curve.name, digest)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return KeyInfo("Ed25519", 256, None, digest)
    if isinstance(key, ed448.Ed448PublicKey):
        return KeyInfo("Ed448", 456, None, digest)
    if isinstance(key, dsa.DSAPublicKey):
        return KeyInfo("DSA", key.key_size, None, digest)
    return KeyInfo(type(key).__name__, 0, None, digest)


def key_findings(key: PublicKeyTypes, *, where: str) -> list[Finding]:
    """Size, type and known weaknesses of ``key``; ``where`` names it ("the request's key")."""
    info = key_info(key)
    found: list[Finding] = []
    regenerate = _("Generate a new key pair (RSA 2048 or more, or ECDSA P-256) and a new CSR.")
    if info.kind == "RSA" and info.bits < MIN_RSA_BITS:
        found.append(
            error(
                "key.rsa_tiny" if info.bits < 1024 else "key.rsa_too_small",
                _("%(where)s is RSA with %(bits)d bits; at least 2048 are needed.")
                % {"where": where, "bits": info.bits},
                regenerate,
            )
        )
    elif info.kind == "DSA":
        found.append(
            error(
                "key.dsa",
                _("%(where)s is a DSA key; CAs no longer accept DSA.") % {"where": where},
                regenerate,
            )
        )
    elif info.kind == "EC" and info.curve not in CA_CURVES:
        found.append(
            error(
                "key.ec_curve",
                _("%(where)s uses the curve %(curve)s; CAs accept P-256, P-384 and P-521.")
                % {"where": where, "curve": info.curve},
                regenerate,
            )
        )
    elif info.kind not in ("RSA", "EC"):
        found.append(
            error(
                "key.type_unsupported",
                _("%(where)s is a %(kind)s key; public CAs issue for RSA and ECDSA keys only.")
                % {"where": where, "kind": info.kind},
                regenerate,
            )
        )
    for weak in weak_key_checks(key):
        found.append(
            error(
                f"key.weak.{weak.check}",
                _("%(where)s is known to be weak: %(weakness)s. It can be broken.")
                % {"where": where, "weakness": WEAK_KEY_NAMES.get(weak.check, weak.check)},
                _("Generate a new key pair with up-to-date software; never reuse this key."),
            )
        )
    return found


def signature_hash(obj: x509.Certificate | x509.CertificateSigningRequest) -> str | None:
    """The hash of the signature ("sha256"), or None for schemes without one (Ed25519)."""
    try:
        algorithm = obj.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return "unknown"
    return None if algorithm is None else algorithm.name


def signature_name(obj: x509.Certificate | x509.CertificateSigningRequest) -> str:
    oid = obj.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def signature_findings(
    obj: x509.Certificate | x509.CertificateSigningRequest, *, where: str
) -> list[Finding]:
    digest = signature_hash(obj)
    if digest in WEAK_HASHES:
        return [
            error(
                f"signature.{digest}",
                _("%(where)s is signed with %(hash)s, which is broken; browsers reject it.")
                % {"where": where, "hash": digest.upper()},
                _("Sign with SHA-256 (e.g. openssl req -sha256)."),
            )
        ]
    if digest == "unknown":
        return [
            warning(
                "signature.unknown",
                _("%(where)s has a signature algorithm this checker does not know.")
                % {"where": where},
            )
        ]
    return []
