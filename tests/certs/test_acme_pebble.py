"""End to end on Debian's pebble: order with a CSR, pass validation, receive the certificate,
download it and find the CSR's key in it (SITE-2, BE-10)."""

from __future__ import annotations

import pytest
from cryptography import x509
from django.test import Client

from keepfaith.audit.models import ActorKind, AuditEntry
from keepfaith.audit.services import Actor
from keepfaith.certs.acmeca import AcmeAuthority
from keepfaith.certs.authorities import AuthorityError
from keepfaith.certs.keys import key_info
from keepfaith.certs.models import CertState
from keepfaith.certs.services import certificate_order_create, certificate_revoke, validation_check
from keepfaith.inforce import in_force
from tests.certs.pki import make_csr

pytestmark = [pytest.mark.clause("SITE-2")]
NAMES = ["shop.example", "www.shop.example"]


def test_order_validate_issue_download_on_pebble(published, alice, acme_authority, settings):
    actor = Actor(ActorKind.CUSTOMER, alice.customer_number)
    pem, key = make_csr(NAMES)
    certificate = certificate_order_create(
        customer=alice,
        names=NAMES,
        csr_pem=pem.decode(),
        actor=actor,
        authority=acme_authority,
        gate=in_force().gate(actor=actor),
    )
    assert certificate.state == CertState.WAITING
    assert certificate.ca_reference.startswith(acme_authority.directory_url.rsplit("/", 1)[0])
    kinds = {(c.name, c.kind) for c in certificate.challenges.all()}
    assert {(n, "dns-01") for n in NAMES} | {(n, "http-01") for n in NAMES} <= kinds
    http = certificate.challenges.get(name="shop.example", kind="http-01")
    assert http.http_path.startswith("/.well-known/acme-challenge/") and "." in http.http_body

    validation_check(
        certificate=certificate,
        actor=actor,
        kind="dns-01",
        authority=acme_authority,
        gate=in_force().gate(actor=actor),
    )
    certificate.refresh_from_db()
    assert certificate.state == CertState.ISSUED, certificate.problem

    client = Client()
    client.force_login(alice)
    response = client.get(f"/account/certificates/{certificate.number}/certificate.pem")
    assert response.status_code == 200
    leaf = x509.load_pem_x509_certificate(response.content)
    assert key_info(leaf.public_key()).spki_sha256 == key_info(key.public_key()).spki_sha256
    valid_for = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert 364 <= valid_for.days <= 366  # a year, as a public CA issues, not pebble's five
    assert set(
        leaf.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value.get_values_for_type(x509.DNSName)
    ) == set(NAMES)
    full = client.get(f"/account/certificates/{certificate.number}/fullchain.pem").content
    chain = x509.load_pem_x509_certificates(full)
    leaf.verify_directly_issued_by(chain[1])

    sent = list(certificate.transfers.values_list("action", "sent"))
    assert sent[0] == ("order", {"newOrder": {"identifiers": NAMES}})
    assert sent[1][0] == "validate" and len(sent[1][1]["answered"]) == 2
    assert sent[2] == ("issue", {"finalize": {"csr_key_sha256": certificate.key_sha256}})
    assert AuditEntry.objects.filter(action="certs.ca_transfer").count() == 3

    certificate_revoke(
        certificate=certificate,
        actor=actor,
        reason=4,
        authority=acme_authority,
        gate=in_force().gate(actor=actor),
    )
    assert certificate.state == CertState.REVOKED


def test_eab_is_required_by_the_ca(pebble, tmp_path):
    no_eab = AcmeAuthority(
        name="certificate-authority",
        directory=pebble.directory,
        ca_bundle=str(pebble.ca_bundle),
        eab_kid="",
        eab_hmac_key="",
        account_key_path=tmp_path / "k.pem",
        contact="",
    )
    with pytest.raises(AuthorityError, match="External Account Binding"):
        no_eab.order_place(csr_pem=make_csr(NAMES)[0].decode(), names=NAMES)


def test_the_ca_tls_is_verified(pebble, tmp_path):
    wrong_trust = AcmeAuthority(
        name="certificate-authority",
        directory=pebble.directory,
        ca_bundle="/etc/ssl/certs/ca-certificates.crt",
        eab_kid=pebble.eab_kid,
        eab_hmac_key=pebble.eab_hmac_key,
        account_key_path=tmp_path / "k.pem",
        contact="",
    )
    with pytest.raises(AuthorityError, match="account"):
        wrong_trust.order_place(csr_pem=make_csr(NAMES)[0].decode(), names=NAMES)
