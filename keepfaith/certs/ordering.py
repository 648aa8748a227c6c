"""Certificates bought in the shop (SITE-2, BE-10).

A certificate line of an order is paid for, not yet a certificate: the customer sets each
unit up on the order page with the names the product allows (``order_names_check``) and a
CSR, checked at once. Then:

- A domain-validated product goes to the certificate authority at once.
- An organisation-validated product (the catalogue names an outside party) waits, "ordered",
  until the customer gives the go-ahead on the order (BE-10); ``certificates_place_waiting``
  then sends it. Nothing reaches the CA before.
- Each paid renewal period of the line (``RenewalCharge``) gets a new certificate order for
  each live certificate of the line, re-using its CSR (``certificates_renew_paid``, run right
  after the customer's renewal and by the daily job for automatic ones); a certificate issued
  after the renewal was paid serves the renewed period instead. The customer may reissue with
  a new CSR at any time (``certificate_reissue``).

A unit is "open" (to set up) while it has no live certificate: a failed validation or a
revocation opens it again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor
from keepfaith.certs.authorities import AuthorityError, CertificateAuthority
from keepfaith.certs.inputs import load_csr
from keepfaith.certs.models import CertificateOrder, CertState
from keepfaith.certs.products import PRODUCT_RULES, NameRule, order_names_check
from keepfaith.certs.services import (
    CertificateError,
    certificate_order_create,
    certificate_order_place,
    subject_categories,
)
from keepfaith.gate import Gate, PolicyViolation
from keepfaith.policy.trace import enforces
from keepfaith.store.catalog import Catalog
from keepfaith.store.models import Order, OrderLine, OrderStatus, RenewalCharge
from keepfaith.store.outside import outside_transfer_send
from keepfaith.store.selectors import transfers_queued

log = logging.getLogger(__name__)
CATEGORY_WORDS = {
    "user.contact.organization": _("organisation"),
    "user.contact.address": _("address"),
    "user.contact.email": _("e-mail address"),
    "user.name": _("person's name"),
}
# A certificate that still counts for its unit (a newer order replacing it takes its place).
LIVE = (CertState.ORDERED, CertState.WAITING, CertState.ISSUED, CertState.EXPIRING,
        CertState.EXPIRED)  # fmt: skip
NOT_ISSUED = (CertState.ORDERED, CertState.WAITING)


@dataclass(frozen=True)
class PlaceRun:
    placed: int
    failed: int


@dataclass(frozen=True)
class CertificateLine:
    """One certificate line of an order as the order page shows it."""

    line: OrderLine
    rule: NameRule
    extra_names: int
    organisation_validated: bool
    certificates: list[CertificateOrder]  # the line's current certificates, newest first
    open: int  # units still to set up
    place: int = 0  # the line's place in its order (from 1): the address names it by that

    @property
    def most_names(self) -> int:
        if self.rule.kind in ("multi", "intranet"):
            return self.rule.included + self.extra_names
        return 1


def _superseded(certificate: CertificateOrder) -> bool:
    """A newer order that still counts replaces it (a failed reissue does not)."""
    return certificate.replaced_by.filter(state__in=LIVE).exists()


def _current(line: OrderLine) -> list[CertificateOrder]:
    """The line's certificates that no live newer order replaces."""
    return [c for c in line.certificates.all() if not _superseded(c)]


def certificate_lines(*, order: Order, catalog: Catalog) -> list[CertificateLine]:
    """The order's certificate lines with their certificates and open units (none on a
    cancelled order: what it paid for was refunded)."""
    cancelled = order.status == OrderStatus.CANCELLED
    found = []
    for place, line in enumerate(order.lines.all(), start=1):
        product = catalog.product(line.product_id)
        if product is None or product.kind != "certificate":
            continue
        current = _current(line)
        live = [c for c in current if c.state in LIVE]
        found.append(
            CertificateLine(
                line=line,
                rule=PRODUCT_RULES.get(line.product_id, NameRule("single")),
                extra_names=int(line.options.get("extra_names", 0) or 0),
                organisation_validated=bool(product.outside_party),
                certificates=sorted(current, key=lambda c: c.created, reverse=True),
                open=0 if cancelled else max(line.quantity - len(live), 0),
                place=place,
            )
        )
    return found


