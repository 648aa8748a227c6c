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
    "KEEPFAITH_PUBLIC_URL": "https://shop.example.com",
    "KEEPFAITH_EMAIL_FROM": "Shop <noreply@shop.example.com>",
    "KEEPFAITH_EMAIL_HOST": "smtp.shop.example.com",  # never reached by the checks
    "KEEPFAITH_PAYMENT_PROCESSOR": "tests.adapters.ProviderAdapterForDeployChecks",
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
    assert result.returncode == 2
    assert "KEEPFAITH_SECRET_KEY is a generated development secret" in result.stderr


@pytest.mark.clause("QS-3")
def test_a_development_secret_is_refused_after_var_dir_moves(tmp_path):
    """Before: only the file under the current KEEPFAITH_VAR_DIR was compared."""
    _keepfaith("check", extra_env={}, tmp_path=tmp_path / "old")
    dev_secret = (tmp_path / "old" / "var" / "audit_key").read_text().strip()
    result = _keepfaith(
        "check",
        "--deploy",
        extra_env={**PRODUCTION, "KEEPFAITH_AUDIT_KEY": dev_secret},
        tmp_path=tmp_path / "new",
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "keepfaith: configuration error: KEEPFAITH_AUDIT_KEY is a generated development secret;"
        " set your own"
    )


@pytest.mark.clause("QS-3")
def test_a_long_secret_of_few_distinct_characters_is_refused(tmp_path):
    """50 characters, 10 distinct: the old check (fewer than 5 distinct) let it through."""
    weak = "abcdefghij" * 5
    result = _keepfaith(
        "check",
        "--deploy",
        extra_env={**PRODUCTION, "KEEPFAITH_SECRET_KEY": weak},
        tmp_path=tmp_path,
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()  # one line, no traceback
    assert line.startswith("keepfaith: configuration error: KEEPFAITH_SECRET_KEY is too weak")


@pytest.mark.clause("QS-3")
@pytest.mark.clause("BE-8")
def test_check_deploy_fails_for_each_production_setting_that_breaks(tmp_path):
    database = tmp_path / "var" / "keepfaith.sqlite3"
    database.parent.mkdir(parents=True)
    database.touch(mode=0o644)
    database.chmod(0o644)
    broken = {
        **PRODUCTION,
        "KEEPFAITH_PUBLIC_URL": "https://localhost:8000",
        "KEEPFAITH_EMAIL_FROM": "keepfaith <noreply@localhost>",
        "KEEPFAITH_PAYMENT_PROCESSOR": "keepfaith.vault.processors.LocalTestProcessor",
        "KEEPFAITH_ALLOWED_HOSTS": "shop.example.com,*",
        "KEEPFAITH_AUDIT_KEY_FALLBACKS": "retired-but-weak-" * 4,
        "DATABASE_URL": f"sqlite:///{database}",
        "KEEPFAITH_EMAIL_HOST": "",
    }
    result = _keepfaith("check", "--deploy", extra_env=broken, tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    expected = {
        "keepfaith.E001": "KEEPFAITH_PUBLIC_URL='https://localhost:8000'",
        "keepfaith.E002": "KEEPFAITH_EMAIL_FROM='keepfaith <noreply@localhost>'",
        "keepfaith.E003": "KEEPFAITH_PAYMENT_PROCESSOR='keepfaith.vault.processors.Local",
        "keepfaith.E004": "KEEPFAITH_ALLOWED_HOSTS holds '*'",
        "keepfaith.E005": "KEEPFAITH_AUDIT_KEY_FALLBACKS is too weak",
        "keepfaith.E006": "can be read by others than its owner",
        "keepfaith.E008": "KEEPFAITH_EMAIL_HOST is not set",
    }
    for check_id, text in expected.items():
        lines = [line for line in result.stderr.splitlines() if check_id in line]
        assert lines and text in lines[0], (check_id, result.stderr)
    assert "Traceback" not in result.stderr


def test_the_settings_check_is_quiet_outside_production(tmp_path):
    result = _keepfaith("check", "--deploy", extra_env={}, tmp_path=tmp_path)
    assert "keepfaith.E0" not in result.stderr


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
        (
            {"KEEPFAITH_TIME_ZONE": "Europe/Kobenhavn"},
            "KEEPFAITH_TIME_ZONE='Europe/Kobenhavn': not a time zone name",
        ),
        ({"KEEPFAITH_TIME_ZONE": "Europe"}, "KEEPFAITH_TIME_ZONE='Europe': not a time zone name"),
    ],
)
def test_production_refuses_to_start_with_bad_settings(tmp_path, override, message):
    result = _keepfaith("check", extra_env={**PRODUCTION, **override}, tmp_path=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()  # one clear line, not a traceback
    assert line.startswith("keepfaith: configuration error: ")
    assert message in line


def test_secret_from_a_file(tmp_path, monkeypatch):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    monkeypatch.setenv("X_TOKEN_FILE", str(secret_file))
    assert env.envstr("X_TOKEN", "default") == "from-a-file"


def test_envint_bounds(monkeypatch):
    monkeypatch.setenv("X_PORT", "70000")
    with pytest.raises(ImproperlyConfigured, match="X_PORT=70000: must be at most 65535"):
        env.envint("X_PORT", 25, maximum=65535)


@pytest.mark.clause("QS-3")
def test_the_sqlite_database_is_created_readable_by_its_owner_only(tmp_path):
    database = tmp_path / "var" / "keepfaith.sqlite3"
    result = _keepfaith(
        "migrate",
        "--noinput",
        extra_env={**PRODUCTION, "DATABASE_URL": f"sqlite:///{database}"},
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert database.stat().st_size > 0  # a real database, not only the empty file
    for path in database.parent.glob("keepfaith.sqlite3*"):  # with -wal / -shm if left
        assert path.stat().st_mode & 0o777 == 0o600, path


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("localhost", True), ("LOCALHOST.", True), ("shop.localhost", True), ("127.0.0.1", True),
        ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("", True),
        ("0.0.0.0", True),  # noqa: S104 - a host name under test, not a bind
        ("fe80::1", True), ("mail.invalid", True), ("shop.test", True), ("printer.local", True),
        ("intranet", True), ("shop.example.com", False), ("203.0.113.7", False),
        ("2001:db8::1", False), ("www.qualityssl.dk", False),
    ],
)  # fmt: skip
def test_local_hosts(host, local):
    from keepfaith.checks import local_host

    assert local_host(host) is local


