"""The customer's account pages: sign-up and verification, overview, contact details and
communication preferences (SITE-1, QS-4, BE-8, BE-9).

Sign-up never reveals whether an address has an account: the same page follows every
submission, and the address's owner learns the rest by e-mail.
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keepfaith.accounts.forms import ContactDetailsForm, SignupForm
from keepfaith.accounts.models import User, normalise_email
from keepfaith.accounts.selectors import (
    contact_history,
    customer_language,
    customer_subject,
    email_change_pending,
)
from keepfaith.accounts.services import (
    contact_details_update,
    customer_signup,
    customer_verify,
    email_change_request,
)
from keepfaith.accounts.tokens import email_verification_token
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.collection.forms import gate_submission
from keepfaith.comms.emails import page_url
from keepfaith.comms.outgoing import Recipient, mail_send
from keepfaith.comms.results import campaign_result_count
from keepfaith.comms.services import language_name
from keepfaith.cookies.consent import campaign_carried
from keepfaith.inforce import InForce, in_force
from keepfaith.policy.trace import enforces
from keepfaith.portal.email_change import email_change_mails, email_change_requested_message
from keepfaith.portal.preferences import preferences
from keepfaith.support.selectors import customer_tickets

__all__ = ["account", "contact_details", "preferences", "signup", "signup_sent", "verify_email"]

MODEL_BACKEND = "keepfaith.accounts.backends.ModelBackend"


def customer_of(request: HttpRequest) -> User:
    """The signed-in customer; 404 for staff (the customer pages are not theirs)."""
    if customer_subject(request.user) is None:
        raise Http404("the account pages are for customers")
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
def account(request: HttpRequest) -> HttpResponse:
    customer = customer_of(request)
    mail_language = in_force().language(customer.language)
    page_language = get_language() or mail_language
    context = {
        "tickets": customer_tickets(customer=customer)[:20],
        # Mail follows the account's language, which the header's switch sets: a customer
        # who signed in on a page in another language is offered that one here.
        "mail_language": language_name(mail_language),
        "page_language": page_language if page_language != mail_language else None,
        "page_language_name": language_name(page_language),
    }
    return render(request, "portal/account.html", context)


def verification_link(user: User, language: str) -> str:
    """The link that confirms ``user``'s address, opening the page in ``language``."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = email_verification_token.make_token(user)
    return page_url("portal:verify_email", language, uidb64=uid, token=token)


@enforces("SITE-1", "BE-2", "QS-4", "BE-9")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account: e-mail, password, the point's choices; verified by a link."""
    if request.user.is_authenticated:
        return redirect("portal:account")
    form = SignupForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            outcome = customer_signup(
                email=data["email"],
                password=data["password1"],
                full_name=data.get("full_name", ""),
                language=get_language() or "",
            )
            if outcome.user is not None:
                subject = outcome.user.subject_ref
                actor = Actor(ActorKind.CUSTOMER, subject)
                gate_submission(form, actor=actor, subject=subject)
                form.save_consent(subject=subject, actor=actor)
            _signup_mail(form.in_force, outcome.user, data["email"])
            if outcome.created and (code := campaign_carried(request)) is not None:
                campaign_result_count(code=code, result="signups")
        return redirect("portal:signup_sent")
    return render(request, "portal/signup.html", {"form": form})


def _signup_mail(now: InForce, user: User | None, address: str) -> None:
    """The verification link to a new account, or a notice to the owner of an address that
    has one already (at most one a day: the key names the day)."""
    actor = Actor.system("signup")
    language = now.language(get_language())
    if user is not None:
        reader = now.language(user.language or language)
        link = verification_link(user, reader)
        mail_send(
            name="verify",
            to=Recipient(user.email, user.subject_ref, reader),
            context={"link": link},
            key=f"verify:{user.pk}:{link.rstrip('/').rsplit('/', 1)[-1]}",
            gate=now.gate(actor=actor),
            purpose="signup verification",
        )
        return
    digest = hashlib.sha256(address.encode("utf-8")).hexdigest()[:24]
    owner = now.language(customer_language(email=normalise_email(address)) or language)
    mail_send(
        name="already_registered",
        to=Recipient(address, None, owner),  # the account's owner reads it in their language
        context={
            "login_url": page_url("portal:login", owner),
            "reset_url": page_url("portal:password_reset", owner),
        },
        key=f"already-registered:{digest}:{timezone.localdate()}",
        gate=now.gate(actor=actor),
        purpose="signup with a registered address",
    )


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/signup_sent.html")


@enforces("SITE-1")
def verify_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link from the verification mail: opens the account and signs its owner in."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        pk = None
    found = User.objects.filter(pk=pk, is_staff=False, is_active=False) if pk is not None else None
    user = found.first() if found is not None else None  # an open account needs no link
    if user is None or not email_verification_token.check_token(user, token):
        if pk is not None and request.user.is_authenticated and request.user.pk == pk:
            # the link again, from the account it opened: nothing is wrong
            messages.info(request, _("Your e-mail address is confirmed already."))
            return redirect("portal:account")
        return render(request, "portal/verify_failed.html", status=400)
    customer_verify(user=user)
    login(request, user, backend=MODEL_BACKEND)
    messages.success(request, _("Your e-mail address is confirmed and your account is open."))
    return redirect("portal:account")


@enforces("QS-4", "BE-9", "QS-2", features=("portal.contact-details",))
@login_required
@require_http_methods(["GET", "POST"])
def contact_details(request: HttpRequest) -> HttpResponse:
    """Change contact details at once, every change kept and shown (QS-4); a new login
    address with the current password, once confirmed (``portal.email_change``)."""
    customer = customer_of(request)
    subject = customer.subject_ref
    form = ContactDetailsForm(data=request.POST or None, customer=customer, request=request)
    if request.method == "POST" and form.is_valid():
        actor = Actor(ActorKind.CUSTOMER, subject)
        outcome = None
        with transaction.atomic():
            gate_submission(form, actor=actor, subject=subject)
            changes = contact_details_update(customer=customer, values=form.contact_values())
            if form.email_changed():
                outcome = email_change_request(
                    customer=customer, new_email=form.cleaned_data["email"]
                )
                email_change_mails(form.in_force, customer, outcome)
            form.save_consent(subject=subject, actor=actor)
        if changes or outcome is None:
            changed = ", ".join(c.field_label for c in changes) or _("nothing")
            messages.success(request, _("Saved. Changed: %(changed)s.") % {"changed": changed})
        if outcome is not None:
            email_change_requested_message(
                request, new=outcome.request.new_email, old=customer.email
            )
        return redirect("portal:contact")
    context = {
        "form": form,
        "history": contact_history(customer=customer)[:200],
        "pending": email_change_pending(customer=customer),
    }
    return render(request, "portal/contact.html", context)
