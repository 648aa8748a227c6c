"""Background tasks for mail: one function, run by the database worker or by Celery.

``KEEPFAITH_TASK_BACKEND=database`` (default): ``keepfaith mail worker`` polls the outbox.
``KEEPFAITH_TASK_BACKEND=celery``: queueing mail sends ``deliver_outbox`` to the broker
(``KEEPFAITH_CELERY_BROKER``, Redis by default), and a Celery worker runs it::

    celery -A keepfaith.comms.celery_worker worker --pool=solo

The task is the same ``deliver_pending`` the database worker runs, so the outbox rows carry
the same guarantee either way; a beat schedule re-runs it every minute for retries.
"""

from __future__ import annotations

from celery import Celery
from django.conf import settings

celery_app = Celery("keepfaith", set_as_current=False)


@celery_app.task(name="keepfaith.comms.deliver_outbox", ignore_result=True)  # type: ignore[untyped-decorator]
def deliver_outbox() -> int:
    """Send every due outbox row; returns how many were handled."""
    from keepfaith.comms.delivery import deliver_pending

    return deliver_pending()


def configured_app() -> Celery:
    """The Celery app with the broker from the settings (read when used, not at import)."""
    celery_app.conf.update(
        broker_url=settings.CELERY_BROKER,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        beat_schedule={"mail-outbox": {"task": "keepfaith.comms.deliver_outbox", "schedule": 60.0}},
    )
    return celery_app
