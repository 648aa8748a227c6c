"""Reading mail sent to the unsubscribe and privacy addresses (QS-4, BE-9, BE-1).

Rules kept here:

- ``read_messages`` hands out the raw bytes of every message with where it came from, one at
  a time, so the caller stores each message *before* it is processed: a message that later
  fails to parse or classify is never lost.
- ``parse_inbound`` never raises, whatever the bytes. Malformed MIME, unknown charsets and
  broken headers become entries in ``defects``; an over-size message is parsed from its first
  ``max_bytes`` bytes and says so (``size``, ``truncated``), it is never dropped silently.
- Addresses are compared in one normal form (``normalise_address``): lower case, IDNA domain.
- Work stays linear in the size of the message: every header value is read from its first
  ``MAX_HEADER_CHARS`` characters only (the stdlib's header parser grows faster than linearly
  on long hostile values, e.g. thousands of encoded words), and only the first
  ``MAX_HEADER_VALUES`` of a repeated header, each noted in ``defects``; every
  pattern here and in ``mailtext`` runs in linear time (``tests/comms/test_linear.py``).
"""

from __future__ import annotations

import mailbox
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from email._policybase import Compat32
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from keepfaith.comms.mailtext import clean_text, decode_body_bytes, decode_header_text, html_to_text

__all__ = [
    "DEFAULT_MAX_BYTES",
    "InboundMessage",
    "InboundSourceError",
    "MessageOrigin",
    "RawMessage",
    "normalise_address",
    "parse_inbound",
    "read_messages",
]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_HEADER_CHARS = 8192
MAX_HEADER_VALUES = 20
_MAX_DEFECTS = 50
_MAX_BODY_CHARS = 200_000
# A MIME part starts at a line "--boundary"; real mail has a few dozen. Parsing a message of
# 1,200,000 empty parts (8 MB) took the email package 150 s.
MAX_PART_DELIMITERS = 2000


class InboundSourceError(ValueError):
    """The path given to ``read_messages`` is not an e-mail file, an mbox or a Maildir."""


@dataclass(frozen=True, slots=True)
class MessageOrigin:
    """Where a raw message was read: the file or folder, and its key inside a mailbox."""

    path: Path
    kind: str  # "eml", "mbox" or "maildir"
    key: str | None = None


@dataclass(frozen=True, slots=True)
class RawMessage:
    """The untouched bytes of one message, to be stored before anything else happens."""

    origin: MessageOrigin
    raw: bytes
    oversize: int = 0  # over the size limit: its size in bytes, and ``raw`` left unread


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """What the opt-out rules need to know about one received message."""

    sender: str | None
    recipients: tuple[str, ...]
    subject: str
    body_text: str
    message_id: str | None
    is_auto_reply: bool
    is_bounce: bool
    defects: tuple[str, ...]
    size: int
    truncated: bool


# --- reading mailboxes -----------------------------------------------------------------------


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _looks_like_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(5)
    return head == b"From "


def _size(box: mailbox.Mailbox[Any], key: str) -> int:
    """A mailbox message's size in bytes, without reading it."""
    handle = box.get_file(key)
    try:
        handle.seek(0, os.SEEK_END)
        return int(handle.tell())
    finally:
        handle.close()


def _boxed(
    box: mailbox.Mailbox[Any], key: str, origin: MessageOrigin, max_bytes: int | None
) -> RawMessage:
    if max_bytes is not None and (size := _size(box, key)) > max_bytes:
        return RawMessage(origin, b"", oversize=size)
    return RawMessage(origin, box.get_bytes(key))


def _read_maildir(path: Path, max_bytes: int | None) -> Iterator[RawMessage]:
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.iterkeys()):
        try:
            message = _boxed(box, key, MessageOrigin(path, "maildir", key), max_bytes)
        except (KeyError, FileNotFoundError):
            continue  # moved away by another reader meanwhile: it is no longer in this box
        yield message


def _read_mbox(path: Path, max_bytes: int | None) -> Iterator[RawMessage]:
    box = mailbox.mbox(path, factory=None, create=False)
    try:
        for key in box.iterkeys():  # the table of contents holds offsets, not messages
            yield _boxed(box, key, MessageOrigin(path, "mbox", str(key)), max_bytes)
    finally:
        box.close()


