"""Fuzz: no input makes the checker raise; load_policy raises only PolicyError."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepfaith.policy import PolicyError, Report, load_policy_text, policy_report
from tests.policy.helpers import BE_TEXT, QS_TEXT

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BE_LINES = BE_TEXT.splitlines(keepends=True)
QS_LINES = QS_TEXT.splitlines(keepends=True)
KEY_LINE = re.compile(r"^(\s*(?:- )?)([a-z_]+):")


def _never_crashes(raw: bytes | str) -> Report:
    report = policy_report(raw=raw, file="fuzz.yaml")
    assert isinstance(report, Report)
    if report.ok:
        assert report.policy is not None
    else:
        try:
            load_policy_text(raw)
        except PolicyError as exc:
            assert exc.problems
        else:
            raise AssertionError("load_policy_text accepted a policy with errors")
    for problem in report.problems:
        assert problem.line >= 1 and problem.column >= 1
    return report


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(raw):
    _never_crashes(raw)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#,?\n \t0.x%@`")), max_size=200))
def test_random_yamlish_text(text):
    _never_crashes(text)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(yaml_values)
def test_random_documents(value):
    from io import StringIO

    from ruamel.yaml import YAML

    out = StringIO()
    YAML(typ="safe", pure=True).dump(value, out)
    _never_crashes(out.getvalue())


def _mutate(lines: list[str], index: int, kind: str, word: str) -> str:
    lines = list(lines)
    line = lines[index]
    match = KEY_LINE.match(line)
    if kind == "delete":
        del lines[index]
    elif kind == "duplicate":
        lines.insert(index, line)
    elif kind == "retype" and match:
        lines[index] = f"{match.group(1)}{match.group(2)}: [{word}]\n"
    elif kind == "rename" and match:
        lines[index] = line.replace(match.group(2), word or "x", 1)
    elif kind == "reference":
        lines[index] = re.sub(r"[a-z_]+\.[a-z_.]+", word or "nothing.here", line, count=1)
    return "".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["be", "qs"]),
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10_000),
            st.sampled_from(["delete", "duplicate", "retype", "rename", "reference"]),
            st.text(alphabet="abcdefghij._-", max_size=10),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_examples(which, edits):
    lines = BE_LINES if which == "be" else QS_LINES
    for index, kind, word in edits:
        text = _mutate(lines, index % len(lines), kind, word)
        lines = text.splitlines(keepends=True) or ["\n"]
    _never_crashes("".join(lines))
