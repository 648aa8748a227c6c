"""The CSR decoder and checker and the key matcher (SITE-4)."""

from __future__ import annotations

import json
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, rsa
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from keepfaith.certs.csrcheck import csr_check, key_match
from keepfaith.certs.inputs import MAX_INPUT_BYTES, InputError
from tests.certs.pki import make_csr, make_leaf
from tests.certs.weak import fermat_key, roca_key

pytestmark = [pytest.mark.clause("SITE-4")]
NAMES = ["shop.example", "www.shop.example"]


def codes(report):
    return {f.code for f in report.findings}


def test_a_good_csr_is_decoded_and_passes():
    pem, _ = make_csr(NAMES)
    report = csr_check(data=pem, names=NAMES)
    assert report.names == ("shop.example", "www.shop.example")
    assert report.common_name == "shop.example"
    assert report.key.kind == "EC" and report.key.curve == "secp256r1"
    assert report.signature_algorithm == "ecdsa-with-SHA256"
    assert report.signature_valid is True
    assert report.findings == ()
    assert report.ok is True


def test_der_is_read_too():
    pem, _ = make_csr(NAMES)
    der = x509.load_pem_x509_csr(pem).public_bytes(serialization.Encoding.DER)
    assert csr_check(data=der).names == ("shop.example", "www.shop.example")


def test_der_ending_in_a_whitespace_byte_is_read_whole():
    """DER is binary: a signature may end in 0x0a or 0x20, which a text trim would cut off.

    CI once failed on a CSR whose random signature ended in a newline byte; this test makes
    that case on purpose instead of by chance.
    """
    for _attempt in range(3000):
        pem, _ = make_csr(NAMES)
        der = x509.load_pem_x509_csr(pem).public_bytes(serialization.Encoding.DER)
        if der[-1:] in (b"\n", b" ", b"\t", b"\r", b"\x0b", b"\x0c"):
            break
    else:
        pytest.fail("no request ending in a whitespace byte in 3000 tries")
    assert csr_check(data=der).names == ("shop.example", "www.shop.example")


def test_small_rsa_keys_are_errors_with_a_fix():
    pem, _ = make_csr(NAMES, key=rsa.generate_private_key(public_exponent=65537, key_size=1024))  # noqa: S505
    report = csr_check(data=pem)
    finding = next(f for f in report.findings if f.code == "key.rsa_too_small")
    assert finding.severity == "error"
    assert "1024 bits" in finding.message and "2048" in finding.fix
    assert report.ok is False


def test_dsa_keys_are_errors():
    pem, _ = make_csr(NAMES, key=dsa.generate_private_key(key_size=2048))
    assert "key.dsa" in codes(csr_check(data=pem))


def test_sha1_signatures_are_errors(tmp_path):
    # cryptography refuses to sign with SHA-1; OpenSSL's command still does.
    key_path = tmp_path / "k.pem"
    key_path.write_bytes(make_leaf(None, NAMES, key_kind="rsa").key_pem())
    pem = subprocess.run(
        ["openssl", "req", "-new", "-sha1", "-key", str(key_path), "-subj", "/CN=shop.example"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    report = csr_check(data=pem)
    assert report.signature_algorithm == "sha1WithRSAEncryption"
    assert "signature.sha1" in codes(report)


def test_missing_sans_are_flagged_and_the_common_name_still_counts():
    pem, _ = make_csr(["shop.example"], san=False)
    report = csr_check(data=pem, names=["shop.example"])
    assert codes(report) == {"names.no_san"}
    assert report.names == ("shop.example",)
    assert report.ok is True  # a warning: the CA adds the SANs


def test_names_must_match_the_order_exactly():
    pem, _ = make_csr(["shop.example", "extra.example"])
    report = csr_check(data=pem, names=["shop.example", "www.shop.example"])
    messages = {f.code: f.message for f in report.findings}
    assert "www.shop.example" in messages["names.missing"]
    assert "extra.example" in messages["names.extra"]
    assert report.ok is False


def test_international_names_are_said_in_their_letters_and_their_certificate_form():
    """``bøger.dk`` as people write it, and the xn-- form beside it, so that a look-alike
    (a Cyrillic a in an "apple.com") cannot pass for the real name."""
    pem, _ = make_csr(["shop.example"])
    report = csr_check(data=pem, names=["bøger.dk", "\u0430pple.com"])
    messages = {f.code: f.message for f in report.findings}
    assert "bøger.dk (xn--bger-gra.dk)" in messages["names.missing"]
    assert "\u0430pple.com (xn--pple-43d.com)" in messages["names.missing"]


@given(st.text(alphabet="abcxn-0123456789.", max_size=40))
@hsettings(max_examples=300, deadline=None)
def test_name_display_never_fails(text):
    from keepfaith.certs.names import name_display

    assert isinstance(name_display(text), str)


def test_invalid_names_are_errors():
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, "shop_example")]
    pem, _ = make_csr(["bad name.example"], subject=attrs)
    report = csr_check(data=pem)
    assert "names.invalid" in codes(report)


def test_a_fermat_weak_key_is_found():
    pem, _ = make_csr(NAMES, key=fermat_key())
    report = csr_check(data=pem)
    assert "key.weak.fermat" in codes(report)
    assert "Fermat" in next(f.message for f in report.findings if f.code == "key.weak.fermat")


def test_a_roca_weak_key_is_found():
    pem, _ = make_csr(NAMES, key=roca_key())
    assert "key.weak.roca" in codes(csr_check(data=pem))


