"""Filters for the rights pages and the readable export page."""

from __future__ import annotations

from typing import Any

from django import template
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
