"""Filters for the rights pages and the readable export page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from keepfaith.consent import words
from keepfaith.gate.choices import RESTRICTION_KEY
from keepfaith.rights.records import COLUMN_TITLES, TABLE_TITLES

register = template.Library()


@register.filter
def table_title(name: str) -> str:
    """A table of the export as the customer reads it."""
    return str(TABLE_TITLES.get(name, name.replace("_", " ")))


@register.filter
def column_title(name: str) -> str:
    """A column of the export as the customer reads it."""
    return str(COLUMN_TITLES.get(name, name.replace("_", " ")))


_TABLE_COLUMN_TITLES = {("mail_sent", "created_at"): _("Written")}


@register.simple_tag
def table_column_title(table: str, name: str) -> str:
    """A column of one table of the export, where its name reads differently there."""
    found = _TABLE_COLUMN_TITLES.get((table, name))
    return str(found) if found is not None else column_title(name)


_STAFF_PAGES = (
    ("console.customers", _("the list of customers")),
    ("console.customer", _("your customer page")),
    ("console.order", _("your orders")),
    ("console.support", _("your support requests")),
    ("console.rights", _("your requests about your data")),
    ("console.consent", _("your consent history")),
    ("console.mail", _("your mail to us about stopping mail")),
    ("console.campaign", _("whether a campaign reaches you")),
    ("console.audit", _("the record of who saw your data")),
)


def _staff_page(action: str) -> str:
    """What a member of staff opened, in words, from the read's action."""
    for prefix, said in _STAFF_PAGES:
        if action == prefix or action.startswith(prefix + "."):
            return str(said)
    return str(_("a page of our staff console"))


@register.filter
def cell(row: dict[str, Any], column: str) -> str:
    """One cell of an export row as text (lists joined; empty for nothing)."""
    value = row.get(column)
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


@register.filter
def right_label(kind: str) -> str:
    """A right as the requester reads it."""
    from keepfaith.rights.models import RightKind

    try:
        return str(RightKind(kind).label)
    except ValueError:
        return kind


@register.filter
def kind_for_staff(kind: str) -> str:
    """A request's kind as staff read it ("Access", not "Access to my data")."""
    from keepfaith.rights.models import KIND_FOR_STAFF

    return str(KIND_FOR_STAFF.get(kind, kind))  # type: ignore[call-overload]


@register.filter
def store_title(store: str, audience: str = "customer") -> str:
    """A store of the erasure plan as the customer (or, ``"staff"``, staff) reads it."""
    from keepfaith.rights.erasure import store_title as title

    return title(store, staff=audience == "staff")


@register.filter
def plan_date(value: str) -> str:
    """A plan's ISO date (``2031-12-31``) in the reader's date format."""
    from keepfaith.rights.erasure import plan_date as in_words

    return in_words(value)


STEP_TITLES = {
    "received": _("received"),
    "added": _("more details added by the requester"),
    "code-sent": _("code sent to the account's address"),
    "confirmed": _("confirmed with the code"),
    "queued": _("sent to the privacy officer's queue"),
    "identified": _("matched to an account"),
    "extended": _("extended"),
    "restricted": _("restriction in force"),
    "lifted": _("restriction lifted"),
    "objected": _("objection recorded"),
    "rectified": _("corrected"),
    "erased": _("erased"),
    "completed": _("completed"),
    "refused": _("refused"),
}


@register.filter
def step_actor(actor: str) -> str:
    """Who took a step, for staff: a colleague by address, the others in words (the
    requester, the platform itself, the customer by their number)."""
    if actor == "requester":
        return str(_("the requester"))
    if actor == "system":
        return str(_("automatically"))
    return actor


@register.filter
def step_title(action: str) -> str:
    """A timeline step in words."""
    return str(STEP_TITLES.get(action, action))


