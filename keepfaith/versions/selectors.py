"""Reads of policy versions: the published ones and the version in force.

Inside a request (``keepfaith.inforce.InForceMiddleware``) or a command's
``in_force_scope()`` the version in force is looked up once and remembered until the block
ends; a publish inside it switches that memo off for the rest of it. Outside, every call asks
the database. The parsed and compiled policy of a version is the composition root's business
(``keepfaith.inforce``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from keepfaith.versions.models import PolicyVersion


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

    Read on every page, so the policy text and diff stay deferred: ``keepfaith.inforce``
    parses the text once per process and loads it only then.
    """
    memo = _memo.get()
    if memo is None or not memo.open:
        return _latest_version()
    if not memo.looked_up:
        memo.version, memo.looked_up = _latest_version(), True
    return memo.version


_LATEST_SQL: str | None = None
_seen: dict[tuple[int, str], PolicyVersion] = {}
_seen_lock = threading.Lock()
_SEEN_MAX = 8


def _latest_version() -> PolicyVersion | None:
    """The latest published version. Every page asks, so the question is one small indexed
    query (its id and entry hash); a version already seen is served from a small per-process
    map (versions are append-only rows: the id and hash name their content), and only a new
    one goes through the ORM."""
    global _LATEST_SQL
    if _LATEST_SQL is None:
        quote = connection.ops.quote_name
        table = quote(PolicyVersion._meta.db_table)
        order = quote("seq")  # identifiers from the model, no input: S608 does not apply
        _LATEST_SQL = f"SELECT id, entry_hash FROM {table} ORDER BY {order} DESC LIMIT 1"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(_LATEST_SQL)
        row = cursor.fetchone()
    if row is None:
        return None
    key = (int(row[0]), str(row[1]))
    found = _seen.get(key)
    if found is None:
        found = PolicyVersion.objects.defer("source", "changes").filter(pk=key[0]).first()
        if found is None:  # deleted in between (tests): nothing to remember
            return None
        with _seen_lock:
            if len(_seen) >= _SEEN_MAX:
                _seen.clear()
            _seen[key] = found
    return found
