"""The SMTP listener: a real aiosmtpd on 127.0.0.1 receiving mail sent with smtplib (QS-4)."""

from __future__ import annotations

import smtplib
import threading

import pytest

from keepfaith.comms.inbound import parse_inbound
from keepfaith.comms.listener import start_listener
from keepfaith.comms.optout import OptOutOutcome, QueueReason, classify_optout
from tests.comms.mailbuild import (
    ALICE,
    MAIL_KINDS,
    PRIVACY,
    UNSUBSCRIBE,
    customer_mail,
    delivery_status_notification,
)


class Store:
    """Stands in for the lead's raw-message table: keeps what deliver was given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, tuple[str, ...], bytes]] = []
        self.failures_left = 0
        self.lock = threading.Lock()

    def deliver(self, envelope_from: str, rcpt_tos: tuple[str, ...], raw: bytes) -> None:
        with self.lock:
            if self.failures_left:
                self.failures_left -= 1
                raise OSError("disk full")
            self.messages.append((envelope_from, rcpt_tos, raw))


@pytest.fixture
def store():
    return Store()


@pytest.fixture
def listener(store):
    handle = start_listener(
        host="127.0.0.1",
        port=0,
        recipients=[UNSUBSCRIBE, PRIVACY],
        deliver=store.deliver,
        max_bytes=200_000,
    )
    yield handle
    handle.stop()


def _client(listener) -> smtplib.SMTP:
    return smtplib.SMTP(listener.host, listener.port, timeout=30)


@pytest.mark.clause("QS-4")
def test_message_is_stored_before_it_is_acknowledged_and_then_understood(listener, store):
    raw = customer_mail(to=UNSUBSCRIBE, subject="unsubscribe", body="Please stop.\n")
    with _client(listener) as client:
        refused = client.sendmail(ALICE, [UNSUBSCRIBE], raw)
    assert refused == {}
    # sendmail returned only after 250, so the message must already be in the store
    assert len(store.messages) == 1
    envelope_from, rcpt_tos, stored = store.messages[0]
    assert (envelope_from, rcpt_tos) == (ALICE, (UNSUBSCRIBE,))
    assert stored == raw
    message = parse_inbound(stored, envelope_from=envelope_from, envelope_rcpts=rcpt_tos)
    request = classify_optout(
        message, unsubscribe_address=UNSUBSCRIBE, privacy_address=PRIVACY, mail_kinds=MAIL_KINDS
    )
    assert request.outcome is OptOutOutcome.OPT_OUT_ALL_MARKETING
    assert request.sender == ALICE


@pytest.mark.clause("QS-4")
def test_recipients_compare_in_normal_form_and_others_get_550(listener, store):
    raw = customer_mail(to=PRIVACY, subject="Stop the newsletter", body="x\n")
    with _client(listener) as client:
        refused = client.sendmail(
            ALICE, ["Privacy@QualitySSL.Example", "sales@qualityssl.example"], raw
        )
        assert refused["sales@qualityssl.example"][0] == 550
        with pytest.raises(smtplib.SMTPRecipientsRefused) as caught:
            client.sendmail(ALICE, ["someone@elsewhere.example"], raw)
    assert caught.value.recipients["someone@elsewhere.example"][0] == 550
    assert [rcpts for _f, rcpts, _r in store.messages] == [("Privacy@QualitySSL.Example",)]


@pytest.mark.clause("QS-4")
def test_a_failed_store_answers_451_so_the_sender_retries_and_nothing_is_lost(listener, store):
    store.failures_left = 1
    raw = customer_mail(to=UNSUBSCRIBE, subject="unsubscribe", body="x\n")
    with _client(listener) as client:
        with pytest.raises(smtplib.SMTPDataError) as caught:
            client.sendmail(ALICE, [UNSUBSCRIBE], raw)
        assert caught.value.smtp_code == 451
        assert store.messages == []
        client.rset()
        assert client.sendmail(ALICE, [UNSUBSCRIBE], raw) == {}
    assert len(store.messages) == 1


def test_over_size_message_announced_with_size_gets_552_at_mail_from(listener, store):
    raw = customer_mail(to=UNSUBSCRIBE, subject="big", body="y" * 70 + "\n") + b"z" * 300_000
    with _client(listener) as client, pytest.raises(smtplib.SMTPSenderRefused) as caught:
        client.sendmail(ALICE, [UNSUBSCRIBE], raw)
    assert caught.value.smtp_code == 552
    assert store.messages == []


@pytest.mark.clause("QS-4")
def test_thirty_megabyte_message_sent_without_size_gets_552_after_data(store):
    handle = start_listener(
        host="127.0.0.1",
        port=0,
        recipients=[UNSUBSCRIBE],
        deliver=store.deliver,
        max_bytes=10 * 1024 * 1024,
    )
    try:
        body = ("x" * 998 + "\n") * 30_000
        raw = customer_mail(to=UNSUBSCRIBE, subject="unsubscribe", body=body)
        assert len(raw) > 30_000_000
        with _client(handle) as client:
            client.ehlo()
            assert client.mail(ALICE)[0] == 250
            assert client.rcpt(UNSUBSCRIBE)[0] == 250
            code, _reply = client.data(raw)
            assert code == 552
            # the session goes on: a normal message afterwards is accepted
            client.rset()
            small = customer_mail(to=UNSUBSCRIBE, subject="unsubscribe", body="x\n")
            assert client.sendmail(ALICE, [UNSUBSCRIBE], small) == {}
    finally:
        handle.stop()
    assert len(store.messages) == 1


@pytest.mark.clause("BE-9")
def test_bounce_with_null_envelope_sender_is_stored_and_queued(listener, store):
    with _client(listener) as client:
        client.sendmail("", [UNSUBSCRIBE], delivery_status_notification())
    envelope_from, rcpt_tos, raw = store.messages[0]
    message = parse_inbound(raw, envelope_from=envelope_from, envelope_rcpts=rcpt_tos)
    assert message.is_bounce is True
    request = classify_optout(
        message, unsubscribe_address=UNSUBSCRIBE, privacy_address=PRIVACY, mail_kinds=MAIL_KINDS
    )
    assert request.reason is QueueReason.BOUNCE


def test_port_0_takes_a_free_port_that_the_handle_names(listener, store):
    assert listener.port > 0
    with _client(listener) as client:
        assert client.noop()[0] == 250
    with pytest.raises(OSError):  # taken: refused at once, not after a start-up timeout
        start_listener(
            host="127.0.0.1",
            port=listener.port,
            recipients=[UNSUBSCRIBE],
            deliver=store.deliver,
            max_bytes=1000,
        )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"host": "0.0.0.0"}, "only listens on loopback"),  # noqa: S104
        ({"host": "mail.example"}, "only listens on loopback"),
        ({"recipients": ["not an address"]}, "at least one valid recipient"),
        ({"max_bytes": 0}, "max_bytes must be positive"),
    ],
)
def test_listener_refuses_unsafe_or_empty_settings(store, options, message):
    settings = {
        "host": "127.0.0.1",
        "port": 0,
        "recipients": [UNSUBSCRIBE],
        "deliver": store.deliver,
        "max_bytes": 1000,
    }
    with pytest.raises(ValueError, match=message):
        start_listener(**{**settings, **options})
