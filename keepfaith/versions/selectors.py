"""Reads of policy versions and the policy in force.

Inside a request (``PolicyInForceMiddleware``) the version in force is looked up once and
remembered until the response is returned; a publish in the request switches that memo off for
the rest of it. Outside a request every call asks the database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from keepfaith.policy import Policy, load_policy, load_policy_text
from keepfaith.versions.models import PolicyVersion

_lock = threading.Lock()
_by_hash: dict[str, Policy] = {}
_file_cache: dict[tuple[str, int], Policy] = {}


@dataclass(slots=True)
class _ActiveVersionMemo:
    """The version in force as this request first saw it (``looked_up`` tells None apart)."""

    version: PolicyVersion | None = None
    looked_up: bool = False
    open: bool = True


_memo: ContextVar[_ActiveVersionMemo | None] = ContextVar("keepfaith_active_version", default=None)


@contextmanager
def active_version_memo() -> Iterator[None]:
    """Look the version in force up at most once inside the block (one request).

    The memo is closed on the way out, so a thread or task that copied the context during the
    request cannot read it later.
    """
    memo = _ActiveVersionMemo()
    token = _memo.set(memo)
    try:
        yield
    finally:
        memo.open = False
        _memo.reset(token)


def active_version_forget() -> None:
    """A version was published: read the version in force afresh for the rest of this request.

    The memo stays off (not just emptied), so a publish rolled back later in the request can
    never leave a version that was not committed behind.
    """
    memo = _memo.get()
    if memo is not None:
        memo.open = False


def policy_versions() -> QuerySet[PolicyVersion]:
    """Every published version, newest first."""
    return PolicyVersion.objects.order_by("-seq")


def active_version() -> PolicyVersion | None:
    """The version in force: the latest published one (once per request, see above).

    Read on every page, so the policy text and diff stay deferred: ``policy_of`` parses the
    text once per process and loads it only then.
    """
    memo = _memo.get()
    if memo is None or not memo.open:
        return _latest_version()
    if not memo.looked_up:
        memo.version, memo.looked_up = _latest_version(), True
    return memo.version


def _latest_version() -> PolicyVersion | None:
    return PolicyVersion.objects.defer("source", "changes").order_by("-seq").first()


def policy_of(version: PolicyVersion) -> Policy:
    """The validated policy of a stored version (parsed once per process)."""
    with _lock:
        cached = _by_hash.get(version.content_hash)
    if cached is None:
        cached = load_policy_text(version.source, file=f"version {version.label}")
        with _lock:
            _by_hash[version.content_hash] = cached
    return cached


def configured_policy() -> Policy:
    """The policy file named by KEEPFAITH_POLICY (re-read when the file changes)."""
    path = Path(settings.POLICY_PATH)
    key = (str(path), path.stat().st_mtime_ns)
    with _lock:
        cached = _file_cache.get(key)
    if cached is None:
        cached = load_policy(path)
        with _lock:
            _file_cache.clear()
            _file_cache[key] = cached
    return cached


def active_policy() -> tuple[Policy, PolicyVersion | None]:
    """The policy in force and its stored version (None before anything is published)."""
    version = active_version()
    if version is None:
        return configured_policy(), None
    return policy_of(version), version
