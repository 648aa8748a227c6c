"""The SSL server test against real TLS servers on loopback, one per situation (SITE-4)."""

from __future__ import annotations

import json
import ssl

import pytest
from django.core.management import call_command

from keepfaith.certs import sslscan
from keepfaith.certs.sslscan import server_test
from tests.certs.pki import make_ca, make_leaf

pytestmark = [pytest.mark.clause("SITE-4")]
HOST = "localhost"
TLS12_13 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)


def codes(report):
    return {f.code for f in report.findings}


def scan(server, root, **kwargs):
    return server_test(target=f"{HOST}:{server.port}", roots=[root.cert], **kwargs)


def test_valid_chain_with_hsts_gets_a_plus(serve, root, intermediate, monkeypatch):
    leaf = make_leaf(intermediate, [HOST, "www.localhost.example"])
    server = serve(leaf, [intermediate], versions=TLS12_13, hsts="max-age=31536000")
    monkeypatch.setattr(sslscan, "HTTP_PORTS", frozenset({server.port}))
    report = scan(server, root)
    assert report.chain is not None
    assert report.chain.trusted is True
    assert report.chain.complete is True
    assert report.chain.in_order is True
    assert report.chain.hostname_match is True
    assert report.protocols == {
        "TLS 1.0": False,
        "TLS 1.1": False,
        "TLS 1.2": True,
        "TLS 1.3": True,
    }
    assert report.preferred is not None and report.preferred.forward_secrecy is True
    assert len(report.ciphers["TLS 1.3"]) >= 2
    assert all(c.forward_secrecy for c in report.ciphers["TLS 1.2"])
    assert report.hsts is not None and report.hsts.max_age == 31536000
    assert report.address == "127.0.0.1"
    assert report.grade is not None and report.grade.letter == "A+", report.grade
    assert report.ok is True


def test_valid_chain_without_hsts_gets_a(serve, root, intermediate, monkeypatch):
    server = serve(make_leaf(intermediate, [HOST]), [intermediate], versions=TLS12_13)
    monkeypatch.setattr(sslscan, "HTTP_PORTS", frozenset({server.port}))
    report = scan(server, root)
    assert "hsts.missing" in codes(report)
    assert report.grade.letter == "A"
    assert report.ok is True


def test_expired_certificate_gets_t(serve, root, intermediate):
    leaf = make_leaf(intermediate, [HOST], days=(-100, -10))
    report = scan(serve(leaf, [intermediate], versions=TLS12_13), root)
    assert "cert.expired" in codes(report)
    assert report.chain.trusted is True  # the chain itself is sound; it is out of date
    assert report.grade.letter == "T"
    assert report.grade.if_trusted == "A"
    assert report.ok is False


def test_self_signed_gets_t(serve, root):
    leaf = make_leaf(None, [HOST])
    report = scan(serve(leaf, versions=TLS12_13), root)
    assert "cert.self_signed" in codes(report)
    assert report.chain.trusted is False
    assert report.grade.letter == "T"


def test_untrusted_root_gets_t(serve, root):
    other_root = make_ca("someone else's root")
    report = scan(serve(make_leaf(other_root, [HOST]), versions=TLS12_13), root)
    assert "cert.untrusted" in codes(report) or "chain.incomplete" in codes(report)


def test_wrong_host_gets_m(serve, root, intermediate):
    leaf = make_leaf(intermediate, ["other.example", "www.other.example"])
    report = scan(serve(leaf, [intermediate], versions=TLS12_13), root)
    assert "cert.name_mismatch" in codes(report)
    assert report.chain.hostname_match is False
    assert report.chain.trusted is True
    assert report.grade.letter == "M"


def test_incomplete_chain_is_capped_at_b(serve, root, intermediate):
    report = scan(serve(make_leaf(intermediate, [HOST]), versions=TLS12_13), root)
    assert "chain.incomplete" in codes(report)
    assert report.chain.complete is False
    assert report.chain.trusted is None
    assert report.grade.letter == "B"
    assert report.ok is False


def test_tls10_only_is_capped_at_c(serve, root, intermediate):
    versions = (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1)
    report = scan(serve(make_leaf(intermediate, [HOST]), [intermediate], versions=versions), root)
    assert report.protocols == {
        "TLS 1.0": True, "TLS 1.1": False, "TLS 1.2": False, "TLS 1.3": False
    }  # fmt: skip
    assert {"protocol.tls10", "protocol.no_tls12"} <= codes(report)
    assert report.ciphers["TLS 1.0"]
    assert report.grade.letter == "C"


