"""Opt-outs by e-mail: imported or received over SMTP, stored first, matched to a customer,
recorded in the ledger, confirmed; the rest goes to the staff queue (QS-4, BE-9, BE-1)."""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from keepfaith.comms.delivery import deliver_pending
from keepfaith.comms.listener import start_listener
from keepfaith.comms.models import InboundMessage, OptOutQueueItem
from keepfaith.comms.receiving import inbound_deliver
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import current_choices
from keepfaith.rights.models import RightsRequest
from tests.comms.conftest import (
    PRIVACY_ADDRESS,
    UNSUBSCRIBE_ADDRESS,
    SmtpSink,
    make_customer,
)
from tests.comms.mailbuild import customer_mail

NEWSLETTER = "marketing.communications.email.newsletter"
MARKETING = {
    NEWSLETTER,
    "marketing.communications.email",
    "marketing.communications.email.partner_promotions",
}


@pytest.fixture
def frida(published: Any) -> str:
    return make_customer("frida@example.com").customer_number or ""


def declined(number: str) -> set[str]:
    return {k for k, v in current_choices(subject=number).items() if v.status == "opted-out"}


@pytest.mark.feature("choices.opt-out-by-email")
@pytest.mark.clause("QS-4")
@pytest.mark.clause("BE-9")
def test_eml_to_the_unsubscribe_address_opts_out_and_confirms(
    frida: str, smtp_sink: SmtpSink, tmp_path: Any
) -> None:
    path = tmp_path / "optout.eml"
    path.write_bytes(
        customer_mail(sender="Frida <Frida@Example.COM>", to=UNSUBSCRIBE_ADDRESS, subject="hi")
    )
    call_command("mail", "import", str(path))
    assert declined(frida) == MARKETING
    sources = ConsentEvent.objects.filter(subject=frida).values_list("source", flat=True)
    assert set(sources) == {"signup", "email"}  # her yes at sign-up, then the opt-out
    # the evidence her receipt shows names the message by its Message-ID, not a row number
    opted_out = ConsentEvent.objects.filter(subject=frida, source="email")
    assert opted_out.exists()
    for event in opted_out:  # one per kind of mail
        assert "message_id" in event.evidence and "inbound" not in event.evidence
    stored = InboundMessage.objects.get()
    assert bytes(stored.raw) == path.read_bytes() and stored.status == "opted_out"
    assert deliver_pending() == 1
    reply = smtp_sink.to("frida@example.com")[0].message
    assert "opt-out is recorded" in str(reply["Subject"])
    assert reply["List-Unsubscribe"] is None
    assert str(reply["Auto-Submitted"]) == "auto-replied"
    call_command("mail", "import", str(path))  # the same message again: stored once
    assert InboundMessage.objects.count() == 1


@pytest.mark.clause("BE-9")
@pytest.mark.clause("BE-1")
def test_privacy_address_opts_out_of_the_named_kind_in_danish(
    frida: str, smtp_sink: SmtpSink, tmp_path: Any
) -> None:
    path = tmp_path / "da.eml"
    path.write_bytes(
        customer_mail(
            sender="frida@example.com",
            to=PRIVACY_ADDRESS,
            subject="Afmeld",
            body="Jeg vil ikke have nyhedsbrevet mere.",
        )
    )
    call_command("mail", "import", str(path))
    assert declined(frida) == {NEWSLETTER}
    deliver_pending()
    reply = smtp_sink.to("frida@example.com")[0].message
    assert "afmelding" in str(reply["Subject"])
    # the kind of mail by the policy's Danish name for it, never its key
    plain = reply.get_body(("plain",))
    assert plain is not None
    body = plain.get_content()
    assert "Du modtager ikke længere: Nyhedsbrev." in body and "newsletter" not in body


