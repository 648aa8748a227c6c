"""parse_inbound and normalise_address: every message readable, none a crash (QS-4, BE-9)."""

from __future__ import annotations

import pytest

from keepfaith.comms.inbound import normalise_address, parse_inbound
from tests.comms.mailbuild import (
    ALICE,
    PRIVACY,
    UNSUBSCRIBE,
    customer_mail,
    delivery_status_notification,
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Alice Andersen <Alice@Customer.EXAMPLE>", "alice@customer.example"),
        ('"Andersen, Alice" <alice@customer.example>', "alice@customer.example"),
        ("alice@customer.example.", "alice@customer.example"),
        ("Søren <soren@Blåbær.DK>", "soren@" + "blåbær.dk".encode("idna").decode()),
        ("=?utf-8?q?S=C3=B8ren?= <soren@example.dk>", "soren@example.dk"),
        ("undisclosed-recipients:;", None),
        ("no address here", None),
        ("", None),
        ("<@example.dk>", None),
        ("bad@exa mple.dk", None),
    ],
)
def test_normalise_address_gives_one_comparable_form(header, expected):
    assert normalise_address(header) == expected


@pytest.mark.clause("QS-4")
def test_customer_message_is_read_with_sender_recipients_subject_and_body():
    raw = customer_mail(
        to=f"Privacy <{PRIVACY.upper()}>",
        subject="Afmeld nyhedsbrev",
        body="Hej\nJeg vil ikke have nyhedsbrevet.\n",
        headers={"Cc": "someone@else.example", "Delivered-To": PRIVACY},
    )
    message = parse_inbound(raw, envelope_rcpts=[PRIVACY])
    assert message.sender == ALICE
    assert message.recipients == (PRIVACY, "someone@else.example")
    assert message.subject == "Afmeld nyhedsbrev"
    assert "Jeg vil ikke have nyhedsbrevet." in message.body_text
    assert message.message_id is not None and message.message_id.endswith("@customer.example>")
    assert message.is_auto_reply is False
    assert message.is_bounce is False
    assert message.truncated is False
    assert message.size == len(raw)


def test_sender_falls_back_to_sender_header_then_envelope_then_return_path():
    body = b"To: " + PRIVACY.encode() + b"\r\nSubject: x\r\n\r\nstop\r\n"
    with_sender = b"Sender: Carol <carol@kunde.example>\r\n" + body
    assert parse_inbound(with_sender).sender == "carol@kunde.example"
    assert parse_inbound(body, envelope_from="Bob@Shop.example").sender == "bob@shop.example"
    with_return_path = b"Return-Path: <pat@shop.example>\r\n" + body
    assert parse_inbound(with_return_path).sender == "pat@shop.example"
    assert parse_inbound(body).sender is None


def test_html_only_body_is_read_as_text_without_markup_or_scripts():
    raw = customer_mail(body="placeholder", html="<p>x</p>")
    html_only = (
        b"From: alice@customer.example\r\nTo: privacy@qualityssl.example\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{}</style><script>alert(1)</script></head><body>"
        b"<p>Please <b>stop</b> the newsletter&nbsp;&amp; offers</p><div>Thanks</div></body></html>"
    )
    message = parse_inbound(html_only)
    assert message.body_text == "Please stop the newsletter & offers\nThanks"
    assert parse_inbound(raw).body_text.strip() == "placeholder"


def test_unknown_charset_in_subject_gives_replacement_characters_not_an_error():
    raw = (
        b"From: alice@customer.example\r\nTo: privacy@qualityssl.example\r\n"
        b"Subject: =?x-unknown?Q?Frav=E6rende?= =?utf-8?B?w6Y=?=\r\n\r\nbody\r\n"
    )
    message = parse_inbound(raw)
    assert message.subject == "Frav\ufffdrende\u00e6"
    assert message.sender == ALICE


def test_latin1_body_labelled_utf8_is_read_as_the_sender_wrote_it():
    raw = (
        "From: carol@kunde.example\r\nTo: privacy@qualityssl.example\r\n"
        "Subject: Fravær\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Jeg ønsker ikke flere tilbud.\r\n"
    ).encode("latin-1")
    message = parse_inbound(raw)
    assert message.subject == "Fravær"
    assert message.body_text.strip() == "Jeg ønsker ikke flere tilbud."
    assert "body labelled 'utf-8' decoded as cp1252" in message.defects


def test_body_in_an_unknown_charset_is_kept_and_the_defect_named():
    raw = (
        b"From: carol@kunde.example\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n"
        b"stop please\r\n"
    )
    message = parse_inbound(raw)
    assert message.body_text.strip() == "stop please"
    assert "unknown charset 'x-klingon'" in message.defects


