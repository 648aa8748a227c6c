"""Card numbers in URLs never reach a server's log: the development server's access log,
Django's request log in debug mode, gunicorn's access and error logs (issue 15.7, QS-5).

Real servers on loopback, each fed a few requests that carry card data in the path, the
query, the referrer and a malformed request line; then their whole output is searched.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.test_settings import PRODUCTION

RAW_FORMS = [
    "4242424242424242",
    "4242+4242+4242+4242",
    "4242%204242%204242%204242",
    "4242 4242 4242 4242",
    "5555555555554444",
    "cvc=123",
    "eyJrIjogIm5ld3NsZXR0ZXIi",  # an unsubscribe token (BE-5)
    "dj4f53-93efe90f5a97208702d9db581681c496",  # a sign-up link's token
]
REQUESTS = [
    ("/unsubscribe/v1.eyJrIjogIm5ld3NsZXR0ZXIiLCAicyI6ICJLRi1QMEZa.Xk9aQ2b7/", ""),
    ("/account/verify/OA/dj4f53-93efe90f5a97208702d9db581681c496/", ""),
    ("/shop/?card=4242+4242+4242+4242&cvc=123", "http://elsewhere.example/?n=4242424242424242"),
    ("/no-such-page/4242424242424242/", ""),
    ("/?number=4242%204242%204242%204242", ""),
    ("/account/login/?next=/5555555555554444/", ""),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environ(var_dir: Path, **extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KEEPFAITH_")}
    environ.pop("DATABASE_URL", None)
    # unbuffered: the log file shows each line as it is written (see _settled)
    environ.update({"KEEPFAITH_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1", **extra})
    return environ


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A development var directory with a migrated SQLite database, shared by the servers."""
    var = tmp_path_factory.mktemp("served") / "var"
    subprocess.run(
        [sys.executable, "-m", "keepfaith", "migrate", "-v0"],
        env=_environ(var),
        check=True,
        timeout=180,
    )
    return var


def _wait_for(port: int, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listened on {port} within {seconds} s")


def _feed(port: int) -> list[int]:
    statuses = []
    for path, referrer in REQUESTS:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
        if referrer:
            request.add_header("Referer", referrer)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
                statuses.append(answer.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(b"GET /?c=4242424242424242&cvc=123 HTTP/9.9\r\nHost: x\r\n\r\n")
        raw.recv(4096)
    return statuses


def _settled(log: Path, must: str, seconds: float = 30) -> None:
    """Wait until ``log`` holds ``must`` and has stopped growing for half a second: the
    server writes a request's log lines after its answer, so they may come a little later."""
    deadline = time.monotonic() + seconds
    size, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if len(text) != size:
            size, since = len(text), time.monotonic()
        elif must in text and time.monotonic() - since >= 0.5:
            return
        time.sleep(0.1)


def _run_and_collect(
    command: list[str], environ: dict[str, str], port: int, log: Path
) -> tuple[str, list[int]]:
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=environ, stdout=out, stderr=subprocess.STDOUT, text=True
        )
        try:
            _wait_for(port, process)
            statuses = _feed(port)
            _settled(log, "[card ending 4444]")
        finally:
            process.terminate()
            process.wait(timeout=30)
    return log.read_text(errors="replace"), statuses


def _assert_scrubbed(output: str) -> None:
    for raw in RAW_FORMS:
        assert raw not in output, (raw, output[-3000:])
    assert "[card ending 4242]" in output
    assert "[card ending 4444]" in output
    assert "/unsubscribe/:token/" in output and "/account/verify/:id/:token/" in output


@pytest.mark.clause("QS-5")
def test_the_development_server_and_the_debug_request_log_are_scrubbed(var_dir):
    port = _free_port()
    command = [sys.executable, "-m", "keepfaith", "runserver", "--noreload", f"127.0.0.1:{port}"]
    output, statuses = _run_and_collect(
        command, _environ(var_dir, KEEPFAITH_DEBUG="true"), port, var_dir.parent / "runserver.log"
    )
    assert 404 in statuses and 200 in statuses
    assert "Not Found: /no-such-page/[card ending 4242]/" in output  # Django's request log
    assert '"GET /shop/?card=[card ending 4242]&cvc=*** HTTP/1.1" 200' in output
    _assert_scrubbed(output)


@pytest.mark.clause("QS-5")
def test_gunicorn_with_the_shipped_config_scrubs_its_access_and_error_logs(var_dir):
    port = _free_port()
    command = [
        sys.executable, "-m", "gunicorn", "-c", "python:keepfaith.gunicorn_conf",
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "debug",
    ]  # fmt: skip
    output, statuses = _run_and_collect(
        command, _environ(var_dir), port, var_dir.parent / "gunicorn.log"
    )
    assert 404 in statuses and 200 in statuses
    access = [line for line in output.splitlines() if '"GET /shop/?card=' in line]
    assert access and '"http://elsewhere.example/?n=[card ending 4242]"' in access[0]
    _assert_scrubbed(output)


def test_gunicorn_refuses_to_serve_a_production_set_up_that_breaks(var_dir):
    port = _free_port()
    environ = _environ(var_dir, **{**PRODUCTION, "KEEPFAITH_PUBLIC_URL": "https://localhost:8000"})
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "python:keepfaith.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}"],
        env=environ, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-2000:]
    assert "keepfaith: keepfaith.E001: KEEPFAITH_PUBLIC_URL='https://localhost:8000'" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