def test_an_ordinary_rsa_key_is_not_weak():
    pem, _ = make_csr(NAMES, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert not {c for c in codes(csr_check(data=pem)) if c.startswith("key.")}


def test_an_altered_csr_fails_its_signature():
    # RSA: the signature is the last 256 bytes, a plain bit string whatever its value
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem, _ = make_csr(NAMES, key=key)
    der = bytearray(x509.load_pem_x509_csr(pem).public_bytes(serialization.Encoding.DER))
    der[-100] ^= 0x01  # inside the signature
    report = csr_check(data=bytes(der))
    assert report.signature_valid is False
    assert "csr.signature_invalid" in codes(report)


def test_garbage_and_oversized_inputs_get_a_clear_error():
    with pytest.raises(InputError, match="not a readable certificate request") as raised:
        csr_check(
            data=b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"
        )
    assert "ParseError" not in str(raised.value) and "{" not in str(raised.value)
    with pytest.raises(InputError, match="cut off or damaged"):
        csr_check(data=b"\x30\x82\x01\x00\x30")  # DER cut short
    with pytest.raises(InputError, match=r"larger than 64.0.KB: a certificate"):
        csr_check(data=b"A" * (MAX_INPUT_BYTES + 1))
    with pytest.raises(InputError, match="empty"):
        csr_check(data="   ")
    with pytest.raises(InputError, match="private key"):
        csr_check(data=make_leaf(None, ["shop.example"]).key_pem())


@hsettings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048) | st.text(max_size=2048))
def test_fuzz_the_reader_never_fails_any_other_way(data):
    try:
        csr_check(data=data)
    except InputError as exc:
        assert str(exc)


@hsettings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=255))
def test_fuzz_flipped_bytes_of_a_real_csr(position, value):
    pem, _ = make_csr(NAMES)
    der = bytearray(x509.load_pem_x509_csr(pem).public_bytes(serialization.Encoding.DER))
    der[position % len(der)] = value
    try:
        report = csr_check(data=bytes(der))
    except InputError:
        return
    assert isinstance(report.ok, bool)


def test_a_certificate_matches_its_csr_and_no_other():
    pem, key = make_csr(NAMES)
    cert = make_leaf(None, NAMES)
    cert_for_key = x509.CertificateBuilder().subject_name(cert.cert.subject).issuer_name(
        cert.cert.issuer).public_key(key.public_key()).serial_number(1).not_valid_before(
        cert.cert.not_valid_before_utc).not_valid_after(cert.cert.not_valid_after_utc).sign(
        cert.key, hashes.SHA256())  # fmt: skip
    cert_pem = cert_for_key.public_bytes(serialization.Encoding.PEM)
    assert key_match(certificate=cert_pem, other=pem).matches is True
    assert key_match(certificate=cert.cert_pem(), other=pem).matches is False
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert key_match(certificate=cert_pem, other=public).matches is True


def test_the_web_matcher_refuses_private_keys_the_command_accepts_them():
    leaf = make_leaf(None, NAMES)
    with pytest.raises(InputError, match="Never paste a private key"):
        key_match(certificate=leaf.cert_pem(), other=leaf.key_pem())
    assert key_match(certificate=leaf.cert_pem(), other=leaf.key_pem(), allow_private=True).matches


def test_check_csr_command(tmp_path, capsys):
    pem, _ = make_csr(NAMES)
    path = tmp_path / "shop.csr"
    path.write_bytes(pem)
    call_command("certs", "check-csr", str(path), "--names", ",".join(NAMES))
    assert "findings: none" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        call_command(
            "certs", "check-csr", str(path), "--names", "other.example", "--format", "json"
        )
    assert exited.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert {"names.missing", "names.extra"} <= {f["code"] for f in out["findings"]}


def test_check_csr_command_on_a_bad_file(tmp_path):
    path = tmp_path / "bad.csr"
    path.write_text("hello")
    with pytest.raises(CommandError, match="not a readable certificate request"):
        call_command("certs", "check-csr", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("certs", "check-csr", str(tmp_path / "missing.csr"))


def test_match_command(tmp_path, capsys):
    leaf = make_leaf(None, NAMES)
    (tmp_path / "c.pem").write_bytes(leaf.cert_pem())
    (tmp_path / "k.pem").write_bytes(leaf.key_pem())
    call_command("certs", "match", str(tmp_path / "c.pem"), str(tmp_path / "k.pem"))
    assert "the keys match" in capsys.readouterr().out


def test_the_command_names_a_file_too_large_to_be_a_request(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    huge = tmp_path / "huge.pem"
    huge.write_bytes(b"A" * (MAX_INPUT_BYTES * 4))
    with pytest.raises(CommandError, match=rf"{huge}: larger than 65536 bytes"):
        call_command("certs", "check-csr", str(huge))


def test_match_names_the_file_that_is_not_readable(tmp_path):
    from django.core.management.base import CommandError

    leaf = make_leaf(None, NAMES)
    (tmp_path / "c.pem").write_bytes(leaf.cert_pem())
    (tmp_path / "bin.yaml").write_bytes(b"\x00\x01garbage: yes\n")
    with pytest.raises(CommandError) as caught:
        call_command("certs", "match", str(tmp_path / "c.pem"), str(tmp_path / "bin.yaml"))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'bin.yaml'} (to compare with the certificate): ")
    assert "certificate request, public key, certificate or private key" in message
    with pytest.raises(CommandError, match=r"bin\.yaml \(the certificate\): "):
        call_command("certs", "match", str(tmp_path / "bin.yaml"), str(tmp_path / "c.pem"))
    with pytest.raises(CommandError, match=r"bin\.yaml: "):
        call_command("certs", "check-csr", str(tmp_path / "bin.yaml"))
