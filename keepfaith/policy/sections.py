"""The sections of the generated statement, each built from the policy data alone.

One function per section, in the order the statement shows them. A section states only
what the data says: a sentence is added when the element that makes it true is present
(a cookie guard, a partner, a portal), and each block carries the clause ids of the
elements it restates. The wording comes from ``phrases.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from keepfaith.policy import phrases as ph
from keepfaith.policy.document import BulletList, Inline, Link, Paragraph, Rich, Section, Table
from keepfaith.policy.jurisdiction import choice_as_asked
from keepfaith.policy.schema import Policy, Use, category_covered, text_in


def merge_clauses(*groups: Iterable[str]) -> tuple[str, ...]:
    """The union of clause ids, in first-seen order."""
    seen: dict[str, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(group))
    return tuple(seen)


@dataclass(frozen=True)
class Writer:
    """The policy and the language a statement is written in, with the wording helpers."""

    policy: Policy
    lang: str

    def say(self, key: str, **values: str) -> str:
        return ph.phrase(self.lang, key, **values)

    def rich(self, key: str, **values: Inline | Rich) -> Rich:
        return ph.rich_phrase(self.lang, key, **values)

    def text(self, value: str | dict[str, str]) -> str:
        return text_in(value, self.lang)

    def category(self, key: str) -> str:
        declared = {e.key: self.text(e.name) for e in self.policy.taxonomy.data_categories}
        return ph.category_name(key, self.lang, declared=declared)

    def categories(self, keys: Iterable[str]) -> str:
        return ph.join_words([self.category(key) for key in keys], self.lang)

    def choice(self, use: Use) -> str:
        """What a person may decide about ``use``, as the forms ask it: where an opt-out box
        may not be shown ticked (the EU), the box starts empty, and the words say so."""
        key = choice_as_asked(use.choice, country=self.policy.controller.jurisdiction)
        return ph.choice_name(key, self.lang)

    def retention(self, use: Use) -> str:
        """How long ``use`` keeps its data, with what that applies to when the policy says."""
        kept = ph.retention_text(use.retention, self.lang)
        return f"{kept} ({self.text(use.retention_note)})" if use.retention_note else kept

    def use_name(self, key: str) -> str:
        use = self.policy.use_by_key(key)
        return key if use is None else self.text(use.name)

    def use_names(self, keys: Iterable[str]) -> str:
        """Use names in quotes (names may hold "and"), joined as a list."""
        quoted = [self.say("quoted", text=self.use_name(key)) for key in keys]
        return ph.join_words(quoted, self.lang)

    def roles(self, roles: Iterable[str]) -> str:
        return ph.join_words([ph.role_name(role, self.lang) for role in roles], self.lang)

    def words(self, idents: Iterable[str]) -> str:
        return ph.join_words([ph.word(ident, self.lang) for ident in idents], self.lang)

    def site_link(self, key: str) -> Inline:
        prop = self.policy.property_by_key(key)
        return key if prop is None else Link(prop.name, prop.base_url)

    def section(self, key: str, *blocks: Paragraph | BulletList | Table | None) -> Section:
        kept = tuple(block for block in blocks if block is not None)
        return Section(key, self.say(f"h.{key}"), kept)


def display_name(policy: Policy) -> str:
    """The controller as readers know it: trading name and legal name."""
    ctrl = policy.controller
    trading = ctrl.trading_names[0] if ctrl.trading_names else ctrl.legal_name
    return trading if trading == ctrl.legal_name else f"{trading} ({ctrl.legal_name})"


def controller_section(w: Writer) -> Section:
    """Who is responsible and how to reach them (BE-1)."""
    ctrl = w.policy.controller
    cl = ctrl.clauses
    trading = [name for name in ctrl.trading_names if name != ctrl.legal_name]
    trading_as = None
    if trading:
        names = ph.join_words(trading, w.lang)
        trading_as = Paragraph((w.say("trading_as", trading=names),), cl)
    address = None
    if ctrl.postal_address is not None:
        a = ctrl.postal_address
        country = ph.country_name(a.country, w.lang)
        text = f"{ctrl.legal_name}, {a.street}, {a.postal_code} {a.city}, {country}"
        address = Paragraph((w.say("controller_postal", address=text),), cl)
    mail = Link(ctrl.privacy_email, f"mailto:{ctrl.privacy_email}")
    return w.section(
        "controller",
        Paragraph((w.say("controller_is", name=ctrl.legal_name),), cl),
        trading_as,
        address,
        Paragraph(w.rich("controller_email", email=mail), cl),
    )


def properties_section(w: Writer) -> Section:
    """The sites the statement covers (QS-1)."""
    props = w.policy.properties
    items = tuple(
        w.rich(
            "property_item",
            site=Link(p.name, p.base_url),
            description=w.text(p.description) if p.description else p.base_url,
        )
        for p in props
    )
    cl = merge_clauses(*(p.clauses for p in props))
    return w.section(
        "properties", Paragraph((w.say("properties_intro"),), cl), BulletList(items, cl)
    )


def collection_section(w: Writer) -> Section:
    """The forms, what each asks for and the choices it offers (QS-2, BE-2)."""
    pol = w.policy
    rows = []
    for point in pol.collection_points:
        fields = ", ".join(
            w.say(
                "field",
                category=w.category(c.category),
                status=w.text(c.note)
                if c.note
                else w.say("required" if c.required else "optional"),
            )
            for c in point.categories
        )
        choices = w.use_names(point.choices) if point.choices else w.say("nothing")
        rows.append(((w.text(point.name),), (w.site_link(point.property),), (fields,), (choices,)))
    headers = tuple(w.say(k) for k in ("th.form", "th.site", "th.fields", "th.form_choices"))
    cl = merge_clauses(*(p.clauses for p in pol.collection_points))
    forms = tuple(f"collection.{p.id}" for p in pol.collection_points)
    consent = pol.consent
    return w.section(
        "collection",
        Paragraph((w.say("browsing_nothing"),), consent.clauses)
        if consent.browsing_collects_nothing
        else None,
        Paragraph((w.say("collection_intro"),), cl),
        Table(headers, tuple(rows), cl, forms) if rows else None,
        Paragraph((w.say("record_version"),), consent.clauses, ("consent.version-recorded",))
        if consent.record_policy_version
        else None,
    )


def _staff_reads(w: Writer, categories: Iterable[str], uses: Iterable[str]) -> str:
    """What a staff role sees, per purpose, as the gate decides it: a category for a use
    only where both the role's grant and the use declare it ("Information requests: phone
    number", not a phone number for every task). Uses that see the same are said together."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for key in uses:
        use = w.policy.use_by_key(key)
        if use is None:
            continue
        seen = tuple(c for c in categories if category_covered(c, use.categories))
        if seen:
            groups.setdefault(seen, []).append(key)
    if not groups:
        return w.categories(categories)
    return "; ".join(
        w.say("staff_reads", uses=w.use_names(keys), categories=w.categories(seen))
        for seen, keys in groups.items()
    )


