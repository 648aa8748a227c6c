"""The public tool pages and the customer's certificate pages (SITE-4, SITE-2, SITE-5)."""

from __future__ import annotations

import ssl

import pytest
from django.core.cache import cache
from django.test import Client

from keepfaith.audit.models import ActorKind, AuditEntry
from keepfaith.audit.services import Actor
from keepfaith.certs import ratelimit
from keepfaith.certs.authorities import LocalTestAuthority
from keepfaith.certs.models import CertState
from keepfaith.certs.services import certificate_order_create
from keepfaith.inforce import in_force
from tests.certs.pki import make_csr, make_leaf

NAMES = ["shop.example", "www.shop.example"]


@pytest.mark.clause("SITE-4")
@pytest.mark.django_db
def test_the_tools_page_in_english_and_danish():
    page = Client().get("/tools/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "CSR checker" in text and "SSL server test" in text
    assert "We do not store what you enter here or the results" in text
    assert Client().get("/da/tools/").status_code == 200
    guide = Client().get("/tools/install/").content.decode()
    assert "nginx" in guide and "Apache" in guide and "IIS" in guide and "openssl req" in guide


@pytest.mark.clause("SITE-4")
@pytest.mark.django_db
def test_the_csr_checker_page_pasted_and_uploaded():
    client = Client()
    pem, _ = make_csr(NAMES)
    page = client.post("/tools/csr/", {"csr": pem.decode(), "names": "shop.example"})
    assert page.status_code == 200
    text = page.content.decode()
    assert (
        "www.shop.example" in text
        and "The request includes names that are not in the order" in text
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client.post("/tools/csr/", {"csr_file": SimpleUploadedFile("a.csr", pem)})
    assert "No problems found." in page.content.decode()
    bad = client.post("/tools/csr/", {"csr": "hello"})
    assert bad.status_code == 400
    assert "not a readable certificate request" in bad.content.decode()


@pytest.mark.clause("SITE-4")
@pytest.mark.django_db
def test_the_match_page_refuses_private_keys():
    leaf = make_leaf(None, NAMES)
    page = Client().post(
        "/tools/match/", {"certificate": leaf.cert_pem().decode(), "other": leaf.key_pem().decode()}
    )
    assert page.status_code == 400
    assert "Never paste a private key" in page.content.decode()


@pytest.mark.clause("SITE-4")
@pytest.mark.django_db
def test_the_server_test_page_stores_nothing_and_is_rate_limited(
    serve, intermediate, root, settings, tmp_path, monkeypatch
):
    ca_file = tmp_path / "roots.pem"
    ca_file.write_bytes(root.cert_pem())
    settings.SSLTEST_CA_FILE = str(ca_file)
    settings.SSLTEST_PER_VISITOR = 2
    # The count is per clock hour: pinned mid-hour, the three posts cannot straddle the turn
    # of an hour (where the count starts over and the third scan was allowed).
    monkeypatch.setattr(ratelimit, "_clock", lambda: MID_HOUR)
    cache.clear()
    server = serve(
        make_leaf(intermediate, ["localhost"]),
        [intermediate],
        versions=(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3),
    )
    audit_before = AuditEntry.objects.count()
    client = Client()
    page = client.post("/tools/ssl-test/", {"target": f"localhost:{server.port}"})
    assert page.status_code == 200
    assert '<strong id="grade">A</strong>' in page.content.decode()
    assert AuditEntry.objects.count() == audit_before  # nothing about the visitor or the host
    refused = client.post("/tools/ssl-test/", {"target": "10.0.0.1"})
    assert refused.status_code == 400 and "not an IP address" in refused.content.decode()
    limited = client.post("/tools/ssl-test/", {"target": f"localhost:{server.port}"})
    assert limited.status_code == 429
    assert "many tests this hour" in limited.content.decode()
    cache.clear()


MID_HOUR = 1_796_000_000 // 3600 * 3600 + 1800.0  # half past an hour (in late 2026)


@pytest.mark.clause("SITE-4")
def test_a_visitor_s_count_starts_over_when_the_clock_hour_turns(settings, monkeypatch):
    """What made the page test fail at the turn of an hour, on purpose: the limit holds within
    the hour and a new hour counts afresh."""
    settings.SSLTEST_PER_VISITOR = 2
    cache.clear()
    clock = {"at": MID_HOUR + 1799}  # the last second of the hour
    monkeypatch.setattr(ratelimit, "_clock", lambda: clock["at"])
    for _ in range(2):
        with ratelimit.scan_permit(visitor="192.0.2.1"):
            pass
    with pytest.raises(ratelimit.RateLimited), ratelimit.scan_permit(visitor="192.0.2.1"):
        pass
    clock["at"] += 1  # the next hour
    with ratelimit.scan_permit(visitor="192.0.2.1"):
        pass
    cache.clear()


@pytest.fixture
def alices_certificate(published, alice):
    actor = Actor(ActorKind.CUSTOMER, alice.customer_number)
    pem, _ = make_csr(NAMES)
    authority = LocalTestAuthority(name="certificate-authority")
    return certificate_order_create(
        customer=alice,
        names=NAMES,
        csr_pem=pem.decode(),
        actor=actor,
        authority=authority,
        gate=in_force().gate(actor=actor),
    )


@pytest.mark.clause("SITE-2")
def test_the_customer_sees_challenges_and_check_now_issues(published, alice, settings):
    from keepfaith.certs import authorities

    # the pages use the configured authority (the local test one, built once per process)
    authorities.certificate_authority_reset()
    pem, _ = make_csr(NAMES)
    actor = Actor(ActorKind.CUSTOMER, alice.customer_number)
    certificate = certificate_order_create(
        customer=alice,
        names=NAMES,
        csr_pem=pem.decode(),
        actor=actor,
        gate=in_force().gate(actor=actor),
    )
    client = Client()
    client.force_login(alice)
    listing = client.get("/account/certificates/").content.decode()
    assert certificate.number in listing and "waiting for validation" in listing
    detail = client.get(f"/account/certificates/{certificate.number}/").content.decode()
    assert "_acme-challenge.www.shop.example" in detail and "/.well-known/acme-challenge/" in detail
    assert (
        client.get(f"/account/certificates/{certificate.number}/fullchain.pem").status_code == 404
    )
    response = client.post(
        f"/account/certificates/{certificate.number}/check/", {"kind": "http-01"}
    )
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.state == CertState.ISSUED
    download = client.get(f"/account/certificates/{certificate.number}/fullchain.pem")
    assert download["Content-Disposition"] == 'attachment; filename="shop.example-fullchain.pem"'
    assert download.content.decode() == certificate.fullchain_pem
    assert (
        client.post(
            f"/account/certificates/{certificate.number}/revoke/", {"reason": "9"}
        ).status_code
        == 302
    )
    certificate.refresh_from_db()
    assert certificate.state == CertState.ISSUED  # an unknown reason: refused with a message
    client.post(f"/account/certificates/{certificate.number}/revoke/", {"reason": "1"})
    certificate.refresh_from_db()
    assert certificate.state == CertState.REVOKED
    authorities.certificate_authority_reset()


@pytest.mark.clause("SITE-2")
def test_the_certificate_pages_show_names_in_both_forms_and_a_failure_in_words(published, alice):
    from keepfaith.certs.models import CertificateOrder

    actor = Actor(ActorKind.CUSTOMER, alice.customer_number)
    names = ["xn--bger-gra.dk", "www.xn--bger-gra.dk"]  # as the order form keeps them
    pem, _ = make_csr(names)
    certificate = certificate_order_create(
        customer=alice,
        names=names,
        csr_pem=pem.decode(),
        actor=actor,
        authority=LocalTestAuthority(name="certificate-authority"),
        gate=in_force().gate(actor=actor),
    )
    CertificateOrder.objects.filter(pk=certificate.pk).update(
        state=CertState.FAILED, problem="www.xn--bger-gra.dk"
    )
    client = Client()
    client.force_login(alice)
    listing = client.get("/account/certificates/").content.decode()
    assert "bøger.dk (xn--bger-gra.dk), www.bøger.dk (www.xn--bger-gra.dk)" in listing
    detail = client.get(f"/da/account/certificates/{certificate.number}/").content.decode()
    assert (
        "Certifikatudstederen kunne ikke bekræfte, at du har kontrol over "
        "www.bøger.dk (www.xn--bger-gra.dk)." in detail
    )
    assert "validation failed" not in detail


@pytest.mark.clause("SITE-2")
def test_another_customer_cannot_reach_a_certificate(alices_certificate, carol):
    client = Client()
    client.force_login(carol)
    number = alices_certificate.number
    assert alices_certificate.number not in client.get("/account/certificates/").content.decode()
    assert client.get(f"/account/certificates/{number}/").status_code == 404
    assert client.get(f"/account/certificates/{number}/certificate.pem").status_code == 404
    assert client.post(f"/account/certificates/{number}/check/").status_code == 404
    assert (
        client.post(f"/account/certificates/{number}/revoke/", {"reason": "1"}).status_code == 404
    )
    assert Client().get(f"/account/certificates/{number}/").status_code == 302  # to the login


@pytest.mark.clause("SITE-4")
def test_the_visitor_behind_a_trusted_proxy_is_the_forwarded_address(settings, rf):
    from keepfaith.portal.tools import visitor_address

    request = rf.post(
        "/tools/ssl-test/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9"
    )
    settings.AXES_IPWARE_PROXY_COUNT = 0
    assert visitor_address(request) == "10.0.0.2"
    settings.AXES_IPWARE_PROXY_COUNT = 1
    assert visitor_address(request) == "203.0.113.9"


@pytest.mark.clause("SITE-4")
@pytest.mark.parametrize(("path", "anchor"), [("tools/csr/", "csr"), ("tools/match/", "match"),
                                              ("tools/ssl-test/", "ssltest")])  # fmt: skip
def test_opening_a_tool_result_address_again_leads_to_its_form(db, client, path, anchor):
    """The language switch, a reload or a bookmark of a result page got a blank 405."""
    english = client.get(f"/{path}")
    assert english.status_code == 302 and english["Location"] == f"/tools/#{anchor}"
    danish = client.get(f"/da/{path}")
    assert danish.status_code == 302 and danish["Location"] == f"/da/tools/#{anchor}"
