"""Differential privacy for a partner (BE-6): OpenDP noise, the privacy loss recorded, releases
within the budget per month of data, refused beyond it."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest

from keepfaith.audit.models import AuditEntry
from keepfaith.sharing.models import PartnerRelease, PrivacyBudget
from keepfaith.sharing.noise import noisy_counts, threshold_for
from keepfaith.sharing.periods import month_end
from keepfaith.sharing.services import ReleaseRefused
from tests.sharing.conftest import ingest_month
from tests.sharing.test_release import file_of, release

pytestmark = pytest.mark.clause("BE-6")

OCT, NOV = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def test_the_loss_recorded_is_opendps_own_and_the_threshold_keeps_delta():
    result = noisy_counts(
        counts={"DK": 500, "SE": 60, "IS": 1}, epsilon=0.5, delta=1e-7, contribution=1, floor=10
    )
    assert result.epsilon == pytest.approx(0.5)
    assert 0 < result.delta <= 1e-7
    assert result.threshold >= 10
    assert all(value >= result.threshold for value in result.counts.values())
    looser = threshold_for(scale=2.0, contribution=1, delta=1e-3, floor=2)
    assert looser < threshold_for(scale=2.0, contribution=1, delta=1e-9, floor=2)


def test_a_key_seen_once_does_not_come_through_the_threshold():
    for _ in range(40):
        released = noisy_counts(counts={"DK": 300, "IS": 1}, epsilon=1.0, delta=1e-7,
                                contribution=1, floor=10)  # fmt: skip
        assert "IS" not in released.counts


def test_the_noise_is_centred_and_as_wide_as_epsilon_says():
    draws = [
        noisy_counts(counts={"DK": 1000}, epsilon=1.0, delta=1e-6, contribution=1, floor=10).counts[
            "DK"
        ]
        for _ in range(300)
    ]
    assert abs(statistics.mean(draws) - 1000) < 0.5
    assert 0.9 < statistics.pstdev(draws) < 2.0  # discrete Laplace, scale 1: sd about 1.4
    assert len(set(draws)) > 5


@pytest.mark.django_db
@pytest.mark.feature("sharing.noise-budget")
def test_releases_stay_within_the_budget_and_are_refused_beyond_it(published, pat_actor):
    # Enough traffic for many countries: two releases differ when any noisy figure does. With
    # the 4 figures of 4,000 lines two releases were the same about once in 150 (each figure
    # draws the same noise twice with chance 0.28), and the assertion below failed.
    ingest_month(first_day=NOV, seed=31, lines=40_000)
    first = release(pat_actor, partner="market-survey", start=NOV, end=month_end(NOV))
    second = release(pat_actor, partner="market-survey", start=NOV, end=month_end(NOV))
    assert first.epsilon == pytest.approx(1.0)
    noisy = [row for row in file_of(first).read_text().splitlines()[1:] if ",*," not in row]
    assert len(noisy) >= 15  # the same draws for all: under 0.28 ** 15, about 2e-9
    assert first.sha256 != second.sha256  # fresh noise each time
    budget = PrivacyBudget.objects.get(partner="market-survey", month=NOV)
    assert budget.epsilon_spent == pytest.approx(2.0)
    assert budget.releases == 2
    with pytest.raises(
        ReleaseRefused, match="privacy budget of partner 'market-survey' for 2026-11"
    ) as spent:
        release(pat_actor, partner="market-survey", start=NOV, end=month_end(NOV))
    # people read it by the partner's name, in their language (the console shows this)
    from django.utils import translation

    with translation.override("da"):
        shown = spent.value.for_people()
    assert shown is not None and "market-survey" not in shown
    assert "Markedsundersøgelse af certifikater" in shown and "november 2026" in shown
    # a release that covers the spent month is refused too, and spends nothing on October
    with pytest.raises(ReleaseRefused, match="2026-11 is spent"):
        release(pat_actor, partner="market-survey", start=OCT, end=month_end(NOV))
    assert PrivacyBudget.objects.filter(partner="market-survey", month=OCT).exists() is False
    assert PartnerRelease.objects.count() == 2
    refusals = AuditEntry.objects.filter(action="sharing.release", outcome="refused")
    assert refusals.count() == 2
    assert "budget" in refusals[0].detail["reason"]
    budget.refresh_from_db()
    assert budget.epsilon_spent == pytest.approx(2.0)


@pytest.mark.django_db
def test_a_noisy_release_shows_no_figure_under_the_threshold(published, pat_actor):
    import json
    from pathlib import Path

    from django.conf import settings

    ingest_month(first_day=NOV, seed=32)
    row = release(pat_actor, partner="market-survey", start=NOV, end=month_end(NOV), fmt="json")
    document = json.loads((Path(settings.SHARING_DIR) / row.file_name).read_text())
    assert document["differential_privacy"]["epsilon"] == pytest.approx(1.0)
    figures = document["aggregates"][0]["figures"]
    assert figures[-1]["registry_country"] is None  # the total
    for figure in figures[:-1]:
        assert figure["withheld"] is False
        assert figure["count"] >= 10