def security_section(w: Writer) -> Section:
    """Security measures with their controls, and which staff see what (QS-3)."""
    pol = w.policy
    measures = pol.security_measures
    # each measure's control is named in the list's features (``keepfaith trace``), not in
    # the words customers read
    items = tuple((w.text(m.description),) for m in measures)
    staff = pol.recipients.staff
    staff_items = tuple(
        (
            w.say(
                "staff_item",
                role=ph.role_name(s.role, w.lang),
                categories=_staff_reads(w, s.categories, s.uses),
            ),
        )
        for s in staff
    )
    m_cl = merge_clauses(*(m.clauses for m in measures))
    s_cl = merge_clauses(*(s.clauses for s in staff))
    controls = tuple(f"security.{m.control}" for m in measures)
    return w.section(
        "security",
        Paragraph((w.say("security_intro"),), m_cl) if items else None,
        BulletList(items, m_cl, controls) if items else None,
        Paragraph((w.say("staff_intro", name=pol.controller.legal_name),), s_cl) if staff else None,
        BulletList(staff_items, s_cl, ("staff.reads-by-policy",)) if staff else None,
    )


def _use_row(w: Writer, use: Use) -> tuple[Rich, ...]:
    return (
        (w.text(use.name),),
        (w.text(use.description),),
        (w.categories(use.categories),),
        (ph.legal_basis_name(use.legal_basis, w.lang),),
        (w.choice(use),),
        (w.retention(use),),
    )


