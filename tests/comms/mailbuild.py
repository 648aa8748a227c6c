"""Builders for the messages the comms tests receive: customers, auto-replies, bounces."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from keepfaith.comms.optout import MailKindWords

SHOP = "qualityssl.example"
UNSUBSCRIBE = f"unsubscribe@{SHOP}"
PRIVACY = f"privacy@{SHOP}"
ALICE = "alice@customer.example"
CAROL = "carol@kunde.example"

MAIL_KINDS = (
    MailKindWords(
        "newsletter",
        {"en": ["newsletter"], "da": ["nyhedsbrev"]},
        marketing=True,
    ),
    MailKindWords(
        "promotions",
        {"en": ["promotions", "offers", "deals"], "da": ["tilbud", "kampagner"]},
        marketing=True,
    ),
    MailKindWords(
        "partner_promotions",
        {
            "en": ["partner promotions", "partner offers", "partner"],
            "da": ["partnertilbud", "partner", "samarbejdspartner"],
        },
        marketing=True,
    ),
    MailKindWords(
        "service",
        {"en": ["service announcements", "service mail"], "da": ["servicemeddelelser"]},
        marketing=False,
    ),
)


def customer_mail(
    *,
    sender: str = f"Alice Andersen <{ALICE}>",
    to: str = PRIVACY,
    subject: str = "",
    body: str = "",
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A well-formed message as a customer's mail client would send it (CRLF lines)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="customer.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes(policy=policy.SMTP)


def delivery_status_notification(*, original_to: str = ALICE) -> bytes:
    """A bounce as Postfix sends it: multipart/report with a message/delivery-status part."""
    return (
        "Return-Path: <>\r\n"
        f"From: MAILER-DAEMON@mx.{SHOP} (Mail Delivery System)\r\n"
        f"To: {UNSUBSCRIBE}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        '\tboundary="B1"\r\n'
        "\r\n"
        "--B1\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n"
        "\r\n"
        "--B1\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        f"Reporting-MTA: dns; mx.{SHOP}\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {original_to}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "\r\n"
        "--B1\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        f"From: {UNSUBSCRIBE}\r\n"
        f"To: {original_to}\r\n"
        "Subject: unsubscribe\r\n"
        "\r\n"
        "--B1--\r\n"
    ).encode("ascii")