@enforces("SITE-2", "BE-10")
def certificate_setup(
    *, order: Order, line_id: int, names: Sequence[str], csr_pem: str | bytes, actor: Actor,
    gate: Gate, catalog: Catalog, authority: CertificateAuthority | None = None,
) -> CertificateOrder:  # fmt: skip
    """Set up one open unit of ``order``'s certificate line ``line_id`` with ``names`` and
    the CSR. Raises ``NamesError`` (names that do not fit the product), ``CertificateError``
    (no open unit, or the CSR's findings), ``InputError`` (an unreadable CSR). When the CA
    cannot be reached the certificate stays "ordered" and the daily job sends it."""
    entry = next((c for c in certificate_lines(order=order, catalog=catalog)
                  if c.line.pk == line_id), None)  # fmt: skip
    if entry is None:
        raise CertificateError(str(_("This order has no such certificate.")))
    if order.status == OrderStatus.CANCELLED:
        raise CertificateError(str(_("This order is cancelled: it has no certificate to set up.")))
    if entry.open < 1:
        raise CertificateError(str(_("Every certificate of this order line is already set up.")))
    wanted = order_names_check(
        product=entry.line.product_id, names=names, extra_names=entry.extra_names
    )
    if not entry.organisation_validated:
        carried = subject_categories(load_csr(csr_pem).subject)
        if carried:  # they would go to the CA, which the policy allows only for OV products
            raise CertificateError(
                _(
                    "This certificate is validated by domain only: the request must carry no "
                    "organisation, address, e-mail or person's name (it has: %(what)s). Make "
                    "a request with only the domain name."
                )
                % {"what": ", ".join(str(CATEGORY_WORDS.get(c, c)) for c in carried)}
            )
    waits = entry.organisation_validated and (
        order.status != OrderStatus.ACTIVE or not order.go_ahead_given
    )
    certificate = certificate_order_create(
        customer=order.customer, names=wanted, csr_pem=csr_pem, actor=actor,
        product=entry.line.product_id, store_order=order.number,
        organisation_validated=entry.organisation_validated,
        internal_names=entry.rule.kind == "intranet", place=False, authority=authority,
        gate=gate, store_line_id=entry.line.pk,
    )  # fmt: skip
    if not waits:
        try:
            _place(certificate, actor=actor, gate=gate, authority=authority)
        except (AuthorityError, PolicyViolation) as exc:  # ordered: the daily job places it
            log.warning("certificate %s not placed: %s", certificate.number, exc)
    return certificate


@enforces("BE-10")
def certificates_place_waiting(
    *, actor: Actor, gate: Gate, order: Order | None = None,
    authority: CertificateAuthority | None = None,
) -> PlaceRun:  # fmt: skip
    """Send the certificates still "ordered" (of ``order``, or all): those of a
    domain-validated product, and those of an organisation-validated one once the customer
    gave the go-ahead on its order (BE-10). Run after the go-ahead and by the daily job, so
    an order the CA could not take at once goes later. A failure leaves it for the next run."""
    ordered = CertificateOrder.objects.filter(state=CertState.ORDERED).order_by("pk")
    if order is not None:
        ordered = ordered.filter(store_order=order.number)
    given = Order.objects.filter(
        outside_party_choice="given", status=OrderStatus.ACTIVE
    ).values_list("number", flat=True)
    ready = ordered.filter(Q(organisation_validated=False) | Q(store_order__in=given))
    placed = failed = 0
    for certificate in ready:
        try:
            _place(certificate, actor=actor, gate=gate, authority=authority)
        except (AuthorityError, PolicyViolation, CertificateError) as exc:
            log.warning("certificate %s not placed: %s", certificate.number, exc)
            failed += 1
        else:
            placed += 1
    return PlaceRun(placed=placed, failed=failed)


def _place(
    certificate: CertificateOrder, *, actor: Actor, gate: Gate,
    authority: CertificateAuthority | None,
) -> None:  # fmt: skip
    """Order ``certificate`` from the authority; an organisation-validated one only after
    its order's queued details reached the outside party that validates the organisation
    (a refusal or failure leaves both waiting, for the daily job)."""
    if certificate.organisation_validated:
        for transfer in transfers_queued().filter(order__number=certificate.store_order):
            outside_transfer_send(transfer=transfer, actor=actor, gate=gate)
    certificate_order_place(certificate=certificate, actor=actor, authority=authority, gate=gate)