# Stored in English in the step's detail (what the request's history keeps); shown in the
# reader's language.
_IDENTITY = {
    "signed in, password entered again": _("signed in, password entered again"),
    "code sent to the account's address": _(
        "confirmed with the code sent to the account's address"
    ),
}
_QUEUED_BECAUSE = {
    "code-expired": _("the code expired"),
    "too-many-codes": _("too many wrong codes"),
}
_CHANNELS = {
    "portal": _("in the account"),
    "email": _("by e-mail"),
    "web": _("on the website's form"),
    "form": _("on the website's form"),
}


@register.simple_tag
def step_details(step: Any) -> str:
    """What a timeline step's details say, in words: labelled, a yes/no as words, lists
    joined, uses by their names (never ``False``, ``['a.b']`` or a bare number)."""
    from keepfaith.inforce import in_force
    from keepfaith.policy.rights_text import use_names
    from keepfaith.rights.erasure import store_title as title

    parts: list[str] = []
    for key, value in (step.detail or {}).items():
        if key == "channel":
            parts.append(str(_CHANNELS.get(str(value), value)))
        elif key == "matched":
            parts.append(
                str(_("matched to an account") if value else _("no account has that address"))
            )
        elif key == "months":
            months = int(value) if str(value).isascii() and str(value).isdigit() else 0
            parts.append(
                ngettext("by %(months)d month", "by %(months)d months", months) % {"months": months}
            )
        elif key == "uses" and isinstance(value, list):
            lang = (translation.get_language() or "en")[:2]
            parts.append(use_names(in_force().policy, tuple(value), lang))
        elif key == "kept" and isinstance(value, list):
            kept = ", ".join(title(v, staff=True) for v in value)
            parts.append(str(_("kept: %(stores)s") % {"stores": kept}))
        elif key == "identity":
            parts.append(str(_IDENTITY.get(str(value), value)))
        elif key == "reason" and value:
            said = _QUEUED_BECAUSE.get(str(value), value)
            parts.append(str(_("reason: %(reason)s") % {"reason": said}))
        elif isinstance(value, bool):
            parts.append(str(_("yes") if value else _("no")))
        elif value not in (None, "", []):
            parts.append(", ".join(map(str, value)) if isinstance(value, list) else str(value))
    return " · ".join(parts)


_WHEN_COLUMNS = frozenset(
    {"at", "created", "created_at", "expires_at", "sent_at", "received_at", "due_at",
     "closed_at", "date_joined", "due", "not_after"}
)  # fmt: skip
_EVENT_WORDS = {
    "given": _("agreed"),
    "opted-in": _("agreed"),
    "withdrawn": _("withdrew consent"),
    "opted-out": _("declined"),
    "notice-acknowledged": _("was informed"),
}
_STATUS_WORDS = {
    "sent": _("sent"),
    "queued": _("waiting to be sent"),
    "sending": _("being sent"),
    "skipped": _("not sent"),
    "failed": _("could not be sent"),
}
# What became of an e-mail the customer sent to the opt-out or privacy address; anything
# else it can say is a reason it went to the staff queue.
_RECEIVED_WORDS = {
    "opt_out_all_marketing": _("you were opted out of all marketing e-mail"),
    "opt_out_kinds": _("you were opted out of the kinds of e-mail you named"),
    "rights_request": _("filed as a request about your data"),
    "opted_out": _("you were opted out"),
}
_TRANSFER_WORDS = {
    "order queued": _("your order's details, waiting to be sent"),
    "order sent": _("your order's details"),
    "order": _("the certificate order"),
    "validate": _("the validation of your domain names"),
    "issue": _("the issued certificate"),
    "revoke": _("the revocation of a certificate"),
}
_LANGUAGE_NAMES = {"en": "English", "da": "Dansk"}


