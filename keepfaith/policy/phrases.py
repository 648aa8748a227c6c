"""The wording of the generated statement, as data: one phrasebook per language.

Each phrasebook maps a phrase key to a sentence template with named placeholders
(``{name}``). Every language has the same keys and the same placeholders (a test keeps
this), so adding a language is adding one mapping. Taxonomy keys, durations, staff
roles, report names and countries are humanised from tables; a key not in a table falls
back to readable words made from the key itself, never to an error.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping, Sequence

from keepfaith.policy.document import Inline, Rich
from keepfaith.policy.phrasebook_da import DANISH

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "title": "Privacy statement of {name}",
        "trading_as": "We trade as {trading}.",
        "quoted": "\u201c{text}\u201d",
        "intro": "Version {version}, in force from {effective}.",
        "h.controller": "Who we are and how to reach us",
        "h.properties": "Which sites this statement covers",
        "h.collection": "What we collect and where",
        "h.security": "How we protect your data",
        "h.uses": "What we use your data for",
        "h.cookies": "Cookies",
        "h.log-files": "Log files",
        "h.sharing": "Who receives your data",
        "h.outside-parties": "Outside parties that receive data for a service you order",
        "h.choices": "Your choices and how to use them",
        "h.external-links": "Links to other sites",
        "h.renewals": "Renewals",
        "h.changes": "How we publish changes",
        "controller_is": "{name} is responsible for the personal data described here.",
        "controller_postal": "Postal address: {address}.",
        "controller_email": "Send questions about privacy to {email}.",
        "properties_intro": "This statement covers these sites:",
        "property_item": "{site}: {description}",
        "browsing_nothing": (
            "If you only browse our sites, we set no cookie that is not essential; what our "
            "web server records of your visit, and for how long, is under \u201cLog files\u201d."
        ),
        "collection_intro": (
            "We collect personal data only in the forms listed below, and only the fields "
            "shown for each."
        ),
        "record_version": (
            "With every form you send, we record which version of this statement you were shown."
        ),
        "th.form": "Form",
        "th.site": "Site",
        "th.fields": "What we ask for",
        "th.form_choices": "Choices offered there",
        "field": "{category} ({status})",
        "required": "required",
        "optional": "optional",
        "nothing": "none",
        "security_intro": "We protect personal data against loss, misuse and alteration:",
        "staff_intro": (
            "Inside {name}, only these staff see personal data, each only what their work needs:"
        ),
        "staff_item": "{role}: {categories}",
        "staff_reads": "for {uses}, {categories}",
        "th.purpose": "Purpose",
        "th.what": "What we do",
        "th.data": "Data",
        "th.basis": "Legal basis",
        "th.choice": "Your choice",
        "th.kept": "Kept",
        "cookies_rule": (
            "Essential cookies are set without asking, because the sites cannot work without "
            "them. Every other cookie is set only after you agree to its purpose."
        ),
        "cookies_no_personal": (
            "Our cookies hold a random identifier or a setting (such as your cart or your "
            "choices), never your name, e-mail address or customer number."
        ),
        "cookies_internal": "What our cookies record stays with us; we give it to no one.",
        "cookies_third": (
            "A cookie set by a third party belongs to the partner named; we neither read it "
            "nor control it."
        ),
        "no_cookies": "We set no cookies.",
        "th.cookie": "Cookie",
        "th.set_by": "Set by",
        "th.lifetime": "Lifetime",
        "th.essential": "Essential",
        "th.does": "What it does",
        "set_by_us": "us",
        "set_by_partner": "{partner} (third party)",
        "yes": "yes",
        "no": "no",
        "browser_session": "until you close the browser",
        "log_fields": "For each request to our sites, our web servers record: {fields}.",
        "log_pseudonym": (
            "The IP address is replaced at once by a keyed pseudonym whose key changes "
            "{rotation}. Statistics see only that pseudonym and the network part of the "
            "address (the first {v4} bits of an IPv4 address, {v6} bits of an IPv6 address)."
        ),
        "log_raw": (
            "Full IP addresses are kept for {retention} to diagnose server faults, can be read "
            "only by {readers}, and are then deleted."
        ),
        "log_uses": "We use the logs for: {uses}.",
        "log_reports": "Reports made from them: {reports}; read by {readers}.",
        "log_not_linked": (
            "Log data is never linked to a customer account or to anything else that says "
            "who you are."
        ),
        "processors_intro": (
            "These companies process data for us, on our instructions, and receive only what "
            "the purpose needs:"
        ),
        "processor_item": "{name} ({country}): {description} Receives {categories}, for {uses}.",
        "no_processors": "No company processes personal data on our behalf.",
        "partners_intro": "Our partners receive totals only, never data about a single person:",
        "partner_item": "{name}: {description} Totals shared: {aggregates}.",
        "partner_min_cell": (
            "Figures cover whole calendar months. A figure below {k} is left out, and so is at "
            "least one more figure in its row or column, so that no figure left out can be "
            "worked out from the totals."
        ),
        "partner_noise": (
            "Random noise is added to every figure (differential privacy: a privacy loss of at "
            "most {epsilon} per release and {budget} per month of data)."
        ),
        "partner_counting": (
            "A visitor counts once for each day of visits; a customer once for each product "
            "ordered in a month."
        ),
        "partner_release": (
            "Every release is recorded: what was shared, with whom, when and under which "
            "version of this statement."
        ),
        "no_partners": "We share no personal data with partners, not even as totals.",
        "nobody_else": "Nobody else receives personal data from us.",
        "nobody_else_but_outside": (
            "Apart from the outside parties below, nobody else receives personal data from us."
        ),
        "outside_always": (
            "We always tell you before an outside party collects your data, and you can decide "
            "not to go on with the service that needs it."
        ),
        "outside_item": (
            "{name} receives {categories} from us, for {uses}, and is responsible for them "
            "from then on."
        ),
        "outside_forms": "This happens in: {forms}.",
        "outside_notice": (
            "Before we send it anything, you see this notice and choose whether to go on: "
            "\u201c{notice}\u201d"
        ),
        "outside_privacy": "Its own privacy statement: {link}",
        "no_outside": "No outside party collects personal data through our sites.",
        "choices_intro": "You decide about these uses:",
        "choice_item": "{use}: {choice}. You can change your mind {ways}.",
        "way_forms": "on each form that offers the choice",
        "way_portal": "on the preferences page in {portal}",
        "way_orders": "on the page of each order in {portal}",
        "way_email": "by writing to {email}",
        "way_unsubscribe": "with the unsubscribe link in each such e-mail",
        "way_cookie_settings": "in the cookie settings of our sites",
        "no_choices": (
            "Every use listed here is needed for the service; there is nothing to choose."
        ),
        "service_mail": "These e-mails cannot be declined while you have an active service:",
        "portal_contact": (
            "You can change your contact details in {portal} at any time; the change takes "
            "effect at once, except a new e-mail address, which becomes your login once you "
            "confirm it with the link we send to it."
        ),
        "portal_history": "We keep a record of your earlier contact details.",
        "scope": "This statement applies only to {sites}.",
        "other_sites": (
            "Other sites we link to have their own privacy rules, which this statement does "
            "not cover."
        ),
        "marked_external": "Links that lead away from our sites are marked as external.",
        "update_page": (
            "We publish every version of this statement, with what changed, on the update "
            "page: {link}."
        ),
        "notify": "We also tell you about a change {ways}.",
        "notify.email": "by e-mail",
        "notify.banner": "with a notice on our sites",
        "reconsent": (
            "If a change adds a use that needs your consent, we ask you again before it "
            "applies to you."
        ),
        "renewal_window": (
            "We offer to renew a service from {window} before it runs out until {grace} "
            "after. We show what the renewal costs and the period it pays for, and charge "
            "nothing until you confirm."
        ),
        "renewal_automatic": (
            "A service renews on its own only if you turn automatic renewal on for it; the "
            "card on file is then charged at the end of each period, after a reminder "
            "{reminder} before. You can turn it off at any time."
        ),
        "use_is_consent": (
            "When you use our sites, the version of this statement in force at the time "
            "applies; a change that needs your consent asks you for it again."
        ),
        "and": "and",
        "or": "or",
    },
    "da": DANISH,
}

CATEGORY_NAMES: dict[str, dict[str, str]] = {
    "user.contact.email": {"en": "e-mail address", "da": "e-mailadresse"},
    "user.authorization.password": {"en": "password", "da": "adgangskode"},
    "user.name": {"en": "name", "da": "navn"},
    "user.contact.phone_number": {"en": "phone number", "da": "telefonnummer"},
    "user.contact.organization": {"en": "organisation", "da": "organisation"},
    "user.contact.address": {"en": "postal address", "da": "postadresse"},
    "user.contact.address.country": {"en": "country", "da": "land"},
    "user.behavior.purchase_history": {"en": "purchase history", "da": "købshistorik"},
    "user.contact": {"en": "contact details", "da": "kontaktoplysninger"},
    "user.financial.credit_card": {"en": "card number", "da": "kortnummer"},
    "user.financial.bank_account": {"en": "bank account number", "da": "bankkontonummer"},
    "user.financial": {"en": "financial data", "da": "økonomiske oplysninger"},
    "user.unique_id": {"en": "customer number", "da": "kundenummer"},
    "user.device.computer_configuration": {
        "en": "computer configuration",
        "da": "computerkonfiguration",
    },
    "user.device.cookie_id": {"en": "cookie identifier", "da": "cookie-id"},
    "user.device.ip_address": {"en": "IP address", "da": "IP-adresse"},
    "user.device": {"en": "device data", "da": "enhedsoplysninger"},
}

LEGAL_BASES: dict[str, dict[str, str]] = {
    "consent": {"en": "your consent", "da": "dit samtykke"},
    "contract": {"en": "our contract with you", "da": "opfyldelse af vores aftale med dig"},
    "legal_obligation": {"en": "a legal obligation", "da": "en retlig forpligtelse"},
    "vital_interests": {"en": "someone's vital interests", "da": "vitale interesser"},
    "public_task": {
        "en": "a task in the public interest",
        "da": "en opgave i samfundets interesse",
    },
    "legitimate_interests": {"en": "our legitimate interests", "da": "vores legitime interesser"},
}

CHOICES: dict[str, dict[str, str]] = {
    "none": {"en": "needed for the service", "da": "nødvendigt for tjenesten"},
    "opt-out": {"en": "on unless you decline", "da": "til, medmindre du siger fra"},
    # an opt-out use where the box may not start ticked (EU): asked, and off until ticked
    "opt-out-asked": {
        "en": "asked when you give us your details",
        "da": "du bliver spurgt, når du giver os dine oplysninger",
    },
    "opt-in": {"en": "only with your consent", "da": "kun med dit samtykke"},
}

RETENTIONS: dict[str, dict[str, str]] = {
    "session": {"en": "for the visit only", "da": "kun under besøget"},
    "transaction": {"en": "for the transaction only", "da": "kun under transaktionen"},
    "while-customer": {"en": "while you are a customer", "da": "så længe du er kunde"},
    "until-withdrawn": {"en": "until you say no", "da": "indtil du siger fra"},
    "permanent": {"en": "for good", "da": "permanent"},
}

ROLES: dict[str, dict[str, str]] = {
    "support": {"en": "support staff", "da": "supportmedarbejdere"},
    "billing": {"en": "billing staff", "da": "bogholderiet"},
    "marketing": {"en": "marketing staff", "da": "marketingmedarbejdere"},
    "privacy officer": {"en": "the privacy officer", "da": "den privatlivsansvarlige"},
    "administrator": {"en": "system administrators", "da": "systemadministratorer"},
}

# Log fields, report and aggregate names, mail kinds: identifiers in the policy file.
WORDS: dict[str, dict[str, str]] = {
    "time": {"en": "time", "da": "tidspunkt"},
    "request": {"en": "requested page", "da": "den forespurgte side"},
    "status": {"en": "status code", "da": "statuskode"},
    "bytes": {"en": "size of the response", "da": "svarets størrelse"},
    "referrer": {"en": "referring page", "da": "henvisende side"},
    "user_agent": {"en": "browser name and version", "da": "browserens navn og version"},
    "ip": {"en": "IP address", "da": "IP-adresse"},
    "trends": {"en": "visits over time", "da": "besøg over tid"},
    "paths": {"en": "paths through the site", "da": "veje gennem webstedet"},
    "downloads": {"en": "downloads", "da": "downloads"},
    "errors": {"en": "errors", "da": "fejl"},
    "countries": {"en": "visitors per country", "da": "besøgende pr. land"},
    "browsers": {"en": "browsers used", "da": "anvendte browsere"},
    "orders_by_product_country": {
        "en": "customers per product and country",
        "da": "kunder pr. produkt og land",
    },
}

COUNTRIES: dict[str, dict[str, str]] = {
    "DK": {"en": "Denmark", "da": "Danmark"},
    "US": {"en": "United States", "da": "USA"},
    "DE": {"en": "Germany", "da": "Tyskland"},
    "SE": {"en": "Sweden", "da": "Sverige"},
    "NO": {"en": "Norway", "da": "Norge"},
    "NL": {"en": "Netherlands", "da": "Holland"},
    "IE": {"en": "Ireland", "da": "Irland"},
    "GB": {"en": "United Kingdom", "da": "Storbritannien"},
}

# unit -> (singular, plural, "every one" form) per language.
_UNITS: dict[str, dict[str, tuple[str, str, str]]] = {
    "en": {
        "h": ("hour", "hours", "every hour"),
        "d": ("day", "days", "every day"),
        "w": ("week", "weeks", "every week"),
        "m": ("month", "months", "every month"),
        "y": ("year", "years", "every year"),
    },
    "da": {
        "h": ("time", "timer", "hver time"),
        "d": ("dag", "dage", "hver dag"),
        "w": ("uge", "uger", "hver uge"),
        "m": ("måned", "måneder", "hver måned"),
        "y": ("år", "år", "hvert år"),
    },
}

LANGUAGES = tuple(PHRASES)


def supported(lang: str) -> bool:
    """True when the statement can be written in ``lang``."""
    return lang in PHRASES


_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
           "september", "oktober", "november", "december"),
}  # fmt: skip


def date_words(iso_day: str, lang: str) -> str:
    """``2024-01-01`` as readers write it: ``1 January 2024``, ``1. januar 2024``."""
    year, month, day = (int(part) for part in iso_day.split("-"))
    months = _MONTHS.get(lang, _MONTHS["en"])
    if not 1 <= month <= 12:
        return iso_day
    if lang == "da":
        return f"{day}. {months[month - 1]} {year}"
    return f"{day} {months[month - 1]} {year}"


def phrase(lang: str, key: str, **values: str) -> str:
    """The sentence ``key`` in ``lang`` with its placeholders filled."""
    return PHRASES[lang][key].format(**values)


def rich_phrase(lang: str, key: str, **values: Inline | Rich) -> Rich:
    """Like ``phrase``, but a placeholder may be a ``Link`` or text with links."""
    out: list[Inline] = []
    for literal, field, _spec, _conv in string.Formatter().parse(PHRASES[lang][key]):
        if literal:
            out.append(literal)
        if field is not None:
            value = values[field]
            out.extend(value if isinstance(value, tuple) else (value,))
    return tuple(out)


def placeholders(template: str) -> frozenset[str]:
    """The named placeholders of a template."""
    return frozenset(f for _, f, _, _ in string.Formatter().parse(template) if f is not None)


def _readable(ident: str) -> str:
    return ident.rsplit(".", 1)[-1].replace("_", " ").replace("-", " ")


def _from(table: Mapping[str, Mapping[str, str]], key: str, lang: str) -> str | None:
    names = table.get(key)
    return None if names is None else names.get(lang) or names.get("en")


def category_name(key: str, lang: str, *, declared: Mapping[str, str] | None = None) -> str:
    """A data category key in words: the table, else the name the policy declares for it
    (lower-cased), else the last part of the key."""
    found = _from(CATEGORY_NAMES, key, lang)
    if found is not None:
        return found
    if declared and key in declared:
        return declared[key][:1].lower() + declared[key][1:]
    return _readable(key)


def word(ident: str, lang: str) -> str:
    """A log field, report or aggregate name in words."""
    return _from(WORDS, ident, lang) or _readable(ident)


def role_name(role: str, lang: str) -> str:
    """A staff role in words (as a group of people)."""
    return _from(ROLES, role, lang) or role


def country_name(code: str, lang: str) -> str:
    """An ISO 3166 country code in words (the table above, then pycountry's names and their
    Danish translation); unknown codes stay as they are."""
    return _from(COUNTRIES, code, lang) or _iso_country(code.upper(), lang) or code


@functools.cache
def _iso_country(code: str, lang: str) -> str | None:
    import gettext

    import pycountry

    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if country is None:
        return None
    name = str(getattr(country, "common_name", None) or country.name)
    if lang == "en":
        return name
    try:
        words = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return name
    return words.gettext(name)


def legal_basis_name(basis: str, lang: str) -> str:
    """A legal basis in words."""
    return _from(LEGAL_BASES, basis, lang) or _readable(basis)


def choice_name(choice: str, lang: str) -> str:
    """What a subject may decide about a use, in words."""
    return _from(CHOICES, choice, lang) or choice


def duration_text(value: str, lang: str) -> str:
    """``7d`` -> ``7 days`` / ``7 dage``; ``1y`` -> ``1 year`` / ``1 år``."""
    number, unit = int(value[:-1]), value[-1]
    singular, plural, _every = _UNITS[lang][unit]
    return f"{number} {singular if number == 1 else plural}"


def every_text(value: str, lang: str) -> str:
    """``1d`` -> ``every day`` / ``hver dag``; ``7d`` -> ``every 7 days`` / ``hver 7. dag``."""
    number, unit = int(value[:-1]), value[-1]
    singular, plural, every = _UNITS[lang][unit]
    if number == 1:
        return every
    return f"every {number} {plural}" if lang == "en" else f"hver {number}. {singular}"


def retention_text(value: str, lang: str) -> str:
    """A retention (keyword or duration) in words."""
    keyword = _from(RETENTIONS, value, lang)
    return keyword if keyword is not None else duration_text(value, lang)


def lifetime_text(value: str, lang: str) -> str:
    """A cookie lifetime (``session`` or a duration) in words."""
    return phrase(lang, "browser_session") if value == "session" else duration_text(value, lang)


def join_words(items: Sequence[str], lang: str, *, last: str = "and") -> str:
    """``a, b and c`` (or ``eller``/``og`` in Danish)."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {phrase(lang, last)} {items[-1]}"


def join_rich(items: Sequence[Rich], lang: str, *, last: str = "or") -> Rich:
    """Like ``join_words`` for text with links."""
    out: list[Inline] = []
    for index, item in enumerate(items):
        if index and index == len(items) - 1:
            out.append(f" {phrase(lang, last)} ")
        elif index:
            out.append(", ")
        out.extend(item)
    return tuple(out)
