"""Campaign measurement (the use behind ``kf_campaign``): what each campaign code brought.

A browser that accepted campaign measurement and arrived through a campaign link carries the
code (``keepfaith.cookies.consent``); a sign-up or an order made from it adds one to that
code's count for the day. Nothing else is kept: no person, browser or order is named, so the
counts are no one's personal data. Marketing reads them on the console's campaigns page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Sum
from django.utils import timezone

from keepfaith.comms.models import CampaignResult
from keepfaith.policy.trace import enforces

RESULTS = ("signups", "orders")


@enforces("BE-4", features=("cookies.campaign-measurement",))
def campaign_result_count(*, code: str, result: str, day: dt.date | None = None) -> None:
    """Add one ``result`` (``signups`` or ``orders``) to ``code``'s count for ``day``."""
    if result not in RESULTS:
        raise ValueError(f"not a campaign result: {result!r}")
    when = day or timezone.localdate()
    row, _ = CampaignResult.objects.get_or_create(code=code, day=when)  # a race: one row
    CampaignResult.objects.filter(pk=row.pk).update(**{result: F(result) + 1})


@dataclass(frozen=True, slots=True)
class CampaignTotals:
    code: str
    signups: int
    orders: int


def campaign_results(*, days: int = 90, today: dt.date | None = None) -> list[CampaignTotals]:
    """Each code's totals over the last ``days`` days, most orders first."""
    since = (today or timezone.localdate()) - dt.timedelta(days=days)
    rows = (
        CampaignResult.objects.filter(day__gt=since)
        .values("code")
        .annotate(s=Sum("signups"), o=Sum("orders"))
        .order_by("-o", "-s", "code")
    )
    return [CampaignTotals(r["code"], r["s"] or 0, r["o"] or 0) for r in rows]
