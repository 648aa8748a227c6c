"""A run killed with SIGKILL at any moment, then run again, ends with one clean run's rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from keepfaith.weblog.aggregate import AGGREGATE_TABLES
from keepfaith.weblog.ingest import WeblogConfig
from keepfaith.weblog.sample import write_sample_log
from keepfaith.weblog.store import WeblogPaths, facts_view, raw_hits_connect

from .conftest import NOW, TEST_TAIL_BYTES, ingest

CHILD = """
import datetime as dt, sys
from pathlib import Path
from keepfaith.weblog.formats import log_format
from keepfaith.weblog.ingest import WeblogConfig, logs_ingest
from keepfaith.weblog.store import WeblogPaths
from keepfaith.weblog import sources

sources.TAIL_BYTES = {tail}  # chunks read as production reads them (tests/weblog/conftest.py)

def progress(path, done, total):
    print(done, flush=True)

config = WeblogConfig(paths=WeblogPaths(Path(sys.argv[1])), chunk_bytes=32 * 1024,
                      commit_chunks={commit})
logs_ingest(config=config, sources=[Path(p) for p in sys.argv[2:]],
            fmt=log_format(spec="combined"), now=dt.datetime.fromisoformat("{now}"),
            progress=progress)
print("done", flush=True)
"""


def _killed_run(root: Path, logs: list[Path], after: int, commit: int) -> bool:
    """Start an ingest, SIGKILL it after ``after`` commits; True if it was killed."""
    code = CHILD.replace("{now}", NOW.isoformat()).replace("{commit}", str(commit))
    code = code.replace("{tail}", str(TEST_TAIL_BYTES))
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(root), *map(str, logs)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert child.stdout is not None
    for seen, _ in enumerate(child.stdout, start=1):
        if seen >= after:
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait(timeout=60)
    return child.returncode == -signal.SIGKILL


def _snapshot(root: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(root / "analytics.duckdb"), read_only=True)
    facts_view(con=con, paths=WeblogPaths(root))
    tables = {
        table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        for table in AGGREGATE_TABLES
    }
    tables["facts"] = con.execute(
        "SELECT count(*), count(DISTINCT visitor), sum(bytes) FROM requests"
    ).fetchall()
    tables["files"] = con.execute(
        "SELECT fingerprint, byte_offset, lines, requests, malformed FROM ingested_files ORDER BY 1"
    ).fetchall()
    con.close()
    diag = raw_hits_connect(WeblogPaths(root))
    tables["raw"] = diag.execute(
        "SELECT count(*), count(DISTINCT address), count(DISTINCT ts) FROM raw_hits"
    ).fetchall()
    diag.close()
    return tables


def _unlisted_parts(root: Path) -> set[Path]:
    """Parquet files on disk that no committed checkpoint lists."""
    con = duckdb.connect(str(root / "analytics.duckdb"), read_only=True)
    con.execute("ATTACH ? AS diag (READ_ONLY)", [str(root / "diagnostics.duckdb")])
    listed = {
        root / "parquet" / row[0] for row in con.execute("SELECT part FROM fact_files").fetchall()
    }
    listed |= {
        root / "diagnostics-raw" / row[0]
        for row in con.execute("SELECT part FROM diag.raw_files").fetchall()
    }
    con.close()
    return set(root.rglob("*.parquet")) - listed


@pytest.mark.clause("BE-5")
@pytest.mark.parametrize(("after", "commit"), [(1, 1), (7, 1), (4, 3)])
def test_kill_and_rerun_gives_the_counts_of_one_clean_run(tmp_path, after, commit):
    logs = [
        write_sample_log(path=tmp_path / "a.log", lines=2500, seed=11),
        write_sample_log(path=tmp_path / "b.log", lines=1500, seed=12),
    ]
    with (tmp_path / "a.log").open("ab") as out:
        out.write(b"\xff\xfe junk line\n")
    clean = WeblogConfig(paths=WeblogPaths(tmp_path / "clean"), chunk_bytes=32 * 1024)
    ingest(clean, *logs)
    killed = tmp_path / "killed"
    assert _killed_run(killed, logs, after, commit) is True
    ingest(WeblogConfig(paths=WeblogPaths(killed), chunk_bytes=32 * 1024), *logs)
    assert _snapshot(killed) == _snapshot(tmp_path / "clean")
    assert _unlisted_parts(killed) == set()
