"""The day aggregation on Spark, for a log volume one machine cannot aggregate (BE-5).

The aggregation is written once, in DuckDB's SQL (:mod:`keepfaith.weblog.aggregate`); Spark
runs the same statements transpiled by SQLGlot (``duckdb`` to ``spark``: ``NULLS LAST``
where DuckDB sorts nulls last by default, ``STRING`` for ``VARCHAR``...). Spark reads the
fact parts (the local store's listed parts, or a folder of copied parts on shared storage),
computes each report table for the dirty days, and the rows come back as Arrow tables into
the local analytics store, replacing those days and clearing their marks in one commit, as
the DuckDB path does. ``tests/weblog/test_spark.py`` runs every statement on both engines
over the same parts and requires identical rows.

PySpark (and a Java runtime) is needed only here, imported on use.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import duckdb
import pyarrow as pa

from keepfaith.weblog.aggregate import AGGREGATE_SELECTS, AGGREGATE_TABLES, VISIT_PAGES_SELECT
from keepfaith.weblog.store import WeblogPaths, fact_parts

SparkSession = Any  # pyspark.sql.SparkSession, imported on use


class SparkEngineError(RuntimeError):
    """Spark cannot run here (PySpark or Java missing) or the parts cannot be read."""


@functools.lru_cache(maxsize=64)
def spark_sql(sql: str) -> str:
    """One DuckDB statement as Spark SQL."""
    import sqlglot

    return str(sqlglot.transpile(sql, read="duckdb", write="spark")[0])


def spark_session(
    *, master: str, partitions: int = 8, conf: dict[str, str] | None = None
) -> SparkSession:
    """A Spark session on ``master`` (``local[2]``, ``spark://host:7077``, ``yarn``...), UTC,
    with ``conf`` on top (tests turn off what only pays on big data)."""
    try:
        from pyspark.sql import SparkSession as Session
    except ImportError as exc:
        raise SparkEngineError(
            "--engine spark needs PySpark and a Java runtime: pip install 'keepfaith[spark]'"
        ) from exc
    builder = (
        Session.builder.master(master)
        .appName("keepfaith-weblog")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # PySpark's own errors: a master it cannot reach or parse
        if type(exc).__module__.split(".")[0] not in ("pyspark", "py4j"):
            raise
        reason = " ".join(str(exc).split())[:300]
        raise SparkEngineError(f"cannot start Spark on master {master!r}: {reason}") from None


def spark_requests(spark: SparkSession, *, uris: list[str], base: str | None) -> Any:
    """The fact parts as one DataFrame with ``day`` from the ``day=`` folders."""
    reader = spark.read.option("mergeSchema", "true")  # parts from before ``source``
    if base is not None:
        reader = reader.option("basePath", base)
    return reader.parquet(*uris)


def spark_day_aggregates(
    spark: SparkSession, *, requests: Any, days: list[dt.date], visit_gap_minutes: int
) -> dict[str, pa.Table]:
    """Each report table's rows for ``days``, computed by Spark from ``requests``."""
    requests = requests.cache()  # read once; every statement scans it
    requests.createOrReplaceTempView("requests")
    scope = spark.createDataFrame([(day,) for day in days], "day DATE")
    scope.createOrReplaceTempView("scope_days")
    visits = spark.sql(spark_sql(VISIT_PAGES_SELECT.format(gap=int(visit_gap_minutes)))).cache()
    visits.createOrReplaceTempView("visit_pages")
    found: dict[str, list[pa.Table]] = {}
    try:
        for table, select in AGGREGATE_SELECTS:
            found.setdefault(table, []).append(spark.sql(spark_sql(select)).toArrow())
    finally:
        visits.unpersist()
        requests.unpersist()
    return {
        table: pa.concat_tables(parts, promote_options="permissive")
        for table, parts in found.items()
    }


def spark_dirty_days_refresh(
    *,
    con: duckdb.DuckDBPyConnection,
    paths: WeblogPaths,
    spark: SparkSession,
    visit_gap_minutes: int,
    parts_uri: str | None = None,
) -> int:
    """Recompute the dirty days' report tables on Spark; return how many days.

    ``parts_uri`` is a folder of fact parts (``.../requests`` with ``day=`` folders) on
    storage every Spark worker reads; without it, Spark reads the local store's listed parts.
    """
    days = [row[0] for row in con.execute("SELECT day FROM dirty_days ORDER BY day").fetchall()]
    if not days:
        return 0
    if parts_uri is None:
        listed = fact_parts(paths).listed(con, "SELECT day FROM dirty_days")
        uris, base = [str(paths.parquet / part) for part in listed], str(paths.parquet)
    else:
        uris, base = [parts_uri], None
    rows = spark_day_aggregates(
        spark,
        requests=spark_requests(spark, uris=uris, base=base),
        days=days,
        visit_gap_minutes=visit_gap_minutes,
    ) if uris else {}  # fmt: skip
    con.execute(
        "CREATE OR REPLACE TEMP TABLE scope_days AS SELECT unnest(?::DATE[]) AS day", [days]
    )
    con.execute("BEGIN")
    for table in AGGREGATE_TABLES:
        con.execute(f"DELETE FROM {table} WHERE day IN (SELECT day FROM scope_days)")
        if table in rows:
            con.register("spark_rows", rows[table])
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM spark_rows")
            con.unregister("spark_rows")
    con.execute("DELETE FROM dirty_days WHERE day IN (SELECT day FROM scope_days)")
    con.execute("COMMIT")
    return len(days)
