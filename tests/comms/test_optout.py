"""classify_optout: mail to the opt-out addresses becomes an opt-out or a queue entry."""

from __future__ import annotations

import pytest

from keepfaith.comms.inbound import parse_inbound
from keepfaith.comms.optout import OptOutOutcome, QueueReason, classify_optout, request_lines
from tests.comms.mailbuild import (
    ALICE,
    CAROL,
    MAIL_KINDS,
    PRIVACY,
    UNSUBSCRIBE,
    customer_mail,
    delivery_status_notification,
)

ALL = OptOutOutcome.OPT_OUT_ALL_MARKETING
KINDS = OptOutOutcome.OPT_OUT_KINDS
QUEUE = OptOutOutcome.TO_QUEUE


def classify(raw: bytes, **parse_options):
    return classify_optout(
        parse_inbound(raw, **parse_options),
        unsubscribe_address=UNSUBSCRIBE,
        privacy_address=PRIVACY,
        mail_kinds=MAIL_KINDS,
    )


@pytest.mark.clause("QS-4")
@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("unsubscribe", ""),
        ("", ""),
        ("Re: Our June newsletter", "Please keep the newsletter coming!"),
        ("Afmeld", "Venlig hilsen Carol"),
    ],
)
def test_any_mail_to_the_unsubscribe_address_opts_the_sender_out_of_all_marketing(subject, body):
    request = classify(customer_mail(to=f"Shop <{UNSUBSCRIBE}>", subject=subject, body=body))
    assert request.outcome is ALL
    assert request.sender == ALICE
    assert request.addressed_to == "unsubscribe"
    assert request.reason is None


@pytest.mark.clause("BE-9")
@pytest.mark.parametrize(
    ("subject", "body", "kinds", "language"),
    [
        ("Newsletter", "Please stop sending me the newsletter.", ("newsletter",), "en"),
        ("", "Unsubscribe me from partner offers please", ("partner_promotions",), "en"),
        ("No more partner promotions", "Thanks, Alice", ("partner_promotions",), "en"),
        (
            "Afmeld nyhedsbrev",
            "Hej, jeg vil ikke længere have nyhedsbrevet.",
            ("newsletter",),
            "da",
        ),
        (
            "",
            "Hej\nJeg ønsker ikke at modtage nyhedsbreve og partnertilbud.\nMvh Carol",
            ("newsletter", "partner_promotions"),
            "da",
        ),
        ("Fjern mig fra jeres tilbud", "", ("promotions",), "da"),
        (
            "Offers",
            "Stop the partner offers but keep the newsletter, it is useful.",
            ("partner_promotions",),
            "en",
        ),
        ("Re: Nyhedsbrev juni", "Afmeld", ("newsletter",), "da"),
    ],
)
def test_privacy_mail_naming_kinds_opts_out_of_exactly_those(subject, body, kinds, language):
    request = classify(customer_mail(sender=CAROL, subject=subject, body=body))
    assert request.outcome is KINDS
    assert set(request.kinds) == set(kinds)
    assert request.language == language
    assert request.sender == CAROL
    assert request.addressed_to == "privacy"
    assert request.evidence != ""


@pytest.mark.clause("BE-9")
@pytest.mark.parametrize(
    ("subject", "body", "language"),
    [
        ("Unsubscribe me from everything", "", "en"),
        ("Privacy", "Please stop all marketing e-mails to me.", "en"),
        ("Unsubscribe", "", "en"),
        ("Afmeld alt", "", "da"),
        ("Markedsføring", "Jeg vil ikke modtage al markedsføring fra jer.", "da"),
        ("frameld", "", "da"),
    ],
)
def test_privacy_mail_asking_for_all_marketing_opts_out_of_all(subject, body, language):
    request = classify(customer_mail(subject=subject, body=body))
    assert request.outcome is ALL
    assert request.language == language


@pytest.mark.clause("BE-8")
def test_service_announcements_alone_cannot_be_opted_out_of():
    request = classify(customer_mail(subject="Stop service announcements", body=""))
    assert request.outcome is QUEUE
    assert request.reason is QueueReason.NOT_OPTOUTABLE
    assert request.refused_kinds == ("service",)


@pytest.mark.clause("BE-8")
def test_service_announcements_named_with_marketing_are_refused_and_marketing_honoured():
    body = "Afmeld mig nyhedsbrevet og servicemeddelelser."
    request = classify(customer_mail(sender=CAROL, subject="", body=body))
    assert request.outcome is KINDS
    assert request.kinds == ("newsletter",)
    assert request.refused_kinds == ("service",)


