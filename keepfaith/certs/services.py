"""Writes of certificate orders (SITE-2): order with a CSR, validate, issue, renew, revoke.

Rules kept here:

- An order's CSR is checked at once (``csr_check``) and must ask for exactly the names
  ordered; a CSR with an error finding is refused with the findings.
- Every call to the certificate authority is a transfer: before it, the gate is asked for the
  personal data it carries (the CSR's or certificate's subject: organisation, address,
  e-mail, person's name) under the policy's certificate-validation use, with the authority as
  recipient, so an outside party gets nothing without the customer's go-ahead (BE-10); after
  it, a ``CaTransfer`` keeps what the adapter sent and the audit log gets an entry. A
  transfer that carries no personal data (a CSR with only domain names, a challenge answer)
  is audited without a gate question: the gate has nothing to decide (it refuses to decide
  about no categories).
- The issued certificate must carry the CSR's public key, or it is not stored.
- Services take ``authority`` and ``gate`` from the caller; by default the configured
  authority and the gate of the policy in force, which the caller passes (``gate=``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor, audit_append
from keepfaith.certs.authorities import (
    CA_USE,
    AuthorityError,
    CaIssued,
    CaOrder,
    CertificateAuthority,
    certificate_authority,
)
from keepfaith.certs.csrcheck import csr_check
from keepfaith.certs.findings import Finding, Severity
from keepfaith.certs.inputs import load_csr
from keepfaith.certs.keys import key_info
from keepfaith.certs.models import CaTransfer, CertificateChallenge, CertificateOrder, CertState
from keepfaith.certs.names import name_normalise
from keepfaith.gate import Gate
from keepfaith.policy.trace import enforces

T = TypeVar("T")
SUBJECT_CATEGORIES = {
    NameOID.ORGANIZATION_NAME: "user.contact.organization",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "user.contact.organization",
    NameOID.STREET_ADDRESS: "user.contact.address",
    NameOID.LOCALITY_NAME: "user.contact.address",
    NameOID.STATE_OR_PROVINCE_NAME: "user.contact.address",
    NameOID.POSTAL_CODE: "user.contact.address",
    NameOID.COUNTRY_NAME: "user.contact.address",
    NameOID.EMAIL_ADDRESS: "user.contact.email",
    NameOID.GIVEN_NAME: "user.name",
    NameOID.SURNAME: "user.name",
    NameOID.PSEUDONYM: "user.name",
}
# RFC 5280 revocation reasons a customer may give.
REVOCATION_REASONS = {
    0: "unspecified",
    1: "keyCompromise",
    4: "superseded",
    5: "cessationOfOperation",
}


class CertificateError(Exception):
    """The order cannot go on; ``findings`` say why (for a CSR) and the message in short."""

    def __init__(self, message: str, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.findings = tuple(findings)


def subject_categories(name: x509.Name) -> tuple[str, ...]:
    """The personal data categories a CSR's or certificate's subject carries."""
    found = {SUBJECT_CATEGORIES[a.oid] for a in name if a.oid in SUBJECT_CATEGORIES}
    return tuple(sorted(found))


def _transfer_categories(certificate: CertificateOrder, action: str) -> tuple[str, ...]:
    if action == "validate":
        return ()  # a challenge answer carries a token and a signature, nothing about a person
    if action == "revoke" and certificate.certificate_pem:
        cert = x509.load_pem_x509_certificate(certificate.certificate_pem.encode())
        return subject_categories(cert.subject)
    return subject_categories(x509.load_pem_x509_csr(certificate.csr_pem.encode()).subject)


@enforces("BE-10", "SITE-2")
def _transfer(
    *, certificate: CertificateOrder, action: str, actor: Actor, gate: Gate,
    authority: CertificateAuthority, call: Callable[[], T],
) -> T:  # fmt: skip
    """Ask the gate, call the authority, record what was sent, audit it."""
    categories = _transfer_categories(certificate, action)
    subject = certificate.customer.customer_number or ""
    if categories:
        gate.require(
            use=CA_USE, categories=categories, subject=subject, recipient=authority.name,
            purpose_context=f"certificate {certificate.number} {action}",
        )  # fmt: skip
    result = call()
    if result is None:  # the CA was only asked how the order stands: nothing was sent
        return result
    sent = dict(getattr(result, "sent", None) or (result if isinstance(result, dict) else {}))
    with transaction.atomic():
        CaTransfer.objects.create(
            certificate=certificate, action=action, authority=authority.name, sent=sent,
            categories=list(categories), use=CA_USE,
        )  # fmt: skip
        audit_append(
            actor=actor, action="certs.ca_transfer", outcome="sent", subject=subject,
            categories=categories, use=CA_USE, clauses=["BE-10", "SITE-2"],
            detail={"certificate": certificate.number, "step": action,
                    "authority": authority.name, "sent": sent},
        )  # fmt: skip
    return result


@enforces("SITE-2")
def certificate_order_create(
    *, customer: User, names: Sequence[str], csr_pem: str | bytes, actor: Actor, product: str = "",
    store_order: str = "", organisation_validated: bool = False,
    replaces: CertificateOrder | None = None, place: bool = True, internal_names: bool = False,
    authority: CertificateAuthority | None = None, gate: Gate, store_line_id: int | None = None,
    period_start: dt.date | None = None,
) -> CertificateOrder:  # fmt: skip
    """Check the CSR against ``names``, record the order and (``place``) send it to the CA.

    Raises ``CertificateError`` with the findings when the CSR has an error; ``InputError``
    when it cannot be read; ``PolicyViolation`` when the gate refuses the transfer (the
    order is then kept as "ordered", and ``certificate_order_place`` sends it later).
    """
    wanted = list(dict.fromkeys(name_normalise(n) for n in names if n.strip()))
    if not wanted:
        raise CertificateError(str(_("Name the domain the certificate is for.")))
    report = csr_check(data=csr_pem, names=wanted, internal_names=internal_names)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    if errors:
        raise CertificateError(" ".join(str(f.message) for f in errors), report.findings)
    csr_text = load_csr(csr_pem).public_bytes(serialization.Encoding.PEM).decode()
    certificate = CertificateOrder(
        customer=customer, names=wanted, csr_pem=csr_text,
        key_sha256=report.key.spki_sha256, product=product, store_order=store_order,
        organisation_validated=organisation_validated, replaces=replaces,
        store_line_id=store_line_id, period_start=period_start,
    )  # fmt: skip
    certificate.full_clean()
    certificate.save()
    if place:
        certificate_order_place(
            certificate=certificate, actor=actor, authority=authority, gate=gate
        )
    return certificate


def _challenges_store(certificate: CertificateOrder, ca_order: CaOrder) -> None:
    now = timezone.now()
    for c in ca_order.challenges:
        if c.kind not in ("dns-01", "http-01"):
            continue
        CertificateChallenge.objects.update_or_create(
            certificate=certificate, ca_url=c.url,
            defaults={"name": c.name, "kind": c.kind, "status": c.status, "dns_name": c.dns_name,
                      "dns_value": c.dns_value, "http_path": c.http_path,
                      "http_body": c.http_body, "checked_at": now},
        )  # fmt: skip


@enforces("SITE-2", "BE-10")
def certificate_order_place(
    *, certificate: CertificateOrder, actor: Actor,
    authority: CertificateAuthority | None = None, gate: Gate,
) -> CertificateOrder:  # fmt: skip
    """Send an "ordered" certificate to the CA and keep the challenges it sets."""
    if certificate.state != CertState.ORDERED:
        return certificate
    authority = authority or certificate_authority(rulebook=gate.rulebook)
    ca_order = _transfer(
        certificate=certificate, action="order", actor=actor, gate=gate, authority=authority,
        call=lambda: authority.order_place(csr_pem=certificate.csr_pem, names=certificate.names),
    )  # fmt: skip
    with transaction.atomic():
        certificate.ca_reference, certificate.authority = ca_order.reference, authority.name
        certificate.state = CertState.WAITING
        certificate.save(update_fields=["ca_reference", "authority", "state"])
        _challenges_store(certificate, ca_order)
    if ca_order.status in ("ready", "valid"):  # names validated before (authorisation reuse)
        certificate_issue(certificate=certificate, actor=actor, authority=authority, gate=gate)
    return certificate


@enforces("SITE-2")
def validation_check(
    *, certificate: CertificateOrder, actor: Actor, kind: str = "http-01",
    authority: CertificateAuthority | None = None, gate: Gate,
) -> CertificateOrder:  # fmt: skip
    """ "Check now": tell the CA the challenges of ``kind`` are published (wildcards always
    use DNS), record each name's state, and issue when every name is validated."""
    if certificate.state != CertState.WAITING:
        return certificate
    authority = authority or certificate_authority(rulebook=gate.rulebook)
    answer = [
        c.ca_url for c in certificate.challenges.filter(status="pending")
        if c.kind == ("dns-01" if c.name.startswith("*.") else kind)
    ]  # fmt: skip
    ca_order = _transfer(
        certificate=certificate, action="validate", actor=actor, gate=gate, authority=authority,
        call=lambda: authority.validation_check(reference=certificate.ca_reference, answer=answer),
    )  # fmt: skip
    _challenges_store(certificate, ca_order)
    failed = sorted(n for n, s in ca_order.authorizations.items() if s == "invalid")
    if failed or ca_order.status == "invalid":
        certificate.state = CertState.FAILED
        certificate.problem = ", ".join(failed or certificate.names)[:500]
        certificate.save(update_fields=["state", "problem"])
    elif ca_order.status in ("ready", "processing", "valid"):
        certificate_issue(certificate=certificate, actor=actor, authority=authority, gate=gate)
    return certificate


