"""Benchmark: the whole `keepfaith logs ingest` process against GoAccess on the same log.

Workload: a deterministic combined log of a real site's diversity (``sample.REAL``, seed 7:
on 1,000,000 lines about 163,000 addresses, 560 user agents, 1,450 paths with Zipf
popularity, 18% crawler requests, 5% query strings), its week ending today so the raw
addresses go to the diagnostics store as in production. Cached under var/bench/.

Speed: each round runs, alternating, in fresh processes:

- ours: ``keepfaith logs -v 2 ingest LOG`` as a user runs it (default settings, format
  detected, a migrated database, an empty store): Django start, parse, registry country,
  truncation, pseudonyms, user-agent families, crawlers, fact and raw Parquet parts, day
  aggregates;
- GoAccess (Debian package ``goaccess``, installed if missing) writing its JSON report;
- ``wc -l`` (the floor: reading the bytes);
- the library floor: what ingest loads before its first line (no line read).

Medians of ``--runs`` (5) for each side: lines/s, CPU seconds, peak RSS (wait4), and the
ratios against GoAccess (targets: >= 3.5x lines/s, >= 2x lines per CPU second). Then peak
memory of one run of each at 100,000, 1,000,000 and 5,000,000 lines (targets: flat in the
log's size, and below GoAccess's at 5,000,000), and the per-phase profile of our median
run. Exits 0.

    python bench/logs.py [--lines N] [--runs R] [--sizes 100000,1000000,5000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
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

from keepfaith.weblog.sample import REAL, write_sample_log  # noqa: E402

# What ingest costs before its first line: the libraries loaded, the stores opened.
LIBRARY_FLOOR = """
import sys
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
Run = tuple[float, int, float, int, int, str]  # seconds, RSS KiB, CPU s, anon, file, stdout


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


