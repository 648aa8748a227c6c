"""The memo of functions of visitor-chosen text keeps short calls only (hostile sizes)."""

from __future__ import annotations

import pytest

from keepfaith.memo import LONGEST, short_text_cache
from keepfaith.urlsecrets import path_shown
from keepfaith.weblog import facts, privacy, useragents


def test_a_short_call_is_remembered_and_a_long_one_worked_out_each_time():
    calls: list[str] = []

    @short_text_cache(maxsize=8)
    def shout(*, text: str) -> str:
        calls.append(text)
        return text.upper()

    long = "x" * (LONGEST + 1)
    assert [shout(text="a"), shout(text="a"), shout(text=long), shout(text=long)] == [
        "A",
        "A",
        long.upper(),
        long.upper(),
    ]
    assert calls == ["a", long, long]
    assert shout.cache_info().currsize == 1
    shout.cache_clear()
    assert shout.cache_info().currsize == 0


def test_text_arguments_count_together():
    @short_text_cache(maxsize=8, longest=4)
    def join(left: str, right: str, times: int) -> str:
        return (left + right) * times

    join("ab", "cd", 2)
    join("ab", "cde", 2)
    assert join.cache_info().currsize == 1


@pytest.mark.clause("BE-5")
@pytest.mark.parametrize(
    ("memo", "call"),
    [
        (facts.referrer_parts, lambda text: facts.referrer_parts("https://example.org/" + text)),
        (facts.extension, lambda text: facts.extension("/files/" + text + ".pdf")),
        (useragents.agent_families, lambda text: useragents.agent_families(user_agent=text)),
        (privacy._ipv6_network, lambda text: privacy._ipv6_network("2001:db8:" + "a" * len(text))),
        (path_shown, lambda text: path_shown("/p/" + text)),
    ],
    ids=["referrer", "extension", "user agent", "ipv6", "path"],
)
def test_a_log_of_long_distinct_values_leaves_the_ingest_caches_as_they_were(memo, call):
    """A file of 50,000 distinct 8 KB referrers or agents kept 400 MB alive in these caches."""
    memo.cache_clear()
    for n in range(50):
        call(f"{n:04d}" + "z" * 8_000)
    assert memo.cache_info().currsize == 0
    call("short")
    assert memo.cache_info().currsize == 1


def test_each_answers_as_calls_do_and_shares_their_memo():
    calls: list[str] = []

    @short_text_cache(maxsize=8, longest=4)
    def shout(*, text: str) -> str:
        calls.append(text)
        return text.upper()

    assert shout.each(["a", "b", "a", "toolong"]) == ["A", "B", "A", "TOOLONG"]
    assert shout(text="a") == "A"  # remembered by each
    assert calls == ["a", "b", "toolong"]
    assert shout.cache_info().currsize == 2


def test_each_is_for_functions_of_one_value():
    @short_text_cache(maxsize=8)
    def join(left: str, right: str) -> str:
        return left + right

    with pytest.raises(TypeError, match="more than one value"):
        join.each(["a"])


@pytest.mark.parametrize(
    "call",
    [
        lambda f: f("x"),  # keyword-only, passed by position
        lambda f: f(agent="x"),  # the wrong name
        lambda f: f(),
        lambda f: f(text="x", more="y"),
    ],
    ids=["by position", "wrong name", "no value", "two values"],
)
def test_a_call_of_another_shape_is_refused_as_the_function_refuses_it(call):
    @short_text_cache(maxsize=8)
    def shout(*, text: str) -> str:
        return text.upper()

    with pytest.raises(TypeError):
        call(shout)


def test_a_long_value_in_each_is_worked_out_and_not_kept():
    @short_text_cache(maxsize=8, longest=4)
    def shout(text: str) -> str:
        return text.upper()

    assert shout.each(["toolong", "ab"]) == ["TOOLONG", "AB"]
    assert shout.cache_info().currsize == 1
