"""Benchmark: full web-log ingest against GoAccess on the same combined log.

Workload: a deterministic combined-format log (default 1,000,000 lines, seed 7: ~110k
distinct addresses, ~300 browser agents plus crawlers at ~18% of requests, mixed statuses),
cached under var/bench/. Each round runs, alternating, in fresh processes:

- ours: ``logs_ingest`` into an empty store (parse, registry country, truncation, daily
  pseudonyms, user-agent families, crawlers, visits, daily aggregates, Parquet export,
  raw addresses into the diagnostics store);
- GoAccess (Debian package ``goaccess``, installed if missing) writing its JSON report;
- ``wc -l`` (the floor: reading the bytes);
- the library floor: a process that loads what ingest loads (DuckDB, pyarrow, ua-parser,
  iptocc), opens an empty store, reads one agent and one address, and reads no line.

Prints lines/s and peak RSS (from wait4) as medians, and the ratios; peak anonymous and
file-backed memory (shared library pages) are sampled from /proc every few milliseconds.
Exits 0.

    python bench/logs.py [--lines N] [--runs R]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from keepfaith.weblog.sample import write_sample_log  # noqa: E402

OURS = """
import datetime as dt, sys
from pathlib import Path
from keepfaith.weblog.formats import log_format
from keepfaith.weblog.ingest import WeblogConfig, logs_ingest
from keepfaith.weblog.store import WeblogPaths
report = logs_ingest(config=WeblogConfig(paths=WeblogPaths(Path(sys.argv[1]))),
                     sources=[Path(sys.argv[2])], fmt=log_format(spec="combined"),
                     now=dt.datetime(2024, 3, 12, tzinfo=dt.UTC))
assert report.requests + report.malformed == int(sys.argv[3]), report
"""

# What ingest costs before its first line: the libraries loaded, the stores opened.
LIBRARY_FLOOR = """
import datetime as dt, sys
from pathlib import Path
from keepfaith.weblog.ingest import WeblogConfig
from keepfaith.weblog.privacy import registry_countries
from keepfaith.weblog.store import WeblogPaths, weblog_connect
from keepfaith.weblog.useragents import agent_families
config = WeblogConfig(paths=WeblogPaths(Path(sys.argv[1])))
con = weblog_connect(paths=config.paths, threads=1, memory_mb=config.memory_mb)
con.close()
agent_families(user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0")
registry_countries(addresses=["192.0.2.1"])
"""


def ensure_goaccess() -> str | None:
    found = shutil.which("goaccess")
    if found:
        return found
    print("goaccess missing: installing the Debian package", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "goaccess"], check=False, env=env)
    return shutil.which("goaccess")


Run = tuple[float, int, float, int, int]  # seconds, peak RSS KiB, CPU s, anon KiB, file KiB


def _peaks(pid: int, peaks: list[int], done: threading.Event) -> None:
    """Sample the child's anonymous and file-backed resident memory until it ends."""
    status = Path(f"/proc/{pid}/status")
    while not done.is_set():
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):
            return
        for at, name in enumerate(("RssAnon", "RssFile")):
            if name in fields:
                peaks[at] = max(peaks[at], int(fields[name].split()[0]))
        done.wait(0.004)


