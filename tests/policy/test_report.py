"""The check command's output format and exit codes."""

from __future__ import annotations

import io

from keepfaith.policy.__main__ import main
from keepfaith.policy.report import format_report, policy_check_command
from tests.policy.helpers import BE_PATH, BE_TEXT, check, mutate


def test_clean_example_exits_zero():
    out = io.StringIO()
    assert policy_check_command(path=BE_PATH, out=out) == 0
    assert out.getvalue() == f"{BE_PATH}: ok: 0 error(s), 0 warning(s)\n"


def test_errors_exit_one_with_compiler_style_lines(tmp_path):
    broken = tmp_path / "policy.yaml"
    broken.write_text(mutate(BE_TEXT, "min_cell_size: 10", "min_cell_size: 0"), "utf-8")
    out = io.StringIO()
    assert policy_check_command(path=broken, out=out) == 1
    first, summary = out.getvalue().splitlines()
    assert first.startswith(f"{broken}:")
    assert first.endswith(
        ": error: recipients.partners[0].min_cell_size: a partner needs min_cell_size of at least 2"
    )
    assert summary == f"{broken}: failed: 1 error(s), 0 warning(s)"


def test_warnings_do_not_fail():
    text = mutate(
        BE_TEXT,
        "    legal_basis: consent\n    choice: opt-in\n    audience: [established_customers]",
        "    legal_basis: legitimate_interests\n    choice: opt-out\n"
        "    audience: [established_customers]",
    )
    report = check(text)
    assert format_report(report).splitlines()[-1] == "p.yaml: ok: 0 error(s), 1 warning(s)"


def test_module_entry_point(capsys):
    assert main(["check", str(BE_PATH)]) == 0
    assert "ok: 0 error(s)" in capsys.readouterr().out
