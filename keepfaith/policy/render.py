"""Generate the privacy statement, the machine-readable policy and its content hash.

``statement(policy, lang=...)`` builds a :class:`Statement` from the policy data only:
every sentence restates an element of the file (and carries its clause ids), in the
words of ``phrases.py``. ``to_html`` / ``to_markdown`` write it out; ``to_json`` gives
/privacy.json; ``policy_content_hash`` names a policy's content independently of how the
YAML was formatted or commented.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from keepfaith.policy import phrases as ph
from keepfaith.policy.document import (
    BulletList,
    Link,
    Paragraph,
    Rich,
    Section,
    Statement,
    to_html,
    to_markdown,
)
from keepfaith.policy.rights_text import rights_section
from keepfaith.policy.schema import Policy, Use
from keepfaith.policy.sections import (
    SectionBuilder,
    Writer,
    collection_section,
    controller_section,
    cookies_section,
    display_name,
    log_files_section,
    merge_clauses,
    outside_parties_section,
    properties_section,
    security_section,
    sharing_section,
    uses_section,
)
from keepfaith.policy.trace import enforces

KEEPFAITH_FORMAT = 1
"""Version of the /privacy.json layout; raise it when the layout changes."""


def _ways(w: Writer, use: Use) -> tuple[Rich, ...]:
    """Every way the subject can change their choice about ``use``."""
    pol = w.policy
    ways: list[Rich] = []
    if any(use.key in point.choices for point in pol.collection_points):
        ways.append(w.rich("way_forms"))
    if use.portal_preference and pol.portal is not None:
        site = w.site_link(pol.portal.property)
        ways.append(w.rich("way_portal", portal=site))
    if use.order_preference and pol.portal is not None:
        ways.append(w.rich("way_orders", portal=w.site_link(pol.portal.property)))
    if any(k.use == use.key and k.unsubscribe for k in pol.mail_kinds):
        ways.append(w.rich("way_unsubscribe"))
    if any(c.purpose == use.key and not c.essential for c in pol.cookies):
        ways.append(w.rich("way_cookie_settings"))
    if use.opt_out_by_email or not ways:
        address = pol.controller.opt_out_email if use.opt_out_by_email else None
        address = address or pol.controller.privacy_email
        ways.append(w.rich("way_email", email=Link(address, f"mailto:{address}")))
    return tuple(ways)


def _ways_claimed(pol: Policy, uses: list[Use]) -> tuple[str, ...]:
    """The features the ways to choose claim: each way named for at least one use."""
    found: dict[str, None] = {}
    for use in uses:
        if any(use.key in point.choices for point in pol.collection_points):
            found["choices.on-forms"] = None
        if use.portal_preference and pol.portal is not None:
            found["choices.portal-preferences"] = None
        if use.order_preference and pol.portal is not None:
            found["choices.order-pages"] = None
        if any(k.use == use.key and k.unsubscribe for k in pol.mail_kinds):
            found["choices.unsubscribe-link"] = None
        if any(c.purpose == use.key and not c.essential for c in pol.cookies):
            found["choices.cookie-settings"] = None
        if use.opt_out_by_email:
            found["choices.opt-out-by-email"] = None
    return tuple(found)


def choices_section(w: Writer) -> Section:
    """Opt-out and opt-in uses and every way to exercise them; mail that cannot be
    declined; contact details in the portal (QS-4, BE-8, BE-9)."""
    pol = w.policy
    chosen = [use for use in pol.uses if use.choice != "none"]
    items = tuple(
        w.rich(
            "choice_item",
            use=w.text(use.name),
            choice=w.choice(use),
            ways=ph.join_rich(_ways(w, use), w.lang),
        )
        for use in chosen
    )
    u_cl = merge_clauses(*(use.clauses for use in chosen))
    fixed = [k for k in pol.mail_kinds if not k.unsubscribe]
    f_cl = merge_clauses(*(k.clauses for k in fixed))
    portal = pol.portal
    portal_blocks: list[Paragraph] = []
    if portal is not None and portal.contact_details_editable:
        site = w.site_link(portal.property)
        portal_blocks.append(
            Paragraph(
                w.rich("portal_contact", portal=site), portal.clauses, ("portal.contact-details",)
            )
        )
        if portal.contact_history_kept:
            portal_blocks.append(
                Paragraph((w.say("portal_history"),), portal.clauses, ("portal.contact-history",))
            )
    return w.section(
        "choices",
        Paragraph((w.say("choices_intro"),), u_cl) if items else Paragraph((w.say("no_choices"),)),
        BulletList(items, u_cl, _ways_claimed(pol, chosen)) if items else None,
        Paragraph((w.say("service_mail"),), f_cl) if fixed else None,
        BulletList(tuple((w.text(k.description),) for k in fixed), f_cl) if fixed else None,
        *portal_blocks,
    )


@enforces("QS-8", "BE-7")
def external_links_section(w: Writer) -> Section:
    """The statement covers the listed properties only (QS-8, BE-7)."""
    pol = w.policy
    ext = pol.external_links
    keys = ext.covered_properties or tuple(p.key for p in pol.properties)
    sites = ph.join_rich([(w.site_link(key),) for key in keys], w.lang, last="and")
    cl = ext.clauses
    return w.section(
        "external-links",
        Paragraph(w.rich("scope", sites=sites), cl),
        Paragraph((w.say("other_sites"),), cl),
        Paragraph((w.say("marked_external"),), cl) if ext.mark_outbound else None,
    )


def _update_page_link(policy: Policy) -> Link:
    keys = policy.external_links.covered_properties
    prop = policy.property_by_key(keys[0]) if keys else None
    base = (prop or policy.properties[0]).base_url.rstrip("/")
    url = base + policy.changes.update_page
    return Link(url, url)


@enforces("SITE-2")
def renewals_section(w: Writer) -> Section | None:
    """When a service may be renewed, and automatic renewal only on the customer's say
    (SITE-2)."""
    renewals = w.policy.renewals
    if renewals is None:
        return None
    cl = renewals.clauses
    window = ph.duration_text(renewals.window, w.lang)
    grace = ph.duration_text(renewals.grace, w.lang)
    reminder = ph.duration_text(renewals.reminder, w.lang)
    return w.section(
        "renewals",
        Paragraph((w.say("renewal_window", window=window, grace=grace),), cl, ("renewals.window",)),
        Paragraph((w.say("renewal_automatic", reminder=reminder),), cl, ("renewals.automatic",))
        if renewals.automatic_use
        else None,
    )


@enforces("RIGHTS-12", "RIGHTS-15", "RIGHTS-17", "RIGHTS-18", "RIGHTS-21")
def rights_statement_section(w: Writer) -> Section | None:
    """The data subject's rights, generated from the policy's ``rights`` section."""
    return rights_section(w.policy, w.lang)


def changes_section(w: Writer) -> Section:
    """Where changes are published, how people are told, when consent is asked again
    (BE-11)."""
    pol = w.policy
    changes = pol.changes
    cl = changes.clauses
    notify = [w.say(f"notify.{way}") for way in changes.notify]
    return w.section(
        "changes",
        Paragraph(w.rich("update_page", link=_update_page_link(pol)), cl, ("changes.update-page",)),
        Paragraph(
            (w.say("notify", ways=ph.join_words(notify, w.lang)),),
            cl,
            tuple(f"changes.notify.{way}" for way in changes.notify),
        )
        if notify
        else None,
        Paragraph((w.say("reconsent"),), cl, ("changes.reconsent",))
        if changes.reconsent_new_opt_in
        else None,
        Paragraph((w.say("use_is_consent"),), merge_clauses(pol.consent.clauses, cl))
        if pol.consent.use_of_site_is_consent
        else None,
    )


SECTIONS: tuple[SectionBuilder, ...] = (
    controller_section,
    properties_section,
    collection_section,
    security_section,
    uses_section,
    cookies_section,
    log_files_section,
    sharing_section,
    outside_parties_section,
    choices_section,
    renewals_section,
    rights_statement_section,
    external_links_section,
    changes_section,
)
"""The section builders in the order the statement shows them."""


@enforces("BE-1", "QS-1", "SITE-6")
def statement(policy: Policy, *, lang: str = "en", in_force_from: str | None = None) -> Statement:
    """The statement of ``policy`` in ``lang``; ValueError if the policy or the phrasebook
    lacks that language. ``in_force_from`` (ISO date): the day the published version took
    effect on the site, when later than the policy's own ``effective``."""
    languages = policy.controller.languages
    if lang not in languages:
        raise ValueError(
            f"the policy has no {lang!r} text; its languages are {', '.join(languages)}"
        )
    if not ph.supported(lang):
        raise ValueError(f"no statement wording for {lang!r}; available: {', '.join(ph.LANGUAGES)}")
    writer = Writer(policy, lang)
    sections = tuple(s for build in SECTIONS if (s := build(writer)) is not None)
    return Statement(
        title=ph.phrase(lang, "title", name=display_name(policy)),
        lang=lang,
        version=policy.version,
        effective=in_force_from or policy.effective,
        intro=ph.phrase(
            lang,
            "intro",
            version=policy.version,
            effective=ph.date_words(in_force_from or policy.effective, lang),
        ),
        sections=sections,
    )


