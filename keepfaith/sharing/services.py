"""Releases to partners (BE-6): asked of the gate, cut from whole months, suppressed or
noised, written to the partner's drop folder, recorded and audited.

``release_create`` is the one way aggregates leave for a partner. In order:

1. the period must be whole calendar months that have ended (``periods.release_period``);
2. the gate is asked, per aggregate, ``use="third_party_sharing"`` with the categories the
   aggregate is derived from, ``recipient=<partner>`` and ``aggregate=<its name>``: a
   partner the policy does not name, or an aggregate not listed for it, is refused there;
3. with differential privacy, every month of the period must have budget left for one more
   release (the epsilon of a release is split evenly over its aggregates);
4. the figures are made (``figures``), the file rendered (``exportfile``) and written next to
   the partner's folder, then, in one transaction: the budget spent, the ``PartnerRelease``
   row, the audit entry (with the file's SHA-256), and the file moved into the drop folder.

Every refusal is audited too (outcome ``refused``, with the reason).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext

from keepfaith.audit.services import Actor, audit_append
from keepfaith.gate import Gate
from keepfaith.policy import Policy
from keepfaith.policy.aggregates import AGGREGATES, aggregate_categories, aggregate_kind
from keepfaith.policy.retention import uses_kept_days
from keepfaith.policy.schema import DifferentialPrivacy, Partner, text_in
from keepfaith.policy.trace import enforces
from keepfaith.sharing.exportfile import release_csv, release_json
from keepfaith.sharing.figures import (
    Counts,
    Figures,
    People,
    Source,
    figures_noisy,
    figures_suppressed,
)
from keepfaith.sharing.models import PartnerRelease, PrivacyBudget, ReleaseFormat
from keepfaith.sharing.periods import Period, PeriodError, release_period
from keepfaith.sharing.selectors import budget_spent, log_counts, order_counts
from keepfaith.weblog.store import WeblogPaths

SHARING_USE = "third_party_sharing"
MAX_PRODUCTS_PER_CUSTOMER = 2  # with noise: a customer counts in at most 2 product rows a month
_EPS_SLACK = 1e-9


class ReleaseRefused(Exception):
    """A release that may not happen; the message says why and what would allow it, as the
    audit log records it. ``shown`` is the same for people, in the reader's language and by
    the policy's names (worked out when shown: the language is the page's)."""

    def __init__(self, reason: str, *, shown: Callable[[], str] | None = None) -> None:
        super().__init__(reason)
        self.shown = shown

    def for_people(self) -> str | None:
        """The refusal in the reader's words, or None when only the recorded reason exists."""
        return self.shown() if self.shown is not None else None


def _budget_spent_words(partner: Partner, month: dt.date) -> Callable[[], str]:
    def shown() -> str:
        lang = (get_language() or "en")[:2]
        return gettext(
            "The privacy budget of %(partner)s for %(month)s is used up: no more releases of "
            "that month's data."
        ) % {
            "partner": text_in(partner.name, lang),
            "month": date_format(month, "YEAR_MONTH_FORMAT"),
        }

    return shown


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    """What to release: a partner, a period, a format, optionally some of its aggregates."""

    partner: str
    start: dt.date
    end: dt.date
    file_format: str = ReleaseFormat.CSV
    aggregates: tuple[str, ...] = ()
    scheduled: bool = False


@dataclass(frozen=True, slots=True)
class Where:
    """Where the counts come from and where files go."""

    weblog: WeblogPaths
    drop_dir: Path


def _refuse(
    *,
    actor: Actor,
    request: ReleaseRequest,
    reason: str,
    cats: Sequence[str] = (),
    shown: Callable[[], str] | None = None,
) -> NoReturn:
    audit_append(
        actor=actor,
        action="sharing.release",
        outcome="refused",
        categories=tuple(cats),
        use=SHARING_USE,
        clauses=("BE-6",),
        detail={
            "partner": request.partner,
            "aggregates": list(request.aggregates),
            "period": f"{request.start}..{request.end}",
            "reason": reason,
        },
    )
    raise ReleaseRefused(reason, shown=shown)


