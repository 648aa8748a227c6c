"""The customer page and the order page: each section follows the reader's role (QS-3), and
every opening is audited with the details shown."""

from __future__ import annotations

import pytest

from keepfaith.audit.models import AuditEntry
from tests.conftest import make_staff, verified_client
from tests.console.factories import order_with_renewal_charge, ticket_for

pytestmark = [pytest.mark.clause("QS-3")]


@pytest.fixture
def alice_with_history(published, alice):
    alice.phone = "+45 12 34 56 78"
    alice.postal_address = "Nørregade 1, 1165 København K"
    alice.save()
    order = order_with_renewal_charge(alice)
    ticket_for(alice)
    return alice, order


def test_search_finds_the_customer_by_number_and_links_to_their_page(alice_with_history):
    alice, _ = alice_with_history
    bob = verified_client(make_staff("bob@staff.example", "support"))
    page = bob.get("/console/customers/", {"q": alice.customer_number}).content.decode()
    assert f'href="/console/customers/{alice.customer_number}/"' in page


def test_support_sees_contact_details_and_tickets_but_not_orders(alice_with_history):
    alice, order = alice_with_history
    bob = verified_client(make_staff("bob@staff.example", "support"))
    response = bob.get(f"/console/customers/{alice.customer_number}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "alice@example.com" in page
    assert "Nørregade" not in page  # the policy gives support no postal addresses
    assert "+45 12 34 56 78" not in page  # nor phone numbers of customers (only of requests)
    assert "Certificate not trusted on Android" in page
    assert order.number not in page
    assert "Orders are not open to your role." in page
    actions = set(
        AuditEntry.objects.filter(
            actor="bob@staff.example", subject=alice.customer_number
        ).values_list("action", flat=True)
    )
    assert {"console.customer.show", "console.customer.tickets"} <= actions
    assert "console.customer.contact.email" in actions
    assert "console.customer.contact.postal_address" not in actions
    assert "console.customer.orders" not in actions


def test_billing_opens_the_order_with_lines_payments_and_the_renewal_charge(alice_with_history):
    alice, order = alice_with_history
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    customer_page = bill.get(f"/console/customers/{alice.customer_number}/").content.decode()
    assert f'href="/console/orders/{order.number}/"' in customer_page
    assert "Nørregade" in customer_page  # billing reads postal addresses
    response = bill.get(f"/console/orders/{order.number}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "QualitySSL Wildcard, 12 months" in page
    assert "DKK 15,431.25" in page
    assert "pay-RENEW-0002" in page  # the renewal charge is a payment of the order
    entry = AuditEntry.objects.filter(action="console.order.show").get()
    assert entry.subject == alice.customer_number
    assert "user.financial.credit_card.masked" in entry.categories


def test_marketing_cannot_open_a_customer_page_and_is_told_why(alice_with_history):
    alice, _ = alice_with_history
    mia = verified_client(make_staff("mia@staff.example", "marketing"))
    response = mia.get(f"/console/customers/{alice.customer_number}/")
    assert response.status_code == 403
    assert "not open to your role" in response.content.decode()


def test_an_unknown_customer_number_is_a_404(published):
    bob = verified_client(make_staff("bob@staff.example", "support"))
    assert bob.get("/console/customers/C-NOPE/").status_code == 404


def _restrict(customer):
    from keepfaith.consent.services import consent_record
    from keepfaith.gate.choices import RESTRICTION_KEY

    consent_record(subject=customer.subject_ref, key=RESTRICTION_KEY, event="opted-out",
                   source="rights")  # fmt: skip


@pytest.mark.clause("RIGHTS-18")
def test_a_restricted_customer_is_open_only_for_the_uses_a_restriction_permits(
    alice_with_history,
):
    """Support and billing read a customer for uses a restriction stops: refused, in words,
    and audited with the customer; the privacy officer still handles their requests."""
    alice, order = alice_with_history
    _restrict(alice)
    bob = verified_client(make_staff("bob@staff.example", "support"))
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    for client, path in (
        (bob, f"/console/customers/{alice.customer_number}/"),
        (bill, f"/console/customers/{alice.customer_number}/"),
        (bill, f"/console/orders/{order.number}/"),
    ):
        response = client.get(path)
        page = response.content.decode()
        assert response.status_code == 403, path
        assert "restricted the use of their data" in page
        assert "alice@example.com" not in page and "Nørregade" not in page
        assert "lets no staff role open it" not in page or "/orders/" in path
    # nor do the lists show her to them (found read around by the diff review)
    for client, path in (
        (bob, f"/console/customers/?q={alice.customer_number}"),
        (bob, "/console/support/"),
        (bill, "/console/orders/"),
    ):
        listed = client.get(path).content.decode()
        assert "alice@example.com" not in listed and order.number not in listed, path
        assert 'id="restricted-left-out"' in listed, path
    customer_page = bob.get(f"/console/customers/{alice.customer_number}/").content.decode()
    assert "It needs the role: privacy officer, administrator." in customer_page  # for her
    refused = AuditEntry.objects.filter(subject=alice.customer_number, outcome="refused")
    assert refused.count() == 4
    assert all("restricted the processing" in e.detail["reason"] for e in refused)
    assert not AuditEntry.objects.filter(subject=alice.customer_number, outcome="read").exists()
    # the administrator reads the account for signing in, which a restriction permits: the
    # page says the restriction holds, and the audit names the use that allowed it
    ada = verified_client(make_staff("ada@staff.example", "administrator"))
    page = ada.get(f"/console/customers/{alice.customer_number}/").content.decode()
    assert 'id="restricted"' in page
    shown = AuditEntry.objects.get(
        actor="ada@staff.example", action="console.customer.show", outcome="read"
    )
    assert shown.use == "essential.service.authentication"
    # lifted (the ledger's "withdrawn"), the pages open again
    from keepfaith.consent.services import consent_record
    from keepfaith.gate.choices import RESTRICTION_KEY

    consent_record(subject=alice.subject_ref, key=RESTRICTION_KEY, event="withdrawn",
                   source="rights")  # fmt: skip
    page = bob.get(f"/console/customers/{alice.customer_number}/").content.decode()
    assert "alice@example.com" in page and 'id="restricted"' not in page


@pytest.mark.clause("QS-4")
def test_changes_to_details_hidden_from_the_role_are_said_to_be_hidden(alice_with_history):
    """Support read "No changes." under the contact changes while the customer's postal
    address had changed: the change is hidden from support, and the page now says some are."""
    from keepfaith.accounts.models import ContactDetailsChange

    alice, _ = alice_with_history
    ContactDetailsChange.objects.create(
        customer=alice, field="postal_address", old="", new=alice.postal_address
    )
    bob = verified_client(make_staff("bob@staff.example", "support"))
    page = bob.get(f"/console/customers/{alice.customer_number}/").content.decode()
    history = page[page.index("Changes to contact details</h3>") : page.index('id="orders"')]
    assert "No changes." not in history and "Nørregade" not in history
    assert "No changes to the details shown." in history
    assert "Changes to contact details not open to your role are not shown." in history
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    billing = bill.get(f"/console/customers/{alice.customer_number}/").content.decode()
    assert "Nørregade" in billing[billing.index("Changes to contact details</h3>") :]
