"""Certificate orders through the local test authority: order, validate, issue, renew,
revoke; every transfer to the CA recorded and audited, asked of the gate when it carries
personal data (SITE-2, BE-10)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured

from keepfaith.audit.models import ActorKind, AuditEntry
from keepfaith.audit.services import Actor
from keepfaith.certs.authorities import (
    LocalTestAuthority,
    certificate_authority,
    certificate_authority_reset,
)
from keepfaith.certs.checks import certs_production_check
from keepfaith.certs.keys import key_info
from keepfaith.certs.models import CaTransfer, CertificateOrder, CertState
from keepfaith.certs.selectors import challenges_for, names_state
from keepfaith.certs.services import (
    CertificateError,
    certificate_order_create,
    certificate_order_place,
    certificate_renew,
    certificate_revoke,
    certificate_states_refresh,
    validation_check,
)
from keepfaith.comms.delivery import deliver_pending
from keepfaith.consent.services import consent_record
from keepfaith.gate import PolicyViolation, go_ahead_key
from keepfaith.inforce import in_force
from keepfaith.versions.selectors import active_version
from tests.certs.pki import make_csr

NAMES = ["shop.example", "www.shop.example"]


@pytest.fixture
def authority():
    return LocalTestAuthority(name="certificate-authority")


@pytest.fixture
def actor(alice):
    return Actor(ActorKind.CUSTOMER, alice.customer_number)


def order(alice, actor, authority, names=NAMES, **kwargs):
    pem, key = make_csr(names, **kwargs)
    return certificate_order_create(
        customer=alice,
        names=names,
        csr_pem=pem.decode(),
        actor=actor,
        authority=authority,
        gate=in_force().gate(actor=actor),
    ), key


@pytest.mark.clause("SITE-2")
def test_an_order_is_placed_with_challenges_per_name(published, alice, actor, authority):
    certificate, _ = order(alice, actor, authority)
    assert certificate.state == CertState.WAITING
    shown = challenges_for(certificate=certificate)
    assert {(c.name, c.kind) for c in shown} == {
        (n, k) for n in NAMES for k in ("dns-01", "http-01")
    }
    dns = next(c for c in shown if c.kind == "dns-01" and c.name == "www.shop.example")
    assert dns.dns_name == "_acme-challenge.www.shop.example" and dns.dns_value
    assert names_state(certificate=certificate) == dict.fromkeys(NAMES, "pending")
    transfer = CaTransfer.objects.get(certificate=certificate)
    assert transfer.action == "order" and transfer.sent == {"identifiers": NAMES}
    assert transfer.categories == []  # a CSR with domain names only carries no personal data
    entry = AuditEntry.objects.filter(action="certs.ca_transfer").last()
    assert entry is not None
    assert entry.subject == alice.customer_number
    assert entry.detail["certificate"] == certificate.number


@pytest.mark.clause("SITE-2")
def test_check_now_validates_and_issues_a_certificate_for_the_csr_key(
    published, alice, actor, authority
):
    certificate, key = order(alice, actor, authority)
    validation_check(
        certificate=certificate, actor=actor, authority=authority, gate=in_force().gate(actor=actor)
    )
    certificate.refresh_from_db()
    assert certificate.state == CertState.ISSUED
    cert = x509.load_pem_x509_certificate(certificate.certificate_pem.encode())
    assert key_info(cert.public_key()).spki_sha256 == key_info(key.public_key()).spki_sha256
    assert certificate.not_after == cert.not_valid_after_utc
    assert len(certificate.fingerprint_sha256) == 64
    assert certificate.fullchain_pem.count("BEGIN CERTIFICATE") == 2
    assert list(certificate.transfers.values_list("action", flat=True)) == [
        "order",
        "validate",
        "issue",
    ]


@pytest.mark.clause("SITE-2")
def test_a_csr_that_does_not_match_the_order_is_refused_with_findings(
    published, alice, actor, authority
):
    pem, _ = make_csr(["other.example"])
    with pytest.raises(CertificateError) as refused:
        certificate_order_create(
            customer=alice,
            names=NAMES,
            csr_pem=pem.decode(),
            actor=actor,
            authority=authority,
            gate=in_force().gate(actor=actor),
        )
    assert {"names.missing", "names.extra"} <= {f.code for f in refused.value.findings}
    assert not CertificateOrder.objects.exists()


@pytest.mark.clause("BE-10")
def test_a_csr_naming_the_organisation_needs_the_go_ahead(published, alice, actor, authority):
    subject = [
        x509.NameAttribute(NameOID.COMMON_NAME, NAMES[0]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Alice ApS"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DK"),
    ]
    pem, _ = make_csr(NAMES, subject=subject)
    with pytest.raises(PolicyViolation, match="go-ahead"):
        certificate_order_create(
            customer=alice,
            names=NAMES,
            csr_pem=pem.decode(),
            actor=actor,
            authority=authority,
            gate=in_force().gate(actor=actor),
        )
    certificate = CertificateOrder.objects.get()
    assert certificate.state == CertState.ORDERED and not certificate.transfers.exists()
    refused = AuditEntry.objects.filter(action="gate.check", outcome="refused").last()
    assert refused is not None
    assert refused.detail["recipient"] == "certificate-authority"
    consent_record(
        subject=alice.customer_number,
        key=go_ahead_key("certificate-authority"),
        event="given",
        source="portal",
        policy=in_force().policy,
        policy_version=active_version(),
        actor=actor,
    )
    certificate_order_place(
        certificate=certificate, actor=actor, authority=authority, gate=in_force().gate(actor=actor)
    )
    transfer = certificate.transfers.get()
    assert transfer.categories == ["user.contact.address", "user.contact.organization"]
    assert AuditEntry.objects.filter(action="gate.check", outcome="allowed").exists()


@pytest.mark.clause("SITE-2")
def test_renewal_reuses_or_replaces_the_csr_and_replaces_the_old_certificate(
    published, alice, actor, authority
):
    old, _ = order(alice, actor, authority)
    validation_check(
        certificate=old, actor=actor, authority=authority, gate=in_force().gate(actor=actor)
    )
    same = certificate_renew(
        certificate=old, actor=actor, authority=authority, gate=in_force().gate(actor=actor)
    )
    assert same.csr_pem == old.csr_pem and same.replaces == old
    new_pem, new_key = make_csr(NAMES)
    fresh = certificate_renew(
        certificate=old,
        actor=actor,
        csr_pem=new_pem.decode(),
        authority=authority,
        gate=in_force().gate(actor=actor),
    )
    validation_check(
        certificate=fresh, actor=actor, authority=authority, gate=in_force().gate(actor=actor)
    )
    fresh.refresh_from_db()
    old.refresh_from_db()
    assert fresh.state == CertState.ISSUED
    assert fresh.key_sha256 == key_info(new_key.public_key()).spki_sha256
    assert old.state == CertState.REPLACED


@pytest.mark.clause("SITE-2")
def test_revocation_and_expiry(published, alice, actor, authority):
    certificate, _ = order(alice, actor, authority)
    validation_check(
        certificate=certificate, actor=actor, authority=authority, gate=in_force().gate(actor=actor)
    )
    certificate.refresh_from_db()
    later = certificate.not_after - dt.timedelta(days=10)
    assert certificate_states_refresh(now=later) == {"expired": 0, "expiring": 1}
    assert certificate_states_refresh(now=certificate.not_after + dt.timedelta(seconds=1)) == {
        "expired": 1,
        "expiring": 0,
    }
    certificate.refresh_from_db()
    assert certificate.state == CertState.EXPIRED
    with pytest.raises(CertificateError, match="only an issued certificate"):
        certificate_revoke(
            certificate=certificate,
            actor=actor,
            authority=authority,
            gate=in_force().gate(actor=actor),
        )
    second, _ = order(alice, actor, authority)
    validation_check(
        certificate=second, actor=actor, authority=authority, gate=in_force().gate(actor=actor)
    )
    second.refresh_from_db()
    certificate_revoke(
        certificate=second,
        actor=actor,
        reason=1,
        authority=authority,
        gate=in_force().gate(actor=actor),
    )
    assert second.state == CertState.REVOKED
    assert second.transfers.last().sent == {"revoke": "certificate", "reason": 1}


def test_the_local_authority_and_private_targets_are_refused_in_production(settings, published):
    certificate_authority_reset()
    assert isinstance(certificate_authority(rulebook=in_force().rulebook), LocalTestAuthority)
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured, match="local test authority"):
        certificate_authority(rulebook=in_force().rulebook)
    settings.SSLTEST_ALLOW_PRIVATE = True
    assert {e.id for e in certs_production_check()} == {"certs.E001", "certs.E002"}
    certificate_authority_reset()


@pytest.mark.clause("SITE-4")
def test_production_refuses_to_start_with_private_ssl_test_targets(tmp_path):
    from tests.test_settings import PRODUCTION, _keepfaith

    env = {**PRODUCTION, "KEEPFAITH_SSLTEST_ALLOW_PRIVATE": "1"}
    result = _keepfaith("check", extra_env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert (
        "KEEPFAITH_SSLTEST_ALLOW_PRIVATE must be off when KEEPFAITH_MODE=production"
        in result.stderr
    )
    ok = _keepfaith(
        "check", "--deploy", "--fail-level", "WARNING", extra_env=PRODUCTION, tmp_path=tmp_path
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr


@pytest.mark.clause("SITE-2")
@pytest.mark.clause("BE-8")
def test_an_expiring_certificate_gets_one_reminder_in_the_customers_language(
    published, alice, actor, authority, mailoutbox, monkeypatch
):
    from django.core.management import call_command
    from django.utils import timezone

    from keepfaith.certs.emails import certificate_expiry_reminders

    alice.language = "da"
    alice.save(update_fields=["language"])
    certificate, _ = order(alice, actor, authority)
    validation_check(
        certificate=certificate, actor=actor, authority=authority, gate=in_force().gate(actor=actor)
    )
    certificate.refresh_from_db()
    CertificateOrder.objects.filter(pk=certificate.pk).update(
        not_after=timezone.now() + dt.timedelta(days=5)
    )
    call_command("certs", "refresh")
    deliver_pending()  # the outbox, as the mail worker sends it
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [alice.email] and certificate.number in mail.body
    assert "shop.example" in mail.subject and "List-Unsubscribe" not in mail.extra_headers
    now = in_force()
    again = certificate_expiry_reminders(gate=now.gate(actor=actor), policy=now.policy)
    assert again == 0  # once per certificate
    entries = AuditEntry.objects.filter(
        action="gate.check", use="essential.service.notifications.email"
    )
    assert [e.outcome for e in entries if "expiry" in e.detail["context"]] == ["allowed"]


@pytest.mark.clause("BE-10")
def test_issue_before_validation_sends_nothing_and_records_nothing(
    published, alice, actor, authority
):
    from keepfaith.certs.services import certificate_issue

    certificate, _ = order(alice, actor, authority)
    certificate_issue(
        certificate=certificate, actor=actor, authority=authority, gate=in_force().gate(actor=actor)
    )
    assert certificate.state == CertState.WAITING
    assert list(certificate.transfers.values_list("action", flat=True)) == ["order"]