def _use_of(spec: Partner | None) -> str:
    if spec is None or SHARING_USE in spec.uses:
        return SHARING_USE
    return spec.uses[0]


@enforces("BE-6")
def _ask_gate(
    *, gate: Gate, policy: Policy, request: ReleaseRequest, actor: Actor
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Ask the gate for each aggregate; return (aggregates, categories, clauses) allowed."""
    spec = policy.partner(request.partner)
    names = request.aggregates or (spec.aggregates if spec else tuple(AGGREGATES))
    use = policy.use_by_key(_use_of(spec))
    cats_all: list[str] = []
    clauses: list[str] = ["BE-6"]
    for name in names:
        known = aggregate_kind(name) is not None
        cats = aggregate_categories(policy=policy, key=name) if known else ()
        cats = cats or (tuple(use.categories) if use else ("user",))
        decision = gate.check(
            use=_use_of(spec),
            categories=cats,
            recipient=request.partner,
            aggregate=name,
            purpose_context=f"sharing:{request.partner}",
        )
        if not decision.allowed:
            _refuse(actor=actor, request=request, reason=decision.reason, cats=cats)
        if not known:  # a policy that passed `policy check` never lists one
            _refuse(actor=actor, request=request, reason=f"keepfaith cannot make {name!r}")
        cats_all += [c for c in cats if c not in cats_all]
        clauses += [c for c in decision.clauses if c not in clauses]
    return tuple(names), tuple(cats_all), tuple(clauses)


def _split(dp: DifferentialPrivacy, parts: int) -> DifferentialPrivacy:
    return dp.model_copy(
        update={"epsilon_per_release": dp.epsilon_per_release / parts, "delta": dp.delta / parts}
    )


def _budget_refusal(
    *, partner: Partner, dp: DifferentialPrivacy, period: Period
) -> ReleaseRefused | None:
    for month, spent in budget_spent(partner=partner.key, months=period.months()).items():
        if spent + dp.epsilon_per_release > dp.budget_per_period + _EPS_SLACK:
            return ReleaseRefused(
                f"the privacy budget of partner {partner.key!r} for {month:%Y-%m} is spent "
                f"({spent:g} of {dp.budget_per_period:g}; a release needs "
                f"{dp.epsilon_per_release:g}): no more releases of that month's data",
                shown=_budget_spent_words(partner, month),
            )
    return None


def _source(*, name: str, policy: Policy, where: Where, noisy: bool) -> Source:
    if AGGREGATES[name].source == "logs":

        def visits(start: dt.date, end: dt.date) -> tuple[Counts, People]:
            counts = log_counts(paths=where.weblog, aggregate=name, start=start, end=end)
            return {(value,): n for value, n in counts.items()}, None

        return visits
    ctl = policy.controller
    home = ctl.postal_address.country if ctl.postal_address else ctl.jurisdiction
    bound = MAX_PRODUCTS_PER_CUSTOMER if noisy else None

    def orders(start: dt.date, end: dt.date) -> tuple[Counts, People]:
        counts = order_counts(start=start, end=end, home=home, max_products=bound)
        return counts.cells, counts.people

    return orders


def _figures(
    *, names: Sequence[str], spec: Partner, period: Period, policy: Policy, where: Where
) -> list[Figures]:
    k = int(spec.min_cell_size or 2)
    dp = spec.differential_privacy
    out = []
    for name in names:
        kind = AGGREGATES[name]
        source = _source(name=name, policy=policy, where=where, noisy=dp is not None)
        if dp is None:
            out.append(figures_suppressed(kind=kind, period=period, k=k, source=source))
        else:
            bound = 1 if kind.source == "logs" else MAX_PRODUCTS_PER_CUSTOMER
            part = _split(dp, len(names))
            out.append(
                figures_noisy(
                    kind=kind, period=period, k=k, source=source, dp=part, contribution=bound
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class _Draft:
    """A release made and rendered, not yet recorded."""

    request: ReleaseRequest
    period: Period
    version: str
    names: tuple[str, ...]
    categories: tuple[str, ...]
    clauses: tuple[str, ...]
    k: int
    figures: list[Figures]
    body: bytes

    @property
    def epsilon(self) -> float | None:
        noisy = [f.epsilon for f in self.figures if f.epsilon is not None]
        return sum(noisy) if noisy else None

    @property
    def delta(self) -> float | None:
        noisy = [f.delta for f in self.figures if f.delta is not None]
        return sum(noisy) if noisy else None


def _render(*, request: ReleaseRequest, period: Period, version: str, k: int,
            figures: list[Figures]) -> bytes:  # fmt: skip
    if request.file_format == ReleaseFormat.JSON:
        return release_json(
            partner=request.partner, period=period, policy_version=version, k=k, figures=figures
        )
    return release_csv(figures=figures)


def release_keep_days(*, policy: Policy, partner: str) -> int | None:
    """How long a release file for ``partner`` is kept: the longest retention among the
    partner's uses in ``policy`` (None: a use without a fixed period, or the partner is no
    longer declared: the file is kept)."""
    found = next((p for p in policy.recipients.partners if p.key == partner), None)
    kept = uses_kept_days(policy=policy, uses=found.uses) if found is not None else None
    return kept[0] if kept is not None else None


def release_expired(*, release: PartnerRelease, policy: Policy, now: dt.datetime) -> bool:
    """Whether ``release``'s file is past its partner's retention (so deleted, or due)."""
    keep = release_keep_days(policy=policy, partner=release.partner)
    return keep is not None and release.created < now - dt.timedelta(days=keep)


@enforces("BE-6")
def releases_expire(*, policy: Policy, drop_dir: Path, now: dt.datetime, actor: Actor) -> int:
    """Delete the release files older than their partner's retention (the record of each
    release stays: what went to whom, when, its hash); audit it; return how many files."""
    gone: list[str] = []
    for release in PartnerRelease.objects.order_by("pk"):
        if not release_expired(release=release, policy=policy, now=now):
            continue
        path = release_file_path(release=release, drop_dir=drop_dir)
        if path.is_file():
            path.unlink()
            gone.append(release.file_name)
    if gone:
        audit_append(
            actor=actor,
            action="sharing.expire",
            outcome="deleted",
            use="third_party_sharing",
            clauses=["BE-6"],
            detail={"files": len(gone)},
        )
    return len(gone)


def partner_folder(*, drop_dir: Path, partner: str) -> Path:
    """The partner's drop folder (created 0700: the operator grants the partner's own
    account read access, e.g. an SFTP chroot; files never go out by e-mail)."""
    folder = drop_dir / partner
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:  # KEEPFAITH_SHARING_DIR is a file, say, or not writable
        raise ReleaseRefused(
            f"cannot make the drop folder {folder}: {exc.strerror or exc} "
            "(check KEEPFAITH_SHARING_DIR)"
        ) from None
    return folder


def _spend(*, draft: _Draft, dp: DifferentialPrivacy) -> None:
    """Add the release's loss to each month, under a row lock; refuse past the budget."""
    partner = draft.request.partner
    for month in draft.period.months():
        PrivacyBudget.objects.get_or_create(partner=partner, month=month)
        row = PrivacyBudget.objects.select_for_update().get(partner=partner, month=month)
        if row.epsilon_spent + (draft.epsilon or 0.0) > dp.budget_per_period + _EPS_SLACK:
            raise ReleaseRefused(
                f"the privacy budget of partner {partner!r} for {month:%Y-%m} is spent "
                f"({row.epsilon_spent:g} of {dp.budget_per_period:g})"
            )
        row.epsilon_spent += draft.epsilon or 0.0
        row.delta_spent += draft.delta or 0.0
        row.releases += 1
        row.save(update_fields=["epsilon_spent", "delta_spent", "releases"])