def timed(argv: list[str]) -> Run:
    """(seconds, peak RSS, CPU seconds, sampled peak anonymous and file memory) of a child."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, cwd=ROOT)
    peaks, done = [0, 0], threading.Event()
    sampler = threading.Thread(target=_peaks, args=(child.pid, peaks, done), daemon=True)
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed with status {status}")
    return elapsed, int(usage.ru_maxrss), usage.ru_utime + usage.ru_stime, peaks[0], peaks[1]


def compare_with_goaccess(tmp: Path, store: Path) -> str:
    """Do our totals and status counts equal GoAccess's on the same file?"""
    import duckdb

    data = json.loads((tmp / "goaccess.json").read_text(encoding="utf-8"))
    theirs: dict[int, int] = {}
    for group in data["status_codes"]["data"]:
        for item in group["items"]:
            theirs[int(item["data"][:3])] = int(item["hits"]["count"])
    con = duckdb.connect(str(store / "analytics.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT value, sum(requests) FROM dimension_counts WHERE dimension = 'status' GROUP BY 1"
    ).fetchall()
    con.close()
    ours = {int(value): int(count) for value, count in rows}
    same = ours == theirs and sum(ours.values()) == int(data["general"]["valid_requests"])
    return f"yes ({sum(ours.values()):,} requests)" if same else f"NO: ours {ours}, theirs {theirs}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    log = ROOT / "var" / "bench" / f"access-{args.lines}.log"
    if not log.exists():
        write_sample_log(path=log, lines=args.lines)
    goaccess = ensure_goaccess()
    results: dict[str, list[Run]] = {"ours": [], "goaccess": [], "wc -l": [], "lib floor": []}
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as tmp:
        for run in range(args.runs):
            store = Path(tmp) / f"store-{run}"
            results["ours"].append(
                timed([sys.executable, "-c", OURS, str(store), str(log), str(args.lines)])
            )
            if run < args.runs - 1:
                shutil.rmtree(store, ignore_errors=True)
            if goaccess:
                out = Path(tmp) / "goaccess.json"
                results["goaccess"].append(
                    timed(
                        [
                            goaccess,
                            str(log),
                            "--log-format=COMBINED",
                            "--no-progress",
                            "-o",
                            str(out),
                        ]
                    )
                )
            results["wc -l"].append(timed(["wc", "-l", str(log)]))
            floor_store = str(Path(tmp) / f"floor-{run}")
            results["lib floor"].append(timed([sys.executable, "-c", LIBRARY_FLOOR, floor_store]))
        agreement = compare_with_goaccess(Path(tmp), store) if goaccess else "not checked"
    size = log.stat().st_size
    print(
        f"workload: {args.lines:,} combined lines, {size / 1e6:,.0f} MB, seed 7; "
        f"median of {args.runs} alternating runs"
    )
    print(
        f"{'side':10} {'seconds':>8} {'lines/s':>12} {'CPU s':>8} {'lines/CPU s':>12} "
        f"{'peak RSS MB':>12} {'anon MB':>8} {'file MB':>8}"
    )
    medians: dict[str, tuple[float, float, float, float]] = {}
    for side, runs in results.items():
        if not runs:
            print(f"{side:10} {'(not installed)':>34}")
            continue
        seconds, rss, cpu, anon, mapped = (
            statistics.median(run[at] for run in runs) for at in range(5)
        )
        rss, anon, mapped = rss / 1024, anon / 1024, mapped / 1024
        medians[side] = (args.lines / seconds, rss, args.lines / max(cpu, 1e-9), anon)
        speeds = (
            f"{'-':>12} {cpu:8.2f} {'-':>12}"  # the floor reads no line
            if side == "lib floor"
            else f"{args.lines / seconds:12,.0f} {cpu:8.2f} {args.lines / max(cpu, 1e-9):12,.0f}"
        )
        print(f"{side:10} {seconds:8.2f} {speeds} {rss:12,.0f} {anon:8,.0f} {mapped:8,.0f}")
    if "goaccess" in medians:
        speed = medians["ours"][0] / medians["goaccess"][0]
        memory = medians["ours"][1] / medians["goaccess"][1]
        per_cpu = medians["ours"][2] / medians["goaccess"][2]
        print(
            f"ratio ours/goaccess: {speed:.2f}x lines/s (target >= 3x), {per_cpu:.2f}x lines "
            f"per CPU second, {memory:.2f}x peak memory (target <= 1x)"
        )
        floor_rss, floor_anon = medians["lib floor"][1], medians["lib floor"][3]
        print(
            f"memory before the first line (lib floor): {floor_rss:,.0f} MB peak RSS, "
            f"{floor_anon:,.0f} MB anonymous = {floor_rss / medians['goaccess'][1]:.2f}x "
            f"GoAccess's whole run; ours above that floor: "
            f"{medians['ours'][1] - floor_rss:,.0f} MB"
        )
    print(f"request total and status counts equal GoAccess's: {agreement}")
    floor = medians["ours"][0] / medians["wc -l"][0]
    print(f"ratio ours/wc -l floor: {floor:.3f}x lines/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
