"""The statement's section on the data subject's rights, and the words the rights app reuses.

Generated from the policy's ``rights`` section alone (RIGHTS-12 to RIGHTS-21): which rights
are granted, how fast requests are answered and how identity is checked, what a restriction
still allows, what an erasure keeps under which law and for how long, and where to complain.
The wording is kept here (one book per language, same keys and placeholders) rather than in
``phrases.py`` so the rights can be read, tested and translated together.
"""

from __future__ import annotations

from keepfaith.policy import phrases as ph
from keepfaith.policy.document import BulletList, Link, Paragraph, Section, Table
from keepfaith.policy.schema import KeptAfterErasure, Policy, Rights, text_in

RIGHTS_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Your rights",
        "intro": "You have these rights over the personal data we hold about you, free of charge:",
        "right.access": "to see a copy of your data and how we use it (access)",
        "right.rectification": "to have inaccurate data corrected (rectification)",
        "right.erasure": "to have your data erased, unless the law makes us keep it (erasure)",
        "right.restriction": (
            "to have the use of your data restricted to storage and legal claims (restriction)"
        ),
        "right.objection": (
            "to object to uses based on our legitimate interests and to direct marketing "
            "(objection)"
        ),
        "right.portability": (
            "to receive the data you gave us in a machine-readable format (portability)"
        ),
        "how": (
            "Ask from your account's privacy page, with the form on our site or by e-mail to "
            "{email}. We confirm it is you through your account, or with a code we send to "
            "your account's e-mail address; we never ask for a copy of an ID document."
        ),
        "deadline": (
            "We answer within {months}. If a request is complex we may extend this once by up "
            "to {extension}, and we tell you why before the first deadline."
        ),
        "restriction": (
            "While the use of your data is restricted, we only store it and use it for: {uses}."
        ),
        "objection": (
            "An objection stops these uses for you at once and is recorded with your choices: "
            "{uses}."
        ),
        "objection_other": (
            "To object to another use based on our legitimate interests ({uses}), write to "
            "{email}: the privacy officer weighs your objection against our reasons for the "
            "use and answers within the same deadline."
        ),
        "kept_intro": "An erasure deletes your data everywhere, except what the law makes us keep:",
        "th.data": "What we keep",
        "th.why": "Why",
        "th.until": "For how long",
        "kept_period": "{period} from the date of the record",
        "kept_period_fy": "{period} from the end of the financial year it belongs to",
        "recipients": (
            "We pass corrections, erasures and restrictions on to those who received your "
            "data from us."
        ),
        "source": "Where your data comes from: {source}",
        "complain": "You may complain to the supervisory authority: ",
        "months.1": "one month",
        "months.2": "two months",
    },
    "da": {
        "heading": "Dine rettigheder",
        "intro": (
            "Du har disse rettigheder over de personoplysninger, vi har om dig, og det er gratis:"
        ),
        "right.access": "at se en kopi af dine oplysninger, og hvordan vi bruger dem (indsigt)",
        "right.rectification": "at få forkerte oplysninger rettet (berigtigelse)",
        "right.erasure": (
            "at få dine oplysninger slettet, medmindre loven kræver, at vi gemmer dem (sletning)"
        ),
        "right.restriction": (
            "at få brugen af dine oplysninger begrænset til opbevaring og retskrav (begrænsning)"
        ),
        "right.objection": (
            "at gøre indsigelse mod brug, der bygger på vores legitime interesser, og mod "
            "direkte markedsføring (indsigelse)"
        ),
        "right.portability": (
            "at få de oplysninger, du har givet os, i et maskinlæsbart format (dataportabilitet)"
        ),
        "how": (
            "Spørg fra privatlivssiden på din konto, med formularen på vores websted eller pr. "
            "e-mail til {email}. Vi bekræfter, at det er dig, gennem din konto eller med en kode, "
            "vi sender til din kontos e-mailadresse; vi beder aldrig om en kopi af et "
            "id-dokument."
        ),
        "deadline": (
            "Vi svarer inden for {months}. Er en anmodning kompliceret, kan vi forlænge fristen "
            "én gang med op til {extension}, og vi fortæller dig hvorfor, inden den første frist "
            "udløber."
        ),
        "restriction": (
            "Mens brugen af dine oplysninger er begrænset, opbevarer vi dem kun og bruger dem "
            "kun til: {uses}."
        ),
        "objection": (
            "En indsigelse stopper straks denne brug for dig og registreres sammen med dine "
            "valg: {uses}."
        ),
        "objection_other": (
            "Vil du gøre indsigelse mod en anden brug, der bygger på vores legitime interesser "
            "({uses}), så skriv til {email}: den privatlivsansvarlige vejer din indsigelse op "
            "mod vores grunde til brugen og svarer inden for samme frist."
        ),
        "kept_intro": (
            "En sletning fjerner dine oplysninger alle steder, undtagen det, loven kræver, at "
            "vi gemmer:"
        ),
        "th.data": "Hvad vi gemmer",
        "th.why": "Hvorfor",
        "th.until": "Hvor længe",
        "kept_period": "{period} fra datoen for posten",
        "kept_period_fy": "{period} fra udgangen af det regnskabsår, den hører til",
        "recipients": (
            "Vi giver rettelser, sletninger og begrænsninger videre til dem, der har modtaget "
            "dine oplysninger fra os."
        ),
        "source": "Hvor dine oplysninger kommer fra: {source}",
        "complain": "Du kan klage til tilsynsmyndigheden: ",
        "months.1": "én måned",
        "months.2": "to måneder",
    },
}