@enforces("BE-6", features=("sharing.aggregates-only", "sharing.releases-recorded"))
def release_create(
    *,
    request: ReleaseRequest,
    policy: Policy,
    gate: Gate,
    version: str,
    actor: Actor,
    where: Where,
    today: dt.date | None = None,
) -> PartnerRelease:
    """Release the partner's aggregates of the period (see the module docstring); ``today``
    (by default the local date) decides which months are over."""
    try:
        period = release_period(
            start=request.start, end=request.end, today=today or timezone.localdate()
        )
    except PeriodError as error:
        _refuse(actor=actor, request=request, reason=str(error))
    if request.file_format not in ReleaseFormat.values:
        _refuse(
            actor=actor, request=request, reason=f"format {request.file_format!r}: use csv or json"
        )
    names, cats, clauses = _ask_gate(gate=gate, policy=policy, request=request, actor=actor)
    spec = policy.partner(request.partner)
    assert spec is not None  # the gate refused an unknown partner
    dp = spec.differential_privacy
    if dp is not None and (spent := _budget_refusal(partner=spec, dp=dp, period=period)):
        _refuse(actor=actor, request=request, reason=str(spent), cats=cats, shown=spent.shown)
    k = int(spec.min_cell_size or 2)
    figures = _figures(names=names, spec=spec, period=period, policy=policy, where=where)
    body = _render(request=request, period=period, version=version, k=k, figures=figures)
    draft = _Draft(request, period, version, names, cats, clauses, k, figures, body)
    try:
        return _record(draft=draft, actor=actor, drop_dir=where.drop_dir, dp=dp)
    except ReleaseRefused as refused:  # the budget ran out meanwhile: said as above
        spent = _budget_refusal(partner=spec, dp=dp, period=period) if dp is not None else None
        shown = refused.shown or (spent.shown if spent is not None else None)
        _refuse(actor=actor, request=request, reason=str(refused), cats=cats, shown=shown)
        raise


