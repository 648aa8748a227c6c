"""The command line as one tool: every keepfaith command is in the grouped help with a
description and in the README's command table; the help starts without Django."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path

import pytest

from keepfaith.__main__ import _arguments
from keepfaith.commands import COMMANDS, OWN, help_text

ROOT = Path(__file__).resolve().parents[1]


def _commands_on_disk() -> dict[str, str]:
    found = {}
    for path in sorted((ROOT / "keepfaith").glob("*/management/commands/*.py")):
        if not path.name.startswith("_"):
            found[path.stem] = f"keepfaith.{path.parts[-4]}.management.commands.{path.stem}"
    return found


def test_every_command_is_listed_with_a_description_and_its_own_help():
    on_disk = _commands_on_disk()
    assert set(on_disk) == OWN
    for entry in COMMANDS:
        assert entry.summary.strip() and entry.group.strip(), entry.name
        command = import_module(on_disk[entry.name]).Command
        assert str(command.help).strip(), f"{entry.name} has no --help text"


def test_each_summary_names_every_subcommand_there_is_and_no_other(db):
    """``keepfaith --help`` once named a ``rights export`` that does not exist and left out
    ``ready`` and ``restrict``: each summary now names exactly the command's subcommands."""
    import argparse

    on_disk = _commands_on_disk()
    for entry in COMMANDS:
        parser = import_module(on_disk[entry.name]).Command().create_parser("keepfaith", entry.name)
        choices: set[str] = set()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction) or (
                action.dest == "action" and action.choices
            ):
                choices |= set(action.choices)
        words = set(re.findall(r"[a-z][a-z-]*", entry.summary))
        assert choices <= words, (entry.name, sorted(choices - words))
        if entry.name in ("rights",):  # a list of actions: nothing that is not one of them
            listed = entry.summary.split(":", 1)[1]
            assert set(re.findall(r"[a-z][a-z-]*", listed)) == choices, entry.summary


def test_every_command_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Commands") :].split("\n## ", 1)[0]
    in_table = set(re.findall(r"^\| `keepfaith ([a-z-]+)", table, flags=re.M))
    assert in_table == OWN


def test_help_lists_ours_first_grouped_then_django_s():
    text = help_text(["django.contrib.auth", "keepfaith.audit", "axes"])
    assert text.index("audit ") < text.index("Django's and the libraries' commands")
    assert "Policy:" in text and "Mail:" in text
    assert "[auth] changepassword, createsuperuser" in text
    assert "[axes]" in text


def test_help_starts_without_django():
    code = (
        "import sys; sys.argv=['keepfaith','--help']; from keepfaith.__main__ import main; "
        "main(); import sys as s; print('APPS', 'django.apps.registry' in s.modules and "
        "__import__('django.apps').apps.ready); print('PYDANTIC', 'pydantic' in s.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert "APPS False" in out
    assert "PYDANTIC False" in out


def test_own_commands_skip_the_system_checks_before_their_subcommand():
    assert _arguments(["kf", "audit", "verify"]) == ["kf", "audit", "--skip-checks", "verify"]
    assert _arguments(["kf", "migrate"]) == ["kf", "migrate"]
    assert _arguments(["kf", "audit", "--help"]) == ["kf", "audit", "--help"]


def test_policy_check_reports_a_bad_retention_and_a_misspelt_category_in_one_run(tmp_path):
    from keepfaith.policy import check_policy

    text = (ROOT / "examples/qualityssl/policy.yaml").read_text(encoding="utf-8")
    bad = text.replace("retention: 90d", "retention: ninety days", 1).replace(
        "user.device.computer_configuration]", "user.device.computer_configuraton]", 1
    )
    path = tmp_path / "policy.yaml"
    path.write_text(bad, encoding="utf-8")
    messages = [p.message for p in check_policy(path).problems]
    assert any("'ninety days' is not a retention" in m for m in messages)
    assert any("unknown data category 'user.device.computer_configuraton'" in m for m in messages)


def test_logs_report_is_a_table_when_asked_and_json_when_piped(settings, tmp_path, db):
    import json
    from io import StringIO

    from django.core.management import call_command

    settings.WEBLOG_DIR = tmp_path / "weblog"
    out = StringIO()
    call_command("logs", "report", "--from", "2026-01-01", "--to", "2026-01-07", stdout=out)
    assert json.loads(out.getvalue())["start"] == "2026-01-01"  # piped: json as before
    table = StringIO()
    call_command(
        "logs", "report", "--from", "2026-01-01", "--to", "2026-01-07", "--format", "table",
        stdout=table,
    )  # fmt: skip
    assert "Traffic per day" in table.getvalue() and "Registry countries" in table.getvalue()


def test_a_report_range_that_ends_before_it_starts_is_refused_before_any_read_is_audited(
    settings, tmp_path, db
):
    from django.core.management import CommandError, call_command

    from keepfaith.audit.models import AuditEntry

    settings.WEBLOG_DIR = tmp_path / "weblog"
    with pytest.raises(CommandError, match=r"ends .2026-11-01. before it starts .2026-11-30."):
        call_command("logs", "report", "--from", "2026-11-30", "--to", "2026-11-01")
    assert not AuditEntry.objects.filter(action__contains="report").exists()


def test_numeric_options_outside_their_range_are_usage_errors():
    """-n -5, twenty digits, 1e3: the option and its range in argparse's usage error, never
    a traceback from the database or DuckDB the number would have reached."""
    import argparse

    import pytest

    from keepfaith.terminal import whole_number

    parse = whole_number(1, 100_000)
    assert parse(" 20 ") == 20
    for text in ("-5", "0", "100001", "9" * 20, "1e3", "²", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="not a whole number from 1 to"):
            parse(text)
    for argv in (
        ["audit", "tail", "-n", "-5", "--as", "ada@staff.example"],
        ["logs", "report", "--from", "2026-11-01", "--to", "2026-11-02", "--limit", "9" * 25],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "keepfaith", *argv], capture_output=True, text=True, check=False
        )
        assert done.returncode == 2, done.stderr
        assert "is not a whole number from 1 to 100000" in done.stderr
        assert "Traceback" not in done.stderr


