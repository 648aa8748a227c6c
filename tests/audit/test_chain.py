"""The audit log is tamper-evident: edits, deletions and insertions are found by verify."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from keepfaith.audit import chain
from keepfaith.audit.models import AuditEntry
from keepfaith.audit.selectors import chain_verify
from keepfaith.audit.services import Actor, audit_append
from keepfaith.audit.triggers import create_append_only, drop_append_only

pytestmark = [pytest.mark.clause("QS-3")]
TABLE = "audit_auditentry"


def _fill(n: int = 5) -> list[AuditEntry]:
    return [
        audit_append(
            actor=Actor.system("test"),
            action="read",
            outcome="read",
            subject=f"KF-{i}",
            categories=["user.contact.email"],
            use="support",
        )
        for i in range(n)
    ]


def _verify_command() -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), err.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def no_triggers(db):
    drop_append_only(connection, TABLE)
    yield
    create_append_only(connection, TABLE)


def test_intact_chain_verifies(db):
    _fill()
    code, output = _verify_command()
    assert code == 0
    assert "intact: 5 entries" in output


def test_update_and_delete_are_refused_by_the_database(db):
    _fill(2)
    for sql in (f"UPDATE {TABLE} SET outcome = 'x'", f"DELETE FROM {TABLE}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(sql)
    assert AuditEntry.objects.count() == 2


@pytest.mark.feature("security.audit.hash_chain")
def test_verify_names_an_edited_entry(db, no_triggers):
    _fill()
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET subject = 'KF-someone-else' WHERE seq = 3")
    code, message = _verify_command()
    assert code == 1
    assert "BROKEN at entry 3" in message
    assert "edited" in message


def test_verify_names_a_deleted_entry(db, no_triggers):
    _fill()
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE seq = 2")
    code, message = _verify_command()
    assert code == 1
    assert "BROKEN at entry 2" in message
    assert "deleted: entry 2 is missing" in message


def test_verify_finds_deleted_last_entries(db, no_triggers):
    _fill()
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE seq >= 4")
    code, message = _verify_command()
    assert code == 1
    assert "truncated" in message


def _forge(seq: int, prev_hash: str, seal: str, key_id: str) -> None:
    payload = {
        "seq": seq,
        "at": "2026-01-01T00:00:00.000000+00:00",
        "actor_kind": "system",
        "actor": "forger",
        "action": "read",
        "subject": "KF-x",
        "categories": [],
        "use": "",
        "clauses": [],
        "outcome": "read",
        "detail": {},
    }
    digest = chain.entry_hash(prev_hash, payload)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {TABLE} (seq, prev_hash, entry_hash, seal, key_id, at, actor_kind, actor,"
            " action, subject, categories, use, clauses, outcome, detail) VALUES "
            "(%s, %s, %s, %s, %s, %s, 'system', 'forger', 'read', 'KF-x', '[]', '', '[]', 'read',"
            " '{}')",
            [seq, prev_hash, digest, seal, key_id, "2026-01-01 00:00:00+00:00"],
        )


def test_verify_finds_an_entry_inserted_with_a_correct_plain_hash(db):
    """A forger who knows the algorithm but not the sealing key is still caught."""
    last = _fill()[-1]
    _forge(last.seq + 1, last.entry_hash, seal="f" * 64, key_id=last.key_id)
    code, message = _verify_command()
    assert code == 1
    assert f"BROKEN at entry {last.seq + 1}" in message
    assert "inserted" in message


def test_verify_finds_an_entry_inserted_in_the_middle(db, no_triggers):
    entries = _fill()
    with connection.cursor() as cur:  # make room, as an attacker would have to
        cur.execute(f"UPDATE {TABLE} SET seq = seq + 100 WHERE seq >= 3")
    _forge(3, entries[1].entry_hash, seal="0" * 64, key_id=entries[0].key_id)
    code, message = _verify_command()
    assert code == 1
    assert "BROKEN at entry 3" in message


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_never_fork_the_chain():
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                audit_append(
                    actor=Actor.system(f"w{n}"), action="append", outcome="ok", detail={"i": i}
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, 91))
    assert chain_verify().intact is True


def test_canonical_encoding_is_stable():
    assert chain.canonical({"b": 1, "a": "ø"}) == '{"a":"ø","b":1}'.encode()


@pytest.mark.parametrize("number", [1e16, -2.5e20, float("inf"), float("nan")])
def test_a_float_no_database_keeps_exactly_is_refused_before_it_is_hashed(db, number):
    """PostgreSQL's JSON column gives 1e16 back as 10000000000000000 (an int): hashed one way
    and read back another, an intact entry would look edited. Such a number is refused, and
    nothing is appended."""
    with pytest.raises(ValueError, match=r"payload\.detail\.figures\[1\]"):
        audit_append(
            actor=Actor.system("test"),
            action="read",
            outcome="read",
            subject="KF-1",
            detail={"figures": [1, number]},
        )
    assert AuditEntry.objects.count() == 0


def test_ordinary_floats_are_kept_and_verify_on_this_database(db):
    """The floats a product writes (amounts, ratios, small and negative numbers) read back as
    the same JSON, so the chain verifies on SQLite and on PostgreSQL alike."""
    for value in (61.25, 0.1, 1.0, -3.5, 1e-07, 9999999999999998.0):
        audit_append(
            actor=Actor.system("test"),
            action="read",
            outcome="read",
            subject="KF-1",
            detail={"value": value},
        )
    verdict = chain_verify(AuditEntry)
    assert verdict.intact, verdict.summary("audit log")