def _record(
    *, draft: _Draft, actor: Actor, drop_dir: Path, dp: DifferentialPrivacy | None
) -> PartnerRelease:
    """Budget, row and audit entry in one transaction; the file moves in with them."""
    now = timezone.now()
    digest = hashlib.sha256(draft.body).hexdigest()
    partner, period = draft.request.partner, draft.period
    folder = partner_folder(drop_dir=drop_dir, partner=partner)
    name = (
        f"{partner}_{period.start:%Y-%m}_{period.end:%Y-%m}_{now:%Y%m%dT%H%M%S%f}_"
        f"{digest[:8]}.{draft.request.file_format}"
    )
    partial = drop_dir / f".{partner}.{name}.partial"
    partial.write_bytes(draft.body)
    os.chmod(partial, 0o600)
    try:
        with transaction.atomic():
            if dp is not None:
                _spend(draft=draft, dp=dp)
            release = _record_rows(draft=draft, actor=actor, file_name=f"{partner}/{name}",
                                   digest=digest, now=now)  # fmt: skip
            os.replace(partial, folder / name)
    finally:
        partial.unlink(missing_ok=True)
    return release


def _record_rows(
    *, draft: _Draft, actor: Actor, file_name: str, digest: str, now: dt.datetime
) -> PartnerRelease:
    request, period = draft.request, draft.period
    release = PartnerRelease(
        partner=request.partner, aggregates=list(draft.names), period_start=period.start,
        period_end=period.end, file_format=request.file_format, file_name=file_name,
        sha256=digest, size_bytes=len(draft.body), policy_version=draft.version,
        min_cell_size=draft.k, suppressed=sum(f.suppressed for f in draft.figures),
        epsilon=draft.epsilon, delta=draft.delta, actor_kind=actor.kind, actor=actor.ref,
        scheduled=request.scheduled, created=now,
    )  # fmt: skip
    release.full_clean()
    release.save()
    audit_append(
        actor=actor,
        action="sharing.release",
        outcome="released",
        categories=draft.categories,
        use=SHARING_USE,
        clauses=draft.clauses,
        detail={
            "release": release.pk, "partner": request.partner, "aggregates": list(draft.names),
            "period": str(period), "policy_version": draft.version, "sha256": digest,
            "file": file_name, "format": request.file_format, "withheld": release.suppressed,
            "epsilon": draft.epsilon, "delta": draft.delta, "scheduled": request.scheduled,
        },
    )  # fmt: skip
    return release


