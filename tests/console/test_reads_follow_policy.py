"""Staff read only what the policy grants (QS-3): the console asks the gate with the staff
member's role, a policy without a role's grant closes its pages at once, and every read in
the audit log is one the gate allows when replayed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from keepfaith.audit.models import AuditEntry
from keepfaith.audit.services import Actor
from keepfaith.console.access import StaffRead, read_decision
from keepfaith.inforce import in_force
from keepfaith.versions.services import policy_publish
from tests.conftest import make_staff, relabelled, verified_client

BE = Path("examples/qualityssl/policy.yaml")
ROLES = ("support", "billing", "marketing", "privacy officer", "administrator")
PAGES = {
    "support": ["/console/customers/", "/console/support/"],
    "billing": ["/console/customers/", "/console/orders/"],
    "marketing": ["/console/analytics/", "/console/campaigns/"],
    "privacy officer": [
        "/console/customers/",
        "/console/audit/",
        "/console/mail/queue/",
        "/console/analytics/",
    ],
    "administrator": [
        "/console/customers/",
        "/console/orders/",
        "/console/audit/",
        "/console/support/",
        "/console/mail/queue/",
        "/console/analytics/",
        "/console/analytics/diagnostics/",
        "/console/campaigns/",
    ],
}


def staff_clients() -> dict[str, Client]:
    return {
        role: verified_client(make_staff(f"{role.replace(' ', '')}@staff.example", role))
        for role in ROLES
    }


@pytest.mark.clause("QS-3")
@pytest.mark.feature("staff.reads-by-policy")
def test_every_role_opens_its_pages_and_every_read_replays_through_the_gate(
    published, alice, carol, weblog
):
    for role, client in staff_clients().items():
        for url in PAGES[role]:
            assert client.get(url).status_code == 200, (role, url)
        for url in {u for pages in PAGES.values() for u in pages} - set(PAGES[role]):
            assert client.get(url).status_code in (403, 404), (role, url)
    gate = in_force().gate(actor=Actor.system("replay"))
    reads = AuditEntry.objects.filter(actor_kind="staff", outcome="read")
    assert reads.count() >= sum(len(pages) for pages in PAGES.values()) - 2  # campaigns: no read
    for entry in reads:
        decision = gate.check(
            use=entry.use, categories=entry.categories, recipient=entry.detail["recipient"]
        )
        assert decision.allowed, (entry.action, entry.actor, decision.reason)


@pytest.mark.clause("QS-3")
def test_a_policy_without_the_billing_entry_closes_bill_s_pages_at_once(published, alice):
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    assert bill.get("/console/orders/").status_code == 200
    text = BE.read_text(encoding="utf-8")
    start = text.index("    - role: billing\n")
    end = text.index("    - role: marketing\n")
    policy_publish(
        source=relabelled(text[:start] + text[end:]), source_name="test: no billing staff"
    )
    refused = bill.get("/console/orders/")
    assert refused.status_code == 403
    reason = refused.content.decode()
    assert "recipient “billing” is not declared in the policy" in reason  # shown by its name
    assert bill.get("/console/customers/").status_code == 403
    assert "/console/orders/" not in bill.get("/console/").content.decode()
    assert AuditEntry.objects.filter(
        action="console.orders.list", outcome="refused", actor="bill@staff.example"
    ).exists()


def test_a_read_asks_each_role_and_each_use_and_names_the_first_refusal(published):
    read = StaffRead("test.read", ("user.unique_id",), ("essential.service.security",))
    gate = in_force().gate(actor=Actor.system("test"))
    refused = read_decision(gate=gate, read=read, roles=["support"])
    assert refused.allowed is False and "staff role 'support'" in refused.reason
    none = read_decision(gate=gate, read=read, roles=[])
    assert none.allowed is False and "holds no role" in none.reason


@pytest.mark.clause("QS-3")
@pytest.mark.parametrize("policy_path", [BE, Path("examples/qualispace/policy.yaml")])
def test_each_contact_detail_the_statement_says_a_role_sees_opens_on_the_customer_page(
    policy_path, db
):
    """The statement's "which staff see what" lists each staff entry's categories and uses;
    where one of those uses is one the customer page serves and declares the detail, the
    page must show it to that role (the gate agreeing), or the statement says more than the
    console does. (A phone number granted to support only for information requests is the
    one given on that form, not the account's; marketing opens no customer page.)"""
    from keepfaith.accounts.models import CONTACT_FIELD_CATEGORY, CONTACT_FIELDS
    from keepfaith.console import reads
    from keepfaith.gate.choices import InMemoryChoices
    from keepfaith.inforce import in_force

    policy_publish(source=policy_path.read_text(encoding="utf-8"))
    now = in_force()
    policy = now.policy
    gate = now.gate(actor=Actor.system("test"), choices=InMemoryChoices())
    missing, checked = [], 0
    for entry in policy.recipients.staff:
        for field in CONTACT_FIELDS:
            category = CONTACT_FIELD_CATEGORY[field]
            read = reads.contact_field_read(field)
            serving = [
                use
                for use in read.uses
                if use in entry.uses
                and (declared := policy.use_by_key(use)) is not None
                and category in declared.categories
            ]
            if category not in entry.categories or not serving:
                continue
            checked += 1
            if not read_decision(gate=gate, read=read, roles=[entry.role]).allowed:
                missing.append((entry.role, field))
    assert checked >= 8
    assert missing == [], missing
    for role in ("support", "billing"):  # whose work starts on the customer page
        assert read_decision(gate=gate, read=reads.CUSTOMER, roles=[role]).allowed, role