def looks_like_message(data: bytes) -> bool:
    """Does ``data`` start with a mail header block (``Name: value`` lines, one of them
    ``From:``, up to the first empty line)? Linear in the first 128 KiB (Postfix allows
    100 KiB of headers), no regex; a UTF-8 byte-order mark is skipped."""
    window = data[:131072].removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    head, blank, _body = window.partition(b"\n\n")
    lines = head.split(b"\n")
    if not blank and len(data) > len(window):
        lines = lines[:-1]  # a header block longer than the window: its last line is cut
    seen_from = False
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            continue  # a folded header's next line
        name, colon, _value = line.partition(b":")
        if not colon or not name or not all(33 <= byte <= 126 for byte in name):
            return False
        seen_from = seen_from or name.lower() == b"from"
    return seen_from


def read_messages(path: Path | str, *, max_bytes: int | None = None) -> Iterator[RawMessage]:
    """Yield every message in a ``.eml`` file, an mbox file or a Maildir, one at a time.

    A Maildir is a folder with ``cur`` and ``new`` (messages still in ``tmp`` are being
    delivered and are left alone). A file starting with an mbox ``From `` line is an mbox;
    any other file is one message. Messages are read one by one, never a whole mbox at once;
    one over ``max_bytes`` is not read at all (``oversize`` says its size), as the SMTP
    listener refuses it.
    """
    source = Path(path)
    if source.is_dir():
        if not _is_maildir(source):
            raise InboundSourceError(f"{source} is a folder but not a Maildir (no cur/ and new/)")
        yield from _read_maildir(source, max_bytes)
    elif source.is_file():
        if _looks_like_mbox(source):
            yield from _read_mbox(source, max_bytes)
        else:
            size = source.stat().st_size
            if max_bytes is not None and size > max_bytes:
                yield RawMessage(MessageOrigin(source, "eml"), b"", oversize=size)
                return
            data = source.read_bytes()
            if not looks_like_message(data):
                raise InboundSourceError(
                    f"{source} is not an e-mail message (no header block with a From: line "
                    "at its start); nothing was imported"
                )
            yield RawMessage(MessageOrigin(source, "eml"), data)
    else:
        raise InboundSourceError(f"{source} does not exist or is not a file or folder")


# --- addresses -------------------------------------------------------------------------------

_LOCAL_FORBIDDEN = re.compile(r"[\s<>(),;:\\\[\]\"\x00-\x1f\x7f]")
_DOMAIN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*")


def _canonical_domain(domain: str) -> str | None:
    domain = domain.strip().rstrip(".").lower()
    if not domain:
        return None
    if domain.startswith("[") and domain.endswith("]"):
        return domain
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return None
    if not _DOMAIN.fullmatch(ascii_domain):
        return None
    return ascii_domain


def _canonical_address(addr: str) -> str | None:
    addr = addr.strip().strip("<>").strip()
    local, at, domain = addr.rpartition("@")
    if not at or not local or _LOCAL_FORBIDDEN.search(local):
        return None
    canonical_domain = _canonical_domain(domain)
    if canonical_domain is None:
        return None
    return f"{clean_text(local).lower()}@{canonical_domain}"


def _all_addresses(text: str) -> list[str]:
    cleaned = clean_text(text)
    try:
        pairs = getaddresses([cleaned])
    except Exception:  # the stdlib address parser has raised on odd input in the past
        return []
    # getaddresses glues broken addresses together ("a@exa mple" -> "a@example"): an address
    # that does not stand in the text as written is not one the sender gave.
    found = (_canonical_address(addr) for _name, addr in pairs if addr and addr in cleaned)
    return [address for address in found if address is not None]


def normalise_address(text: str) -> str | None:
    """The first address in a header such as ``"Alice" <Alice@Exämple.DK>``, normalised.

    Normal form: local part and domain in lower case, the domain in IDNA ASCII form
    (``alice@xn--exmple-cua.dk``). ``None`` if the text holds no usable address.
    """
    addresses = _all_addresses(text)
    return addresses[0] if addresses else None


# --- parsing ---------------------------------------------------------------------------------

_AUTO_REPLY_SUBJECT = re.compile(
    r"\b(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response"
    r"|away from (the |my )?office|on vacation|autosvar|automatisk svar|frav(æ|ae)rende"
    r"|ikke på kontoret|ferie ?svar)\b",
    re.IGNORECASE,
)
_BULK_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk", "list"})
_DAEMON_LOCALS = frozenset({"mailer-daemon", "postmaster"})


def _bounded(value: object) -> object:
    return value[:MAX_HEADER_CHARS] if isinstance(value, str) else value