def test_a_poll_interval_outside_its_range_is_a_usage_error():
    import argparse

    import pytest

    from keepfaith.terminal import seconds_between

    parse = seconds_between(0.05, 3600)
    assert parse("0.5") == 0.5
    for text in ("-1", "nan", "inf", "0", "x", "3601"):
        with pytest.raises(argparse.ArgumentTypeError, match="is not a number of seconds"):
            parse(text)


@pytest.mark.clause("BE-5")
def test_the_reports_command_is_read_as_the_console_reads_them(settings, tmp_path, db, mia, bob):
    """Marketing may read the reports (the policy grants them); support may not; the read or
    the refusal is in the audit log, as in the console."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    from keepfaith.audit.models import AuditEntry

    settings.WEBLOG_DIR = tmp_path / "weblog"
    days = ("--from", "2026-01-01", "--to", "2026-01-07")
    call_command("logs", "report", *days, "--as", mia.email, stdout=StringIO())
    with pytest.raises(CommandError, match="refused by the policy"):
        call_command("logs", "report", *days, "--as", bob.email, stdout=StringIO())
    call_command("logs", "report", *days, stdout=StringIO())
    entries = AuditEntry.objects.filter(action="console.analytics.report").order_by("seq")
    assert [(e.actor, e.outcome) for e in entries] == [
        (mia.email, "read"), (bob.email, "refused"), ("logs report", "read"),
    ]  # fmt: skip


def _keepfaith(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keepfaith", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def test_a_database_without_tables_is_one_line_saying_to_migrate(tmp_path):
    env = {"KEEPFAITH_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/new.db"}
    for args in (["audit", "verify"], ["staff", "list"], ["jobs", "list"]):
        result = _keepfaith(*args, env=env)
        assert result.returncode == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("keepfaith: the database has no tables for this yet"), line
        assert line.endswith("run `keepfaith migrate`"), line


def test_a_database_that_cannot_be_reached_is_one_line(tmp_path):
    env = {"KEEPFAITH_VAR_DIR": str(tmp_path),
           "DATABASE_URL": "postgres://kf:secret-pw@127.0.0.1:9/kf_nowhere"}  # fmt: skip
    result = _keepfaith("audit", "verify", env=env)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("keepfaith: cannot use the database kf_nowhere: "), line
    assert "secret-pw" not in result.stderr


def _opened(pid: int, name: str, seconds: float = 60) -> bool:
    """Whether process ``pid`` opens a file called ``name`` within ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            links = []
        if any(link.endswith(name) for link in links):
            return True
        time.sleep(0.1)
    return False


def test_ctrl_c_ends_a_command_with_one_line_and_status_130(tmp_path):
    env = {"KEEPFAITH_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/kf.db"}
    assert _keepfaith("migrate", "-v", "0", env=env).returncode == 0
    with subprocess.Popen(
        [sys.executable, "-m", "keepfaith", "mail", "worker", "--poll", "30"],
        env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    ) as process:  # fmt: skip
        assert _opened(process.pid, "kf.db"), "the worker never opened its database"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip() == "keepfaith: interrupted", err


def test_operator_mistakes_are_one_line_errors(db):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"\(no address\): an e-mail address is required"):
        call_command("staff", "add", "", "--role", "support", stdout=StringIO())
    with pytest.raises(CommandError, match="invalid choice: 'zz'"):
        call_command("policy", "diff", "a", "b", "--lang", "zz")
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"cannot listen on 127.0.0.1:{port}: "):
            call_command("mail", "listen", "--port", str(port), stdout=StringIO())
