"""Helpers for policy tests: the examples as text, and mutations located by line."""

from __future__ import annotations

from pathlib import Path

from keepfaith.policy import Report, policy_report

ROOT = Path(__file__).resolve().parents[2]
BE_PATH = ROOT / "examples" / "qualityssl" / "policy.yaml"
QS_PATH = ROOT / "examples" / "qualispace" / "policy.yaml"
BE_TEXT = BE_PATH.read_text("utf-8")
QS_TEXT = QS_PATH.read_text("utf-8")


def mutate(text: str, old: str, new: str) -> str:
    """Replace the first ``old`` (which must occur) with ``new``."""
    assert old in text, f"mutation anchor not found: {old!r}"
    return text.replace(old, new, 1)


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first occurrence of ``fragment``."""
    assert fragment in text, f"fragment not found: {fragment!r}"
    return text[: text.index(fragment)].count("\n") + 1


def check(text: str) -> Report:
    return policy_report(raw=text, file="p.yaml")


def only_error(report: Report):
    assert len(report.errors) == 1, "\n".join(str(p) for p in report.problems)
    return report.errors[0]
