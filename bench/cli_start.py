"""Start-up time of the ``keepfaith`` command against two floors measured in the same run:
``python -c pass`` (the interpreter alone) and ``django-admin --version`` (Django's own entry
point, no project). Each command runs ``--runs`` times (median, wall clock, a fresh process
each time) in a temporary SQLite database migrated once first, so ``audit verify`` has a chain
to walk.

    python bench/cli_start.py [--runs 7]

Prints, per command, the median in milliseconds and its ratio to each floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COMMANDS = {
    "keepfaith --help": [str(BIN / "keepfaith"), "--help"],
    "keepfaith policy check": [
        str(BIN / "keepfaith"), "policy", "check", str(ROOT / "examples/qualityssl/policy.yaml"),
    ],
    "keepfaith audit verify": [str(BIN / "keepfaith"), "audit", "verify"],
    "keepfaith jobs list": [str(BIN / "keepfaith"), "jobs", "list"],
}  # fmt: skip
FLOORS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "django-admin --version": [str(BIN / "django-admin"), "--version"],
}


def median_ms(argv: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        quiet = subprocess.DEVNULL
        subprocess.run(argv, env=env, stdout=quiet, stderr=quiet, check=False)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3"}
        env.pop("KEEPFAITH_CLI_CHECKS", None)
        subprocess.run([str(BIN / "keepfaith"), "migrate", "-v0"], env=env, check=True)
        floors = {name: median_ms(argv, env, args.runs) for name, argv in FLOORS.items()}
        print(f"median of {args.runs} runs, wall clock, a fresh process each")
        for name, ms in floors.items():
            print(f"  {name:28} {ms:7.0f} ms")
        for name, argv in COMMANDS.items():
            ms = median_ms(argv, env, args.runs)
            ratios = "  ".join(f"{ms / floor:5.1f}x {label}" for label, floor in floors.items())
            print(f"  {name:28} {ms:7.0f} ms   {ratios}")


if __name__ == "__main__":
    main()
