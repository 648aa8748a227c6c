"""Declaring what a form field collects, and the check that a point may collect it (QS-2).

Every field of a collection-point form says what it is: ``collects(category, field)`` for
personal data of a taxonomy category, ``not_personal(field, reason=...)`` for anything else
(the text of a question, a hidden version marker). A field that says neither, or collects a
category its point does not declare, is refused: the form cannot be built, and a service
that stores a category outside the declaration raises before it writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django import forms
from django.core.exceptions import ImproperlyConfigured

from keepfaith.policy import Policy
from keepfaith.policy.schema import CollectionPoint
from keepfaith.policy.trace import enforces

F = TypeVar("F", bound=forms.Field)

CATEGORY_ATTR = "data_category"
"""The attribute ``collects`` sets on a field: a taxonomy key, or None for non-personal data."""
IF_DECLARED_ATTR = "collect_if_declared"
NOT_PERSONAL_ATTR = "not_personal_reason"


class UndeclaredCollection(ImproperlyConfigured):
    """A form or service tried to collect data its collection point does not declare."""


def collects(category: str, field: F, *, if_declared: bool = False) -> F:
    """Mark ``field`` as collecting ``category`` (a taxonomy key such as user.contact.email).

    ``if_declared=True``: the field is left out of the form when the policy in force does
    not declare the category for the point (a policy without a phone number gets no phone
    field), instead of refusing the form.
    """
    setattr(field, CATEGORY_ATTR, category)
    setattr(field, IF_DECLARED_ATTR, if_declared)
    return field


def not_personal(field: F, *, reason: str) -> F:
    """Mark ``field`` as holding no personal data of a declared category; ``reason`` says why."""
    if not reason.strip():
        raise ValueError("say why the field holds no personal data")
    setattr(field, CATEGORY_ATTR, None)
    setattr(field, NOT_PERSONAL_ATTR, reason)
    return field


def collection_point(policy: Policy, point_id: str) -> CollectionPoint:
    """The point ``point_id`` of ``policy``; raises ``UndeclaredCollection`` if there is none."""
    point = policy.collection_point_by_id(point_id)
    if point is None:
        known = ", ".join(p.id for p in policy.collection_points) or "none"
        raise UndeclaredCollection(
            f"collection point {point_id!r} is not declared in the policy in force "
            f"(collection_points: {known}); declare it before collecting anything there"
        )
    return point


def declared_category(point: CollectionPoint, category: str) -> str | None:
    """The declared key covering ``category`` at ``point`` (itself or a parent), or None."""
    for declared in point.category_keys():
        if category == declared or category.startswith(declared + "."):
            return declared
    return None


@enforces("QS-2", "BE-3")
def require_declared(*, point: CollectionPoint, categories: Iterable[str], what: str) -> None:
    """Raise ``UndeclaredCollection`` unless ``point`` declares every one of ``categories``."""
    missing = sorted({c for c in categories if declared_category(point, c) is None})
    if missing:
        raise UndeclaredCollection(
            f"{what} collects {', '.join(missing)}, which collection point {point.id!r} does "
            f"not declare (it declares {', '.join(point.category_keys())}); declare the "
            "category for this point in the policy or stop collecting it"
        )
