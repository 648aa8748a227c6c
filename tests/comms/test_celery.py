"""The same delivery task on Celery with the real Redis on 127.0.0.1:6379 (BE-8)."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest

from keepfaith.accounts.models import User
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.comms.models import OutboxMessage
from tests.campaigns import create_campaign, queue_campaign
from tests.comms.conftest import SmtpSink, said_yes_to_opt_out_mail
from tests.comms.workers import ROOT, worker_env

BROKER = "redis://127.0.0.1:6379/11"


def redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.clause("BE-8")
@pytest.mark.django_db(transaction=True)
def test_campaign_delivered_by_a_celery_worker(
    published: Any, smtp_sink: SmtpSink, settings: Any
) -> None:
    if not redis_answers():
        pytest.skip(f"no Redis answers at {BROKER}: the Celery path needs a broker")
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    settings.TASK_BACKEND, settings.CELERY_BROKER = "celery", BROKER
    for n in range(3):
        said_yes_to_opt_out_mail(User.objects.create_user(f"cel{n}@example.com", None))
    env = worker_env(settings, KEEPFAITH_TASK_BACKEND="celery", KEEPFAITH_CELERY_BROKER=BROKER)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "keepfaith.comms.celery_worker",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        actor = Actor(ActorKind.STAFF, "mia@staff.example")
        campaign = create_campaign(kind="newsletter", subject="Via Celery", text="x", actor=actor)
        queue_campaign(campaign_id=campaign.pk, actor=actor)  # on commit: a task to Redis
        deadline = time.monotonic() + 90
        while len(smtp_sink.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.terminate()
        _, err = worker.communicate(timeout=30)
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == [
        "cel0@example.com",
        "cel1@example.com",
        "cel2@example.com",
    ], err.decode()[-2000:]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