def _issued_store(certificate: CertificateOrder, issued: CaIssued) -> None:
    cert = x509.load_pem_x509_certificate(issued.certificate_pem.encode())
    if key_info(cert.public_key()).spki_sha256 != certificate.key_sha256:
        raise CertificateError("the CA returned a certificate for another key; it was not stored")
    der = cert.public_bytes(serialization.Encoding.DER)
    certificate.certificate_pem, certificate.chain_pem = issued.certificate_pem, issued.chain_pem
    certificate.serial = format(cert.serial_number, "x")
    certificate.fingerprint_sha256 = hashlib.sha256(der).hexdigest()
    certificate.not_before, certificate.not_after = (
        cert.not_valid_before_utc,
        cert.not_valid_after_utc,
    )
    certificate.state, certificate.issued_at = CertState.ISSUED, timezone.now()
    certificate.save()
    if certificate.replaces is not None:
        CertificateOrder.objects.filter(pk=certificate.replaces.pk).update(state=CertState.REPLACED)


@enforces("SITE-2", "BE-10")
def certificate_issue(
    *, certificate: CertificateOrder, actor: Actor,
    authority: CertificateAuthority | None = None, gate: Gate,
) -> CertificateOrder:  # fmt: skip
    """Send the CSR to finalize the order and store the certificate (None yet: still waiting)."""
    if (
        certificate.state not in (CertState.WAITING, CertState.ORDERED)
        or not certificate.ca_reference
    ):
        return certificate
    authority = authority or certificate_authority(rulebook=gate.rulebook)
    issued = _transfer(
        certificate=certificate, action="issue", actor=actor, gate=gate, authority=authority,
        call=lambda: authority.certificate_fetch(reference=certificate.ca_reference,
                                                 csr_pem=certificate.csr_pem),
    )  # fmt: skip
    if issued is not None:
        with transaction.atomic():
            _issued_store(certificate, issued)
    return certificate


