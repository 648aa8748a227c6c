"""Differencing attacks across overlapping releases find no figure below the threshold (BE-6).

The attacker holds several releases of the same partner and subtracts them, or solves all
their sums at once with exact rational algebra (tests/sharing/helpers.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from keepfaith.audit.models import AuditEntry
from keepfaith.policy.aggregates import AGGREGATES
from keepfaith.sharing.figures import figures_suppressed
from keepfaith.sharing.periods import Period, PeriodError, month_end, release_period
from keepfaith.sharing.services import ReleaseRefused
from keepfaith.sharing.suppression import table_2d
from tests.sharing.conftest import buyers, ingest_month
from tests.sharing.helpers import line_equations, recoverable
from tests.sharing.test_release import release

pytestmark = pytest.mark.clause("BE-6")

JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
ORDERS = AGGREGATES["orders_by_product_country"]
COUNTS = st.one_of(st.just(0), st.integers(1, 12), st.integers(13, 90))


@st.composite
def two_months(draw):
    keys = [(p, c) for p in ("dv", "ev", "wild") for c in ("DK", "SE", "NO")]
    return [{key: draw(COUNTS) for key in keys if draw(st.booleans())} for _ in range(2)]


def _release_of(months, period):
    """Figures of ``period`` from monthly counts (a stand-in for the orders selector)."""
    by_month = dict(zip((JAN, FEB), months, strict=True))

    def source(start, end):
        return by_month[start], None

    return figures_suppressed(kind=ORDERS, period=period, k=10, source=source)


@hsettings(max_examples=150, deadline=None)
@given(two_months())
def test_subtracting_a_month_from_two_months_gives_no_small_figure(months):
    jan = _release_of(months, Period(JAN, month_end(JAN))).shown()
    feb = _release_of(months, Period(FEB, month_end(FEB))).shown()
    both = _release_of(months, Period(JAN, month_end(FEB))).shown()
    for key, total in both.items():
        for month in (jan, feb):
            if key in month:
                assert total - month[key] == 0 or total - month[key] >= 10, key


@hsettings(max_examples=150, deadline=None)
@given(two_months())
def test_all_three_releases_solved_together_pin_down_no_small_figure(months):
    """Unknowns: every monthly figure the monthly releases withhold; equations: each month's
    rows and columns, and each figure the two-month release shows (sum of the months)."""
    periods = {JAN: Period(JAN, month_end(JAN)), FEB: Period(FEB, month_end(FEB))}
    tables = {m: table_2d(dimensions=("product", "country"), counts=c)
              for m, c in zip((JAN, FEB), months, strict=True)}  # fmt: skip
    shown = {m: _release_of(months, p).shown() for m, p in periods.items()}
    both = _release_of(months, Period(JAN, month_end(FEB))).shown()
    equations = []
    for month, table in tables.items():
        for equation in line_equations(table.lines, tag=month):
            equations.append({v: c for v, c in equation.items() if v[1] not in shown[month]})
    for key in both:
        equations.append({(m, key): 1 for m in tables if key not in shown[m]})
    unknown = sorted({v for eq in equations for v in eq}, key=str)
    for month, key in recoverable(equations, unknown):
        value = tables[month].values.get(key, 0)
        assert not 0 < value < 10, (month, key, value)


def test_a_period_and_the_same_period_plus_one_day_cannot_both_be_released():
    release_period(start=JAN, end=month_end(JAN))
    with pytest.raises(PeriodError, match="2026-02-01 is inside a month"):
        release_period(start=JAN, end=FEB)
    with pytest.raises(PeriodError, match="2026-01-02 is inside a month"):
        release_period(start=dt.date(2026, 1, 2), end=month_end(JAN))


def test_a_month_that_has_not_ended_cannot_be_released():
    """A running month would go out incomplete, and its later release could be subtracted
    from this one; a future month has nothing to release yet."""
    today = dt.date(2026, 12, 5)
    november = release_period(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30), today=today)
    assert november.months() == [dt.date(2026, 11, 1)]
    for start, end in (
        (dt.date(2026, 12, 1), dt.date(2026, 12, 31)),  # running
        (dt.date(2027, 1, 1), dt.date(2027, 1, 31)),  # to come
        (dt.date(2026, 11, 1), dt.date(2026, 12, 31)),  # ends in the running one
    ):
        with pytest.raises(PeriodError, match=r"is not over yet.*the latest is 2026-11"):
            release_period(start=start, end=end, today=today)
    last_day = dt.date(2026, 11, 30)  # on a month's last day, the month is not over yet
    with pytest.raises(PeriodError, match="2026-11 is not over yet"):
        release_period(start=dt.date(2026, 11, 1), end=last_day, today=last_day)


def _figures(row):
    text = (Path(settings.SHARING_DIR) / row.file_name).read_text()
    out = {}
    for item in csv.DictReader(io.StringIO(text)):
        if item["withheld"] == "no":
            out[(item["aggregate"], item["value_1"], item["value_2"])] = int(item["count"])
    return out


@pytest.mark.django_db
def test_differencing_real_releases_of_overlapping_periods_finds_nothing_small(
    published, pat_actor
):
    jan_paid = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
    feb_paid = dt.datetime(2026, 2, 10, tzinfo=dt.UTC)
    denmark, sweden, norway = "Nørregade 1, København K", "Storgatan 1, Sverige", "Oslo, Norge"
    for paid, counts in ((jan_paid, (30, 4, 15, 20, 12, 14)), (feb_paid, (31, 9, 16, 22, 11, 13))):
        for (product, where), count in zip(
            [("dv", denmark), ("dv", sweden), ("dv", norway), ("ev", denmark), ("ev", norway),
             ("ev", sweden)], counts, strict=True):  # fmt: skip
            buyers(count=count, address=where, products=[product], paid=paid)
    ingest_month(first_day=JAN, seed=21)
    ingest_month(first_day=FEB, seed=22)
    with pytest.raises(ReleaseRefused, match="inside a month"):
        release(pat_actor, start=JAN, end=FEB)  # the month plus one day
    refused = AuditEntry.objects.get(action="sharing.release", outcome="refused")
    assert "inside a month" in refused.detail["reason"]
    jan = _figures(release(pat_actor, start=JAN, end=month_end(JAN)))
    feb = _figures(release(pat_actor, start=FEB, end=month_end(FEB)))
    both = _figures(release(pat_actor, start=JAN, end=month_end(FEB)))
    assert ("orders_by_product_country", "dv", "SE") not in both  # 4 + 9, each month small
    assert ("orders_by_product_country", "dv", "DK") in jan
    compared = 0
    for key, total in both.items():
        for month in (jan, feb):
            if key in month:
                compared += 1
                assert total - month[key] == 0 or total - month[key] >= 10, key
        if key in jan and key in feb:
            assert total == jan[key] + feb[key]
    assert compared > 20
