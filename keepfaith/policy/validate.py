"""Semantic rules a well-formed policy must also keep, each reported at a path.

Errors (the policy would break a promise or cannot be enforced):

- an essential cookie serving a marketing use, or a use that needs consent;
- a non-essential cookie whose purpose is not opt-in (it may only be set after consent);
- a marketing use with choice ``none`` (marketing can always be declined);
- an opt-out use that no form, mail kind, portal switch or e-mail address lets anyone decline;
- an opt-in use that nothing offers (no form, portal switch or cookie consent);
- a form offering a choice for a use whose choice is ``none``;
- a form collecting a category none of its uses needs;
- a mail kind that cannot be unsubscribed while its use is marketing or has a choice;
- a partner receiving financial data, or without ``min_cell_size`` of at least 2;
- a partner aggregate keepfaith does not make, or derived from categories the partner (or
  its use) does not declare; ``noise: true`` without ``differential_privacy``; one release's
  epsilon above the budget per period;
- log readers (``log_files.report_readers``, ``raw_ip_readers``) that differ from the staff
  roles ``recipients.staff`` grants the log use and categories: the console asks the gate,
  which reads ``recipients.staff``, so the two must say the same (QS-3).

Warnings come from the controller's jurisdiction (``jurisdiction.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from keepfaith.policy.aggregates import AGGREGATES, aggregate_categories, aggregate_kind
from keepfaith.policy.jurisdiction import jurisdiction_rules
from keepfaith.policy.problems import Finding
from keepfaith.policy.schema import Partner, Policy, Use, category_covered


def _is_marketing(key: str) -> bool:
    return key == "marketing" or key.startswith("marketing.")


def cookie_findings(policy: Policy) -> Iterator[Finding]:
    """Essential cookies serve only essential uses; others wait for consent."""
    for i, cookie in enumerate(policy.cookies):
        use = policy.use_by_key(cookie.purpose)
        if use is None:
            continue
        path = ("cookies", i, "essential")
        if cookie.essential and _is_marketing(use.key):
            yield Finding(path, f"an essential cookie cannot serve the marketing use {use.key!r}")
        elif cookie.essential and use.choice != "none":
            yield Finding(path, f"an essential cookie cannot serve {use.key!r}, which has a choice")
        elif not cookie.essential and use.choice != "opt-in":
            message = (
                f"a non-essential cookie needs consent: its purpose {use.key!r} must be opt-in"
            )
            yield Finding(("cookies", i, "purpose"), message)


def _declinable_by_mail(policy: Policy, use: Use) -> bool:
    return any(kind.use == use.key and kind.unsubscribe for kind in policy.mail_kinds)


def _offered_on_form(policy: Policy, use: Use) -> bool:
    return any(use.key in point.choices for point in policy.collection_points)


def choice_findings(policy: Policy) -> Iterator[Finding]:
    """Every use with a choice can be chosen; marketing always has one."""
    for i, use in enumerate(policy.uses):
        path = ("uses", i, "choice")
        if use.choice == "none" and _is_marketing(use.key):
            yield Finding(path, "a marketing use must be opt-out or opt-in, never none")
        if use.legal_basis == "consent" and use.choice != "opt-in":
            # consent must be freely given and can be withdrawn: a use that does not ask
            # (none) or assumes it (opt-out) rests on another basis; a rule added after
            # versions were published: those still load, with a warning
            yield Finding(
                ("uses", i, "legal_basis"),
                f"a use based on consent must be opt-in (here: {use.choice}); choose the basis "
                "it really rests on (contract, legitimate_interests...) or make it opt-in",
                stored_severity="warning",
            )
        on_form = _offered_on_form(policy, use)
        if use.choice == "opt-out" and not (
            on_form
            or use.portal_preference
            or use.opt_out_by_email
            or _declinable_by_mail(policy, use)
        ):
            yield Finding(path, "an opt-out use that nothing lets anyone decline")
        automatic = policy.renewals is not None and policy.renewals.automatic_use == use.key
        if use.choice == "opt-in" and not (
            on_form or use.portal_preference or policy_cookie_offers(policy, use) or automatic
        ):
            message = "an opt-in use that no form, portal switch, cookie or renewal offers"
            yield Finding(path, message)


def policy_cookie_offers(policy: Policy, use: Use) -> bool:
    """True when a non-essential cookie serves ``use`` (the cookie banner asks for it)."""
    return any(c.purpose == use.key and not c.essential for c in policy.cookies)


def form_findings(policy: Policy) -> Iterator[Finding]:
    """Forms collect only what their uses need and offer only real choices."""
    for i, point in enumerate(policy.collection_points):
        uses = [policy.use_by_key(key) for key in point.uses]
        needed = {category for use in uses if use is not None for category in use.categories}
        for j, item in enumerate(point.categories if None not in uses else ()):
            if item.category not in needed:
                message = f"collects {item.category!r} but none of the form's uses needs it"
                yield Finding(("collection_points", i, "categories", j, "category"), message)
        for j, key in enumerate(point.choices):
            use = policy.use_by_key(key)
            if use is not None and use.choice == "none":
                message = f"offers a choice for {key!r}, whose choice is none"
                yield Finding(("collection_points", i, "choices", j), message)


def mail_findings(policy: Policy) -> Iterator[Finding]:
    """Only mail whose use has no choice may go out without an unsubscribe."""
    for i, kind in enumerate(policy.mail_kinds):
        use = policy.use_by_key(kind.use)
        if kind.unsubscribe or use is None:
            continue
        if _is_marketing(use.key) or use.choice != "none":
            message = f"cannot be unsubscribed but its use {use.key!r} is marketing or has a choice"
            yield Finding(("mail_kinds", i, "unsubscribe"), message)


def partner_findings(policy: Policy) -> Iterator[Finding]:
    """Partners get aggregates of non-financial data with a small-cell floor of 2 or more."""
    for i, partner in enumerate(policy.recipients.partners):
        path = ("recipients", "partners", i)
        for j, category in enumerate(partner.categories):
            if category == "user.financial" or category.startswith("user.financial."):
                message = f"financial data ({category!r}) may never go to a partner"
                yield Finding((*path, "categories", j), message)
        if partner.min_cell_size is None or partner.min_cell_size < 2:
            yield Finding((*path, "min_cell_size"), "a partner needs min_cell_size of at least 2")
        yield from _aggregate_findings(policy, partner, path)
        yield from _noise_findings(partner, path)


def _aggregate_findings(
    policy: Policy, partner: Partner, path: tuple[str | int, ...]
) -> Iterator[Finding]:
    """Each aggregate is one keepfaith makes, from categories the partner and its use cover."""
    uses = [use for key in partner.uses if (use := policy.use_by_key(key)) is not None]
    for j, key in enumerate(partner.aggregates):
        at = (*path, "aggregates", j)
        if aggregate_kind(key) is None:
            known = ", ".join(AGGREGATES)
            yield Finding(at, f"{key!r} is not an aggregate keepfaith makes (known: {known})")
            continue
        needs = aggregate_categories(policy=policy, key=key)
        if AGGREGATES[key].source == "logs" and policy.log_files is None:
            yield Finding(at, f"{key!r} is made from the access logs: declare log_files")
        missing = [c for c in needs if not category_covered(c, partner.categories)]
        if missing:
            yield Finding(at, f"{key!r} is derived from {', '.join(missing)}: add to categories")
        for use in uses:
            lacking = [c for c in needs if not category_covered(c, use.categories)]
            if lacking:
                needed = ", ".join(lacking)
                yield Finding(at, f"{key!r} needs {needed}, which use {use.key!r} lacks")


def _noise_findings(partner: Partner, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """Noise says how much; one release fits in the budget."""
    dp = partner.differential_privacy
    if partner.noise and dp is None:
        message = "noise: true needs differential_privacy (epsilon_per_release, budget_per_period)"
        yield Finding((*path, "noise"), message)
    if dp is not None and dp.epsilon_per_release > dp.budget_per_period:
        message = (
            f"one release ({dp.epsilon_per_release}) would spend more than the budget per "
            f"period ({dp.budget_per_period})"
        )
        yield Finding((*path, "differential_privacy", "epsilon_per_release"), message)


def _granted(policy: Policy, uses: list[str], categories: tuple[str, ...]) -> set[str]:
    """Staff roles with an entry that names one of ``uses`` and every one of ``categories``
    (a parent category covers its children)."""
    return {
        str(staff.role)
        for staff in policy.recipients.staff
        if set(staff.uses) & set(uses)
        and all(category_covered(c, staff.categories) for c in categories)
    }


def log_reader_findings(policy: Policy) -> Iterator[Finding]:
    """The roles that read log reports and raw addresses are the ones ``recipients.staff``
    grants the log uses to: one source for the statement and the console."""
    logs = policy.log_files
    if logs is None:
        return
    essential = [u for u in logs.uses if u.startswith("essential")]
    analytics = [
        u for u in logs.uses if not u.startswith("essential") and u != "third_party_sharing"
    ]
    for field, readers, uses in (
        ("raw_ip_readers", logs.raw_ip_readers, essential),
        ("report_readers", logs.report_readers, analytics),
    ):
        if not uses:
            continue
        granted = _granted(policy, uses, logs.categories)
        listed: set[str] = {str(r) for r in readers}
        for role in sorted(listed - granted):
            message = (
                f"{role!r} reads the logs here but recipients.staff grants it no entry with "
                f"{' or '.join(uses)} and {', '.join(logs.categories)}"
            )
            yield Finding(("log_files", field), message)
        for role in sorted(granted - listed):
            message = (
                f"recipients.staff grants {role!r} {' or '.join(uses)} on the logs: list it "
                f"here too, or take the grant away"
            )
            yield Finding(("log_files", field), message)


def jurisdiction_findings(policy: Policy) -> Iterator[Finding]:
    """Warnings from the controller's jurisdiction."""
    rules = jurisdiction_rules(country=policy.controller.jurisdiction)
    country = rules.country
    for i, kind in enumerate(policy.mail_kinds):
        use = policy.use_by_key(kind.use)
        if (
            kind.key == "partner_promotions"
            and use is not None
            and use.choice != "opt-in"
            and rules.partner_email_requires_opt_in
        ):
            message = f"in {country} partner promotions by e-mail need prior consent (opt-in)"
            yield Finding(("mail_kinds", i, "use"), message, "warning")
    for i, use in enumerate(policy.uses):
        if (
            rules.marketing_email_soft_opt_in_customers_only
            and use.key.startswith("marketing.communications")
            and use.choice == "opt-out"
            and "visitors" in use.audience
        ):
            message = f"in {country} opt-out marketing may reach existing customers only"
            yield Finding(("uses", i, "audience"), message, "warning")


def semantic_findings(policy: Policy) -> list[Finding]:
    """Every semantic problem of ``policy``: errors first by section, then warnings."""
    return [
        *cookie_findings(policy),
        *choice_findings(policy),
        *form_findings(policy),
        *mail_findings(policy),
        *partner_findings(policy),
        *log_reader_findings(policy),
        *jurisdiction_findings(policy),
    ]
