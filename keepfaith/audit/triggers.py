"""Database triggers that make a chained table append-only (PostgreSQL and SQLite).

Migrations call ``append_only(table)``; the tamper tests drop the triggers to show that
``verify`` still catches what a privileged attacker does without them.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations import RunPython


def _statements(vendor: str, table: str) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        create = [
            "CREATE OR REPLACE FUNCTION keepfaith_reject_change() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION '% on % is refused: the table is append-only', TG_OP, TG_TABLE_NAME; "
            "END; $$ LANGUAGE plpgsql",
            f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION keepfaith_reject_change()",
            f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION keepfaith_reject_change()",
        ]
        drop = [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
        return create, drop
    if vendor == "sqlite":
        create = [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'UPDATE on {table} is refused: the table is append-only'); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'DELETE on {table} is refused: the table is append-only'); END",
        ]
        drop = [
            f"DROP TRIGGER IF EXISTS {table}_no_update",
            f"DROP TRIGGER IF EXISTS {table}_no_delete",
        ]
        return create, drop
    return [], []  # other databases: verify still detects tampering


def create_append_only(connection: BaseDatabaseWrapper, table: str) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, table)[0]:
            cursor.execute(sql)


def drop_append_only(connection: BaseDatabaseWrapper, table: str) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, table)[1]:
            cursor.execute(sql)


def append_only_tables() -> list[str]:
    """The tables of every chained model (each installs its triggers in a migration)."""
    from django.apps import apps

    from keepfaith.audit.models import ChainedRecord

    return [m._meta.db_table for m in apps.get_models() if issubclass(m, ChainedRecord)]


def append_only(table: str) -> RunPython:
    """A migration operation that installs (and on reverse removes) the triggers."""

    def forwards(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        create_append_only(schema_editor.connection, table)

    def backwards(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        drop_append_only(schema_editor.connection, table)

    return RunPython(forwards, backwards)
