"""Daily aggregates, recomputed from the request facts for each day that received rows.

The statements are plain SQL over one input table, ``requests`` (the columns of
:data:`keepfaith.weblog.store.ANALYTICS_SCHEMA`), restricted to ``scope_days``. They use
only window functions, ``GROUP BY`` (with ``GROUPING SETS``), ``count(DISTINCT)`` and
``FILTER``, which Spark SQL, Trino and DuckDB read alike: to run them on a distributed
engine, register the Parquet partitions as ``requests`` and the days to refresh as
``scope_days`` and run :data:`AGGREGATES` in order (see ``docs/weblog.md``). Only
:func:`dirty_days_refresh` (transactions, reading the listed fact parts) is DuckDB-specific.

Rules: crawlers never count as visitors or visits; a visit is a run of page views of one
visitor with gaps of at most the visit gap; pseudonyms change daily, so visits and unique
visitors are per day.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from keepfaith.weblog.store import WeblogPaths, facts_view

AGGREGATE_TABLES = (
    "traffic_hourly",
    "traffic_daily",
    "dimension_counts",
    "entry_pages",
    "exit_pages",
    "transitions",
    "files",
    "errors",
)

# One window order per visitor and day, one sort: a page view starts a visit when the
# visitor's previous one is more than the visit gap before it, and ends one when the next is
# more than the gap after it (or there is none); the next page counts as a transition only
# inside the visit. (A visit's number is not needed: it took a second window pass.)
# Written once, in DuckDB's SQL; Spark runs it transpiled by SQLGlot (keepfaith.weblog.spark).
VISIT_PAGES_SELECT = """
WITH pv AS (
    SELECT day, visitor, ts, path FROM requests
    WHERE is_page AND day IN (SELECT day FROM scope_days))
SELECT day, visitor, ts, path,
    lag(ts) OVER w IS NULL OR ts > lag(ts) OVER w + INTERVAL {gap} MINUTE AS is_entry,
    CASE WHEN lead(ts) OVER w <= ts + INTERVAL {gap} MINUTE THEN lead(path) OVER w END
        AS next_path,
    lead(ts) OVER w IS NULL OR lead(ts) OVER w > ts + INTERVAL {gap} MINUTE AS is_exit
