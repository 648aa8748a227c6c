"""A worker killed mid-campaign (SIGKILL) and restarted sends no message twice and skips
none (BE-8): the kill lands after a message was marked sent and the next one claimed,
before its SMTP transaction began."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from typing import Any

import pytest

from keepfaith.accounts.models import User
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.comms.delivery import pending_count
from keepfaith.comms.models import OutboxMessage
from keepfaith.comms.services import campaign_create, campaign_queue
from tests.comms.conftest import Received, SmtpSink, start_sink
from tests.comms.workers import start_worker

KILL_AT = (4, 11)  # the MAIL FROM of these messages (1-based) kills the worker
RECIPIENTS = 16


class KillingRecorder:
    """Records messages; at the MAIL FROM of message KILL_AT[i] kills the i-th worker."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        self.mails = 0
        self.worker_pid: int | None = None
        self.killed = threading.Event()

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mails += 1
        if self.mails in KILL_AT and self.worker_pid is not None:
            os.kill(self.worker_pid, signal.SIGKILL)
            self.worker_pid = None
            self.killed.set()
            return "421 4.3.0 going away"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.sink.lock:
            self.sink.received.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)
                )
            )
        return "250 2.0.0 OK"


def wait_for_lease_expiry() -> None:
    """Wait until the killed worker's lease has run out. A next worker that started sooner
    would send other rows first and could take the expired row up only as the message the
    next kill lands on: one row then killed twice (three attempts), none with two."""
    deadline = time.monotonic() + 30
    while pending_count()[1]:  # rows held by a lease (no row here is queued for later)
        assert time.monotonic() < deadline, "a lease outlived its 1 s"
        time.sleep(0.05)


@pytest.mark.clause("BE-8")
@pytest.mark.django_db(transaction=True)
def test_killed_worker_sends_each_message_exactly_once(published: Any, settings: Any) -> None:
    for n in range(RECIPIENTS):
        User.objects.create_user(f"k{n:02d}@example.com", None)
    actor = Actor(ActorKind.STAFF, "mia@staff.example")
    campaign = campaign_create(kind="newsletter", subject="Kill test", text="x", actor=actor)
    campaign_queue(campaign_id=campaign.pk, actor=actor)

    sink, controller = start_sink(KillingRecorder)
    recorder = controller.handler
    settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
    env = {"KEEPFAITH_MAIL_LEASE_SECONDS": "1"}
    try:
        for _ in KILL_AT:
            recorder.killed.clear()
            worker = start_worker(settings, "--poll", "0.2", **env)
            recorder.worker_pid = worker.pid
            assert recorder.killed.wait(120), worker.communicate(timeout=5)
            assert worker.wait(30) == -signal.SIGKILL
            wait_for_lease_expiry()
        worker = start_worker(settings, "--burst", "--poll", "0.2", **env)
        _out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err.decode()
    finally:
        controller.stop()
    counts = Counter(r.rcpt_tos[0] for r in sink.received)
    assert len(counts) == RECIPIENTS
    assert set(counts.values()) == {1}, counts
    rows = OutboxMessage.objects.filter(campaign=campaign)
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    attempts = dict(rows.values_list("recipient", "attempts"))
    assert list(attempts.values()).count(2) == len(KILL_AT), attempts  # claimed, then killed
    ids = [r.message["Message-ID"] for r in sink.received]
    assert len(set(ids)) == RECIPIENTS