@enforces("SITE-2")
def certificate_reissue(
    *, certificate: CertificateOrder, csr_pem: str | bytes, actor: Actor, gate: Gate,
    authority: CertificateAuthority | None = None,
) -> CertificateOrder:  # fmt: skip
    """A new certificate for the same names and period with a new CSR (a new key, e.g. after
    the old one was exposed); the old one is marked replaced once the new one is issued.
    Raises like ``certificate_setup``."""
    if certificate.state not in LIVE or _superseded(certificate):
        raise CertificateError("only a current certificate can be reissued")
    new = _successor(certificate, csr_pem, certificate.period_start, actor, gate, authority)
    certificate_order_place(certificate=new, actor=actor, authority=authority, gate=gate)
    return new


def _successor(
    old: CertificateOrder, csr_pem: str | bytes, period_start: dt.date | None, actor: Actor,
    gate: Gate, authority: CertificateAuthority | None,
) -> CertificateOrder:  # fmt: skip
    """A new order replacing ``old``: the same names, product and order line."""
    intranet = PRODUCT_RULES.get(old.product, NameRule("single")).kind == "intranet"
    return certificate_order_create(
        customer=old.customer, names=old.names, csr_pem=csr_pem, actor=actor,
        product=old.product, store_order=old.store_order,
        organisation_validated=old.organisation_validated, replaces=old, place=False,
        internal_names=intranet, authority=authority, gate=gate,
        store_line_id=old.store_line_id, period_start=period_start,
    )  # fmt: skip


@enforces("SITE-2")
def certificates_renew_paid(
    *,
    actor: Actor,
    gate: Gate,
    line: OrderLine | None = None,
    authority: CertificateAuthority | None = None,
) -> int:
    """For each paid renewal period (of ``line``, or of every line), a new certificate order
    for each current certificate of the line that does not serve that period yet, with the
    same names and CSR; one issued after the renewal was paid serves it. Idempotent (one
    renewal per certificate and period). Returns how many were ordered; one the gate or the
    CA refuses stays for the next run."""
    charges = RenewalCharge.objects.select_related("renewal__line")
    if line is not None:
        charges = charges.filter(renewal__line=line)
    made = 0
    for charge in charges.filter(renewal__line__certificates__isnull=False).distinct():
        for old in _current(charge.renewal.line):
            if old.state not in LIVE or old.state in NOT_ISSUED or _serves(old, charge):
                continue
            made += _renew_for_period(old, charge, actor, gate, authority)
    return made


def _serves(certificate: CertificateOrder, charge: RenewalCharge) -> bool:
    """Does ``certificate`` already serve the period ``charge`` paid for? It was ordered for
    that period or a later one, or it was issued after the renewal was paid (set up, or still
    waiting for validation or the go-ahead, when the customer renewed): a second order for the
    same names and key beside it would only leave one of the two unused. A certificate not
    issued yet waits: it serves the period once issued, or its unit opens again if it fails."""
    if certificate.period_start is not None and certificate.period_start >= charge.period_start:
        return True
    return certificate.issued_at is not None and certificate.issued_at >= charge.charged_at


def _renew_for_period(
    old: CertificateOrder, charge: RenewalCharge, actor: Actor, gate: Gate,
    authority: CertificateAuthority | None,
) -> int:  # fmt: skip
    try:
        with transaction.atomic():
            new = _successor(old, old.csr_pem, charge.period_start, actor, gate, authority)
    except IntegrityError:  # another run ordered it meanwhile
        return 0
    except ValidationError as exc:  # e.g. the period's renewal exists: never stop the others
        log.warning("renewal certificate for %s not ordered: %s", old.number, exc)
        return 0
    try:
        certificate_order_place(certificate=new, actor=actor, authority=authority, gate=gate)
    except (AuthorityError, PolicyViolation) as exc:  # ordered: the daily job places it
        log.warning("renewal certificate %s not placed: %s", new.number, exc)
    return 1


def certificates_to_set_up(*, customer: User, catalog: Catalog) -> int:
    """How many units the customer still has to set up, over all their orders (the
    certificates page's reminder)."""
    orders = Order.objects.filter(customer=customer).prefetch_related("lines")
    return sum(c.open for order in orders for c in certificate_lines(order=order, catalog=catalog))


__all__ = [
    "CertificateLine",
    "PlaceRun",
    "certificate_lines",
    "certificate_reissue",
    "certificate_setup",
    "certificates_place_waiting",
    "certificates_renew_paid",
    "certificates_to_set_up",
]