FROM pv WINDOW w AS (PARTITION BY day, visitor ORDER BY ts, path)
"""
VISIT_PAGES = "CREATE OR REPLACE TEMP TABLE visit_pages AS " + VISIT_PAGES_SELECT

# The dimensions in two statements of GROUPING SETS, one for what people requested (country,
# browser, OS, referrer: crawlers never count) and one over every request (status, method,
# crawler), so the facts are read twice instead of seven times: 0.26 -> 0.20 s on a week of
# 1,000,000 requests, holding about 40 MB more while they run (docs/weblog.md, "Speed").
# Not one UNION ALL over a shared CTE: DuckDB kept the CTE (the whole batch of facts) and
# every branch's count(DISTINCT) table alive at once (115 MB on a day of 1,000,000 requests).
# A column outside a row's grouping set is NULL there; grouping() tells which set a row is of.
# (The outer WHERE, not HAVING: Spark's HAVING cannot see a grouping set's column.)
DIMENSION_COUNTS = (
    """SELECT * FROM (SELECT day,
        CASE WHEN grouping(country) = 0 THEN 'country' WHEN grouping(browser) = 0 THEN 'browser'
            WHEN grouping(os) = 0 THEN 'os' ELSE 'referrer' END AS dimension,
        coalesce(country, browser, os, referrer_domain) AS value, count(*) AS requests,
        count(DISTINCT visitor) AS visitors
    FROM requests WHERE day IN (SELECT day FROM scope_days) AND crawler IS NULL
    GROUP BY GROUPING SETS ((day, country), (day, browser), (day, os), (day, referrer_domain))
    ) WHERE dimension <> 'referrer' OR value IS NOT NULL""",
    """SELECT * FROM (SELECT day,
        CASE WHEN grouping(status) = 0 THEN 'status' WHEN grouping(method) = 0 THEN 'method'
            ELSE 'crawler' END AS dimension,
        coalesce(CAST(status AS VARCHAR), method, crawler) AS value, count(*) AS requests,
        CASE WHEN grouping(crawler) = 0 THEN 0
            ELSE count(DISTINCT visitor) FILTER (WHERE crawler IS NULL) END AS visitors
    FROM requests WHERE day IN (SELECT day FROM scope_days)
    GROUP BY GROUPING SETS ((day, status), (day, method), (day, crawler))
    ) WHERE dimension <> 'crawler' OR value IS NOT NULL""",
)

# (table, the SELECT giving its rows for the days in ``scope_days``), columns named as the
# table's, so either engine can write them by name.
AGGREGATE_SELECTS: tuple[tuple[str, str], ...] = (
    ("traffic_hourly", """
    SELECT r.day, r.hour, r.requests, r.crawler_requests, r.page_views,
        coalesce(v.visits, 0) AS visits, r.visitors, r.bytes
    FROM (SELECT day, hour(ts) AS hour, count(*) AS requests,
            count(*) FILTER (WHERE crawler IS NOT NULL) AS crawler_requests,
            count(*) FILTER (WHERE is_page) AS page_views,
            count(DISTINCT visitor) FILTER (WHERE crawler IS NULL) AS visitors,
            coalesce(sum(bytes), 0) AS bytes
          FROM requests WHERE day IN (SELECT day FROM scope_days) GROUP BY 1, 2) r
    LEFT JOIN (SELECT day, hour(ts) AS hour, count(*) AS visits FROM visit_pages
          WHERE is_entry GROUP BY 1, 2) v ON v.day = r.day AND v.hour = r.hour"""),
    ("traffic_daily", """
    SELECT r.day, r.requests, r.crawler_requests, r.page_views, coalesce(v.visits, 0) AS visits,
        r.visitors, r.bytes
    FROM (SELECT day, count(*) AS requests,
            count(*) FILTER (WHERE crawler IS NOT NULL) AS crawler_requests,
            count(*) FILTER (WHERE is_page) AS page_views,
            count(DISTINCT visitor) FILTER (WHERE crawler IS NULL) AS visitors,
            coalesce(sum(bytes), 0) AS bytes
          FROM requests WHERE day IN (SELECT day FROM scope_days) GROUP BY 1) r
    LEFT JOIN (SELECT day, count(*) AS visits FROM visit_pages WHERE is_entry GROUP BY 1) v
        ON v.day = r.day"""),
    *(("dimension_counts", select) for select in DIMENSION_COUNTS),
    ("entry_pages", """
    SELECT day, path, count(*) AS visits FROM visit_pages WHERE is_entry GROUP BY 1, 2"""),
    ("exit_pages", """
    SELECT day, path, count(*) AS visits FROM visit_pages WHERE is_exit GROUP BY 1, 2"""),
    ("transitions", """
    SELECT day, path AS from_path, next_path AS to_path, count(*) AS visits FROM visit_pages
    WHERE next_path IS NOT NULL GROUP BY 1, 2, 3"""),
    ("files", """
    SELECT day, path, ext, count(*) AS requests, count(DISTINCT visitor) AS visitors,
        coalesce(sum(bytes), 0) AS bytes
    FROM requests WHERE day IN (SELECT day FROM scope_days) AND crawler IS NULL
        AND ext <> '' AND status IN (200, 206) GROUP BY 1, 2, 3"""),
    ("errors", """
    SELECT day, status, path, referrer_page, count(*) AS requests FROM requests
    WHERE day IN (SELECT day FROM scope_days) AND status >= 400 GROUP BY 1, 2, 3, 4"""),
)  # fmt: skip
AGGREGATES: tuple[str, ...] = tuple(
    f"INSERT INTO {table} BY NAME {select}" for table, select in AGGREGATE_SELECTS
)


def _day_batches(con: duckdb.DuckDBPyConnection, batch_rows: int) -> list[list[dt.date]]:
    """The dirty days in runs of at most ``batch_rows`` fact rows (a bigger day goes alone)."""
    batches: list[list[dt.date]] = []
    size = 0
    for day, rows in con.execute(
        "SELECT d.day, coalesce(sum(f.rows), 0) FROM dirty_days d "
        "LEFT JOIN fact_files f ON f.day = d.day GROUP BY d.day ORDER BY d.day"
    ).fetchall():
        if not batches or size + rows > batch_rows:
            batches.append([])
            size = 0
        batches[-1].append(day)
        size += int(rows)
    return batches


def dirty_days_refresh(
    *,
    con: duckdb.DuckDBPyConnection,
    paths: WeblogPaths,
    visit_gap_minutes: int,
    batch_rows: int = 1_000_000,
) -> int:
    """Recompute the aggregates of every dirty day from its listed fact parts; return count.

    Days go in batches of at most ``batch_rows`` requests, so memory follows the batch, not
    the backlog. A batch's dirty marks are cleared in the transaction that replaces its
    aggregates, so a run killed half-way leaves the remaining days for the next run.
    """
    batches = _day_batches(con, batch_rows)
    for days in batches:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE scope_days AS SELECT unnest(?::DATE[]) AS day", [days]
        )
        facts_view(con=con, paths=paths, days_sql="SELECT day FROM scope_days")
        con.execute(VISIT_PAGES.format(gap=int(visit_gap_minutes)))
        con.execute("BEGIN")
        for table in AGGREGATE_TABLES:
            con.execute(f"DELETE FROM {table} WHERE day IN (SELECT day FROM scope_days)")
        for statement in AGGREGATES:
            con.execute(statement)
        con.execute("DELETE FROM dirty_days WHERE day IN (SELECT day FROM scope_days)")
        con.execute("COMMIT")
    con.execute("DROP TABLE IF EXISTS visit_pages")
    return sum(len(days) for days in batches)


def logs_aggregate(
    *,
    paths: WeblogPaths,
    visit_gap_minutes: int,
    batch_rows: int,
    threads: int,
    memory_mb: int,
    engine: str = "duckdb",
    master: str = "local[*]",
    parts_uri: str | None = None,
    every_day: bool = False,
) -> int:
    """Aggregate the dirty days (every day with facts, if ``every_day``) on ``engine``
    (``duckdb``, or ``spark`` on ``master`` over ``parts_uri``); return how many days."""
    from keepfaith.weblog.store import weblog_connect

    con = weblog_connect(paths=paths, threads=threads, memory_mb=memory_mb)
    try:
        if every_day:
            con.execute("INSERT OR IGNORE INTO dirty_days SELECT DISTINCT day FROM fact_files")
        if engine == "duckdb":
            return dirty_days_refresh(
                con=con, paths=paths, visit_gap_minutes=visit_gap_minutes, batch_rows=batch_rows
            )
        from keepfaith.weblog.spark import spark_dirty_days_refresh, spark_session

        return spark_dirty_days_refresh(
            con=con,
            paths=paths,
            spark=spark_session(master=master),
            visit_gap_minutes=visit_gap_minutes,
            parts_uri=parts_uri,
        )
    finally:
        con.close()
