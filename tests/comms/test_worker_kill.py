"""A worker killed mid-campaign (SIGKILL) and restarted skips no message, and sends one twice
only when the kill lands in the one window where that cannot be avoided (BE-8;
docs/mail.md, "Delivery guarantee"):

- killed at the ``MAIL FROM`` of a message (after the previous one was marked sent and this
  one claimed, before its SMTP transaction): nothing twice;
- killed after the server accepted a message's DATA and before the worker committed ``sent``
  (the at-least-once window): that message is sent again, with the same Message-ID.

The test measures the duplicates of both kinds of kill and records them (``duplicates``,
``deliveries`` in the test report's properties).

Timing: each kill is a SIGKILL sent by the SMTP server itself at a counted command, so the
point of death is exact. Before the next worker starts, the killed worker's lease (1 s) must
have run out, so the next worker takes the killed row first (rows go in id order); starting
sooner it could send other rows first and the next kill could land on that row again."""

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
from tests.campaigns import create_campaign, queue_campaign
from tests.comms.conftest import Received, SmtpSink, said_yes_to_opt_out_mail, start_sink
from tests.comms.workers import start_worker

# Each worker is killed at the next of these commands (counted over the whole run, re-sends
# included): the 4th MAIL FROM, the 8th accepted DATA (inside the window), the 13th MAIL FROM.
KILL_AT = (("MAIL", 4), ("DATA", 8), ("MAIL", 13))
RECIPIENTS = 16


class KillingRecorder:
    """Records messages; kills the running worker at the commands of KILL_AT, in turn."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        self.seen = Counter[str]()
        self.kills = list(KILL_AT)
        self.worker_pid: int | None = None
        self.killed = threading.Event()

    def _kill_at(self, command: str) -> bool:
        self.seen[command] += 1
        if not self.kills or self.kills[0] != (command, self.seen[command]):
            return False
        self.kills.pop(0)
        assert self.worker_pid is not None
        os.kill(self.worker_pid, signal.SIGKILL)
        self.worker_pid = None
        self.killed.set()
        return True

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self._kill_at("MAIL"):
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
        self._kill_at("DATA")  # accepted: killed now, the worker never reads our 250
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
def test_killed_workers_skip_nothing_and_repeat_only_inside_the_window(
    published: Any, settings: Any, record_property: Any
) -> None:
    for n in range(RECIPIENTS):
        said_yes_to_opt_out_mail(User.objects.create_user(f"k{n:02d}@example.com", None))
    actor = Actor(ActorKind.STAFF, "mia@staff.example")
    campaign = create_campaign(kind="newsletter", subject="Kill test", text="x", actor=actor)
    queue_campaign(campaign_id=campaign.pk, actor=actor)

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
    assert recorder.kills == []  # every planned kill happened

    counts = Counter(r.rcpt_tos[0] for r in sink.received)
    duplicates = sum(n - 1 for n in counts.values())
    record_property("deliveries", len(sink.received))
    record_property("duplicates", duplicates)
    assert len(counts) == RECIPIENTS  # nothing skipped
    assert duplicates == 1, counts  # the DATA kill only: the MAIL FROM kills repeat nothing
    [twice] = [rcpt for rcpt, n in counts.items() if n == 2]
    copies = {r.message["Message-ID"] for r in sink.received if r.rcpt_tos[0] == twice}
    assert len(copies) == 1  # the copy carries the same Message-ID
    rows = OutboxMessage.objects.filter(campaign=campaign)
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    attempts = dict(rows.values_list("recipient", "attempts"))
    assert list(attempts.values()).count(2) == len(KILL_AT), attempts  # claimed, then killed
    ids = [r.message["Message-ID"] for r in sink.received]
    assert len(set(ids)) == RECIPIENTS
