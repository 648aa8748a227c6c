"""Filters for the rights pages and the readable export page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation
from django.utils.translation import gettext_lazy as _

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
def store_title(store: str) -> str:
    """A store of the erasure plan as the customer reads it."""
    from keepfaith.rights.erasure import STORE_TITLES

    return str(STORE_TITLES.get(store, store.replace("_", " ")))


STEP_TITLES = {
    "received": _("received"),
    "code-sent": _("code sent to the account's address"),
    "confirmed": _("confirmed with the code"),
    "queued": _("sent to the privacy officer's queue"),
    "identified": _("matched to an account"),
    "extended": _("extended"),
    "restricted": _("restriction in force"),
    "objected": _("objection recorded"),
    "rectified": _("corrected"),
    "erased": _("erased"),
    "completed": _("completed"),
    "refused": _("refused"),
}


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
    from keepfaith.rights.erasure import STORE_TITLES

    parts: list[str] = []
    for key, value in (step.detail or {}).items():
        if key == "channel":
            parts.append(str(_CHANNELS.get(str(value), value)))
        elif key == "matched":
            parts.append(
                str(_("matched to an account") if value else _("no account has that address"))
            )
        elif key == "months":
            parts.append(str(_("by %(months)s month(s)") % {"months": value}))
        elif key == "uses" and isinstance(value, list):
            lang = (translation.get_language() or "en")[:2]
            parts.append(use_names(in_force().policy, tuple(value), lang))
        elif key == "kept" and isinstance(value, list):
            kept = ", ".join(str(STORE_TITLES.get(v, v)) for v in value)
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
