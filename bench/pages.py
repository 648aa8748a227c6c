"""Pages benchmark: requests per second of keepfaith's pages against a bare Django view.

Our side: the privacy statement (``/privacy/``), the shop (``/shop/``) and a signed-in
customer's account page (``/account/``), served by gunicorn on loopback (keepfaith's own
``gunicorn_conf``, 2 sync workers, DEBUG off, SQLite in a temporary folder).

References, in the same server and workers (``bench/pagesapp.py``), each a view returning as
many bytes as the page compared: ``bare``, Django's handler with no middleware at all;
``django``, behind the middleware a new Django project has; ``stack``, behind keepfaith's
whole middleware stack (the policy lookup, cookie guard and consent, locale, no-store, CSP,
the login throttle...). stack/bare is what keepfaith's middleware and policy lookup cost;
page/stack what the page's own view and templates cost.

Load: Debian's ``wrk`` (installed with apt-get when missing), 1 thread, 4 connections, 3
seconds per run, the four sides alternating, median of 5 runs each. Target (BENCHMARKS.md):
keepfaith's overhead <= 15% of the bare view's requests/s.

    python bench/pages.py [--runs N] [--seconds S]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PAGES = (("statement", "/privacy/", False), ("shop", "/shop/", False),
         ("account (signed in)", "/account/", True))  # fmt: skip
TARGET_OVERHEAD = 0.15

SETUP = """
import django
django.setup()
from django.conf import settings
from keepfaith.accounts.sessions import SessionStore
from keepfaith.accounts.models import User
from keepfaith.versions.services import policy_publish_file
policy_publish_file(path=settings.POLICY_PATH)
user = User.objects.create_user("bench@example.com", "a long enough bench secret",
                                full_name="Bench Customer")
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "keepfaith.accounts.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


class Row(NamedTuple):
    name: str
    size: int
    page: float
    stack: float
    django: float
    bare: float


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing Debian's wrk for the benchmark", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=False, env=env)
    found = shutil.which("wrk")
    if not found:
        sys.exit("bench/pages.py: wrk is not installed and apt-get could not install it")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(env: dict[str, str]) -> str:
    """Migrate a fresh database, publish the example policy, sign a customer in: the
    session key."""
    keepfaith = str(BIN / "keepfaith")
    subprocess.run([keepfaith, "migrate", "--noinput", "-v", "0"], check=True, env=env)
    out = subprocess.run([str(BIN / "python"), "-c", SETUP], check=True, env=env,
                         capture_output=True, text=True)  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def fetch(url: str, cookie: str) -> bytes:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        if response.status != 200:
            raise RuntimeError(f"{url}: {response.status}")
        body: bytes = response.read()
        return body


def wait_for(url: str, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while True:
        try:
            fetch(url, "")
            return
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


def wrk(binary: str, url: str, cookie: str, seconds: int) -> float:
    args = [binary, "-t1", "-c4", f"-d{seconds}s", "--latency"]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses under load")
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise RuntimeError(f"wrk printed no rate:\n{out}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    options = parser.parse_args()
    binary = wrk_binary()
    with tempfile.TemporaryDirectory(prefix="kf-bench-pages-") as tmp:
        env = {
            **os.environ,
            "KEEPFAITH_VAR_DIR": tmp,
            "KEEPFAITH_DEBUG": "false",
            "DJANGO_SETTINGS_MODULE": "keepfaith.settings",
            "PYTHONPATH": str(ROOT),
        }
        env.pop("DATABASE_URL", None)
        session = prepare(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:keepfaith.gunicorn_conf", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", "bench.pagesapp:application"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
        )  # fmt: skip
        try:
            wait_for(f"{base}/__bare__/100/")
            rows: list[Row] = []
            for name, path, signed_in in PAGES:
                cookie = f"sessionid={session}" if signed_in else ""
                size = len(fetch(base + path, cookie))
                bare_url = f"{base}/__bare__/{size}/"
                stack_url = f"{base}/__stack__/{size}/"
                django_url = f"{base}/__django__/{size}/"
                ours, stack, django, bare = [], [], [], []
                for _ in range(options.runs):
                    ours.append(wrk(binary, base + path, cookie, options.seconds))
                    stack.append(wrk(binary, stack_url, cookie, options.seconds))
                    django.append(wrk(binary, django_url, cookie, options.seconds))
                    bare.append(wrk(binary, bare_url, "", options.seconds))
                medians = [statistics.median(side) for side in (ours, stack, django, bare)]
                rows.append(Row(name, size, *medians))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"pages: gunicorn 2 workers on loopback, wrk 1 thread 4 connections {options.seconds}"
          f" s per run, median of {options.runs} alternating runs per side")  # fmt: skip
    print("requests/s of the page, and of a view of the same size behind keepfaith's middleware"
          " (stack), a new Django project's (django) and none (bare)")  # fmt: skip
    print(f"{'page':<22}{'bytes':>7}{'page':>7}{'stack':>7}{'django':>8}{'bare':>7}"
          f"{'page/stack':>12}{'stack/django':>14}{'stack/bare':>12}"
          f"  keepfaith's cost (1 - stack/bare), target <= {TARGET_OVERHEAD:.0%}")  # fmt: skip
    for r in rows:
        cost = 1 - r.stack / r.bare
        verdict = "met" if cost <= TARGET_OVERHEAD else "not met"
        print(f"{r.name:<22}{r.size:>7}{r.page:>7.0f}{r.stack:>7.0f}{r.django:>8.0f}"
              f"{r.bare:>7.0f}{r.page / r.stack:>12.2f}{r.stack / r.django:>14.2f}"
              f"{r.stack / r.bare:>12.2f}  {cost:.0%} {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