def say(lang: str, key: str, **values: str) -> str:
    """One phrase of the rights wording in ``lang`` (English when the language is missing)."""
    book = RIGHTS_PHRASES.get(lang, RIGHTS_PHRASES["en"])
    return book[key].format(**values)


def months_text(months: int, lang: str) -> str:
    """``1`` -> ``one month`` / ``én måned``."""
    key = f"months.{months}"
    book = RIGHTS_PHRASES.get(lang, RIGHTS_PHRASES["en"])
    return book.get(key) or f"{months} {'months' if lang == 'en' else 'måneder'}"


def right_name(right: str, lang: str) -> str:
    """A right in words, as the statement lists it."""
    return say(lang, f"right.{right}")


def use_names(policy: Policy, keys: tuple[str, ...] | frozenset[str], lang: str) -> str:
    """Use names joined as a list, in ``lang``."""
    names = []
    for key in keys:
        use = policy.use_by_key(key)
        names.append(key if use is None else use.name.get(lang) or use.name["en"])
    return ph.join_words(names, lang)


def kept_period_text(kept: KeptAfterErasure, lang: str) -> str:
    """How long an erasure keeps a store's data, in words."""
    key = "kept_period_fy" if kept.counted_from == "end_of_financial_year" else "kept_period"
    return say(lang, key, period=ph.duration_text(kept.period, lang))


def kept_reason_text(kept: KeptAfterErasure, lang: str) -> str:
    """Why an erasure keeps a store's data: the legal basis and the law."""
    law = kept.law.get(lang) or kept.law["en"]
    basis = ph.legal_basis_name("legal_obligation", lang)
    return f"{basis}: {law}" if kept.legal_basis == "legal_obligation" else law


def _kept_table(policy: Policy, rights: Rights, lang: str) -> Table | None:
    if not rights.kept_after_erasure:
        return None
    declared = {e.key: text_in(e.name, lang) for e in policy.taxonomy.data_categories}
    rows = tuple(
        (
            (
                ph.join_words(
                    [ph.category_name(c, lang, declared=declared) for c in kept.categories], lang
                ),
            ),
            (kept_reason_text(kept, lang),),
            (kept_period_text(kept, lang),),
        )
        for kept in rights.kept_after_erasure
    )
    headers = tuple(say(lang, k) for k in ("th.data", "th.why", "th.until"))
    return Table(headers, rows, rights.clauses, ("rights.erasure.plan",))


def rights_section(policy: Policy, lang: str) -> Section | None:
    """The statement's rights section, or None when the policy grants none."""
    rights = policy.rights
    if rights is None:
        return None
    cl = rights.clauses
    months = months_text(rights.response_months, lang)
    extension = months_text(rights.extension_months, lang)
    authority = rights.supervisory_authority
    # the other uses an objection (Art. 21) may be made to: weighed, not stopped at once
    others = tuple(
        use.key
        for use in policy.uses
        if use.legal_basis == "legitimate_interests" and use.key not in rights.objection_uses
    )
    blocks: list[Paragraph | BulletList | Table | None] = [
        Paragraph((say(lang, "intro"),), cl),
        BulletList(tuple((right_name(r, lang),) for r in rights.granted), cl),
        Paragraph(
            (say(lang, "how", email=policy.controller.privacy_email),),
            cl,
            ("rights.request.portal", "rights.request.code"),
        ),
        Paragraph(
            (say(lang, "deadline", months=months, extension=extension),), cl, ("rights.deadlines",)
        ),
        Paragraph(
            (say(lang, "restriction", uses=use_names(policy, rights.restriction_permits, lang)),),
            cl,
            ("rights.restriction.gate",),
        )
        if "restriction" in rights.granted
        else None,
        Paragraph(
            (say(lang, "objection", uses=use_names(policy, rights.objection_uses, lang)),),
            cl,
            ("rights.objection.gate",),
        )
        if "objection" in rights.granted and rights.objection_uses
        else None,
        Paragraph(
            (
                say(
                    lang,
                    "objection_other",
                    uses=use_names(policy, others, lang),
                    email=policy.controller.privacy_email,
                ),
            ),
            cl,
        )
        if "objection" in rights.granted and others
        else None,
        Paragraph((say(lang, "kept_intro"),), cl) if rights.kept_after_erasure else None,
        _kept_table(policy, rights, lang),
        Paragraph((say(lang, "recipients"),), cl, ("rights.recipients.told",)),
        Paragraph(
            (say(lang, "source", source=rights.source.get(lang) or rights.source["en"]),), cl
        ),
        Paragraph(
            (say(lang, "complain"), Link(authority.name, authority.url), "."),
            cl,
        ),
    ]
    kept = tuple(block for block in blocks if block is not None)
    return Section("rights", say(lang, "heading"), kept)
