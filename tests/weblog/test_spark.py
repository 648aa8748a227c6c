"""The day aggregation gives identical rows on DuckDB and on Spark (BE-5; issue 19).

PySpark runs in local mode in this process: one session for the whole test run (Java 17,
Debian's ``openjdk-17-jre-headless``, is installed by ``make test``). Every statement of
``keepfaith.weblog.aggregate`` runs on both engines over the same fact parts; then
``keepfaith logs aggregate --engine spark`` rewrites the report tables and they must equal
what DuckDB wrote.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from decimal import Decimal
from io import StringIO
from typing import Any

import duckdb
import pytest
from django.core.management import call_command

from keepfaith.weblog.aggregate import AGGREGATE_SELECTS, AGGREGATE_TABLES, VISIT_PAGES_SELECT
from keepfaith.weblog.ingest import WeblogConfig
from keepfaith.weblog.sample import write_sample_log
from keepfaith.weblog.spark import spark_requests, spark_session, spark_sql
from keepfaith.weblog.store import WeblogPaths, facts_view

from .conftest import NOW, ingest, line

pytestmark = [
    pytest.mark.clause("BE-5"),
    pytest.mark.skipif(
        not shutil.which("java"), reason="no Java runtime (openjdk-17-jre-headless)"
    ),
]
GAP = 30


# Settings that only pay on big data, off for a test's few thousand rows: the same SQL and
# results, less planning and code generation per statement.
SMALL_DATA = {"spark.sql.adaptive.enabled": "false", "spark.sql.codegen.wholeStage": "false"}


@pytest.fixture(scope="session")
def spark() -> Any:
    logging.getLogger("py4j").setLevel(logging.WARNING)  # its goodbyes outlive the log files
    session = spark_session(master="local[1]", partitions=1, conf=SMALL_DATA)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _plain(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows with Spark's DECIMAL(20,0) visitor as an integer, sorted."""
    fixed = [tuple(int(v) if isinstance(v, Decimal) else v for v in row) for row in rows]
    return sorted(fixed, key=repr)


def _store(tmp_path) -> WeblogConfig:
    """Combined and Common logs, host names, IPv6, crawlers, errors: several parts a day."""
    config = WeblogConfig(paths=WeblogPaths(tmp_path / "weblog"), chunk_bytes=48 * 1024)
    start = dt.datetime(2024, 3, 4, tzinfo=dt.UTC)
    combined = write_sample_log(path=tmp_path / "a.log", lines=2500, seed=11, start=start)
    common = write_sample_log(
        path=tmp_path / "b.log", lines=800, seed=12, start=start, layout="common"
    )
    names = tmp_path / "c.log"
    names.write_text(
        "".join(
            line(host=f"dsl-{n % 7}.pool.example.net", when=f"05/Mar/2024:10:{n:02d}:00 +0000",
                 request=f"GET /page-{n % 3}.html HTTP/1.1", status=200 if n % 5 else 404)
            for n in range(60)
        ),
        encoding="utf-8",
    )  # fmt: skip
    report = ingest(config, combined, common, names, spec=None)
    assert report.requests == 3360 and not report.refused
    return config


def _duckdb_rows(config: WeblogConfig, days: list[dt.date]) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(config.paths.analytics), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("CREATE TEMP TABLE scope_days AS SELECT unnest(?::DATE[]) AS day", [days])
        facts_view(con=con, paths=config.paths)
        visits = VISIT_PAGES_SELECT.format(gap=GAP)
        con.execute(f"CREATE TEMP TABLE visit_pages AS {visits}")
        found = {"visit_pages": con.execute("SELECT * FROM visit_pages").fetchall()}
        for at, (table, select) in enumerate(AGGREGATE_SELECTS):
            found[f"{at} {table}"] = con.execute(select).fetchall()
    finally:
        con.close()
    return {name: _plain(rows) for name, rows in found.items()}


def _tables(config: WeblogConfig) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(config.paths.analytics), read_only=True)
    try:
        return {t: _plain(con.execute(f"SELECT * FROM {t}").fetchall()) for t in AGGREGATE_TABLES}
    finally:
        con.close()


def _spark_visit_pages(spark, config: WeblogConfig, days: list[dt.date]) -> list[Any]:
    requests = spark_requests(spark, uris=[config.paths.parquet.as_uri()], base=None)
    requests.createOrReplaceTempView("requests")
    scope = spark.createDataFrame([(day,) for day in days], "day DATE")
    scope.createOrReplaceTempView("scope_days")
    visits = spark.sql(spark_sql(VISIT_PAGES_SELECT.format(gap=GAP))).collect()
    return _plain([tuple(row) for row in visits])


def test_every_statement_gives_identical_rows_on_duckdb_and_spark(spark, tmp_path, settings, db):
    config = _store(tmp_path)
    con = duckdb.connect(str(config.paths.analytics))
    days = [
        row[0] for row in con.execute("SELECT DISTINCT day FROM fact_files ORDER BY 1").fetchall()
    ]
    con.close()
    ours = _duckdb_rows(config, days)
    assert all(ours.values()), "every statement has rows to compare"
    con = duckdb.connect(str(config.paths.analytics))
    for table in AGGREGATE_TABLES:  # what DuckDB wrote at ingest goes: Spark must write it
        con.execute(f"DELETE FROM {table}")
    con.close()

    # The command, as on a cluster: Spark reads the parts' folder and writes every day.
    settings.WEBLOG_DIR = str(config.paths.root)
    out = StringIO()
    call_command(
        "logs", "aggregate", "--engine", "spark", "--master", "local[1]", "--all",
        "--parts", config.paths.parquet.as_uri(), stdout=out,
    )  # fmt: skip
    assert f"{len(days)} days aggregated on spark" in out.getvalue()
    written = _tables(config)
    for at, (table, select) in enumerate(AGGREGATE_SELECTS):
        rows = written[table]
        if table == "dimension_counts":  # two statements, each of its own dimensions
            dimensions = {row[1] for row in ours[f"{at} {table}"]}
            rows = [row for row in rows if row[1] in dimensions]
        assert rows == ours[f"{at} {table}"], f"{table}: {select}"
    assert _spark_visit_pages(spark, config, days) == ours["visit_pages"]
    assert NOW.date() in days
