"""Certificate authorities behind one adapter interface, and a local test authority.

Rules kept here:

- An authority is reached only through this interface; the services in ``services.py`` ask
  the gate before each call and record what the call sent (``sent`` of every result).
- The ACME adapter (``keepfaith.certs.acmeca.AcmeAuthority``, RFC 8555 with External Account
  Binding) is what production uses; ``LocalTestAuthority`` issues from an in-memory CA for
  tests and the demo without pebble, validates every challenge at once, and is refused in
  production (``certificate_authority`` and the system check ``certs.E002``).

An adapter is a class with the ``CertificateAuthority`` methods whose constructor takes
``name=`` (the outside party's key in the policy); name it in ``KEEPFAITH_CERT_AUTHORITY``.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from keepfaith.policy.rulebook import Rulebook

CA_USE = "essential.service.certificate_validation"
LOCAL_TEST = "keepfaith.certs.authorities.LocalTestAuthority"


class AuthorityError(Exception):
    """The authority refused or failed; the message says what it answered."""


@dataclass(frozen=True)
class Challenge:
    name: str
    kind: str  # "dns-01" or "http-01"
    url: str  # the authority's reference of the challenge
    status: str  # pending, processing, valid, invalid
    dns_name: str = ""  # the TXT record to publish ...
    dns_value: str = ""  # ... and its value
    http_path: str = ""  # the file to publish under http://NAME ...
    http_body: str = ""  # ... and its content


@dataclass(frozen=True)
class CaOrder:
    reference: str  # the authority's URL or id of the order
    status: str  # pending, ready, processing, valid, invalid
    challenges: tuple[Challenge, ...]
    authorizations: Mapping[str, str]  # name -> pending / valid / invalid
    sent: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaIssued:
    certificate_pem: str  # the leaf
    chain_pem: str  # the intermediates, leaf's issuer first
    sent: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class CertificateAuthority(Protocol):
    """An authority's adapter; ``name`` is the key of the outside party the policy declares
    for it (``certificate-authority``), which the gate and the transfers name it by."""

    name: str

    def order_place(self, *, csr_pem: str, names: Sequence[str]) -> CaOrder: ...

    def validation_check(self, *, reference: str, answer: Sequence[str]) -> CaOrder: ...

    def certificate_fetch(self, *, reference: str, csr_pem: str) -> CaIssued | None: ...

    def revoke(self, *, certificate_pem: str, reason: int) -> Mapping[str, Any]: ...


def split_chain(fullchain_pem: str) -> tuple[str, str]:
    """(leaf PEM, intermediates PEM) of a full chain."""
    certs = x509.load_pem_x509_certificates(fullchain_pem.encode())
    pems = [c.public_bytes(serialization.Encoding.PEM).decode() for c in certs]
    return pems[0], "".join(pems[1:])


@dataclass
class _LocalOrder:
    names: tuple[str, ...]
    challenges: dict[str, Challenge]
    issued: CaIssued | None = None


class LocalTestAuthority:
    """An in-memory CA for tests and demos: every challenge answered is valid at once."""

    def __init__(self, *, name: str = "certificate-authority") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._orders: dict[str, _LocalOrder] = {}
        self._key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keepfaith local test CA")])
        now = dt.datetime.now(dt.UTC)
        self.root = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )  # fmt: skip

    def order_place(self, *, csr_pem: str, names: Sequence[str]) -> CaOrder:
        reference = f"local:order:{secrets.token_hex(8)}"
        challenges = {}
        for name in names:
            token = secrets.token_urlsafe(16)
            for kind in ("dns-01", "http-01"):
                url = f"local:chall:{secrets.token_hex(8)}"
                challenges[url] = Challenge(
                    name, kind, url, "pending",
                    dns_name=f"_acme-challenge.{name.removeprefix('*.')}",
                    dns_value=secrets.token_urlsafe(32),
                    http_path=f"/.well-known/acme-challenge/{token}",
                    http_body=f"{token}.{secrets.token_urlsafe(16)}",
                )  # fmt: skip
        with self._lock:
            self._orders[reference] = _LocalOrder(tuple(names), challenges)
        return self._state(reference, sent={"identifiers": list(names)})

    def _state(self, reference: str, sent: Mapping[str, Any]) -> CaOrder:
        with self._lock:
            order = self._orders.get(reference)
            if order is None:
                raise AuthorityError(f"no such order: {reference}")
            authz = {
                name: "valid" if any(c.name == name and c.status == "valid"
                                     for c in order.challenges.values()) else "pending"
                for name in order.names
            }  # fmt: skip
            status = "valid" if order.issued else "ready" if all(
                s == "valid" for s in authz.values()) else "pending"  # fmt: skip
            return CaOrder(reference, status, tuple(order.challenges.values()), authz, sent)

    def validation_check(self, *, reference: str, answer: Sequence[str]) -> CaOrder:
        with self._lock:
            order = self._orders.get(reference)
            if order is None:
                raise AuthorityError(f"no such order: {reference}")
            for url in answer:
                if url in order.challenges:
                    old = order.challenges[url]
                    order.challenges[url] = Challenge(**{**old.__dict__, "status": "valid"})
        return self._state(reference, sent={"answered": list(answer)})

    def certificate_fetch(self, *, reference: str, csr_pem: str) -> CaIssued | None:
        if self._state(reference, sent={}).status not in ("ready", "valid"):
            return None
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        with self._lock:
            order = self._orders[reference]
            if order.issued is None:
                now = dt.datetime.now(dt.UTC)
                cert = (
                    x509.CertificateBuilder().subject_name(csr.subject)
                    .issuer_name(self.root.subject)
                    .public_key(csr.public_key()).serial_number(x509.random_serial_number())
                    .not_valid_before(now - dt.timedelta(minutes=5))
                    .not_valid_after(now + dt.timedelta(days=90))
                    .add_extension(x509.SubjectAlternativeName(
                        [x509.DNSName(n) for n in order.names]), False)
                    .sign(self._key, hashes.SHA256())
                )  # fmt: skip
                pem = cert.public_bytes(serialization.Encoding.PEM).decode()
                root = self.root.public_bytes(serialization.Encoding.PEM).decode()
                order.issued = CaIssued(pem, root, sent={"finalize": reference})
            return order.issued

    def revoke(self, *, certificate_pem: str, reason: int) -> Mapping[str, Any]:
        return {"revoke": "certificate", "reason": reason}


_lock = threading.Lock()
_authorities: dict[tuple[str, str], CertificateAuthority] = {}


def ca_recipient(*, rulebook: Rulebook) -> str:
    """The key of the outside party ``rulebook``'s policy declares for certificate validation."""
    for rule in rulebook.recipients.values():
        if rule.kind == "outside_party" and CA_USE in rule.uses:
            return rule.key
    raise ImproperlyConfigured(
        f"the policy declares no outside party for {CA_USE}: add the certificate authority "
        "under recipients.outside_parties before ordering certificates"
    )


def certificate_authority(*, rulebook: Rulebook) -> CertificateAuthority:
    """The configured authority, named after the policy's recipient (one per process)."""
    path = str(settings.CERT_AUTHORITY)
    if settings.PRODUCTION and path == LOCAL_TEST:
        raise ImproperlyConfigured(
            "KEEPFAITH_CERT_AUTHORITY is the local test authority; production needs ACME"
        )
    recipient = ca_recipient(rulebook=rulebook)
    with _lock:
        authority = _authorities.get((path, recipient))
        if authority is None:
            cls = LocalTestAuthority if path == LOCAL_TEST else import_string(path)
            authority = _authorities[(path, recipient)] = cls(name=recipient)
    return authority


def certificate_authority_reset() -> None:
    """Forget the built authorities (tests: a fresh one with new settings)."""
    with _lock:
        _authorities.clear()
