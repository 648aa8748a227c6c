"""Print a policy check the way compilers do, and the exit code of ``policy check``.

Each problem is one line, ``file:line:col: error|warning: path: message``, followed by a
summary. The command exits 1 when there is any error and 0 otherwise (warnings allowed).
"""

from __future__ import annotations

import os
from typing import TextIO

from keepfaith.policy.loader import check_policy
from keepfaith.policy.problems import Problem, Report


def format_problem(problem: Problem) -> str:
    """One line: ``file:line:col: severity: path: message``."""
    return str(problem)


def format_report(report: Report) -> str:
    """Every problem on its own line, then a one-line summary."""
    lines = [format_problem(problem) for problem in report.problems]
    errors, warnings = len(report.errors), len(report.warnings)
    verdict = "ok" if report.ok else "failed"
    lines.append(f"{report.file}: {verdict}: {errors} error(s), {warnings} warning(s)")
    return "\n".join(lines) + "\n"


def policy_check_command(*, path: str | os.PathLike[str], out: TextIO) -> int:
    """Check the policy at ``path``, write the report to ``out``; return the exit code."""
    report = check_policy(path)
    out.write(format_report(report))
    return 0 if report.ok else 1