def _canonical(policy: Policy) -> bytes:
    data = policy.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def policy_content_hash(policy: Policy) -> str:
    """``sha256:<hex>`` over the canonical JSON of the validated policy (sorted keys, no
    spaces): comments, key order, quoting and spelled-out defaults do not change it."""
    return "sha256:" + hashlib.sha256(_canonical(policy)).hexdigest()


def to_json(policy: Policy) -> dict[str, Any]:
    """The machine-readable policy (/privacy.json): the validated policy plus
    ``keepfaith_format`` and ``content_hash``."""
    data: dict[str, Any] = policy.model_dump(mode="json")
    data["keepfaith_format"] = KEEPFAITH_FORMAT
    data["content_hash"] = policy_content_hash(policy)
    return data


def policy_from_json(data: dict[str, Any]) -> Policy:
    """Read /privacy.json back into a ``Policy``; ValueError when the format is unknown or
    the content hash does not match the content."""
    meta = ("keepfaith_format", "content_hash", "in_force_from")
    body = {k: v for k, v in data.items() if k not in meta}
    if data.get("keepfaith_format") != KEEPFAITH_FORMAT:
        raise ValueError(f"unknown keepfaith_format {data.get('keepfaith_format')!r}")
    policy = Policy.model_validate(body)
    if data.get("content_hash") != policy_content_hash(policy):
        raise ValueError("content_hash does not match the policy content")
    return policy


__all__ = [
    "KEEPFAITH_FORMAT",
    "Statement",
    "policy_content_hash",
    "policy_from_json",
    "statement",
    "to_html",
    "to_json",
    "to_markdown",
]