def timed(argv: list[str], env: dict[str, str] | None = None) -> Run:
    """(seconds, peak RSS, CPU seconds, peak anonymous and file memory, stdout) of a child."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, cwd=ROOT, env=env)
        peaks, done = [0, 0], threading.Event()
        sampler = threading.Thread(target=_peaks, args=(child.pid, peaks, done), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        done.set()
        sampler.join()
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed with status {status}: {text[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, int(usage.ru_maxrss), cpu, peaks[0], peaks[1], text


def workload(lines: int) -> Path:
    """The cached log of ``lines`` lines whose week ends today (UTC)."""
    start = dt.datetime.combine(dt.date.today() - dt.timedelta(days=7), dt.time(), dt.UTC)
    log = ROOT / "var" / "bench" / f"real-{lines}-{start.date()}.log"
    if not log.exists():
        for old in log.parent.glob(f"real-{lines}-*.log"):
            old.unlink()
        print(f"writing the {lines:,}-line workload to {log}", file=sys.stderr)
        write_sample_log(path=log, lines=lines, start=start, shape=REAL)
    return log


class Sides:
    """The commands of each side, with the environment ours runs in."""

    def __init__(self, tmp: Path, goaccess: str | None) -> None:
        self.tmp, self.goaccess, self.count = tmp, goaccess, 0
        keepfaith = Path(sys.executable).parent / "keepfaith"
        self.keepfaith = (
            [str(keepfaith)] if keepfaith.exists() else [sys.executable, "-m", "keepfaith"]
        )
        # This checkout's code, whichever checkout the virtualenv was installed from.
        self.env = {**os.environ, "KEEPFAITH_VAR_DIR": str(tmp / "var"), "PYTHONPATH": str(ROOT)}
        subprocess.run([*self.keepfaith, "migrate", "--noinput"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, cwd=ROOT)  # fmt: skip

    def ours(self, log: Path) -> Run:
        self.count += 1
        store = self.tmp / f"store-{self.count}"
        env = {**self.env, "KEEPFAITH_WEBLOG_DIR": str(store)}
        try:
            return timed([*self.keepfaith, "logs", "-v", "2", "ingest", str(log)], env)
        finally:
            if self.count > 1:
                shutil.rmtree(self.tmp / f"store-{self.count - 1}", ignore_errors=True)

    def theirs(self, log: Path) -> Run:
        assert self.goaccess
        out = self.tmp / "goaccess.json"
        return timed([self.goaccess, str(log), "--log-format=COMBINED", "--no-progress", "-o",
                      str(out)])  # fmt: skip

    def last_store(self) -> Path:
        return self.tmp / f"store-{self.count}"


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


def phases_of(text: str) -> dict[str, float]:
    found = re.search(r"^phases \(s\): (.*)$", text, re.MULTILINE)
    if not found:
        return {}
    return {
        name: float(secs)
        for name, secs in (item.rsplit(" ", 1) for item in found.group(1).split(", "))
    }


def speed(args: argparse.Namespace, sides: Sides, tmp: Path) -> dict[str, list[Run]]:
    log = workload(args.lines)
    results: dict[str, list[Run]] = {"ours": [], "goaccess": [], "wc -l": [], "lib floor": []}
    for run in range(args.runs):
        results["ours"].append(sides.ours(log))
        if sides.goaccess:
            results["goaccess"].append(sides.theirs(log))
        results["wc -l"].append(timed(["wc", "-l", str(log)]))
        floor = str(tmp / f"floor-{run}")
        results["lib floor"].append(timed([sys.executable, "-c", LIBRARY_FLOOR, floor]))
    agreement = compare_with_goaccess(tmp, sides.last_store()) if sides.goaccess else "-"
    size = log.stat().st_size
    print(f"workload: {args.lines:,} combined lines of real diversity, {size / 1e6:,.0f} MB, "
          f"seed 7; median of {args.runs} alternating runs")  # fmt: skip
    print(f"{'side':10} {'seconds':>8} {'lines/s':>12} {'CPU s':>8} {'lines/CPU s':>12} "
          f"{'peak RSS MB':>12} {'anon MB':>8} {'file MB':>8}")  # fmt: skip
    for side, runs in results.items():
        if not runs:
            print(f"{side:10} {'(not installed)':>34}")
            continue
        seconds, rss, cpu, anon, mapped = (
            statistics.median(float(r[at]) for r in runs) for at in range(5)
        )
        speeds = (
            f"{'-':>12} {cpu:8.2f} {'-':>12}"  # the floor reads no line
            if side == "lib floor"
            else f"{args.lines / seconds:12,.0f} {cpu:8.2f} {args.lines / max(cpu, 1e-9):12,.0f}"
        )
        print(f"{side:10} {seconds:8.2f} {speeds} {rss / 1024:12,.0f} {anon / 1024:8,.0f} "
              f"{mapped / 1024:8,.0f}")  # fmt: skip
    if results["goaccess"]:
        ours, theirs = results["ours"], results["goaccess"]
        wall = statistics.median(r[0] for r in theirs) / statistics.median(r[0] for r in ours)
        cpu = statistics.median(r[2] for r in theirs) / statistics.median(r[2] for r in ours)
        print(f"ratio ours/goaccess: {wall:.2f}x lines/s (target >= 3.5x), {cpu:.2f}x lines "
              f"per CPU second (target >= 2x)")  # fmt: skip
    print(f"request total and status counts equal GoAccess's: {agreement}")
    return results


def memory(sizes: list[int], sides: Sides) -> None:
    """Peak RSS of one run of each side per log size (alternating)."""
    print(f"{'lines':>10} {'ours MB':>9} {'GoAccess MB':>12} {'ours s':>8} {'GoAccess s':>11}")
    for lines in sizes:
        log = workload(lines)
        ours = sides.ours(log)
        theirs = sides.theirs(log) if sides.goaccess else None
        their_mb = f"{theirs[1] / 1024:12,.0f}" if theirs else f"{'-':>12}"
        their_s = f"{theirs[0]:11.2f}" if theirs else f"{'-':>11}"
        print(f"{lines:>10,} {ours[1] / 1024:9,.0f} {their_mb} {ours[0]:8.2f} {their_s}")


def profile(runs: list[Run]) -> None:
    """The phases of our median run (by seconds)."""
    median = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    phases = phases_of(median[5])
    inside = sum(secs for name, secs in phases.items() if name in MAIN_THREAD)
    print(f"profile of our median run ({median[0]:.2f} s wall, {median[2]:.2f} s CPU):")
    print(f"  start, Django, imports and exit (wall, outside ingest): {median[0] - inside:5.2f}")
    for name, secs in phases.items():
        kind = "wall, main thread" if name in MAIN_THREAD else "CPU, workers"
        print(f"  {name + ' (' + kind + ')':52} {secs:6.2f}")


MAIN_THREAD = (
    "open and sweep",
    "file start and format detection",
    "reading the file",
    "waiting for workers",
    "ordered commits",
    "day aggregates",
    "keys closed and parts merged",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100000,1000000,5000000")
    args = parser.parse_args()
    # keepfaith's bytecode compiled ahead, as `make install` (and any non-editable install)
    # leaves it: the timed process should not compile its own modules (-q: only a file that
    # does not compile is printed).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "keepfaith")],
                   check=True, env=env)  # fmt: skip
    goaccess = ensure_goaccess()
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as name:
        tmp = Path(name)
        sides = Sides(tmp, goaccess)
        results = speed(args, sides, tmp)
        profile(results["ours"])
        sizes = [int(size) for size in args.sizes.split(",") if size]
        if sizes:
            memory(sizes, sides)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