@pytest.mark.clause("BE-9")
def test_unknown_sender_and_auto_reply_go_to_the_queue(
    frida: str, smtp_sink: SmtpSink, tmp_path: Any
) -> None:
    unknown = tmp_path / "unknown.eml"
    unknown.write_bytes(customer_mail(sender="stranger@else.example", to=UNSUBSCRIBE_ADDRESS))
    away = tmp_path / "away.eml"
    away.write_bytes(
        customer_mail(
            sender="frida@example.com",
            to=UNSUBSCRIBE_ADDRESS,
            subject="Out of office",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    call_command("mail", "import", str(unknown))
    call_command("mail", "import", str(away))
    reasons = sorted(OptOutQueueItem.objects.values_list("reason", flat=True))
    assert reasons == ["auto_reply", "unknown_sender"]
    assert declined(frida) == set()
    assert deliver_pending() == 0  # no reply to either


@pytest.mark.clause("QS-4")
@pytest.mark.clause("BE-1")
@pytest.mark.django_db(transaction=True)
def test_smtp_listener_stores_then_processes(frida: str) -> None:
    left_open: list[bool] = []

    def deliver(envelope_from: str, rcpt_tos: tuple[str, ...], raw: bytes) -> None:
        inbound_deliver(envelope_from, rcpt_tos, raw)
        left_open.append(connection.connection is not None)  # this listener thread's

    handle = start_listener(
        host="127.0.0.1",
        port=0,
        recipients=[UNSUBSCRIBE_ADDRESS, PRIVACY_ADDRESS],
        deliver=deliver,
        max_bytes=1_000_000,
    )
    try:
        with smtplib.SMTP(handle.host, handle.port) as client:
            client.sendmail(
                "frida@example.com",
                [UNSUBSCRIBE_ADDRESS],
                customer_mail(sender="frida@example.com", to=UNSUBSCRIBE_ADDRESS),
            )
    finally:
        handle.stop()
    assert InboundMessage.objects.get().status == "opted_out"
    assert declined(frida) == MARKETING
    assert left_open == [False]  # no connection kept between messages


def _send_over_smtp(messages: list[tuple[str, str, bytes]]) -> None:
    """Each (from, to, raw) through the SMTP listener on loopback, delivered for real."""
    handle = start_listener(
        host="127.0.0.1",
        port=0,
        recipients=[UNSUBSCRIBE_ADDRESS, PRIVACY_ADDRESS],
        deliver=inbound_deliver,
        max_bytes=1_000_000,
    )
    try:
        with smtplib.SMTP(handle.host, handle.port) as client:
            for mail_from, to, raw in messages:
                client.sendmail(mail_from, [to], raw)
    finally:
        handle.stop()


@pytest.mark.clause("RIGHTS-12")
@pytest.mark.feature("rights.request.code")
@pytest.mark.django_db(transaction=True)
def test_a_rights_request_to_the_privacy_address_is_filed_end_to_end(
    frida: str, smtp_sink: SmtpSink
) -> None:
    erase = customer_mail(
        sender="frida@example.com",
        to=PRIVACY_ADDRESS,
        subject="My data",
        body="Please erase all my data.",
    )
    stranger = customer_mail(
        sender="stranger@else.example",
        to=PRIVACY_ADDRESS,
        subject="Indsigt",
        body="Jeg vil gerne have en kopi af mine data.",
    )
    hello = customer_mail(
        sender="frida@example.com",
        to=PRIVACY_ADDRESS,
        subject="Hello",
        body="What are your opening hours?",
    )
    # the unsubscribe address keeps its path, whatever the message says
    unsubscribe = customer_mail(
        sender="frida@example.com",
        to=UNSUBSCRIBE_ADDRESS,
        subject="Delete",
        body="Please delete my data.",
    )
    _send_over_smtp(
        [
            ("frida@example.com", PRIVACY_ADDRESS, erase),
            ("stranger@else.example", PRIVACY_ADDRESS, stranger),
            ("frida@example.com", PRIVACY_ADDRESS, hello),
            ("frida@example.com", UNSUBSCRIBE_ADDRESS, unsubscribe),
        ]
    )
    rows = {row.sender + "|" + row.subject_line: row for row in InboundMessage.objects.all()}
    assert rows["frida@example.com|My data"].status == "rights_request"
    assert rows["frida@example.com|My data"].customer == frida
    assert rows["stranger@else.example|Indsigt"].status == "rights_request"
    assert rows["frida@example.com|Hello"].status == "queued"
    assert rows["frida@example.com|Delete"].status == "opted_out"
    filed = {(r.requester_email, r.kind, r.state, r.channel) for r in RightsRequest.objects.all()}
    assert filed == {
        ("frida@example.com", "erasure", "awaiting-code", "email"),
        ("stranger@else.example", "access", "queued", "email"),
    }
    assert [item.reason for item in OptOutQueueItem.objects.all()] == ["unclear"]
    deliver_pending()  # (on commit, mail may already be out)
    subjects = sorted(str(m.message["Subject"]) for m in smtp_sink.to("frida@example.com"))
    assert len(subjects) == 2  # the request's code, the opt-out confirmation
    assert any(request.reference in s for s in subjects for request in RightsRequest.objects.all())
    assert smtp_sink.to("stranger@else.example") == []  # an unmatched address gets no code
