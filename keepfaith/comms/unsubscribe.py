"""One-click unsubscribe: signed per-recipient, per-kind tokens and their headers (BE-8, BE-9).

Rules kept here:

- A token names one recipient (an opaque ``subject_ref``, never an e-mail address, since
  links end up in logs) and one mail kind, and is signed with HMAC-SHA256.
- Tokens do not expire by default: RFC 8058 links must keep working for as long as the mail
  sits in an inbox. A reader may ask for a ``max_age``.
- Keys rotate: new tokens are signed with the current secret, old ones still verify with the
  fallback secrets (the claim says which key matched so the caller can tell).
- Any bad token raises ``InvalidToken`` with a clear message, never another exception.

Token format (version 1), all parts base64url without padding, joined by ``.``::

    v1.<payload>.<signature>
    payload   = UTF-8 JSON {"k": kind, "s": subject_ref, "t": issued_at as Unix seconds}
    signature = HMAC-SHA256(secret, b"keepfaith/unsubscribe/v1\\0" + payload in base64url)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from urllib.parse import parse_qsl, urlsplit

from keepfaith.policy.trace import enforces

__all__ = [
    "InvalidToken",
    "UnsubscribeClaim",
    "is_one_click_body",
    "list_unsubscribe_headers",
    "read_unsubscribe_token",
    "unsubscribe_token",
]

_VERSION = "v1"
_CONTEXT = b"keepfaith/unsubscribe/v1\0"
_MAX_TOKEN_CHARS = 1024
_MAX_FIELD_CHARS = 200
_MAX_ONE_CLICK_BODY = 64 * 1024


class InvalidToken(ValueError):
    """An unsubscribe token that is malformed, forged, signed with an unknown key or too old."""


@dataclass(frozen=True, slots=True)
class UnsubscribeClaim:
    """What a valid token says: who may be opted out of which kind, and when it was issued.

    ``key_index`` is 0 for the current secret, 1 and up for the fallback secrets in order.
    """

    subject_ref: str
    kind: str
    issued_at: datetime
    key_index: int


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not _BASE64URL.fullmatch(text):
        raise InvalidToken("unsubscribe token is malformed: not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidToken("unsubscribe token is malformed: not base64url") from error
    if _b64encode(data) != text:  # unused low bits set: one token, one spelling
        raise InvalidToken("unsubscribe token is malformed: not base64url (non-canonical)")
    return data


def _signature(secret: bytes, payload_b64: str) -> bytes:
    return hmac.new(secret, _CONTEXT + payload_b64.encode("ascii"), hashlib.sha256).digest()


def _check_field(name: str, value: str) -> None:
    if not value or len(value) > _MAX_FIELD_CHARS or not value.isprintable():
        raise ValueError(f"{name} must be 1 to {_MAX_FIELD_CHARS} printable characters")


def unsubscribe_token(*, subject_ref: str, kind: str, secret: bytes, issued_at: datetime) -> str:
    """A signed, URL-safe token that lets its holder opt ``subject_ref`` out of ``kind``.

    ``subject_ref`` must be an opaque reference, not an e-mail address; ``issued_at`` must be
    timezone-aware.
    """
    _check_field("subject_ref", subject_ref)
    _check_field("kind", kind)
    if "@" in subject_ref:
        raise ValueError("subject_ref must be an opaque reference, not an e-mail address")
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    if len(secret) < 16:
        raise ValueError("the unsubscribe secret must be at least 16 bytes")
    body = {"k": kind, "s": subject_ref, "t": int(issued_at.timestamp())}
    payload = json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    payload_b64 = _b64encode(payload.encode("utf-8"))
    return f"{_VERSION}.{payload_b64}.{_b64encode(_signature(secret, payload_b64))}"


def _matching_key(signature: bytes, payload_b64: str, secrets: Sequence[bytes]) -> int:
    for index, secret in enumerate(secrets):
        if hmac.compare_digest(signature, _signature(secret, payload_b64)):
            return index
    raise InvalidToken("unsubscribe token has a bad signature or was signed with an unknown key")


def _claim_from(payload: bytes, key_index: int) -> UnsubscribeClaim:
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidToken("unsubscribe token is malformed: bad payload") from error
    if not isinstance(body, dict) or set(body) != {"k", "s", "t"}:
        raise InvalidToken("unsubscribe token is malformed: bad payload")
    kind, subject_ref, issued = body["k"], body["s"], body["t"]
    if not (isinstance(kind, str) and isinstance(subject_ref, str) and type(issued) is int):
        raise InvalidToken("unsubscribe token is malformed: bad payload")
    try:
        issued_at = datetime.fromtimestamp(issued, tz=UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise InvalidToken("unsubscribe token is malformed: bad issue time") from error
    return UnsubscribeClaim(subject_ref, kind, issued_at, key_index)


def read_unsubscribe_token(
    token: str,
    *,
    secret: bytes,
    fallback_secrets: Sequence[bytes] = (),
    max_age: timedelta | None = None,
    now: datetime | None = None,
) -> UnsubscribeClaim:
    """Verify a token and return its claim; raise ``InvalidToken`` for anything else.

    The signature is checked before the payload is read. ``max_age`` (off by default) refuses
    tokens issued longer ago than that; ``now`` is the clock seam for tests.
    """
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS or not token.isascii():
        raise InvalidToken("unsubscribe token is malformed")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise InvalidToken("unsubscribe token is malformed: expected three parts")
    version, payload_b64, signature_b64 = parts
    if version != _VERSION:
        raise InvalidToken(f"unsubscribe token has an unknown version {version[:10]!r}")
    signature = _b64decode(signature_b64)
    payload = _b64decode(payload_b64)
    key_index = _matching_key(signature, payload_b64, (secret, *fallback_secrets))
    claim = _claim_from(payload, key_index)
    if max_age is not None:
        current = now or datetime.now(tz=UTC)
        if current - claim.issued_at > max_age:
            raise InvalidToken("unsubscribe token has expired")
    return claim


# --- headers and the one-click POST (RFC 2369, RFC 8058) -------------------------------------

_URI_FORBIDDEN = re.compile(r"[\s<>,\"]")


@enforces("BE-8")
def list_unsubscribe_headers(*, https_url: str, mailto: str) -> dict[str, str]:
    """The ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers of a marketing message.

    RFC 8058 one-click needs an HTTPS link; the mailto (an address, with or without
    ``mailto:``) is the fallback for clients without it. Service mail carries neither header.
    Plain http is accepted only for this machine's own address (the demo on loopback, which
    no deployment can use: ``check --deploy`` refuses a local public URL).
    """
    parts = urlsplit(https_url)
    loopback = (
        parts.scheme == "http"
        and parts.hostname in ("127.0.0.1", "localhost")
        and "@" not in parts.netloc
    )
    if not (https_url.lower().startswith("https://") or loopback) or _URI_FORBIDDEN.search(
        https_url
    ):
        raise ValueError("https_url must be an https:// URL without spaces, <, >, commas or quotes")
    address = mailto.removeprefix("mailto:")
    local, at, domain = address.partition("@")
    if not at or not local or not domain or _URI_FORBIDDEN.search(address) or "?" in address:
        raise ValueError("mailto must be a plain e-mail address")
    return {
        "List-Unsubscribe": f"<{https_url}>, <mailto:{address}?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _content_type(content_type: str) -> Message:
    holder = Message()
    holder["Content-Type"] = content_type
    return holder


def _urlencoded_fields(body: bytes) -> list[tuple[str, str]]:
    text = body.decode("ascii").strip()
    return parse_qsl(text, keep_blank_values=True, strict_parsing=True)


def _multipart_fields(body: bytes, content_type: str) -> list[tuple[str, str]]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("ascii")
    message = BytesParser(policy=compat32).parsebytes(head + body)
    if not message.is_multipart() or message.defects:
        raise ValueError("not a well-formed multipart body")
    fields: list[tuple[str, str]] = []
    for part in message.get_payload():
        if not isinstance(part, Message) or part.get_content_disposition() != "form-data":
            raise ValueError("a part that is not form-data")
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            raise ValueError("a form-data part without a name")
        fields.append((name, payload.decode("ascii").strip()))
    return fields


@enforces("BE-8")
def is_one_click_body(body: bytes, content_type: str) -> bool:
    """Whether an HTTP POST body is an RFC 8058 one-click unsubscribe.

    Accepted: ``List-Unsubscribe=One-Click`` as ``application/x-www-form-urlencoded`` or as
    ``multipart/form-data`` (RFC 8058 allows both), with trailing newlines and other fields
    in any order, provided ``List-Unsubscribe`` appears exactly once. Anything else is False.
    """
    if len(body) > _MAX_ONE_CLICK_BODY or len(content_type) > 1000:
        return False
    try:
        kind = _content_type(content_type).get_content_type()
        if kind == "application/x-www-form-urlencoded":
            fields = _urlencoded_fields(body)
        elif kind == "multipart/form-data":
            fields = _multipart_fields(body, content_type)
        else:
            return False
    except Exception:  # any body the parsers refuse is simply not a one-click request
        return False
    values = [value for name, value in fields if name == "List-Unsubscribe"]
    return values == ["One-Click"]