@enforces("SITE-2")
def certificate_renew(
    *, certificate: CertificateOrder, actor: Actor, csr_pem: str | None = None,
    authority: CertificateAuthority | None = None, gate: Gate,
) -> CertificateOrder:  # fmt: skip
    """A new order for the same names, with the same CSR or a new one; the old certificate is
    marked replaced when the new one is issued."""
    return certificate_order_create(
        customer=certificate.customer, names=certificate.names,
        csr_pem=csr_pem or certificate.csr_pem, actor=actor, product=certificate.product,
        store_order=certificate.store_order,
        organisation_validated=certificate.organisation_validated, replaces=certificate,
        authority=authority, gate=gate, store_line_id=certificate.store_line_id,
        period_start=certificate.period_start,
    )  # fmt: skip


@enforces("SITE-2", "BE-10")
def certificate_revoke(
    *, certificate: CertificateOrder, actor: Actor, reason: int = 0,
    authority: CertificateAuthority | None = None, gate: Gate,
) -> CertificateOrder:  # fmt: skip
    """Revoke an issued certificate at the CA (reason: an RFC 5280 code the customer gives)."""
    if certificate.state not in (CertState.ISSUED, CertState.EXPIRING):
        raise CertificateError("only an issued certificate that has not expired can be revoked")
    if reason not in REVOCATION_REASONS:
        raise CertificateError(f"unknown revocation reason {reason}")
    authority = authority or certificate_authority(rulebook=gate.rulebook)
    _transfer(
        certificate=certificate, action="revoke", actor=actor, gate=gate, authority=authority,
        call=lambda: authority.revoke(certificate_pem=certificate.certificate_pem, reason=reason),
    )  # fmt: skip
    certificate.state, certificate.revoked_at = CertState.REVOKED, timezone.now()
    certificate.save(update_fields=["state", "revoked_at"])
    return certificate


def certificate_states_refresh(
    *, now: dt.datetime | None = None, expiring_days: int | None = None
) -> dict[str, int]:
    """Issued certificates within ``expiring_days`` (default ``KEEPFAITH_CERT_EXPIRING_DAYS``)
    of their end become "expiring", past it "expired" (``certs.daily``)."""
    now = now or timezone.now()
    days = expiring_days if expiring_days is not None else int(settings.CERT_EXPIRING_DAYS)
    soon = now + dt.timedelta(days=days)
    live = CertificateOrder.objects.filter(state__in=[CertState.ISSUED, CertState.EXPIRING])
    expired = live.filter(not_after__lte=now).update(state=CertState.EXPIRED)
    expiring = live.filter(state=CertState.ISSUED, not_after__lte=soon).update(
        state=CertState.EXPIRING
    )
    return {"expired": expired, "expiring": expiring}


__all__ = [
    "AuthorityError",
    "CertificateError",
    "certificate_issue",
    "certificate_order_create",
    "certificate_order_place",
    "certificate_renew",
    "certificate_revoke",
    "certificate_states_refresh",
    "validation_check",
]


def transfers_erase(customer: User) -> None:
    """Forget what was sent to the certificate authority for the customer (RIGHTS-17)."""
    CaTransfer.objects.filter(certificate__customer=customer).update(sent={})


def certificates_erase(customer: User) -> None:
    """Blank the customer's requests, names and certificates (RIGHTS-17)."""
    CertificateOrder.objects.filter(customer=customer).update(
        csr_pem="", certificate_pem="", chain_pem="", names=[]
    )
