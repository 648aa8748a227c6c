"""The certificates' daily run (``keepfaith certs refresh``, the ``certificates`` job): send
what waits for the certificate authority, order the certificates of paid renewal periods,
mark certificates expiring or expired and remind their owners (SITE-2, BE-10)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from keepfaith.audit.services import Actor
from keepfaith.certs.emails import certificate_expiry_reminders
from keepfaith.certs.ordering import certificates_place_waiting, certificates_renew_paid
from keepfaith.certs.services import certificate_states_refresh
from keepfaith.gate import Gate
from keepfaith.policy import Policy
from keepfaith.policy.schema import duration_hours
from keepfaith.policy.trace import enforces


@dataclass(frozen=True)
class DailyRun:
    placed: int
    not_placed: int
    renewed: int
    expiring: int
    expired: int
    reminded: int

    def summary(self) -> str:
        return (
            f"{self.placed} sent to the certificate authority ({self.not_placed} left for the "
            f"next run), {self.renewed} renewal certificate(s) ordered, {self.expiring} "
            f"expiring, {self.expired} expired, {self.reminded} reminder(s) sent"
        )


def expiring_days(policy: Policy) -> int:
    """A certificate is "expiring" (and its owner reminded) once the policy's renewal window
    opens; without a ``renewals`` section, ``KEEPFAITH_CERT_EXPIRING_DAYS`` before its end."""
    if policy.renewals is None:
        return int(settings.CERT_EXPIRING_DAYS)
    return max((duration_hours(policy.renewals.window) or 0) // 24, 1)


@enforces("SITE-2", "BE-10")
def certificates_daily(*, gate: Gate, policy: Policy, now: dt.datetime | None = None) -> DailyRun:
    now = now or timezone.now()
    actor = Actor.system("certificates")
    placed = certificates_place_waiting(actor=actor, gate=gate)
    renewed = certificates_renew_paid(actor=actor, gate=gate)
    counts = certificate_states_refresh(now=now, expiring_days=expiring_days(policy))
    reminded = certificate_expiry_reminders(gate=gate, policy=policy, now=now)
    return DailyRun(placed.placed, placed.failed, renewed, counts["expiring"],
                    counts["expired"], reminded)  # fmt: skip
