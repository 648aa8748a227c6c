"""In-process CPU per request of the reference views of ``bench/pagesapp.py`` (no server, no
load generator: the machine's noise barely moves it), and the SQL each one runs.

Each side (``bare``, ``django``, ``stack`` anonymous, ``stack`` signed in) is called through
its WSGI handler ``--requests`` times after a warm-up, on a fresh SQLite database with the
example policy published and a signed-in customer as in ``bench/pages.py``; the figure is
process CPU time per request, the best of ``--runs``. ``--profile`` prints cProfile's top
functions for the signed-in stack (or ``--profile anonymous``) instead.

    python bench/pages_cpu.py [--requests N] [--runs N] [--profile [anonymous]]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIZE = 3000


def _environ(path: str, cookie: str) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT_LANGUAGE": "en",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    return environ


def _call(app: Callable[..., Any], path: str, cookie: str) -> None:
    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"{path}: {status}")

    body = app(_environ(path, cookie), start_response)
    for _ in body:
        pass
    close = getattr(body, "close", None)
    if close is not None:
        close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--profile", nargs="?", const="signed-in", choices=("signed-in", "anonymous")
    )
    options = parser.parse_args()
    if os.environ.get("_KF_PAGES_CPU") != "1":
        with tempfile.TemporaryDirectory(prefix="kf-bench-cpu-") as tmp:
            env = {**os.environ, "KEEPFAITH_VAR_DIR": tmp, "KEEPFAITH_DEBUG": "false",
                   "DJANGO_SETTINGS_MODULE": "keepfaith.settings", "PYTHONPATH": str(ROOT),
                   "_KF_PAGES_CPU": "1"}  # fmt: skip
            env.pop("DATABASE_URL", None)
            keepfaith = str(Path(sys.executable).parent / "keepfaith")
            subprocess.run([keepfaith, "migrate", "--noinput", "-v", "0"], check=True, env=env)
            raise SystemExit(subprocess.run([sys.executable, *sys.argv], env=env).returncode)
    run(options)


def run(options: argparse.Namespace) -> None:
    from bench.pages import SETUP

    out = io.StringIO()
    saved, sys.stdout = sys.stdout, out
    try:
        exec(SETUP, {})  # noqa: S102 - the benchmark's own setup code
    finally:
        sys.stdout = saved
    cookie = f"sessionid={out.getvalue().strip().splitlines()[-1]}"

    from django.db import connection

    from bench import pagesapp

    sides = (
        ("bare", pagesapp.bare, f"/__bare__/{SIZE}/", ""),
        ("django", pagesapp.django_default, f"/__django__/{SIZE}/", ""),
        ("stack anonymous", pagesapp.stack, f"/__stack__/{SIZE}/", ""),
        ("stack signed in", pagesapp.stack, f"/__stack__/{SIZE}/", cookie),
    )
    for _, app, path, cookie_ in sides:
        for _ in range(200):
            _call(app, path, cookie_)
    if options.profile:
        _, app, path, cookie_ = sides[-1 if options.profile == "signed-in" else -2]
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(options.requests):
            _call(app, path, cookie_)
        profile.disable()
        stats = pstats.Stats(profile).sort_stats("cumulative")
        stats.print_stats(45)
        if os.environ.get("_KF_CALLERS"):
            stats.print_callers(os.environ["_KF_CALLERS"])
        if os.environ.get("_KF_CALLEES"):
            stats.print_callees(os.environ["_KF_CALLEES"])
        stats.sort_stats("tottime").print_stats(30)
        return
    print(f"in-process CPU per request, best of {options.runs} x {options.requests} requests"
          " (x bare: the side's CPU over the bare view's)")  # fmt: skip
    bare_cpu = 0.0
    for name, app, path, cookie_ in sides:
        queries: list[str] = []

        def record(execute: Any, sql: str, *args: Any, seen: list[str] = queries) -> Any:
            seen.append(sql)
            return execute(sql, *args)

        # Django's request_started signal empties connection.queries: wrap execution instead.
        with connection.execute_wrapper(record):
            _call(app, path, cookie_)
        best = float("inf")
        for _ in range(options.runs):
            start = time.process_time()
            for _ in range(options.requests):
                _call(app, path, cookie_)
            best = min(best, (time.process_time() - start) / options.requests)
        bare_cpu = bare_cpu or best
        print(
            f"{name:<18}{best * 1000:8.3f} ms {best / bare_cpu:6.1f} x bare  {len(queries)} queries"
        )
        for sql in queries:
            print(f"{'':<20}{sql[:110]}")


if __name__ == "__main__":
    main()
