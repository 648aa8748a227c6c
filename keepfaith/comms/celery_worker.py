"""Entry point for ``celery -A keepfaith.comms.celery_worker worker``: Django, then the app."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keepfaith.settings")
django.setup()

from keepfaith.comms.tasks import configured_app  # noqa: E402

app = configured_app()
