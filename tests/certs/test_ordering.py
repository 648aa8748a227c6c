"""Certificates bought in the shop: set up on the order with names and a CSR, sent to the CA
(organisation-validated ones only after the go-ahead), renewed with each paid period,
reissued with a new CSR, and the daily run that catches up (SITE-2, BE-10)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.test import Client
from django.utils import timezone

from keepfaith.audit.services import Actor
from keepfaith.certs import authorities
from keepfaith.certs.authorities import AuthorityError
from keepfaith.certs.daily import certificates_daily, expiring_days
from keepfaith.certs.models import CaTransfer, CertificateOrder, CertState
from keepfaith.certs.ordering import certificates_renew_paid
from keepfaith.comms.delivery import deliver_pending
from keepfaith.inforce import in_force
from keepfaith.store.models import Order, RenewalCharge
from keepfaith.store.renewals import renewal_charge
from keepfaith.vault.gateway import payment_processor_reset
from tests.certs.pki import make_csr
from tests.store.conftest import OV_DETAILS, add_to_cart, checkout, go_ahead

pytestmark = [pytest.mark.clause("SITE-2"), pytest.mark.django_db]
NAMES = ["shop.example", "www.shop.example"]


@pytest.fixture(autouse=True)
def shop(settings: Any, tmp_path: Path, published: Any) -> Any:
    settings.VAULT_KEYRING_PATH = tmp_path / "vault" / "keyring.json"
    payment_processor_reset()
    authorities.certificate_authority_reset()
    yield
    authorities.certificate_authority_reset()
    payment_processor_reset()


def bought(
    customer: Any, product: str = "qualityssl-mobile", **fields: Any
) -> tuple[Client, Order]:
    client = Client()
    client.force_login(customer)
    add_to_cart(client, product, term="12")
    response = checkout(client, **fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client, Order.objects.get(customer=customer)


def setup_url(client: Client, order: Order) -> str:
    page = client.get(f"/account/orders/{order.number}/").content.decode()
    found = re.search(r'href="(/account/orders/[^"]+/certificates/\d+/)" data-setup', page)
    assert found is not None, page
    return found.group(1)


def csr(names: list[str] = NAMES, **kwargs: Any) -> str:
    return make_csr(names, **kwargs)[0].decode()


def test_a_bought_certificate_is_set_up_on_its_order_and_issued(alice):
    client, order = bought(alice)
    url = setup_url(client, order)
    form = client.get(url)
    assert form.status_code == 200
    assert "with and without www" in form.content.decode()
    response = client.post(url, {"names": "shop.example", "csr": csr()})
    assert response.status_code == 302
    certificate = CertificateOrder.objects.get()
    assert response["Location"] == f"/account/certificates/{certificate.number}/"
    assert (certificate.state, certificate.names) == (CertState.WAITING, NAMES)
    line = order.lines.get()
    assert (certificate.store_order, certificate.store_line_id) == (order.number, line.pk)
    order_page = client.get(f"/account/orders/{order.number}/").content.decode()
    assert certificate.number in order_page and "data-setup" not in order_page
    assert client.get(url).status_code == 200  # the page, but nothing left to set up:
    again = client.post(url, {"names": "shop.example", "csr": csr()})
    assert (
        again.status_code == 400
        and "Every certificate of this order line is already set up." in (again.content.decode())
    )
    checked = client.post(
        f"/account/certificates/{certificate.number}/check/", {"kind": "http-01"}, follow=True
    )
    certificate.refresh_from_db()
    assert certificate.state == CertState.ISSUED
    assert "your certificate is issued" in checked.content.decode()  # the check says so
    listing = client.get("/account/certificates/").content.decode()
    assert certificate.number in listing and "data-to-set-up" not in listing


def test_names_that_do_not_fit_and_a_csr_that_does_not_match_are_refused(alice):
    client, order = bought(alice)
    url = setup_url(client, order)
    two = client.post(url, {"names": "a.example\nb.example", "csr": csr()})
    assert two.status_code == 400 and "one domain, with and without www" in two.content.decode()
    other = client.post(url, {"names": "other.example", "csr": csr()})
    assert other.status_code == 400
    assert "shop.example" in other.content.decode()  # the finding names what the CSR asks for
    # each finding is said once, in the list; the lead points at it (no ".;" run-on)
    said = other.content.decode()
    assert "has problems, listed below" in said and ".;" not in said
    finding = re.search(r'<li class="finding error"><strong>[^<]*</strong> ([^<]+)<', said)
    assert finding is not None and said.count(finding.group(1)) == 1
    junk = client.post(url, {"names": "shop.example", "csr": "hello"})
    assert junk.status_code == 400 and "not a readable" in junk.content.decode()
    assert CertificateOrder.objects.count() == 0
    assert "data-to-set-up" in client.get("/account/certificates/").content.decode()


@pytest.mark.clause("BE-10")
def test_a_domain_validated_certificate_takes_no_personal_data_in_its_csr(alice):
    client, order = bought(alice)
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, "shop.example"),
               x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Andersen ApS"),
               x509.NameAttribute(NameOID.EMAIL_ADDRESS, "alice@example.com")]  # fmt: skip
    response = client.post(setup_url(client, order), {"names": "shop.example",
                                                      "csr": csr(subject=subject)})  # fmt: skip
    text = response.content.decode()
    assert response.status_code == 400
    assert "validated by domain only" in text and "(it has: e-mail address, organisation)" in text
    assert CertificateOrder.objects.count() == CaTransfer.objects.count() == 0


@pytest.mark.clause("BE-10")
def test_an_organisation_validated_certificate_waits_for_the_go_ahead(alice):
    client, order = bought(alice, "qualityssl", go_ahead="wait", **OV_DETAILS)
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, "shop.example"),
               x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Andersen ApS")]  # fmt: skip
    response = client.post(setup_url(client, order), {"names": "shop.example",
                                                      "csr": csr(subject=subject)})  # fmt: skip
    assert response.status_code == 302
    certificate = CertificateOrder.objects.get()
    assert certificate.state == CertState.ORDERED and certificate.organisation_validated
    assert CaTransfer.objects.count() == 0  # nothing reached the CA
    page = client.get(response["Location"])
    assert "once you give the go-ahead" in page.content.decode()
    go_ahead(client, order)
    certificate.refresh_from_db()
    assert certificate.state == CertState.WAITING
    transfer = CaTransfer.objects.get(action="order")
    assert transfer.categories == ["user.contact.organization"]
    # the organisation's details went to the authority first, not left "about to be sent"
    # beside an issued certificate (found by a walk-through)
    [details] = order.transfers.all()
    assert details.status == "sent" and details.sent_at is not None
    assert details.sent_at <= transfer.at
    assert "were sent on" in client.get(f"/account/orders/{order.number}/").content.decode()


@pytest.mark.clause("BE-10")
def test_a_go_ahead_at_checkout_sends_the_details_when_the_certificate_is_set_up(alice):
    """The usual path: the go-ahead given at checkout, the certificate set up later; its
    organisation's details go before the certificate order, in the same step."""
    client, order = bought(alice, "qualityssl", go_ahead="proceed", **OV_DETAILS)
    [details] = order.transfers.all()
    assert details.status == "queued"  # nothing set up yet: nothing to validate
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, "shop.example"),
               x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Andersen ApS")]  # fmt: skip
    client.post(setup_url(client, order), {"names": "shop.example", "csr": csr(subject=subject)})
    details.refresh_from_db()
    ordered = CaTransfer.objects.get(action="order")
    assert details.status == "sent" and details.sent_at is not None
    assert details.sent_at <= ordered.at


