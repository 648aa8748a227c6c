"""Hypothesis fuzzing: no input makes the parsers or the token reader crash (QS-4, BE-8)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepfaith.comms.inbound import InboundMessage, normalise_address, parse_inbound
from keepfaith.comms.mailtext import html_to_text
from keepfaith.comms.optout import OptOutOutcome, OptOutRequest, classify_optout
from keepfaith.comms.unsubscribe import (
    InvalidToken,
    is_one_click_body,
    read_unsubscribe_token,
    unsubscribe_token,
)
from tests.comms.mailbuild import (
    CAROL,
    MAIL_KINDS,
    PRIVACY,
    UNSUBSCRIBE,
    customer_mail,
    delivery_status_notification,
)

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEEDS = [
    customer_mail(subject="Afmeld nyhedsbrev", body="Jeg vil ikke have nyhedsbrevet.\n"),
    customer_mail(
        sender=CAROL,
        to=UNSUBSCRIBE,
        subject="Stop partner offers",
        body="plain",
        html="<p>Stop <b>partner</b> offers</p>",
    ),
    delivery_status_notification(),
    (
        "From: =?iso-8859-1?q?S=F8ren?= <soren@kunde.example>\r\nTo: privacy@qualityssl.example\r\n"
        "Subject: =?x-unknown?Q?Frav=E6rende?=\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nSmVnIPhuc2tlciBpa2tlIHRpbGJ1ZA==\r\n"
    ).encode("latin-1"),
]

FRAGMENTS = [
    b"=?",
    b"?=",
    b"=?utf-8?B?",
    b"=?x-unknown?Q?",
    b"\r\n",
    b"\r\n\r\n",
    b"--B1",
    b"--B1--",
    b"Content-Type: multipart/mixed; boundary=",
    b"Content-Type: message/rfc822\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b'; charset="x-bogus"',
    b"\xff\xfe",
    b"\x00",
    b"<>",
    b"@",
    b":",
    b'"',
    b"(",
    b"\t",
    b"\xe6\xf8\xe5",
]


@st.composite
def mutated_messages(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["insert", "delete", "flip", "cut"]))
        if action == "insert":
            data[position:position] = draw(st.sampled_from(FRAGMENTS) | st.binary(max_size=8))
        elif action == "delete":
            del data[position : position + draw(st.integers(min_value=1, max_value=40))]
        elif action == "flip" and position < len(data):
            data[position] = draw(st.integers(min_value=0, max_value=255))
        elif action == "cut":
            del data[position:]
    return bytes(data)


def _readable(text: str) -> None:
    assert "\x00" not in text
    text.encode("utf-8")  # no lone surrogates: the text can be stored and shown


def _check(message: InboundMessage, raw: bytes) -> None:
    assert message.size == len(raw)
    for text in (message.subject, message.body_text, message.message_id or "", *message.defects):
        _readable(text)
    for address in (message.sender, *message.recipients):
        if address is not None:
            assert address == address.lower()
            assert "@" in address
    request = classify_optout(
        message, unsubscribe_address=UNSUBSCRIBE, privacy_address=PRIVACY, mail_kinds=MAIL_KINDS
    )
    assert isinstance(request, OptOutRequest)
    assert isinstance(request.outcome, OptOutOutcome)


@pytest.mark.clause("QS-4")
@FUZZ
@given(st.binary(max_size=3000))
def test_parse_inbound_never_crashes_on_random_bytes(raw):
    _check(parse_inbound(raw), raw)


@pytest.mark.clause("QS-4")
@FUZZ
@given(mutated_messages(), st.integers(min_value=50, max_value=5000))
def test_parse_inbound_never_crashes_on_mutated_messages(raw, max_bytes):
    message = parse_inbound(raw, envelope_from="", envelope_rcpts=[PRIVACY], max_bytes=max_bytes)
    _check(message, raw)
    assert message.truncated is (len(raw) > max_bytes)


def test_deeply_nested_multipart_is_handled():
    depth = 3000
    head = b"From: alice@customer.example\r\nTo: privacy@qualityssl.example\r\n"
    parts = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        for i in range(depth)
    )
    raw = head + parts + b"Content-Type: text/plain\r\n\r\nunsubscribe\r\n"
    message = parse_inbound(raw)
    _check(message, raw)
    assert message.sender == "alice@customer.example"


@FUZZ
@given(st.text(max_size=300))
def test_normalise_address_returns_none_or_a_lower_case_address(text):
    address = normalise_address(text)
    if address is not None:
        _readable(address)
        assert address == address.lower()
        assert address.count("@") >= 1


@FUZZ
@given(st.text(max_size=2000))
def test_html_to_text_never_crashes(markup):
    _readable(html_to_text(markup))


SECRET = b"fuzzing-unsubscribe-secret-0001"
VALID = unsubscribe_token(
    subject_ref="cust-4711",
    kind="newsletter",
    secret=SECRET,
    issued_at=datetime(2025, 6, 2, tzinfo=UTC),
)


@pytest.mark.clause("BE-8")
@FUZZ
@given(st.text(max_size=400) | st.from_regex(r"v1\.[A-Za-z0-9_-]{0,80}\.[A-Za-z0-9_-]{0,60}"))
def test_token_reader_raises_only_invalid_token_on_random_text(text):
    try:
        read_unsubscribe_token(text, secret=SECRET, fallback_secrets=[b"o" * 16])
    except InvalidToken as error:
        assert str(error).startswith("unsubscribe token")


@pytest.mark.clause("BE-8")
@FUZZ
@given(st.integers(min_value=0, max_value=len(VALID) - 1), st.characters(codec="ascii"))
def test_a_changed_token_is_refused_or_reads_as_the_same_claim(position, char):
    changed = VALID[:position] + char + VALID[position + 1 :]
    original = read_unsubscribe_token(VALID, secret=SECRET)
    try:
        claim = read_unsubscribe_token(changed, secret=SECRET)
    except InvalidToken:
        return
    # only changes that base64 ignores (padding bits of the last character) may pass
    assert claim == original


@FUZZ
@given(st.binary(max_size=600), st.text(max_size=120))
def test_one_click_check_is_a_plain_boolean_for_any_post(body, content_type):
    assert is_one_click_body(body, content_type) in (True, False)
