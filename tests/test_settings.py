"""Settings come from the environment, fail loudly when wrong, and are deploy-clean."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from keepfaith import env


def _keepfaith(
    *args: str, extra_env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("KEEPFAITH_", "DJANGO_ALLOW"))
    }
    environ.update({"KEEPFAITH_VAR_DIR": str(tmp_path / "var"), **extra_env})
    return subprocess.run(
        [sys.executable, "-m", "keepfaith", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "KEEPFAITH_MODE": "production",
    "KEEPFAITH_ALLOWED_HOSTS": "shop.example.com",
    "KEEPFAITH_SECRET_KEY": secrets.token_urlsafe(50),
    "KEEPFAITH_AUDIT_KEY": secrets.token_urlsafe(50),
    "KEEPFAITH_UNSUBSCRIBE_SECRET": secrets.token_urlsafe(50),
}


@pytest.mark.clause("QS-3")
def test_check_deploy_reports_zero_warnings_in_production(tmp_path):
    result = _keepfaith(
        "check", "--deploy", "--fail-level", "WARNING", extra_env=PRODUCTION, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_development_mode_is_not_deploy_clean(tmp_path):
    result = _keepfaith("check", "--deploy", extra_env={}, tmp_path=tmp_path)
    assert "security.W004" in result.stderr  # no HSTS: the check really runs


def test_development_secrets_are_created_with_mode_0600(tmp_path):
    result = _keepfaith("check", extra_env={}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("secret_key", "audit_key"):
        assert (tmp_path / "var" / name).stat().st_mode & 0o777 == 0o600


def _secrets_read_together(path: Path, readers: int) -> list[str]:
    start = threading.Barrier(readers)
    got: list[str] = []

    def read() -> None:
        start.wait()
        got.append(env.generated_secret(path))

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return got


def test_processes_starting_together_get_one_whole_secret(tmp_path):
    """Two test workers or web workers on a fresh checkout: no one reads an empty file."""
    for trial in range(40):
        path = tmp_path / str(trial) / "secret_key"
        got = _secrets_read_together(path, 4)
        assert len(got) == 4 and len(set(got)) == 1 and len(got[0]) >= 50, got
        assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no draft left


def test_production_refuses_the_generated_development_secret(tmp_path):
    _keepfaith("check", extra_env={}, tmp_path=tmp_path)
    dev_secret = (tmp_path / "var" / "secret_key").read_text().strip()
    result = _keepfaith(
        "check", extra_env={**PRODUCTION, "KEEPFAITH_SECRET_KEY": dev_secret}, tmp_path=tmp_path
    )
    assert result.returncode != 0
    assert "KEEPFAITH_SECRET_KEY is the generated development secret" in result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"KEEPFAITH_SECRET_KEY": ""},
            "KEEPFAITH_SECRET_KEY (or KEEPFAITH_SECRET_KEY_FILE) is required",
        ),
        ({"KEEPFAITH_SECRET_KEY": "short"}, "KEEPFAITH_SECRET_KEY is too weak"),
        ({"KEEPFAITH_ALLOWED_HOSTS": ""}, "KEEPFAITH_ALLOWED_HOSTS is required"),
        ({"KEEPFAITH_DEBUG": "true"}, "KEEPFAITH_DEBUG must be off"),
        ({"KEEPFAITH_DEBUG": "maybe"}, "KEEPFAITH_DEBUG='maybe': expected one of"),
        ({"KEEPFAITH_EMAIL_PORT": "smtp"}, "KEEPFAITH_EMAIL_PORT='smtp': expected a whole number"),
        (
            {"KEEPFAITH_MODE": "prod"},
            "KEEPFAITH_MODE='prod': expected one of development, production",
        ),
    ],
)
def test_production_refuses_to_start_with_bad_settings(tmp_path, override, message):
    result = _keepfaith("check", extra_env={**PRODUCTION, **override}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def test_secret_from_a_file(tmp_path, monkeypatch):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    monkeypatch.setenv("X_TOKEN_FILE", str(secret_file))
    assert env.envstr("X_TOKEN", "default") == "from-a-file"


def test_envint_bounds(monkeypatch):
    monkeypatch.setenv("X_PORT", "70000")
    with pytest.raises(ImproperlyConfigured, match="X_PORT=70000: must be at most 65535"):
        env.envint("X_PORT", 25, maximum=65535)