class _BoundedEmailPolicy(EmailPolicy):
    """``policy.default`` that parses only the first ``MAX_HEADER_CHARS`` of a header."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return super().header_fetch_parse(name, _bounded(value))  # type: ignore[arg-type,no-any-return]


class _BoundedCompat32(Compat32):
    """``policy.compat32`` that reads only the first ``MAX_HEADER_CHARS`` of a header."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        return super().header_fetch_parse(name, _bounded(value))  # type: ignore[arg-type]


_DEFAULT_POLICY = _BoundedEmailPolicy()
_COMPAT32_POLICY = _BoundedCompat32()


class _Reader:
    """Header access that never raises: the modern header parser first, then the raw value."""

    def __init__(self, message: Message, defects: list[str], *, modern: bool) -> None:
        self.message = message
        self.defects = defects
        self.modern = modern

    def raw_values(self, name: str) -> list[str]:
        wanted = name.lower()
        values = [str(v) for k, v in self.message.raw_items() if k.lower() == wanted]
        if len(values) > MAX_HEADER_VALUES:
            self.defects.append(f"header {name} given {len(values)} times: the first ones read")
        if any(len(v) > MAX_HEADER_CHARS for v in values):
            self.defects.append(f"header {name} read from its first {MAX_HEADER_CHARS} characters")
        return [v[:MAX_HEADER_CHARS] for v in values[:MAX_HEADER_VALUES]]

    def text(self, name: str) -> str | None:
        raws = self.raw_values(name)
        if not raws:
            return None
        raw = raws[0]
        if self.modern and raw.isascii():
            try:
                value = self.message[name]
                if value is not None:
                    self.defects.extend(_describe(d) for d in getattr(value, "defects", ()))
                    return clean_text(str(value)).strip()
            except Exception as error:  # policy.default raises on some malformed headers
                self.defects.append(f"header {name} unreadable ({type(error).__name__})")
        return decode_header_text(raw)

    def addresses(self, *names: str) -> list[str]:
        found: list[str] = []
        for name in names:
            for raw in self.raw_values(name):
                found.extend(_all_addresses(decode_header_text(raw)))
        return found


def _describe(defect: object) -> str:
    detail = clean_text(str(defect))[:200]
    name = type(defect).__name__
    return f"{name}: {detail}" if detail and detail != name else name


def _header_token(reader: _Reader, name: str) -> str:
    return (reader.text(name) or "").split(";", 1)[0].strip().lower()


def _auto_reply(reader: _Reader, subject: str) -> bool:
    auto_submitted = _header_token(reader, "Auto-Submitted")
    if auto_submitted and auto_submitted != "no":
        return True
    if reader.raw_values("X-Autoreply") or reader.raw_values("X-Autorespond"):
        return True
    if _header_token(reader, "Precedence") in _BULK_PRECEDENCE:
        return True
    return _AUTO_REPLY_SUBJECT.search(subject) is not None


def _null_sender(envelope_from: str | None, reader: _Reader) -> bool:
    if envelope_from is not None and envelope_from.strip() in ("", "<>"):
        return True
    return any(value.strip() == "<>" for value in reader.raw_values("Return-Path"))


def _bounce(message: Message, reader: _Reader, sender: str | None, null_sender: bool) -> bool:
    if null_sender:
        return True
    if sender is not None and sender.partition("@")[0] in _DAEMON_LOCALS:
        return True
    try:
        if message.get_content_type() == "multipart/report":
            report_type = message.get_param("report-type", header="content-type")
            if isinstance(report_type, str) and report_type.lower() == "delivery-status":
                return True
        return any(part.get_content_type() == "message/delivery-status" for part in _walk(message))
    except Exception:
        return False


def _walk(message: Message) -> Iterator[Message]:
    yield from message.walk()


def _text_parts(message: Message) -> Iterator[tuple[str, Message]]:
    for part in _walk(message):
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype.startswith("multipart/"):
            ctype = "text/plain"  # a multipart without a usable boundary: read it as text
        if ctype not in ("text/plain", "text/html"):
            continue
        disposition = (part.get("Content-Disposition") or "").split(";", 1)[0].strip().lower()
        if disposition != "attachment":
            yield ctype, part


def _body_text(message: Message, defects: list[str]) -> str:
    parts = list(_text_parts(message))
    chosen = next((p for c, p in parts if c == "text/plain"), None)
    is_html = chosen is None
    if chosen is None:
        chosen = next((p for c, p in parts if c == "text/html"), None)
    if chosen is None:
        return ""
    payload = chosen.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = chosen.get_param("charset", header="content-type")
    text, note = decode_body_bytes(data, charset if isinstance(charset, str) else None)
    if note:
        defects.append(note)
    if is_html:
        text = html_to_text(text)
    return text[:_MAX_BODY_CHARS]


