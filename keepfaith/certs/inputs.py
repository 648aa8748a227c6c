"""Reading certificates, requests and keys that people paste or upload: PEM or DER, bounded.

Rules kept here:

- Nothing larger than ``MAX_INPUT_BYTES`` is parsed (a CSR or a chain of a few certificates
  is a few kilobytes); a larger input is refused before any parsing.
- Every failure is an ``InputError`` whose message says what was expected and what was
  found, never a parser's traceback.
- A private key is accepted only where the caller allows it (the command line, on the
  operator's own machine); the web tools refuse one and say why.
"""

from __future__ import annotations

import binascii

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_INPUT_BYTES = 64 * 1024
PEM_BEGIN = b"-----BEGIN "
PRIVATE_KEY_MARK = b"PRIVATE KEY-----"


_PARSE_ERRORS = (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm, x509.InvalidVersion)


class InputError(ValueError):
    """The input cannot be read; the message says why, in words for the person who sent it."""


def input_bytes(data: bytes | str) -> bytes:
    """The input as bytes, refused when too large or empty."""
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_INPUT_BYTES:
        raise InputError(
            _(
                "The input is larger than %(limit)s: a certificate, a request or a key is a "
                "few kilobytes."
            )
            % {"limit": filesizeformat(MAX_INPUT_BYTES)}
        )
    if not raw.strip():
        raise InputError(_("The input is empty."))
    # Only text is trimmed: DER is binary, and its last byte may be 0x0a or 0x20.
    return raw.strip() if _is_pem(raw) else raw


def _is_pem(raw: bytes) -> bool:
    return PEM_BEGIN in raw


def looks_like_private_key(data: bytes | str) -> bool:
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    return PRIVATE_KEY_MARK in raw[:MAX_INPUT_BYTES]


def load_csr(data: bytes | str) -> x509.CertificateSigningRequest:
    """A certificate signing request from PEM (``BEGIN CERTIFICATE REQUEST``) or DER."""
    raw = input_bytes(data)
    if looks_like_private_key(raw):
        raise InputError(_("This is a private key, not a certificate request."))
    try:
        csr = x509.load_pem_x509_csr(raw) if _is_pem(raw) else x509.load_der_x509_csr(raw)
        # cryptography parses parts lazily: read each now, so a damaged part fails here
        _parts = (csr.subject, csr.extensions, csr.public_key(), csr.signature_algorithm_oid)
        return csr
    except _PARSE_ERRORS as exc:
        raise InputError(
            _("This is not a readable certificate request (PEM or DER): %(reason)s")
            % {"reason": _short(exc)}
        ) from None


def load_certificates(data: bytes | str) -> list[x509.Certificate]:
    """One or more certificates (PEM, several in a row) or one certificate in DER."""
    raw = input_bytes(data)
    try:
        if _is_pem(raw):
            certs = x509.load_pem_x509_certificates(raw)
        else:
            certs = [x509.load_der_x509_certificate(raw)]
        for cert in certs:
            _parts = (cert.subject, cert.issuer, cert.extensions, cert.public_key())
            _times = (cert.not_valid_before_utc, cert.not_valid_after_utc)
    except _PARSE_ERRORS as exc:
        raise InputError(
            _("This is not a readable certificate (PEM or DER): %(reason)s")
            % {"reason": _short(exc)}
        ) from None
    if not certs:
        raise InputError(_("No certificate found in the input."))
    return certs


def load_public_key(data: bytes | str, *, allow_private: bool = False) -> PublicKeyTypes:
    """The public key of a certificate, a request, a public key or (if allowed) a private key."""
    raw = input_bytes(data)
    if looks_like_private_key(raw):
        if not allow_private:
            raise InputError(
                _(
                    "This is a private key. Never paste a private key into a web page: compare "
                    "the certificate with your certificate request instead, or with the public "
                    "key from 'openssl pkey -in key.pem -pubout'."
                )
            )
        return _private_key(raw).public_key()
    if b"CERTIFICATE REQUEST" in raw:
        return load_csr(raw).public_key()
    if b"PUBLIC KEY" in raw:
        try:
            return serialization.load_pem_public_key(raw)
        except (ValueError, TypeError) as exc:
            raise InputError(
                _("This is not a readable public key: %(reason)s") % {"reason": _short(exc)}
            ) from None
    return load_certificates(raw)[0].public_key()


def _private_key(raw: bytes) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(raw, password=None)
    except TypeError:
        raise InputError(
            _("The private key is protected by a passphrase; use its public key instead.")
        ) from None
    except ValueError as exc:
        raise InputError(
            _("This is not a readable private key: %(reason)s") % {"reason": _short(exc)}
        ) from None


def _short(exc: Exception) -> str:
    """Why the parser refused, in words (its own text names Rust parse states:
    ``ParseError { kind: ShortData { needed: 80 } }``)."""
    text = str(exc)
    if "PEM" in text:
        return str(_("the text between its BEGIN and END lines is damaged or of another kind"))
    if "asn1" in text.lower() or "ParseError" in text or "ShortData" in text:
        return str(_("it is cut off or damaged"))
    return str(_("its contents cannot be read"))
