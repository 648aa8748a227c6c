"""The outside checks' world: two customers with one of everything, each staff role, staff
without the second factor, and a client per persona (issue 15, "Done when")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from keepfaith.accounts.models import User
from keepfaith.accounts.services import contact_details_update
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.certs.authorities import LocalTestAuthority
from keepfaith.certs.models import CertificateOrder
from keepfaith.certs.services import certificate_order_create, validation_check
from keepfaith.comms.receiving import inbound_process, inbound_store
from keepfaith.comms.selectors import optout_addresses
from keepfaith.consent.services import consent_record
from keepfaith.inforce import in_force
from keepfaith.rights.models import RightsRequest
from keepfaith.sharing.models import PartnerRelease
from keepfaith.support.models import InformationRequest, SupportTicket
from keepfaith.vault.gateway import payment_processor_reset
from tests.campaigns import create_campaign
from tests.certs.pki import make_csr
from tests.comms.mailbuild import customer_mail
from tests.conftest import PASSWORD, make_staff, verified_client
from tests.store.conftest import renewal_charged

STAFF_ROLES = {
    "bob": "support",
    "bill": "billing",
    "mia": "marketing",
    "pat": "privacy officer",
    "ada": "administrator",
}


@dataclass
class Things:
    """One customer's objects (URL parameters) and what must never show to anyone else."""

    customer: User
    params: dict[str, Any] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)


def _things(customer: User, phone: str, summary: str) -> Things:
    assert customer.customer_number is not None
    contact_details_update(customer=customer, values={"phone": phone})
    event = consent_record(
        policy=in_force().policy,
        subject=customer.customer_number,
        key="marketing.communications.email.newsletter",
        event="opted-out",
        source="portal",
    )
    ticket = SupportTicket.objects.create(
        customer=customer,
        customer_number=customer.customer_number,
        email=customer.email,
        name=customer.full_name,
        summary=summary,
        description=f"only {customer.full_name} may read this",
        operating_system="SecretOS 1",
    )
    order, charge = renewal_charged(customer)
    certificate = _issued_certificate(customer, summary.split("'")[0].lower())
    params = {
        "charge": charge.pk,
        "certificate": certificate.number,
        "number": order.number,
        "line": 1,
        "receipt_ref": event.receipt_ref,
        "ticket_ref": ticket.reference,
        "uidb64": urlsafe_base64_encode(force_bytes(customer.pk)),
        "reference": _rights_request(customer).reference,
    }
    secrets = [customer.email, customer.full_name, str(customer.customer_number), phone,
               summary, order.number, certificate.number, certificate.names[0]]  # fmt: skip
    return Things(customer=customer, params=params, secrets=secrets)


def _rights_request(customer: User) -> Any:
    from keepfaith.rights.actions import access_ready
    from keepfaith.rights.services import customer_actor, request_open_signed_in

    policy, actor = in_force().policy, customer_actor(customer.subject_ref)
    asked = request_open_signed_in(
        customer=customer, kind="access", details="", language="en", policy=policy
    )[0]
    return access_ready(request=asked, actor=actor, gate=in_force().gate(actor=actor))


def _issued_certificate(customer: User, label: str) -> CertificateOrder:
    actor = Actor(ActorKind.CUSTOMER, customer.subject_ref)
    gate = in_force().gate(actor=actor)
    authority = LocalTestAuthority(name="certificate-authority")
    names = [f"{label}-secret-shop.example"]
    pem, _ = make_csr(names)
    certificate = certificate_order_create(
        customer=customer, names=names, csr_pem=pem.decode(), actor=actor, authority=authority,
        gate=gate,
    )  # fmt: skip
    return validation_check(certificate=certificate, actor=actor, authority=authority, gate=gate)


def _partner_release(pat: User) -> int:
    response = verified_client(pat).post(
        "/console/sharing/",
        {"partner": "affiliates", "first_month": "2026-10", "last_month": "2026-10",
         "file_format": "csv", "confirmed": "affiliates:2026-10:2026-10", "confirm": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    return PartnerRelease.objects.get().pk


@pytest.fixture
def world(db: Any, published: Any, settings: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    settings.VAULT_KEYRING_PATH = tmp_path / "vault" / "keyring.json"
    settings.SHARING_DIR = tmp_path / "sharing"
    payment_processor_reset()
    alice = User.objects.create_user("alice@example.com", PASSWORD, full_name="Alice Andersen")
    carol = User.objects.create_user("carol@example.com", PASSWORD, full_name="Carol Christensen")
    staff = {name: make_staff(f"{name}@staff.example", role) for name, role in STAFF_ROLES.items()}
    nofactor = make_staff("nora@staff.example", "administrator")
    nofactor.totpdevice_set.all().delete()  # type: ignore[attr-defined]
    campaign = create_campaign(
        kind="newsletter", subject="Spring", text="x", actor=Actor(ActorKind.STAFF, "mia@x")
    )
    inbound = customer_mail(
        sender="stranger@else.example", to=optout_addresses(policy=in_force().policy)[0]
    )
    row, _ = inbound_store(raw=inbound, origin="outside-checks")
    inbound_process(message_id=row.pk)
    yield {
        "alice": _things(alice, "+45 5555 0001", "Alice's secret problem"),
        "carol": _things(carol, "+45 5555 0002", "Carol's hidden trouble"),
        "staff": staff,
        "nofactor": nofactor,
        "console_params": {
            "campaign_id": campaign.pk,
            "item_id": row.queue.pk,  # type: ignore[attr-defined]
            "release_id": _partner_release(staff["pat"]),
            "request_ref": InformationRequest.objects.create(
                email="stranger@else.example", question="Do you sell wildcards?"
            ).reference,
            "rights_ref": RightsRequest.objects.get(customer=alice).reference,
            "action": "extend",
        },
    }
    payment_processor_reset()


def persona_clients(world: dict[str, Any]) -> dict[str, Callable[[], Client]]:
    """A fresh client per request for each persona (a request may sign out)."""

    def signed_in(user: User) -> Callable[[], Client]:
        def make() -> Client:
            client = Client()
            client.force_login(user)
            return client

        return make

    personas: dict[str, Callable[[], Client]] = {
        "anonymous": Client,
        "alice": signed_in(world["alice"].customer),
        "carol": signed_in(world["carol"].customer),
        "staff-unverified": signed_in(world["staff"]["ada"]),
        "staff-no-factor": signed_in(world["nofactor"]),
    }

    def verified(user: User) -> Callable[[], Client]:
        return lambda: verified_client(user)

    for name, user in world["staff"].items():
        personas[f"staff-{STAFF_ROLES[name]}"] = verified(user)
    return personas
