"""Django's SMTP backend, DKIM-signing every message when a key is configured.

Rules kept here: the signature covers From, To, Subject, Date, Message-ID, MIME headers and
``List-Unsubscribe`` / ``List-Unsubscribe-Post`` (so a relay cannot strip or swap the
unsubscribe link unnoticed); it is computed over the exact bytes sent.
"""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import Any

import dkim
from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.message import sanitize_address

SIGNED_HEADERS = (
    b"From",
    b"To",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"MIME-Version",
    b"Content-Type",
    b"List-Unsubscribe",
    b"List-Unsubscribe-Post",
)


def dkim_signed(message: bytes, *, selector: str, domain: str, private_key: bytes) -> bytes:
    """``message`` with a ``DKIM-Signature`` header in front (relaxed/relaxed, rsa-sha256).

    Only headers present in the message are listed; List-Unsubscribe is signed when there.
    """
    present = {
        line.split(b":", 1)[0].strip().lower()
        for line in message.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        if b":" in line
    }
    include = [h for h in SIGNED_HEADERS if h.lower() in present]
    signature = dkim.sign(
        message,
        selector.encode("ascii"),
        domain.encode("ascii"),
        private_key,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=include,
    )
    return bytes(signature) + message


class SigningSMTPBackend(EmailBackend):
    """The SMTP backend; signs with DKIM when ``DKIM_KEY_FILE`` (and selector, domain) are set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        path = getattr(settings, "DKIM_KEY_FILE", "")
        self._dkim_key = Path(path).read_bytes() if path else None

    def _send(self, email_message: EmailMessage) -> bool:
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = sanitize_address(email_message.from_email, encoding)
        recipients = [sanitize_address(a, encoding) for a in email_message.recipients()]
        data = email_message.message().as_bytes(linesep="\r\n")
        if self._dkim_key is not None:
            data = dkim_signed(
                data,
                selector=settings.DKIM_SELECTOR,
                domain=settings.DKIM_DOMAIN,
                private_key=self._dkim_key,
            )
        assert self.connection is not None
        try:
            self.connection.sendmail(from_email, recipients, data)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
