"""Audience benchmark: resolve a marketing audience among 1,000,000 customers.

Our side: ``keepfaith.comms.selectors.audience_rows`` (the ORM query shaped by the gate's
audience filter, read as plain rows of customer numbers). Reference: the bare SQL query that
returns the same ids, on the same connection. Both alternate, median of 7 runs each, for an
opt-out kind (newsletter) and an opt-in kind (partner_promotions), on SQLite (a file in a
temporary folder) and on PostgreSQL (a temporary database on 127.0.0.1:5432, dropped after;
skipped with a message if it does not answer). Target: within 1.5x of the bare query.

    python bench/audience.py [--customers N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as ``python bench/<name>.py``
    sys.path.insert(0, str(ROOT))

from bench.engines import run_child, temporary_postgres  # noqa: E402

PG_DB = "kf_bench_audience"
RUNS = 7
USES = {
    "newsletter": "marketing.communications.email.newsletter",
    "partner_promotions": "marketing.communications.email.partner_promotions",
}
BARE = {
    "newsletter": "NOT EXISTS (SELECT 1 FROM consent_currentchoice c WHERE c.subject = "
    "u.customer_number AND c.key = %s AND c.status IN ('opted-out', 'withdrawn'))",
    "partner_promotions": "EXISTS (SELECT 1 FROM consent_currentchoice c WHERE c.subject = "
    "u.customer_number AND c.key = %s AND c.status = 'given')",
}


Row = tuple[int | str | bool, ...]


def _rows(n: int) -> tuple[list[Row], list[Row]]:
    """Customers and their choices, deterministic: about 20% declined the newsletter,
    5% withdrew, 30% opted in to partner offers."""
    rng = random.Random(8058)
    users: list[Row] = []
    choices: list[Row] = []
    for i in range(1, n + 1):
        number = f"KF-{i:010d}"
        users.append((i, "!", f"c{i}@bench.example", "", number, "2024-01-01 00:00:00+00"))
        r = rng.random()
        if r < 0.20:
            choices.append((number, USES["newsletter"], "opted-out"))
        elif r < 0.25:
            choices.append((number, USES["newsletter"], "withdrawn"))
        if rng.random() < 0.30:
            choices.append((number, USES["partner_promotions"], "given"))
    return users, choices


BASE_COLUMNS = (
    "id",
    "password",
    "email",
    "full_name",
    "customer_number",
    "date_joined",
    "is_superuser",
    "is_staff",
    "is_active",
)


def _user_columns() -> tuple[list[str], list[int | str | bool]]:
    """The user columns to fill: ours, then every other NOT NULL one with its empty value
    (so fields added to the user model later do not break the benchmark)."""
    from keepfaith.accounts.models import User

    empty: dict[str, str | bool] = {
        "CharField": "",
        "TextField": "",
        "EmailField": "",
        "BooleanField": False,
    }
    columns: list[str] = list(BASE_COLUMNS)
    filler: list[int | str | bool] = []
    for field in User._meta.concrete_fields:
        if field.column in BASE_COLUMNS or field.null:
            continue
        kind = field.get_internal_type()
        if kind not in empty:
            raise SystemExit(f"bench/audience.py: fill accounts_user.{field.column} ({kind})")
        columns.append(field.column)
        filler.append(empty[kind])
    return columns, filler


def _load(n: int) -> None:
    from django.db import connection

    from keepfaith.consent.models import ConsentEvent
    from keepfaith.consent.services import consent_record
    from keepfaith.inforce import in_force

    consent_record(
        policy=in_force().policy,
        subject="KF-bench",
        key=USES["newsletter"],
        event="opted-out",
        source="bench",
    )
    event_id = ConsentEvent.objects.get().pk
    users, choices = _rows(n)
    columns, filler = _user_columns()
    users = [(*row, False, False, True, *filler) for row in users]
    marks = ", ".join(["%s"] * len(columns))
    user_sql = f"INSERT INTO accounts_user ({', '.join(columns)}) VALUES ({marks})"
    choice_sql = (
        "INSERT INTO consent_currentchoice (subject, key, status, event_id, at) "
        f"VALUES (%s, %s, %s, {event_id}, '2024-01-01 00:00:00+00')"
    )
    if connection.vendor == "postgresql":
        raw = connection.connection
        assert raw is not None
        with raw.cursor() as cur:
            with cur.copy(f"COPY accounts_user ({', '.join(columns)}) FROM STDIN") as copy:
                for row in users:
                    copy.write_row(row)
            with cur.copy(
                "COPY consent_currentchoice (subject, key, status, event_id, at) FROM STDIN"
            ) as copy:
                for row in choices:
                    copy.write_row((*row, event_id, "2024-01-01 00:00:00+00"))
            cur.execute("ANALYZE")
        raw.commit()
        return
    with connection.cursor() as cur:
        cur.executemany(user_sql, users)
        cur.executemany(choice_sql, choices)
        cur.execute("ANALYZE")


def _measure(kind: str) -> tuple[float, float, int]:
    from django.db import connection

    from keepfaith.audit.services import Actor
    from keepfaith.comms.selectors import audience_rows
    from keepfaith.inforce import in_force

    true = "true" if connection.vendor == "postgresql" else "1"
    false = "false" if connection.vendor == "postgresql" else "0"
    bare = (
        f"SELECT u.customer_number FROM accounts_user u WHERE u.is_staff = {false} AND "
        f"u.is_active = {true} AND u.customer_number IS NOT NULL AND {BARE[kind]} ORDER BY u.id"
    )
    gate = in_force().gate(actor=Actor.system("bench"))

    def ours() -> list[str | None]:
        rows = audience_rows(kind=kind, gate=gate, fields=("customer_number",))
        return [row[0] for row in rows]

    def reference() -> list[str | None]:
        with connection.cursor() as cur:
            cur.execute(bare, [USES[kind]])
            return [row[0] for row in cur.fetchall()]

    assert ours() == reference(), "the two queries must return the same ids"
    our_times: list[float] = []
    ref_times: list[float] = []
    for _ in range(RUNS):
        for side, times in ((ours, our_times), (reference, ref_times)):
            start = time.perf_counter()
            result = side()
            times.append(time.perf_counter() - start)
    return statistics.median(our_times), statistics.median(ref_times), len(result)


def child(engine: str, n: int) -> None:
    """Runs in its own process: Django configured for one database."""
    import django
    from django.core.management import call_command

    django.setup()
    from keepfaith.versions.services import policy_publish_file

    call_command("migrate", verbosity=0)
    policy_publish_file(path=ROOT / "examples" / "qualityssl" / "policy.yaml")
    start = time.perf_counter()
    _load(n)
    print(f"# {engine}: loaded {n:,} customers in {time.perf_counter() - start:.1f} s")
    for kind in USES:
        ours, ref, size = _measure(kind)
        print(
            f"{engine:<10} {kind:<19} {size:>9,} {ours * 1000:>9.0f} {ref * 1000:>9.0f} "
            f"{ours / ref:>6.2f}x"
        )


def _run_child(engine: str, n: int, database_url: str, var_dir: str) -> None:
    run_child(
        __file__,
        ["--child", engine, "--customers", str(n)],
        database_url=database_url,
        var_dir=var_dir,
    )


def _postgres(n: int, var_dir: str) -> None:
    with temporary_postgres(PG_DB) as url:
        if url is not None:
            _run_child("postgresql", n, url, var_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--child", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    if args.child:
        child(args.child, args.customers)
        return
    print(
        f"audience of a marketing campaign among {args.customers:,} customers, "
        f"median of {RUNS} alternating runs; target <= 1.50x"
    )
    print(f"{'engine':<10} {'kind':<19} {'audience':>9} {'ours ms':>9} {'bare ms':>9} {'ratio':>7}")
    with tempfile.TemporaryDirectory(prefix="kf-bench-audience-") as tmp:
        _run_child("sqlite", args.customers, f"sqlite:///{tmp}/bench.sqlite3", tmp)
        _postgres(args.customers, tmp)


if __name__ == "__main__":
    main()