@register.simple_tag(takes_context=True)
def readable_cell(context: Any, row: dict[str, Any], table: str, column: str) -> str:
    """One cell of the readable export page in words: dates in the page's format, the
    policy's names for uses, data and outside parties, choices and states as words. The
    JSON and CSV files keep the exact values (for programs)."""
    from django.utils.dateparse import parse_date, parse_datetime
    from django.utils.formats import date_format
    from django.utils.timezone import is_aware, localtime

    from keepfaith.policy import phrases as ph
    from keepfaith.policy.schema import text_in

    value = row.get(column)
    policy = context.get("policy")
    lang = (translation.get_language() or "en")[:2]
    if value in (None, "", []):
        return ""
    if column in _WHEN_COLUMNS and isinstance(value, str):
        moment = parse_datetime(value) if len(value) > 10 else None  # a date has no hour
        if moment is not None:  # in the site's time zone, as every page shows times
            shown = localtime(moment) if is_aware(moment) else moment
            return date_format(shown, "DATETIME_FORMAT")
        day = parse_date(value)
        return date_format(day, "DATE_FORMAT") if day is not None else value
    if table == "support_messages" and column == "author":
        return str(_("You") if value == "customer" else _("Support"))
    if table == "consent_events" and row.get("key") == RESTRICTION_KEY:
        if column == "key":
            return str(_("Restriction of the use of your data"))
        if column == "event":
            return str(_("lifted") if value == "withdrawn" else _("asked for"))
    if policy is not None:
        if column == "categories" and isinstance(value, list):
            declared = {c.key: text_in(c.name, lang) for c in policy.taxonomy.data_categories}
            return ph.join_words(
                [ph.category_name(k, lang, declared=declared) for k in value], lang
            )
        if (table, column) in (("consent_events", "key"), ("staff_reads", "use")):
            return words.choice_name(policy, str(value))
        if table == "consent_events" and column == "source":
            return words.source_word(policy, str(value))
        if table == "mail_sent" and column == "kind":
            kind = next((k for k in policy.mail_kinds if k.key == value), None)
            return text_in(kind.description, lang) if kind is not None else str(value)
    if column in ("total_minor", "vat_minor") and str(value).isdigit():
        amount = number_format(Decimal(int(str(value))) / 100, 2, use_l10n=True)
        currency = row.get("currency") or ""
        return f"{currency} {amount}".strip()
    if table == "orders" and column == "validation_details" and isinstance(value, dict):
        # the form's order (PostgreSQL's jsonb keeps its own, shortest key first)
        first = {key: i for i, key in enumerate(("organisation", "address", "phone"))}
        keys = sorted(value, key=lambda k: (first.get(k, len(first)), k))
        return "; ".join(f"{column_title(k)}: {value[k]}" for k in keys if value[k])
    if table == "orders" and column == "outside_party_choice":
        return str(_("went on") if value == "given" else _EVENT_WORDS.get(str(value), value))
    if (table, column) in (("orders", "outside_party"), ("transfers", "party")) and policy:
        return str(policy.recipient_name(str(value), lang) or value)
    if table == "transfers" and column == "what":
        return str(_TRANSFER_WORDS.get(str(value), value))
    if table == "staff_reads" and column == "what":
        return _staff_page(str(value))
    if table == "certificates" and column == "state":
        from keepfaith.certs.models import CertState

        try:
            return str(CertState(str(value)).label)
        except ValueError:
            return str(value)
    if table == "orders" and column == "status":
        from keepfaith.store.models import OrderStatus

        try:
            return str(OrderStatus(str(value)).label)
        except ValueError:
            return str(value)
    if column == "product_id" and policy is not None:
        from keepfaith.store.selectors import active_catalog

        product = active_catalog(policy=policy).product(str(value))
        return text_in(product.name, lang) if product is not None else str(value)
    if table == "consent_events" and column == "event":
        return str(_EVENT_WORDS.get(str(value), value))
    if table == "mail_sent" and column == "status":
        return str(_STATUS_WORDS.get(str(value), value))
    if table == "mail_received" and column == "outcome":
        return str(_RECEIVED_WORDS.get(str(value), _("passed to our staff to read")))
    if table == "rights_requests" and column in ("kind", "state"):
        from keepfaith.rights.models import RequestState, RightKind

        choices = RightKind if column == "kind" else RequestState
        try:
            return str(choices(str(value)).label)
        except ValueError:
            return str(value)
    if table == "account" and column == "language":
        return _LANGUAGE_NAMES.get(str(value), str(value))
    if table == "contact_history" and column == "field":
        return column_title(str(value))
    return cell(row, column)
