"""Helpers to run the mail worker (database queue or Celery) in a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, as a URL another process can open."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    user, host, port = s["USER"] or "postgres", s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


def worker_env(settings: Any, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        KEEPFAITH_EMAIL_HOST=settings.EMAIL_HOST,
        KEEPFAITH_EMAIL_PORT=str(settings.EMAIL_PORT),
        KEEPFAITH_EMAIL_FROM=settings.DEFAULT_FROM_EMAIL,
        KEEPFAITH_MAIL_UNSUBSCRIBE_ADDRESS=settings.MAIL_UNSUBSCRIBE_ADDRESS,
        KEEPFAITH_MAIL_PRIVACY_ADDRESS=settings.MAIL_PRIVACY_ADDRESS,
        KEEPFAITH_PUBLIC_URL=settings.PUBLIC_URL,
        KEEPFAITH_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def start_worker(settings: Any, *args: str, **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "keepfaith", "mail", "worker", *args],
        cwd=ROOT,
        env=worker_env(settings, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
