"""Django's database sessions, loaded with one prepared query instead of the ORM.

Every request of a signed-in person loads the session row, and the ORM's query building
costs about four times the query itself (bench/pages.py; 230 µs against 45 µs on SQLite).
Saving, expiry and ``clearsessions`` are Django's own (``SESSION_ENGINE`` names this module).

The row is still read on every request (so a session that expired, was signed out or was
changed counts at once); what is remembered, per process, is the check of its signature:
the stored value, signed and compressed, maps to its contents as JSON text, parsed afresh
for each request (no request shares a dict with another). Verifying the signature and
decompressing cost a tenth of a signed-in request's CPU. A value that fails the check is
never remembered; the memo holds at most ``_DECODED_MAX`` values and is emptied when full
or when a secret key or the serializer changes.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.signals import setting_changed
from django.core.signing import JSONSerializer
from django.db import connections, router
from django.dispatch import receiver
from django.utils import timezone

_DECODED_MAX = 512
_decoded: dict[bytes | str, str] = {}  # stored session_data -> its verified contents as JSON text


@receiver(setting_changed)
def _forget(*, setting: str, **_: Any) -> None:
    if setting in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "SESSION_SERIALIZER"):
        _decoded.clear()


_SQL: dict[tuple[str, str], str] = {}  # (database alias, vendor) -> the SELECT


class SessionStore(DatabaseSessionStore):
    def load(self) -> dict[str, Any]:
        if not self.session_key:  # no cookie, or one Django's key check refused
            return {}
        using = router.db_for_read(self.model)
        connection = connections[using]
        sql = _SQL.get((using, connection.vendor))
        if sql is None:
            quote = connection.ops.quote_name
            table = quote(self.model._meta.db_table)
            column, key, expiry = quote("session_data"), quote("session_key"), quote("expire_date")
            sql = _SQL[using, connection.vendor] = (
                f"SELECT {column} FROM {table} WHERE {key} = %s AND {expiry} > %s"  # noqa: S608
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(row[0])
        return data

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        if self.serializer is not JSONSerializer:
            return super().decode(session_data)
        text = _decoded.get(session_data)
        if text is not None:
            found: dict[str, Any] = json.loads(text)
            return found
        data: dict[str, Any] = super().decode(session_data)
        if data:  # an empty or refused session is decoded (and logged) every time
            if len(_decoded) >= _DECODED_MAX:
                _decoded.clear()
            _decoded[session_data] = json.dumps(data)
        return data
