"""Rate limits of the public SSL server test: per visitor, for everyone, and at once.

The visitor is counted under a keyed hash of their address and the current hour, held only
in the cache (``CACHES``; per process by default) until the hour ends: no address is stored,
and nothing joins a count to a report. Limits: ``KEEPFAITH_SSLTEST_PER_VISITOR`` scans per
visitor per hour, ``KEEPFAITH_SSLTEST_PER_MINUTE`` scans per minute in all, and
``KEEPFAITH_SSLTEST_CONCURRENT`` scans at the same time in one process.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from keepfaith.policy.trace import enforces

_running = threading.Lock()
_active = 0


class RateLimited(Exception):
    """Too many scans; the message says when to try again."""


def _clock() -> float:
    """Seconds since the epoch (the windows' clock; tests set it)."""
    return time.time()


def _visitor_key(visitor: str, hour: int) -> str:
    secret = str(settings.SECRET_KEY).encode()
    digest = hmac.new(secret, f"ssltest|{hour}|{visitor}".encode(), hashlib.sha256)
    return "ssltest:v:" + digest.hexdigest()[:32]


def _count(key: str, limit: int, ttl: int) -> bool:
    """Count one more under ``key``; False when that passes ``limit``."""
    cache.add(key, 0, ttl)
    try:
        value = cache.incr(key)
    except ValueError:
        cache.set(key, 1, ttl)
        value = 1
    return value <= limit


@enforces("SITE-4")
@contextmanager
def scan_permit(*, visitor: str) -> Iterator[None]:
    """Hold a permit for one scan by ``visitor`` (e.g. their address), or raise RateLimited."""
    global _active
    now = int(_clock())
    if not _count(_visitor_key(visitor, now // 3600), settings.SSLTEST_PER_VISITOR, 3600):
        raise RateLimited(_("You have run many tests this hour; try again later."))
    if not _count(f"ssltest:g:{now // 60}", settings.SSLTEST_PER_MINUTE, 60):
        raise RateLimited(_("Many tests are running; try again in a minute."))
    with _running:
        if _active >= settings.SSLTEST_CONCURRENT:
            raise RateLimited(_("Many tests are running; try again in a minute."))
        _active += 1
    try:
        yield
    finally:
        with _running:
            _active -= 1
