"""Signing in, as a customer meets it (SITE-1): a login before the address is confirmed says
so and offers a new link; a signed-in customer changes their password.

The "not confirmed yet" answer comes only with the account's right password, so it tells
nothing to someone guessing addresses; the new-link page reads the same whether or not the
address has an account waiting, and sends at most one link an hour.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keepfaith.accounts.models import User, login_identity
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.comms.emails import page_url
from keepfaith.comms.outgoing import Recipient, mail_send
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces
from keepfaith.portal.account import verification_link

UNVERIFIED = "unverified"


def waiting_account(email: str) -> User | None:
    """The customer account for ``email`` that waits for its address to be confirmed."""
    return User.objects.filter(
        email=login_identity(email), is_active=False, is_staff=False, last_login__isnull=True
    ).first()


class CustomerLoginForm(AuthenticationForm):
    """Django's login form, with a clear answer for an account whose address is not yet
    confirmed (the right password, an inactive account that never logged in)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "That e-mail address and password do not match an account. Check both and try again."
        ),
        UNVERIFIED: gettext_lazy(
            "You have not confirmed your e-mail address yet. Follow the link in the mail we "
            "sent you, or ask for a new link below."
        ),
    }

    def get_invalid_login_error(self) -> forms.ValidationError:
        email = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        waiting = waiting_account(email) if email and password else None
        if waiting is not None and waiting.check_password(password):
            self.unverified_email = waiting.email
            return forms.ValidationError(self.error_messages[UNVERIFIED], code=UNVERIFIED)
        return super().get_invalid_login_error()


@enforces("SITE-1")
@require_POST
def verify_resend(request: HttpRequest) -> HttpResponse:
    """Send a new confirmation link to an account that waits for one (at most one an hour);
    the page that follows is the same for any address."""
    email = str(request.POST.get("email") or request.POST.get("username") or "")[:254]
    user = waiting_account(email) if email else None
    if user is not None:
        now = in_force()
        reader = now.language(user.language or get_language())
        hour = timezone.now().strftime("%Y%m%d%H")
        with transaction.atomic():
            mail_send(
                name="verify",
                to=Recipient(user.email, user.subject_ref, reader),
                context={"link": verification_link(user, reader)},
                key=f"verify-again:{user.pk}:{hour}",
                gate=now.gate(actor=Actor.system("signup")),
                purpose="a new confirmation link, asked for at login",
            )
    return render(request, "portal/verify_resent.html", {"email": email})


def password_changed_mail(customer: User, *, by_link: bool) -> None:
    """Tell the customer, at their address and in their language, that their password was
    changed, with the way back if it was not them (a changed password is how an account is
    taken over)."""
    now = in_force()
    language = now.language(customer.language or get_language())
    mail_send(
        name="password_changed",
        to=Recipient(customer.email, customer.subject_ref, language),
        context={"by_link": by_link, "reset_url": page_url("portal:password_reset", language)},
        key=f"password-changed:{customer.pk}:{timezone.now().isoformat()}",
        gate=now.gate(actor=Actor(ActorKind.CUSTOMER, customer.subject_ref)),
        purpose="a changed password",
    )


@enforces("SITE-1")
class CustomerPasswordChangeView(auth_views.PasswordChangeView):
    """Change the password while signed in: the current one first; the session stays."""

    template_name = "portal/password_change.html"
    success_url = reverse_lazy("portal:account")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and request.user.is_staff:
            return redirect("console:dashboard")  # staff passwords are changed staff-side
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        password_changed_mail(form.user, by_link=False)
        messages.success(self.request, _("Your password is changed."))
        return response