def test_no_forward_secrecy_is_capped_at_b(serve, root, intermediate):
    leaf = make_leaf(intermediate, [HOST], key_kind="rsa")
    versions = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
    server = serve(
        leaf, [intermediate], versions=versions, ciphers="AES128-GCM-SHA256:AES256-GCM-SHA384"
    )
    report = scan(server, root)
    assert report.preferred is not None and report.preferred.forward_secrecy is False
    assert {c.name for c in report.ciphers["TLS 1.2"]} == {"AES128-GCM-SHA256", "AES256-GCM-SHA384"}
    assert "cipher.no_forward_secrecy" in codes(report)
    assert report.grade.letter == "B"


def test_small_rsa_key_is_capped(serve, root, intermediate):
    leaf = make_leaf(intermediate, [HOST], key_kind="rsa", bits=1024)
    versions = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
    server = serve(leaf, [intermediate], versions=versions, ciphers="ECDHE+AESGCM:@SECLEVEL=0")
    report = scan(server, root)
    assert "key.rsa_too_small" in codes(report)
    assert report.grade.if_trusted == "B"


def test_the_command_prints_json_and_exits_1_on_errors(
    serve, root, intermediate, capsys, settings, tmp_path
):
    ca_file = tmp_path / "roots.pem"
    ca_file.write_bytes(root.cert_pem())
    settings.SSLTEST_CA_FILE = str(ca_file)
    server = serve(
        make_leaf(intermediate, [HOST], days=(-100, -10)), [intermediate], versions=TLS12_13
    )
    with pytest.raises(SystemExit) as exited:
        call_command("certs", "test", f"{HOST}:{server.port}", "--format", "json")
    assert exited.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["grade"] == "T"
    assert "cert.expired" in {f["code"] for f in out["findings"]}


def test_the_command_exits_0_for_a_good_server(
    serve, root, intermediate, capsys, settings, tmp_path
):
    ca_file = tmp_path / "roots.pem"
    ca_file.write_bytes(root.cert_pem())
    settings.SSLTEST_CA_FILE = str(ca_file)
    server = serve(make_leaf(intermediate, [HOST]), [intermediate], versions=TLS12_13)
    call_command("certs", "test", f"{HOST}:{server.port}")
    out = capsys.readouterr().out
    assert "grade: A" in out


def _ocsp_response(leaf, issuer, *, revoked: bool) -> bytes:
    import datetime as dt

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ReasonFlags, ocsp

    now = dt.datetime.now(dt.UTC)
    status = ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf.cert, issuer=issuer.cert, algorithm=hashes.SHA256(), cert_status=status,
        this_update=now, next_update=now + dt.timedelta(days=1),
        revocation_time=now - dt.timedelta(hours=1) if revoked else None,
        revocation_reason=ReasonFlags.key_compromise if revoked else None,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)  # fmt: skip
    response = builder.sign(issuer.key, hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize(
    ("revoked", "stapled", "letter"),
    [(False, "stapled: good", "A"), (True, "stapled: revoked", "T")],
)
def test_ocsp_stapling_is_read(settings, root, intermediate, revoked, stapled, letter):
    from tests.certs.tlsservers import StaplingServer

    leaf = make_leaf(intermediate, [HOST])
    server = StaplingServer(
        leaf, [intermediate], _ocsp_response(leaf, intermediate, revoked=revoked)
    )
    settings.SSLTEST_ALLOW_PRIVATE = True
    settings.SSLTEST_PORTS = (server.port,)
    try:
        report = scan(server, root)
    finally:
        server.stop()
    assert report.ocsp == stapled
    assert "ocsp.not_stapled" not in codes(report)
    assert report.grade.letter == letter, report.findings


def test_anonymous_suites_get_f(serve, root, intermediate):
    versions = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
    ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:AECDH-AES128-SHA:@SECLEVEL=0"
    report = scan(serve(make_leaf(intermediate, [HOST]), [intermediate], versions=versions,
                        ciphers=ciphers), root)  # fmt: skip
    assert "AECDH-AES128-SHA" in {c.name for c in report.ciphers["TLS 1.2"]}
    assert "cipher.null_or_anonymous" in codes(report)
    assert report.grade.letter == "F"


def test_a_server_that_never_answers_is_a_clear_failure_not_a_grade(settings):
    import socket

    from keepfaith.certs.sslscan import ScanFailed

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # accepts the connection, never speaks TLS
    port = silent.getsockname()[1]
    settings.SSLTEST_ALLOW_PRIVATE = True
    settings.SSLTEST_PORTS = (port,)
    try:
        with pytest.raises(ScanFailed, match="did not answer"):
            server_test(target=f"{HOST}:{port}", budget_seconds=2)
    finally:
        silent.close()