def test_each_paid_renewal_orders_the_certificate_again_with_the_same_csr(alice):
    client, order = bought(alice)
    client.post(setup_url(client, order), {"names": "shop.example", "csr": csr()})
    first = CertificateOrder.objects.get()
    client.post(f"/account/certificates/{first.number}/check/", {"kind": "http-01"})
    renewal = order.lines.get().renewal
    now = in_force()
    actor = Actor("customer", alice.subject_ref)
    charge = renewal_charge(
        renewal=renewal, period_start=renewal.due, actor=actor, gate=now.gate(actor=actor),
        policy=now.policy, today=renewal.due - dt.timedelta(days=10),
    )  # fmt: skip
    assert certificates_renew_paid(actor=actor, gate=now.gate(actor=actor)) == 1
    assert certificates_renew_paid(actor=actor, gate=now.gate(actor=actor)) == 0  # once
    second = CertificateOrder.objects.get(replaces=first)
    assert (second.csr_pem, second.names) == (first.csr_pem, first.names)
    assert (second.period_start, second.store_line_id) == (charge.period_start,
                                                          first.store_line_id)  # fmt: skip
    client.post(f"/account/certificates/{second.number}/check/", {"kind": "http-01"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (CertState.REPLACED, CertState.ISSUED)
    assert RenewalCharge.objects.count() == 1


def renew_on_its_page(client: Client, order: Order) -> dt.date:
    """The customer renews the order's first line on its page (due in 5 days); its due date."""
    renewal = order.lines.get().renewal
    renewal.due = timezone.localdate() + dt.timedelta(days=5)
    renewal.save(update_fields=["due"])
    url = f"/account/orders/{order.number}/renew/1/"
    response = client.post(url, {"period_start": renewal.due.isoformat(), "confirm": "yes"})
    assert response.status_code == 302, response.content.decode()[:3000]
    return renewal.due


def test_the_renewal_page_orders_the_renewed_certificate_at_once(alice):
    client, order = bought(alice)
    client.post(setup_url(client, order), {"names": "shop.example", "csr": csr()})
    first = CertificateOrder.objects.get()
    client.post(f"/account/certificates/{first.number}/check/", {"kind": "http-01"})
    due = renew_on_its_page(client, order)
    renewed = CertificateOrder.objects.get(period_start=due)
    assert renewed.replaces == first and renewed.state != CertState.ORDERED  # sent to the CA


@pytest.mark.clause("SITE-2")
def test_a_renewal_paid_while_the_certificate_waits_for_validation_orders_no_second_one(alice):
    """The certificate still waiting when the renewal is paid serves the renewed period once
    issued: no second order for the same names and key goes to the CA beside it."""
    client, order = bought(alice)
    client.post(setup_url(client, order), {"names": "shop.example", "csr": csr()})
    waiting = CertificateOrder.objects.get()
    assert waiting.state == CertState.WAITING
    orders_at_ca = CaTransfer.objects.filter(action="order").count()
    renew_on_its_page(client, order)
    assert CertificateOrder.objects.get() == waiting  # still the only one
    assert CaTransfer.objects.filter(action="order").count() == orders_at_ca
    client.post(f"/account/certificates/{waiting.number}/check/", {"kind": "http-01"})
    waiting.refresh_from_db()
    assert waiting.state == CertState.ISSUED
    actor = Actor("customer", alice.subject_ref)
    assert certificates_renew_paid(actor=actor, gate=in_force().gate(actor=actor)) == 0


@pytest.mark.clause("SITE-2")
def test_a_certificate_set_up_after_the_renewal_was_paid_serves_the_renewed_period(alice):
    client, order = bought(alice)
    renew_on_its_page(client, order)  # paid early, before the unit was set up
    client.post(setup_url(client, order), {"names": "shop.example", "csr": csr()})
    first = CertificateOrder.objects.get()
    client.post(f"/account/certificates/{first.number}/check/", {"kind": "http-01"})
    first.refresh_from_db()
    assert first.state == CertState.ISSUED
    actor = Actor("customer", alice.subject_ref)
    assert certificates_renew_paid(actor=actor, gate=in_force().gate(actor=actor)) == 0
    assert CertificateOrder.objects.count() == 1


@pytest.mark.clause("SITE-2")
def test_a_reissue_that_fails_after_the_renewal_leaves_the_renewal_to_the_issued_one(alice):
    """A reissue waiting when the renewal is paid, then failing: the issued certificate is the
    unit's again and gets the period's renewal; the daily run goes on (found stopping it)."""
    client, order = bought(alice)
    client.post(setup_url(client, order), {"names": "shop.example", "csr": csr()})
    issued = CertificateOrder.objects.get()
    client.post(f"/account/certificates/{issued.number}/check/", {"kind": "http-01"})
    client.post(f"/account/certificates/{issued.number}/reissue/", {"csr": csr()})
    reissue = CertificateOrder.objects.get(replaces=issued)
    assert reissue.state == CertState.WAITING
    due = renew_on_its_page(client, order)
    assert CertificateOrder.objects.count() == 2  # nothing beside the waiting reissue
    CertificateOrder.objects.filter(pk=reissue.pk).update(state=CertState.FAILED)
    actor = Actor("customer", alice.subject_ref)
    assert certificates_renew_paid(actor=actor, gate=in_force().gate(actor=actor)) == 1
    renewed = CertificateOrder.objects.get(replaces=issued, period_start=due)
    assert renewed.csr_pem == issued.csr_pem


def test_a_reissue_with_a_new_csr_replaces_the_certificate_once_issued(alice):
    client, order = bought(alice)
    client.post(setup_url(client, order), {"names": "shop.example", "csr": csr()})
    old = CertificateOrder.objects.get()
    client.post(f"/account/certificates/{old.number}/check/", {"kind": "http-01"})
    new_csr = csr()
    response = client.post(f"/account/certificates/{old.number}/reissue/", {"csr": new_csr})
    new = CertificateOrder.objects.get(replaces=old)
    assert response["Location"] == f"/account/certificates/{new.number}/"
    assert new.key_sha256 != old.key_sha256 and new.store_line_id == old.store_line_id
    old.refresh_from_db()
    assert old.state == CertState.ISSUED  # still valid until the new one is issued
    client.post(f"/account/certificates/{new.number}/check/", {"kind": "http-01"})
    old.refresh_from_db()
    assert old.state == CertState.REPLACED


def test_a_refused_reissue_keeps_the_pasted_request(alice):
    """A CSR for other names: the error, and the request still in its box to correct (found
    cleared by a walk-through)."""
    client, order = bought(alice)
    client.post(setup_url(client, order), {"names": "shop.example", "csr": csr()})
    old = CertificateOrder.objects.get()
    client.post(f"/account/certificates/{old.number}/check/", {"kind": "http-01"})
    other = csr(["other.example"])
    response = client.post(f"/account/certificates/{old.number}/reissue/", {"csr": other})
    page = response.content.decode()
    assert response.status_code == 400
    assert "was not reissued" in page
    assert other.strip().splitlines()[1] in page  # the pasted request, kept
    assert CertificateOrder.objects.count() == 1


def test_another_customer_cannot_set_up_the_certificate(alice, carol):
    client, order = bought(alice)
    url = setup_url(client, order)
    other = Client()
    other.force_login(carol)
    assert other.get(url).status_code == 404
    assert other.post(url, {"names": "shop.example", "csr": csr()}).status_code == 404
    assert CertificateOrder.objects.count() == 0


class Unreachable(authorities.LocalTestAuthority):
    def order_place(self, **kwargs: Any) -> Any:
        raise AuthorityError("the certificate authority did not answer")


def test_an_order_the_ca_could_not_take_is_sent_by_the_daily_run(alice, settings):
    client, order = bought(alice)
    settings.CERT_AUTHORITY = f"{__name__}.Unreachable"
    authorities.certificate_authority_reset()
    response = client.post(setup_url(client, order), {"names": "shop.example", "csr": csr()})
    assert response.status_code == 302
    certificate = CertificateOrder.objects.get()
    assert certificate.state == CertState.ORDERED
    assert "could not be reached" in client.get(response["Location"]).content.decode()
    settings.CERT_AUTHORITY = authorities.LOCAL_TEST  # the CA answers again
    now = in_force()
    run = certificates_daily(gate=now.gate(actor=Actor.system("test")), policy=now.policy)
    certificate.refresh_from_db()
    assert (run.placed, certificate.state) == (1, CertState.WAITING)


def test_the_daily_run_reminds_when_the_policy_s_renewal_window_opens(alice):
    client, order = bought(alice)
    client.post(setup_url(client, order), {"names": "shop.example", "csr": csr()})
    certificate = CertificateOrder.objects.get()
    client.post(f"/account/certificates/{certificate.number}/check/", {"kind": "http-01"})
    now = in_force()
    assert expiring_days(now.policy) == 60  # the example policy's renewals.window
    certificate.refresh_from_db()
    gate = now.gate(actor=Actor.system("test"))
    assert certificate.not_after is not None
    soon = certificate.not_after - dt.timedelta(days=59)
    run = certificates_daily(gate=gate, policy=now.policy, now=soon)
    assert (run.expiring, run.reminded) == (1, 1)
    deliver_pending()
    from django.core import mail

    [message] = [m for m in mail.outbox if certificate.number in m.body]
    assert message.to == ["alice@example.com"]
