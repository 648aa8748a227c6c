"""Asking customers again after a policy change that needs fresh consent (BE-11).

At login (Django's ``user_logged_in`` signal) a customer with pending re-consent gets a
session flag; ``ReconsentMiddleware`` sends their next page view to the renew page once
and clears the flag. Until they answer, the gate reads the affected uses as "not asked"
and refuses them, so nothing is done under a use they have not agreed to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from keepfaith.accounts.selectors import customer_subject
from keepfaith.consent.selectors import pending_reconsent
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces

SESSION_FLAG = "keepfaith.reconsent"


@enforces("BE-11")
def reconsent_required(user: Any) -> list[str]:
    """Use keys this customer must answer again before anything is done under them."""
    subject = customer_subject(user)
    if subject is None:
        return []
    joined = getattr(user, "date_joined", None)
    return pending_reconsent(subject=subject, policy=in_force().policy, joined=joined)


@receiver(user_logged_in, dispatch_uid="keepfaith.portal.reconsent")
def ask_after_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Flag the session when the customer who just logged in has uses to answer again."""
    session = getattr(request, "session", None)
    if session is not None and reconsent_required(user):
        session[SESSION_FLAG] = True


class ReconsentMiddleware:
    """Redirects a flagged session's first page view after login to the renew page, once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and request.method == "GET"
            and settings.SESSION_COOKIE_NAME in request.COOKIES  # else: no session to read
            and session.get(SESSION_FLAG)
        ):
            del session[SESSION_FLAG]
            renew = reverse("portal:consent_renew")
            if request.path != renew and customer_subject(request.user) is not None:
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{renew}?{query}")
        return self.get_response(request)