def sharing_where(*, policy: Policy) -> Where:
    """The web-log store and the drop folders, as the settings configure them."""
    from django.conf import settings

    from keepfaith.weblog.conf import weblog_config_in_force

    paths = weblog_config_in_force(policy=policy).paths
    return Where(weblog=paths, drop_dir=Path(settings.SHARING_DIR))


def release_file_path(*, release: PartnerRelease, drop_dir: Path) -> Path:
    """The file of ``release`` in its drop folder (never outside ``drop_dir``)."""
    path = (drop_dir / release.file_name).resolve()
    if drop_dir.resolve() not in path.parents:
        raise ValueError(f"release {release.pk}: {release.file_name!r} is outside the folder")
    return path


def release_file_bytes(*, release: PartnerRelease, drop_dir: Path) -> bytes | None:
    """The release's file, or None when it is missing or its SHA-256 is not the recorded one."""
    path = release_file_path(release=release, drop_dir=drop_dir)
    try:
        body = path.read_bytes()
    except OSError:
        return None
    return body if hashlib.sha256(body).hexdigest() == release.sha256 else None


def release_file_intact(*, release: PartnerRelease, drop_dir: Path) -> bool:
    """True when the release's file is there and its SHA-256 is the one recorded."""
    return release_file_bytes(release=release, drop_dir=drop_dir) is not None


@enforces("BE-6")
def sharing_releases_due(
    *, policy: Policy, gate: Gate, version: str, actor: Actor, today: dt.date
) -> str:
    """Release the last whole month to every partner that has no release of it yet (the
    monthly job); a refusal for one partner is audited and does not stop the others."""
    from keepfaith.sharing.periods import last_full_month
    from keepfaith.sharing.selectors import release_exists

    period = last_full_month(today=today)
    where = sharing_where(policy=policy)
    done: list[str] = []
    for partner in policy.recipients.partners:
        if release_exists(partner=partner.key, start=period.start, end=period.end):
            continue
        request = ReleaseRequest(partner.key, period.start, period.end, scheduled=True)
        try:
            release_create(request=request, policy=policy, gate=gate, version=version,
                           actor=actor, where=where, today=today)  # fmt: skip
            done.append(f"{partner.key}: released")
        except ReleaseRefused as refused:
            done.append(f"{partner.key}: refused ({refused})")
    return f"{period}: " + ("; ".join(done) if done else "nothing due")


@enforces("BE-6")
def release_delivery_refusal(*, release: PartnerRelease, policy: Policy, gate: Gate) -> str | None:
    """Why the policy in force no longer lets this release go to its partner, or None."""
    spec = policy.partner(release.partner)
    for name in release.aggregates:
        cats = aggregate_categories(policy=policy, key=name) if name in AGGREGATES else ("user",)
        decision = gate.check(
            use=_use_of(spec),
            categories=cats,
            recipient=release.partner,
            aggregate=name,
            purpose_context=f"sharing:{release.partner}",
        )
        if not decision.allowed:
            return decision.reason
    return None


def release_delivered(*, release: PartnerRelease, actor: Actor) -> None:
    """Audit a download of a release file (it leaves through the console)."""
    audit_append(
        actor=actor,
        action="sharing.download",
        outcome="delivered",
        use=SHARING_USE,
        clauses=("BE-6",),
        detail={"release": release.pk, "partner": release.partner, "sha256": release.sha256},
    )
