"""Changing the login address (SITE-1, QS-4): asked for on the contact page with the current
password, confirmed by the link sent to the new address, announced to the old one.

- The old address stays the login until the link is used; the contact history records the
  change then.
- The page after a request reads the same whether or not the new address has an account
  (its owner gets a mail saying nothing changed, instead of a link).
- Following the link (GET) changes nothing: mail scanners open links. The page shows a
  button that confirms (POST). The link is signed, good for three days, and works once.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keepfaith.accounts.models import User
from keepfaith.accounts.selectors import customer_language
from keepfaith.accounts.services import (
    EmailChangeFailed,
    EmailChangeOutcome,
    email_change_cancel,
    email_change_confirm,
)
from keepfaith.accounts.tokens import email_change_token_read
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.comms.emails import page_url
from keepfaith.comms.outgoing import Recipient, mail_send
from keepfaith.inforce import InForce
from keepfaith.policy.trace import enforces

TEMPLATE = "portal/email_confirm.html"


def email_change_mails(now: InForce, customer: User, outcome: EmailChangeOutcome) -> None:
    """Queue the link to the new address (or, if it has an account, why nothing changes) and
    the notice to the current one, in the customer's language (call inside the transaction
    that records the request: the mails go when it commits)."""
    language = now.language(customer.language or get_language())
    other = now.language(customer_language(email=outcome.request.new_email) or language)
    gate = now.gate(actor=Actor(ActorKind.CUSTOMER, customer.subject_ref))
    new, old = outcome.request.new_email, customer.email
    key = f"email-change:{outcome.request.pk}"
    if outcome.token is not None:
        link = page_url("portal:email_confirm", language, token=outcome.token)
        mail_send(
            name="email_change_confirm",
            to=Recipient(new, customer.subject_ref, language),
            context={"link": link, "old_address": old},
            key=f"{key}:confirm",
            gate=gate,
            purpose="confirming a new login address",
        )
    else:
        reset_url = page_url("portal:password_reset", other)
        mail_send(
            name="email_change_taken",
            to=Recipient(new, None, other),  # the owner of another account, in their language
            context={"reset_url": reset_url},
            key=f"{key}:taken",
            gate=gate,
            purpose="a login address that has an account",
        )
    mail_send(
        name="email_change_notice",
        to=Recipient(old, customer.subject_ref, language),
        context={
            "new_address": new,
            "contact_url": page_url("portal:contact", language),
        },
        key=f"{key}:notice",
        gate=gate,
        purpose="a change of login address was asked for",
    )


def email_change_requested_message(request: HttpRequest, *, new: str, old: str) -> None:
    messages.info(
        request,
        _(
            "We sent a confirmation link to %(new)s. Your login address changes when you "
            "follow it; until then you log in with %(old)s."
        )
        % {"new": new, "old": old},
    )


@enforces("SITE-1", "QS-4")
@require_http_methods(["GET", "POST"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the confirmation mail: GET shows the button, POST changes the login."""
    if email_change_token_read(token) is None:
        return render(request, TEMPLATE, {"state": "invalid"}, status=400)
    if request.method == "GET":
        return render(request, TEMPLATE, {"state": "confirm", "token": token})
    try:
        _, change = email_change_confirm(token=token)
    except EmailChangeFailed as failure:
        return render(request, TEMPLATE, {"state": failure.reason}, status=400)
    return render(request, TEMPLATE, {"state": "done", "new": change.new, "old": change.old})


@login_required
@require_POST
def email_cancel(request: HttpRequest) -> HttpResponse:
    """Withdraw a pending change of login address (the contact page's button)."""
    from keepfaith.portal.account import customer_of

    if email_change_cancel(customer=customer_of(request)):
        messages.info(request, _("The change of your login address is cancelled."))
    return redirect("portal:contact")
