"""Fixtures for mail: the example policy published, customers, a real SMTP server on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from keepfaith.accounts.models import User
from keepfaith.comms.listener import BoundController
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.services import policy_publish_file
from tests.consent.helpers import BE_PATH

UNSUBSCRIBE_ADDRESS = "unsubscribe@qualityssl.example"
PRIVACY_ADDRESS = "privacy@qualityssl.example"


@pytest.fixture
def published(db: Any) -> PolicyVersion:
    return policy_publish_file(path=BE_PATH)[0]


@pytest.fixture(autouse=True)
def _mail_settings(settings: Any) -> None:
    settings.MAIL_UNSUBSCRIBE_ADDRESS = UNSUBSCRIBE_ADDRESS
    settings.MAIL_PRIVACY_ADDRESS = PRIVACY_ADDRESS
    settings.PUBLIC_URL = "https://shop.example"
    settings.DEFAULT_FROM_EMAIL = "QualitySSL <news@qualityssl.example>"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SmtpSink:
    """A real SMTP server on loopback that keeps every message it accepted."""

    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.rcpt_tos]


class _Recorder:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.sink.lock:
            self.sink.received.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)
                )
            )
        return "250 2.0.0 OK"


def start_sink(handler_factory: Any = _Recorder) -> tuple[SmtpSink, BoundController]:
    """A sink on a port the kernel picks (bound before it is announced: no port race between
    the test workers)."""
    sink = SmtpSink("127.0.0.1", 0)
    controller = BoundController(
        handler_factory(sink), hostname=sink.host, port=0, decode_data=False
    )
    sink.port = controller.port
    controller.start()
    return sink, controller


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SmtpSink]:
    """Django's SMTP backend (with our DKIM hook) pointed at a recording server on loopback."""
    sink, controller = start_sink()
    settings.EMAIL_BACKEND = "keepfaith.comms.backends.SigningSMTPBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield sink
    finally:
        controller.stop()


def make_customer(
    email: str, name: str = "", *, service: bool = True, said_yes: bool = True
) -> User:
    """A customer; with ``service`` they also have a certificate running for a year. With
    ``said_yes`` they ticked every opt-out mail choice at sign-up, as
    a Danish form asks it: with an empty box, so a customer never asked gets none of them."""
    user = User.objects.create_user(email, "correct horse battery staple", full_name=name)
    if service:
        give_service(user)
    if said_yes:
        said_yes_to_opt_out_mail(user)
    return user


def said_yes_to_opt_out_mail(user: User) -> None:
    """Record ``user``'s yes to every opt-out use of the policy in force."""
    from keepfaith.consent.services import consent_record_many
    from keepfaith.inforce import in_force

    now = in_force()
    keys = [use.key for use in now.policy.uses if use.choice == "opt-out"]
    if keys:
        consent_record_many(
            subject=user.subject_ref,
            changes=dict.fromkeys(keys, "opted-in"),
            source="signup",
            policy=now.policy,
            policy_version=now.version,
        )


def give_service(user: User) -> None:
    """An order with a line whose term runs until a year from today (an active service)."""
    from datetime import timedelta

    from django.utils import timezone

    from keepfaith.store.models import Order, OrderLine, Renewal

    order = Order.objects.create(
        customer=user,
        status="active",
        currency="DKK",
        subtotal_minor=0,
        vat_rate=25,
        vat_minor=0,
        total_minor=0,
        checkout_token=f"test-{user.pk}",
    )
    line = OrderLine.objects.create(
        order=order,
        product_id="qualityssl",
        description="QualitySSL, 12 months",
        term_months=12,
        quantity=1,
        unit_minor=0,
        total_minor=0,
    )
    Renewal.objects.create(
        line=line,
        due=timezone.localdate() + timedelta(days=365),
        product_id="qualityssl",
        price_minor=0,
        term_months=12,
    )
