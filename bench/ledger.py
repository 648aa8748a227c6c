"""Ledger benchmark: appending consent events and verifying the consent chain.

Append. Our side: ``keepfaith.consent.services.consent_record`` (the real service: checks,
the chain head locked, hash and HMAC seal, the event row, the current-choices row), one
transaction per event as a form submission makes; on PostgreSQL four round trips (BEGIN, the
head SELECT ... FOR UPDATE, one statement inserting the event, moving the head and upserting
the current choice, COMMIT), on SQLite separate statements in one IMMEDIATE transaction.
Reference: a plain INSERT of the same event row (its hashes computed beforehand) and of its
current-choices row into unindexed tables, one transaction per event, on the same connection:
the floor of storing the same rows with the same durability.

Verify. Our side: ``keepfaith.audit.selectors.chain_verify`` on the ledger (reads every row as
a tuple, in chunks, encodes its payload, recomputes each hash and checks each seal).
Reference: ``hashlib.sha256`` over the same bytes (previous hash and canonical payload of each
entry, already in memory: no reading, no seal).

Both sides alternate, median of 7 runs each, on SQLite (a file in a temporary folder) and on
PostgreSQL (a temporary database on 127.0.0.1:5432, dropped after; skipped when none answers).
Targets (BENCHMARKS.md): append >= 0.7x the plain INSERT, verify >= 0.5x hashlib.
Figures and where the time goes: docs/consent.md, "Speed".

    python bench/ledger.py [--events N]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as ``python bench/<name>.py``
    sys.path.insert(0, str(ROOT))

from bench.engines import run_child, temporary_postgres  # noqa: E402

PG_DB = "kf_bench_ledger"
RUNS = 7
KEYS = (
    "marketing.communications.email",
    "marketing.communications.email.newsletter",
    "marketing.communications.email.partner_promotions",
)
EVENTS = ("opted-out", "opted-in", "given", "withdrawn")


def _plan(n: int, run: int) -> list[tuple[str, str, str]]:
    """(subject, key, event) for one run: deterministic, spread over 200 subjects."""
    rows = []
    for i in range(n):
        key = KEYS[i % len(KEYS)]
        event = "given" if key.endswith("partner_promotions") and i % 2 else EVENTS[i % 2]
        rows.append((f"KF-R{run:02d}-{i % 200:05d}", key, event))
    return rows


def _ours(plan: list[tuple[str, str, str]], policy: object, version: object) -> None:
    from keepfaith.consent.services import consent_record

    for subject, key, event in plan:
        consent_record(
            subject=subject,
            key=key,
            event=event,
            source="portal",
            policy=policy,  # type: ignore[arg-type]
            policy_version=version,  # type: ignore[arg-type]
            evidence={"form": "bench"},
        )


def _reference_rows(plan: list[tuple[str, str, str]], start_seq: int) -> list[tuple[Any, ...]]:
    """The same rows as the service writes, with hashes and seals computed beforehand."""
    from django.utils import timezone

    from keepfaith.audit import chain
    from keepfaith.audit.services import sealing_key

    key = sealing_key()
    kid = chain.key_id(key)
    rows, prev = [], "f" * 64
    for offset, (subject, use, event) in enumerate(plan):
        at = timezone.now()
        payload = {
            "seq": start_seq + offset,
            "at": at,
            "subject": subject,
            "key": use,
            "event": event,
            "source": "portal",
            "policy_version_id": None,
            "evidence": {"form": "bench"},
            "actor_kind": "customer",
            "actor": subject,
        }
        digest = chain.entry_hash(prev, payload)
        seal = chain.seal(key, digest)
        evidence = '{"form": "bench"}'
        row = (start_seq + offset, prev, digest, seal, kid, at, subject, use, event)
        rows.append((*row, "portal", evidence, "customer", subject))
        prev = digest
    return rows


def _reference(rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection, transaction

    event_sql = (
        "INSERT INTO bench_plain_event (seq, prev_hash, entry_hash, seal, key_id, at, subject, "
        "key, event, source, evidence, actor_kind, actor) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    choice_sql = "INSERT INTO bench_plain_choice (subject, key, status, at) VALUES (%s, %s, %s, %s)"
    for row in rows:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(event_sql, row)
            cur.execute(choice_sql, (row[6], row[7], row[8], row[5]))


def _plain_tables() -> None:
    from django.db import connection

    text = "text" if connection.vendor == "postgresql" else "TEXT"
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TABLE bench_plain_event (seq bigint, prev_hash {text}, entry_hash {text}, "
            f"seal {text}, key_id {text}, at timestamp, subject {text}, key {text}, event {text}, "
            f"source {text}, evidence {text}, actor_kind {text}, actor {text})"
        )
        cur.execute(
            f"CREATE TABLE bench_plain_choice (subject {text}, key {text}, status {text}, "
            "at timestamp)"
        )


def _append(n: int) -> tuple[float, float]:
    from keepfaith.inforce import in_force

    now = in_force()
    _plain_tables()
    ours: list[float] = []
    ref: list[float] = []
    for run in range(RUNS):
        plan = _plan(n, run)
        rows = _reference_rows(_plan(n, run + 100), run * n + 1)
        start = time.perf_counter()
        _ours(plan, now.policy, now.version)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        _reference(rows)
        ref.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(ref)


def _verify() -> tuple[float, float, int]:
    from keepfaith.audit import chain
    from keepfaith.audit.selectors import chain_verify
    from keepfaith.consent.models import ConsentEvent

    records = list(ConsentEvent.objects.order_by("seq"))
    data = [(r.prev_hash.encode("ascii"), chain.canonical(r.chain_payload())) for r in records]

    def reference() -> str:
        last = ""
        for prev, payload in data:
            digest = hashlib.sha256()
            digest.update(prev)
            digest.update(b"\n")
            digest.update(payload)
            last = digest.hexdigest()
        return last

    verdict = chain_verify(ConsentEvent)
    assert verdict.intact, verdict.summary("consent ledger")
    assert reference() == verdict.head_hash, "the reference must hash the same bytes"
    ours: list[float] = []
    ref: list[float] = []
    for _ in range(RUNS):
        start = time.perf_counter()
        chain_verify(ConsentEvent)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        reference()
        ref.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(ref), len(records)


def child(engine: str, n: int) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    from keepfaith.versions.services import policy_publish_file

    call_command("migrate", verbosity=0)
    policy_publish_file(path=ROOT / "examples" / "qualityssl" / "policy.yaml")
    ours, ref = _append(n)
    print(
        f"{engine:<10} {'append':<8} {n:>7,} events {ours * 1e6 / n:>9.0f} us "
        f"{ref * 1e6 / n:>9.0f} us  {ref / ours:>5.2f}x  (target >= 0.70x)"
    )
    ours, ref, size = _verify()
    print(
        f"{engine:<10} {'verify':<8} {size:>7,} events {ours * 1e6 / size:>9.1f} us "
        f"{ref * 1e6 / size:>9.1f} us  {ref / ours:>5.2f}x  (target >= 0.50x)"
    )


def _run_child(engine: str, n: int, database_url: str, var_dir: str) -> None:
    run_child(
        __file__,
        ["--child", engine, "--events", str(n)],
        database_url=database_url,
        var_dir=var_dir,
        KEEPFAITH_DEBUG="false",  # as in production: no query log on either side
    )


def _postgres(n: int, var_dir: str) -> None:
    with temporary_postgres(PG_DB) as url:
        if url is not None:
            _run_child("postgresql", n, url, var_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=400, help="events per run and side")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child, options.events)
        return
    print(f"# {RUNS} alternating runs per side, {options.events} events a run; medians")
    print(f"{'engine':<10} {'what':<8} {'size':>14} {'ours':>12} {'reference':>12}  ratio")
    with tempfile.TemporaryDirectory() as var_dir:
        _run_child("sqlite", options.events, f"sqlite:///{var_dir}/ledger.sqlite3", var_dir)
        _postgres(options.events, var_dir)


if __name__ == "__main__":
    main()