def test_multipart_without_boundary_is_read_as_text_with_the_defect_named():
    raw = (
        b"From: alice@customer.example\r\nTo: unsubscribe@qualityssl.example\r\n"
        b"Content-Type: multipart/mixed\r\n\r\nunsubscribe me\r\n"
    )
    message = parse_inbound(raw)
    assert message.sender == ALICE
    assert message.body_text.strip() == "unsubscribe me"
    assert "NoBoundaryInMultipartDefect" in message.defects


def test_nul_bytes_and_broken_8bit_never_reach_the_text():
    raw = b"From: a\x00b@x.example\r\nSubject: \xff\xfe\x00\r\n\r\n\x00\xc3("
    message = parse_inbound(raw)
    for text in (message.subject, message.body_text):
        assert "\x00" not in text
        text.encode("utf-8")  # storable: no lone surrogates


@pytest.mark.clause("QS-4")
def test_thirty_megabyte_message_is_truncated_for_parsing_and_its_size_reported():
    body = ("Please unsubscribe me.\n" + "x" * 998 + "\n") * 30_000
    raw = customer_mail(to=UNSUBSCRIBE, subject="unsubscribe", body=body)
    assert len(raw) > 30_000_000
    message = parse_inbound(raw, max_bytes=1_000_000)
    assert message.size == len(raw)
    assert message.truncated is True
    assert f"message of {len(raw)} bytes truncated to 1000000 bytes for parsing" in message.defects
    assert message.sender == ALICE
    assert message.body_text.startswith("Please unsubscribe me.")


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated; owner-email=x@example.dk"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Precedence": "bulk"},
        {"Precedence": "auto_reply"},
    ],
)
def test_auto_reply_headers_mark_the_message(headers):
    message = parse_inbound(customer_mail(subject="Re: news", body="hi", headers=headers))
    assert message.is_auto_reply is True


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Your newsletter",
        "Automatic reply: unsubscribe",
        "Autosvar: afmeld",
        "Fraværende: Nyhedsbrev",
        "Jeg er fravaerende",
        "Automatisk svar: Tilbud",
    ],
)
def test_out_of_office_subjects_in_english_and_danish_mark_the_message(subject):
    assert parse_inbound(customer_mail(subject=subject, body="away")).is_auto_reply is True


def test_ordinary_message_with_auto_submitted_no_is_not_an_auto_reply():
    raw = customer_mail(subject="Unsubscribe", body="x", headers={"Auto-Submitted": "no"})
    assert parse_inbound(raw).is_auto_reply is False


@pytest.mark.clause("BE-9")
def test_delivery_status_notification_is_a_bounce():
    message = parse_inbound(delivery_status_notification(), envelope_from="")
    assert message.is_bounce is True
    assert message.sender == "mailer-daemon@mx.qualityssl.example"
    assert message.body_text.startswith("I'm sorry to have to inform you")


@pytest.mark.parametrize(
    ("raw", "envelope_from"),
    [
        (b"From: postmaster@mx.example\r\n\r\nfailed\r\n", None),
        (b"From: alice@customer.example\r\n\r\nfailed\r\n", "<>"),
        (b"Return-Path: <>\r\nFrom: alice@customer.example\r\n\r\nfailed\r\n", None),
    ],
)
def test_null_or_daemon_sender_marks_a_bounce(raw, envelope_from):
    assert parse_inbound(raw, envelope_from=envelope_from).is_bounce is True


def test_attachments_are_not_read_as_the_request():
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = ALICE
    message.set_content("Keep me posted.")
    message.add_attachment(
        b"unsubscribe everything", maintype="text", subtype="plain", filename="old.txt"
    )
    assert parse_inbound(message.as_bytes()).body_text.strip() == "Keep me posted."


@pytest.mark.clause("QS-4")
def test_a_message_of_thousands_of_mime_parts_is_read_by_its_headers_only():
    """1,200,000 empty parts (8 MB, under the size limit) took the email package 150 s; the
    headers still name the sender, and the defect sends it to the staff queue."""
    from keepfaith.comms.inbound import MAX_PART_DELIMITERS

    head = (
        b"From: alice@example.com\r\nTo: privacy@qualityssl.example\r\nSubject: stop\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    )
    bomb = parse_inbound(head + b"--b\n\nx\n" * (MAX_PART_DELIMITERS + 1) + b"--b--\n")
    assert bomb.sender == "alice@example.com"
    assert bomb.body_text == ""
    assert any("only the headers were read" in d for d in bomb.defects)
    real = parse_inbound(head + b"--b\nContent-Type: text/plain\n\nPlease unsubscribe me\n--b--\n")
    assert real.body_text.strip() == "Please unsubscribe me" and not real.defects
    # lines starting with "--" in a plain body (separators, quoted threads) are not parts
    plain = (
        b"From: alice@example.com\r\nTo: privacy@qualityssl.example\r\nSubject: stop\r\n\r\n"
        b"Please unsubscribe me\n" + b"-- \nquoted\n" * (MAX_PART_DELIMITERS + 1)
    )
    assert parse_inbound(plain).body_text.startswith("Please unsubscribe me")