@pytest.mark.clause("BE-9")
@pytest.mark.parametrize(
    ("subject", "body", "reason"),
    [
        ("Unsubscribe me from everything except the newsletter", "", QueueReason.AMBIGUOUS),
        ("Newsletter", "Stop the newsletter.\nI still want the newsletter.", QueueReason.AMBIGUOUS),
        ("Afmeld alt undtagen nyhedsbrevet", "", QueueReason.AMBIGUOUS),
        ("Question", "Please subscribe me to the newsletter.", QueueReason.UNCLEAR),
        ("Hej", "Slet mine data, tak.", QueueReason.UNCLEAR),
        ("Stop", "", QueueReason.UNCLEAR),
        ("Invoice", "Where is my invoice?", QueueReason.UNCLEAR),
        ("Please remove me", "Sign me up for the newsletter instead.", QueueReason.UNCLEAR),
    ],
)
def test_unclear_or_mixed_privacy_requests_go_to_the_queue(subject, body, reason):
    request = classify(customer_mail(subject=subject, body=body))
    assert request.outcome is QUEUE
    assert request.reason is reason
    assert request.sender == ALICE


@pytest.mark.clause("BE-9")
def test_quoted_reply_text_and_signatures_are_not_read_as_the_request():
    body = (
        "Thanks for the help with my certificate!\n"
        "--\n"
        "Alice, who never wants the newsletter to stop\n"
        "\n"
        "On Mon, 2 Jun 2025, Shop <privacy@qualityssl.example> wrote:\n"
        "> To unsubscribe from the newsletter, reply with unsubscribe.\n"
    )
    message = parse_inbound(customer_mail(subject="Re: Your ticket", body=body))
    assert request_lines(message) == ["Re: Your ticket", "Thanks for the help with my certificate!"]
    request = classify(customer_mail(subject="Re: Your ticket", body=body))
    assert request.reason is QueueReason.UNCLEAR


def test_quoted_lines_without_a_reply_header_are_skipped_too():
    body = "> Unsubscribe from all marketing here\nThanks\n"
    assert classify(customer_mail(subject="Re: hello", body=body)).reason is QueueReason.UNCLEAR


@pytest.mark.clause("BE-9")
def test_html_only_request_is_read():
    raw = (
        b"From: carol@kunde.example\r\nTo: privacy@qualityssl.example\r\n"
        b"Subject: =?utf-8?q?Afmeld?=\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<div>Jeg vil ikke have <b>nyhedsbrevet</b> mere</div>"
    )
    request = classify(raw)
    assert request.outcome is KINDS
    assert request.kinds == ("newsletter",)


@pytest.mark.clause("BE-9")
def test_latin1_danish_request_labelled_utf8_is_still_understood():
    raw = (
        "From: carol@kunde.example\r\nTo: privacy@qualityssl.example\r\nSubject: Tilbud\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nJeg ønsker ikke flere tilbud.\r\n"
    ).encode("latin-1")
    request = classify(raw)
    assert request.outcome is KINDS
    assert request.kinds == ("promotions",)


@pytest.mark.clause("QS-4")
def test_bounce_to_the_unsubscribe_address_goes_to_the_queue():
    request = classify(delivery_status_notification(), envelope_from="")
    assert request.outcome is QUEUE
    assert request.reason is QueueReason.BOUNCE


@pytest.mark.clause("QS-4")
@pytest.mark.parametrize(
    ("subject", "headers"),
    [
        ("Out of office: unsubscribe", {}),
        ("Autosvar: Afmeld", {}),
        ("unsubscribe", {"Auto-Submitted": "auto-replied"}),
    ],
)
def test_auto_replies_go_to_the_queue_not_to_an_opt_out(subject, headers):
    raw = customer_mail(to=UNSUBSCRIBE, subject=subject, body="I am away.", headers=headers)
    request = classify(raw)
    assert request.outcome is QUEUE
    assert request.reason is QueueReason.AUTO_REPLY


def test_mail_without_a_sender_goes_to_the_queue():
    raw = b"To: unsubscribe@qualityssl.example\r\nSubject: unsubscribe\r\n\r\n\r\n"
    request = classify(raw)
    assert request.outcome is QUEUE
    assert request.reason is QueueReason.NO_SENDER
    assert request.sender is None


def test_mail_not_addressed_to_our_addresses_goes_to_the_queue():
    request = classify(customer_mail(to="sales@qualityssl.example", subject="unsubscribe"))
    assert request.reason is QueueReason.NOT_ADDRESSED_TO_US


def test_envelope_recipient_counts_when_the_headers_hide_it():
    raw = customer_mail(to="undisclosed-recipients:;", subject="unsubscribe")
    request = classify(raw, envelope_rcpts=[UNSUBSCRIBE])
    assert request.outcome is ALL


def test_mail_from_our_own_address_is_a_loop_and_goes_to_the_queue():
    raw = customer_mail(sender=PRIVACY, to=UNSUBSCRIBE, subject="unsubscribe")
    assert classify(raw).reason is QueueReason.AUTO_REPLY