def test_secret_strength_estimate():
    from django.core.management.utils import get_random_secret_key

    for _ in range(200):
        assert env.secret_problem("K", secrets.token_urlsafe(50)) is None
        assert env.secret_problem("K", get_random_secret_key()) is None
        assert env.secret_problem("K", secrets.token_hex(32)) is None
    for weak in (
        "abcdefghij" * 5,
        "a1" * 25,
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ):
        problem = env.secret_problem("K", weak)
        assert problem is not None and problem.startswith("K is too weak"), weak
    assert "development secret" in str(env.secret_problem("K", env.DEV_SECRET_PREFIX + "x" * 60))


@pytest.mark.clause("QS-3")
@pytest.mark.feature("security.deploy.tls_settings")
@pytest.mark.parametrize(
    ("override", "text"),
    [
        ({"KEEPFAITH_SSL_REDIRECT": "false"}, "KEEPFAITH_SSL_REDIRECT is off"),
        ({"KEEPFAITH_HSTS_SECONDS": "3600"}, "KEEPFAITH_HSTS_SECONDS=3600 is under a year"),
    ],
)
def test_check_deploy_fails_when_plain_http_would_be_served(tmp_path, override, text):
    """The statement promises every page over TLS only: a production setting that serves
    plain HTTP is an error (Django's own --deploy check only warns)."""
    result = _keepfaith(
        "check", "--deploy", extra_env={**PRODUCTION, **override}, tmp_path=tmp_path
    )
    assert result.returncode == 1, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "keepfaith.E007" in line]
    assert text in line


def test_english_dates_are_written_as_the_statement_writes_them():
    """One style per language on every page and mail: "5 December 2026" (not Django's
    American "Dec. 5, 2026"), as the statement's date in words; Danish keeps its own."""
    import datetime as dt

    from django.utils import translation
    from django.utils.formats import date_format

    from keepfaith.policy.phrases import date_words

    day = dt.date(2026, 12, 5)
    for lang in ("en", "da"):
        with translation.override(lang):
            assert date_format(day, "DATE_FORMAT") == date_words(day.isoformat(), lang)
    with translation.override("en"):
        assert date_format(dt.datetime(2026, 12, 5, 13, 45), "DATETIME_FORMAT") == (
            "5 December 2026, 13:45"
        )


@pytest.mark.clause("QS-3")
@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgress://kf:S3cretPassw0rd@db.example:5432/keepfaith",
         "postgress://kf:***@db.example:5432/keepfaith"),
        ("postgres://kf:S3cret/Passw0rd@db.example:5432/kf", "postgres://kf:***@db.example:5432/kf"),
        ("postgres://kf:S3cret#Passw0rd@db.example:5432/kf", "postgres://kf:***@db.example:5432/kf"),
        ("postgres://kf:S3cret?Pass@w0rd@db.example:54x2/kf", "postgres://kf:***@db.example:54x2/kf"),
    ],
)  # fmt: skip
def test_a_malformed_database_url_is_reported_without_its_password(tmp_path, url, shown):
    result = _keepfaith("check", extra_env={"DATABASE_URL": url}, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "S3cret" not in result.stderr + result.stdout
    assert shown in line
