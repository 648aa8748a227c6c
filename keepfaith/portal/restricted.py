"""What a customer meets when the restriction they asked for (Art. 18) refuses a step.

The gate refuses every use the policy's ``rights.restriction_permits`` does not name for a
restricted customer; a form that would need such a use says so before anything is typed,
and where the customer can end the restriction, instead of failing when it is sent.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from keepfaith.accounts.models import User
from keepfaith.consent.selectors import is_restricted
from keepfaith.inforce import in_force


def restriction_refuses(customer: User, uses: Iterable[str]) -> bool:
    """Does the customer's restriction refuse any of ``uses``?"""
    book = in_force().rulebook
    refused = any(book.restriction_refuses(use) for use in uses)
    return refused and is_restricted(subject=customer.subject_ref)


def restricted_page(request: HttpRequest, *, doing: str) -> HttpResponse:
    """403: the restriction holds, so ``doing`` (a phrase: "place an order") cannot happen."""
    return render(request, "portal/restricted.html", {"doing": doing}, status=403)
