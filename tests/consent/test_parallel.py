"""Parallel writers of one customer's choices lose nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from keepfaith.accounts.models import User
from keepfaith.audit.selectors import chain_verify
from keepfaith.consent.models import ConsentEvent, CurrentChoice
from keepfaith.consent.selectors import current_choices
from keepfaith.consent.services import consent_rebuild, consent_record, consent_record_many
from keepfaith.gate.choices import ChoiceStatus
from keepfaith.inforce import in_force
from tests.consent.helpers import NEWSLETTER, PARTNER

KEYS = [
    PARTNER,
    NEWSLETTER,
    "marketing.communications.email",
    "analytics.reporting.campaign_insights",
    "personalize.content",
    "outside_party:certificate-authority",
]
ROUNDS = 8


def _run(workers: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []

    def wrap(work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _table() -> set[tuple[object, ...]]:
    return set(CurrentChoice.objects.values_list("subject", "key", "status", "event_id", "at"))


@pytest.mark.clause("BE-2")
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_of_one_customer_lose_nothing():
    subject = User.objects.create_user("alice@example.com", "pw-alice-123").customer_number or ""

    def writer(key: str) -> Callable[[], None]:
        def work() -> None:
            for i in range(ROUNDS):  # ends on "given" (ROUNDS is even)
                event = "withdrawn" if i % 2 == 0 else "given"
                consent_record(
                    policy=in_force().policy, subject=subject, key=key, event=event, source="portal"
                )

        return work

    def batch() -> None:
        for _ in range(ROUNDS // 2):
            consent_record_many(
                policy=in_force().policy,
                subject=subject,
                changes={"essential.service.security": "opted-out"},
                source="gpc",
            )

    assert _run([writer(key) for key in KEYS] + [batch]) == []
    assert ConsentEvent.objects.count() == len(KEYS) * ROUNDS + ROUNDS // 2
    choices = current_choices(subject=subject)
    assert {key: choices[key].status for key in KEYS} == dict.fromkeys(KEYS, ChoiceStatus.GIVEN)
    assert choices["essential.service.security"].status is ChoiceStatus.OPTED_OUT
    assert chain_verify(ConsentEvent).intact is True
    before = _table()
    consent_rebuild()
    assert _table() == before


@pytest.mark.postgres
@pytest.mark.clause("BE-2")
@pytest.mark.django_db(transaction=True)
def test_racing_writers_on_one_key_leave_the_latest_event_in_force():
    """On PostgreSQL (row locks, READ COMMITTED): the table names the last event of the chain."""
    subject = "KF-RACE0-00000"

    def writer(n: int) -> Callable[[], None]:
        def work() -> None:
            for i in range(10):
                event = "given" if (n + i) % 2 else "withdrawn"
                consent_record(
                    policy=in_force().policy,
                    subject=subject,
                    key=PARTNER,
                    event=event,
                    source=f"form:w{n}",
                )

        return work

    assert _run([writer(n) for n in range(6)]) == []
    last = ConsentEvent.objects.order_by("-seq")[0]
    row = CurrentChoice.objects.get(subject=subject, key=PARTNER)
    assert row.event_id == last.pk
    assert list(ConsentEvent.objects.values_list("seq", flat=True)) == list(range(1, 61))
    assert chain_verify(ConsentEvent).intact is True