def uses_section(w: Writer) -> Section:
    """Every use with description, data, legal basis, choice and retention."""
    uses = w.policy.uses
    keys = ("th.purpose", "th.what", "th.data", "th.basis", "th.choice", "th.kept")
    table = Table(
        tuple(w.say(k) for k in keys),
        tuple(_use_row(w, use) for use in uses),
        merge_clauses(*(u.clauses for u in uses)),
    )
    return w.section("uses", table)


def cookies_section(w: Writer) -> Section:
    """The cookie table, first and third party (QS-7, BE-4)."""
    pol = w.policy
    cookies = pol.cookies
    cl = merge_clauses(*(c.clauses for c in cookies))
    if not cookies:
        return w.section("cookies", Paragraph((w.say("no_cookies"),)))
    rows = []
    for c in cookies:
        partner = pol.partner(c.recipient) if c.recipient else None
        set_by = (
            w.say("set_by_partner", partner=w.text(partner.name) if partner else c.recipient or "")
            if c.party == "third"
            else w.say("set_by_us")
        )
        rows.append(
            (
                (c.name,),
                (set_by,),
                (w.use_name(c.purpose),),
                (ph.lifetime_text(c.lifetime, w.lang),),
                (w.say("yes" if c.essential else "no"),),
                (w.text(c.description),),
            )
        )
    keys = ("th.cookie", "th.set_by", "th.purpose", "th.lifetime", "th.essential", "th.does")
    first = [c for c in cookies if c.party == "first"]
    only_ids = all(set(c.categories) <= {"user.device.cookie_id"} for c in first)
    third = any(c.party == "third" for c in cookies)
    shared = any("user.device.cookie_id" in r.categories for r in pol.recipients.processors)
    return w.section(
        "cookies",
        Paragraph((w.say("cookies_rule"),), cl),
        Paragraph((w.say("cookies_no_personal"),), cl) if only_ids else None,
        Paragraph((w.say("cookies_internal"),), cl) if not third and not shared else None,
        Table(tuple(w.say(k) for k in keys), tuple(rows), cl),
        Paragraph((w.say("cookies_third"),), cl) if third else None,
    )


def log_files_section(w: Writer) -> Section | None:
    """What the access logs keep and how IPs are hidden (QS-6, BE-5)."""
    logs = w.policy.log_files
    if logs is None:
        return None
    pseudo = logs.pseudonymisation
    cl = logs.clauses
    return w.section(
        "log-files",
        Paragraph((w.say("log_fields", fields=w.words(logs.fields)),), cl),
        Paragraph(
            (
                w.say(
                    "log_pseudonym",
                    rotation=ph.every_text(pseudo.salt_rotation, w.lang),
                    v4=str(pseudo.ipv4_prefix),
                    v6=str(pseudo.ipv6_prefix),
                ),
            ),
            cl,
        ),
        Paragraph(
            (
                w.say(
                    "log_raw",
                    retention=ph.duration_text(logs.raw_ip_retention, w.lang),
                    readers=w.roles(logs.raw_ip_readers),
                ),
            ),
            cl,
            ("logs.raw-ip-retention",),
        ),
        Paragraph((w.say("log_uses", uses=w.use_names(logs.uses)),), cl) if logs.uses else None,
        Paragraph(
            (
                w.say(
                    "log_reports",
                    reports=w.words(logs.reports),
                    readers=w.roles(logs.report_readers),
                ),
            ),
            cl,
        )
        if logs.reports and logs.report_readers
        else None,
        Paragraph((w.say("log_not_linked"),), cl),
    )


