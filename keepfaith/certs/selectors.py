"""Reads of certificate orders: a customer sees only their own (SITE-2)."""

from __future__ import annotations

from django.db.models import QuerySet

from keepfaith.accounts.models import User
from keepfaith.certs.models import CaTransfer, CertificateChallenge, CertificateOrder, CertState


def certificates_of_customer(*, customer: User) -> QuerySet[CertificateOrder]:
    return CertificateOrder.objects.filter(customer=customer)


def certificate_of_customer(*, customer: User, number: str) -> CertificateOrder | None:
    """The customer's certificate ``number``; None for anyone else's (no hint it exists)."""
    return CertificateOrder.objects.filter(customer=customer, number=number).first()


def certificates_of_store_order(*, customer: User, store_order: str) -> QuerySet[CertificateOrder]:
    """The certificates ordered with the shop order ``store_order`` (for the order page)."""
    return CertificateOrder.objects.filter(customer=customer, store_order=store_order)


def challenges_for(*, certificate: CertificateOrder) -> list[CertificateChallenge]:
    """What the customer must publish, per name: a DNS TXT record or an HTTP file (wildcards
    only DNS), with the state of each."""
    return [
        c for c in certificate.challenges.all()
        if c.kind == "dns-01" or not c.name.startswith("*.")
    ]  # fmt: skip


def names_state(*, certificate: CertificateOrder) -> dict[str, str]:
    """Each name's validation state: valid once any of its challenges is valid."""
    states: dict[str, str] = {name: "pending" for name in certificate.names}
    for c in certificate.challenges.all():
        if c.status == "valid" or (c.status == "invalid" and states.get(c.name) != "valid"):
            states[c.name] = c.status
    return states


def transfers_of(*, certificate: CertificateOrder) -> QuerySet[CaTransfer]:
    return certificate.transfers.all()


def certificates_waiting() -> QuerySet[CertificateOrder]:
    return CertificateOrder.objects.filter(state=CertState.WAITING)