def _message_defects(message: Message) -> list[str]:
    return [_describe(d) for part in _walk(message) for d in getattr(part, "defects", ())]


def _parse_structured(
    data: bytes,
    *,
    envelope_from: str | None,
    envelope_rcpts: tuple[str, ...],
    defects: list[str],
    modern: bool,
    headers_only: bool,
) -> InboundMessage:
    message: Message = BytesParser(
        _class=EmailMessage if modern else Message,
        policy=_DEFAULT_POLICY if modern else _COMPAT32_POLICY,
    ).parsebytes(data, headersonly=headers_only)
    reader = _Reader(message, defects, modern=modern)
    defects.extend(_message_defects(message))
    senders = reader.addresses("From") + reader.addresses("Sender")
    senders += _all_addresses(envelope_from or "") + reader.addresses("Return-Path")
    sender = senders[0] if senders else None
    recipients = reader.addresses("To", "Cc", "Delivered-To", "X-Original-To")
    for rcpt in envelope_rcpts:
        recipients.extend(_all_addresses(rcpt))
    subject = reader.text("Subject") or ""
    return InboundMessage(
        sender=sender,
        recipients=tuple(dict.fromkeys(recipients)),
        subject=subject,
        body_text="" if headers_only else _body_text(message, defects),
        message_id=reader.text("Message-ID") or None,
        is_auto_reply=_auto_reply(reader, subject),
        is_bounce=_bounce(message, reader, sender, _null_sender(envelope_from, reader)),
        defects=(),
        size=len(data),
        truncated=False,
    )


def _unparsed(envelope_from: str | None) -> InboundMessage:
    senders = _all_addresses(envelope_from or "")
    return InboundMessage(
        sender=senders[0] if senders else None,
        recipients=(),
        subject="",
        body_text="",
        message_id=None,
        is_auto_reply=False,
        is_bounce=False,
        defects=(),
        size=0,
        truncated=False,
    )


_BOUNDARY = re.compile(rb'(?i)\bboundary\s{0,8}=\s{0,8}"?([^";\r\n]{1,200})')


def _part_delimiters(data: bytes) -> int:
    """How many lines start a part of the top-level multipart (its ``--boundary`` lines);
    a plain body's signature separators and quoted ``--`` lines are not parts."""
    head = data[:131072].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    found = _BOUNDARY.search(head)
    if found is None:
        return 0
    return data.count(b"\n--" + found.group(1).strip())


_PARSERS = (("default", True, False), ("compat32", False, False), ("headers-only", False, True))


def parse_inbound(
    raw: bytes,
    *,
    envelope_from: str | None = None,
    envelope_rcpts: Iterable[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> InboundMessage:
    """Read one received message into an ``InboundMessage``; never raises for any bytes.

    The sender is the ``From`` address, else ``Sender``, the envelope sender, ``Return-Path``.
    Recipients are ``To``, ``Cc``, ``Delivered-To``, ``X-Original-To`` and the envelope
    recipients. Only the first ``max_bytes`` bytes are parsed; ``size`` is the full size.
    If the modern parser fails on hostile structure the compat32 one is used, then the
    headers alone (empty body); every failure is named in ``defects``, for the staff queue.
    """
    size = len(raw)
    truncated = size > max_bytes
    data = raw[:max_bytes] if truncated else raw
    defects: list[str] = []
    if truncated:
        defects.append(f"message of {size} bytes truncated to {max_bytes} bytes for parsing")
    rcpts = tuple(envelope_rcpts)
    parsed = _unparsed(envelope_from)
    parsers: tuple[tuple[str, bool, bool], ...] = _PARSERS
    parts = _part_delimiters(data)
    if parts > MAX_PART_DELIMITERS:  # the email package's work grows with every part
        defects.append(
            f"{parts} MIME parts (more than {MAX_PART_DELIMITERS}): only the headers were read"
        )
        parsers = _PARSERS[-1:]
    for parser, modern, headers_only in parsers:
        attempt: list[str] = []
        try:
            parsed = _parse_structured(
                data,
                envelope_from=envelope_from,
                envelope_rcpts=rcpts,
                defects=attempt,
                modern=modern,
                headers_only=headers_only,
            )
        except Exception as error:  # the email package can fail on hostile structure
            defects.append(f"{parser} parse failed ({type(error).__name__})")
            continue
        defects.extend(attempt)
        break
    return replace(
        parsed,
        defects=tuple(dict.fromkeys(defects))[:_MAX_DEFECTS],
        size=size,
        truncated=truncated,
    )