def _number(value: float, lang: str) -> str:
    """1.0 -> ``1``; 0.5 -> ``0.5`` (``0,5`` in Danish)."""
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "da" else text


def sharing_section(w: Writer) -> Section:
    """Processors and partners; partners get aggregates only (BE-6, QS-5)."""
    rec = w.policy.recipients
    p_cl = merge_clauses(*(p.clauses for p in rec.processors))
    processors = tuple(
        (
            w.say(
                "processor_item",
                name=w.text(p.name),
                country=ph.country_name(p.country, w.lang) if p.country else "-",
                description=w.text(p.description),
                categories=w.categories(p.categories),
                uses=w.use_names(p.uses),
            ),
        )
        for p in rec.processors
    )
    partners = []
    claimed: dict[str, None] = {"sharing.aggregates-only": None}
    for p in rec.partners:
        item = w.say(
            "partner_item",
            name=w.text(p.name),
            description=w.text(p.description),
            aggregates=w.words(p.aggregates),
        )
        if p.min_cell_size is not None:
            item += " " + w.say("partner_min_cell", k=str(p.min_cell_size))
            claimed["sharing.small-figures-withheld"] = None
        dp = p.differential_privacy
        if dp is not None:
            claimed["sharing.noise-budget"] = None
            item += " " + w.say(
                "partner_noise",
                epsilon=_number(dp.epsilon_per_release, w.lang),
                budget=_number(dp.budget_per_period, w.lang),
            )
        partners.append((item,))
    r_cl = merge_clauses(*(p.clauses for p in rec.partners))
    after = (w.say("partner_counting"), w.say("partner_release"))
    return w.section(
        "sharing",
        Paragraph((w.say("processors_intro"),), p_cl) if processors else None,
        BulletList(processors, p_cl) if processors else Paragraph((w.say("no_processors"),)),
        Paragraph((w.say("partners_intro"),), r_cl) if partners else None,
        BulletList(tuple(partners), r_cl, tuple(claimed))
        if partners
        else Paragraph((w.say("no_partners"),)),
        Paragraph((" ".join(after),), r_cl, ("sharing.releases-recorded",)) if partners else None,
        Paragraph(
            (w.say("nobody_else_but_outside" if rec.outside_parties else "nobody_else"),),
            merge_clauses(p_cl, r_cl),
        ),
    )


def outside_parties_section(w: Writer) -> Section:
    """Outside parties that collect data themselves, and the notice shown first (BE-10)."""
    pol = w.policy
    parties = pol.recipients.outside_parties
    if not parties:
        return w.section("outside-parties", Paragraph((w.say("no_outside"),)))
    items: list[Rich] = []
    for party in parties:
        forms = [w.text(p.name) for p in pol.collection_points if p.outside_party == party.key]
        item: list[Inline] = [
            w.say(
                "outside_item",
                name=w.text(party.name),
                categories=w.categories(party.categories),
                uses=w.use_names(party.uses),
            ),
        ]
        if forms:
            item.append(" " + w.say("outside_forms", forms=ph.join_words(forms, w.lang)))
        item.append(" " + w.say("outside_notice", notice=w.text(party.notice)))
        if party.privacy_url:
            link = Link(party.privacy_url, party.privacy_url, external=True)
            item.extend((" ", *w.rich("outside_privacy", link=link)))
        items.append(tuple(item))
    cl = merge_clauses(*(p.clauses for p in parties))
    return w.section(
        "outside-parties",
        Paragraph((w.say("outside_always"),), cl),
        BulletList(tuple(items), cl),
    )


SectionBuilder = Callable[[Writer], Section | None]
