"""The customer's privacy page and the public request form (GDPR Art. 15-22, RIGHTS-*).

Signed in, a customer asks from ``/account/privacy/`` after entering the password again:
access and portability are answered at once with a download, an objection or restriction
takes effect at once, an erasure shows its plan first, a rectification goes to the privacy
officer. Anyone may ask with the public form: the address is matched to an account and a
code goes to the account's address; the page is the same whether it matched or not.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor
from keepfaith.collection.fields import VisibleTextForm
from keepfaith.inforce import InForce, in_force
from keepfaith.policy import Policy
from keepfaith.policy.rights_text import use_names
from keepfaith.policy.trace import enforces
from keepfaith.portal.account import customer_of
from keepfaith.rights.actions import (
    carry_out,
    erasure_carry_out,
    restriction_end,
    restriction_holding,
)
from keepfaith.rights.erasure import erasure_plan
from keepfaith.rights.export import access_export
from keepfaith.rights.models import Channel, RightKind
from keepfaith.rights.selectors import customer_request, customer_requests
from keepfaith.rights.services import (
    RightsError,
    customer_actor,
    request_confirm,
    request_from_address,
    request_open_signed_in,
)
from keepfaith.store.pricing import money_here
from keepfaith.store.refunds import refunds_owed

AT_ONCE = (RightKind.ACCESS, RightKind.PORTABILITY, RightKind.OBJECTION, RightKind.RESTRICTION)


def _kinds(policy: Policy) -> list[tuple[str, str]]:
    granted = policy.rights.granted if policy.rights else ()
    return [(k.value, str(k.label)) for k in RightKind if k.value in granted]


def _uses(policy: Policy, lang: str) -> list[tuple[str, str]]:
    keys = policy.rights.objection_uses if policy.rights else ()
    return [(k, u.name.get(lang) or u.name["en"]) for k in keys if (u := policy.use_by_key(k))]


class SignedInRequestForm(VisibleTextForm):
    kind = forms.ChoiceField(label=gettext_lazy("What do you ask for?"), widget=forms.RadioSelect)
    uses = forms.MultipleChoiceField(
        label=gettext_lazy("Uses you object to"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    details = forms.CharField(
        label=gettext_lazy("Details (for a correction: what is wrong and what is right)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    password = forms.CharField(
        label=gettext_lazy("Your password, to confirm it is you"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: object, policy: Policy, lang: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = _kinds(policy)  # type: ignore[attr-defined]
        self.fields["uses"].choices = _uses(policy, lang)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("kind") == RightKind.OBJECTION and not data.get("uses"):
            self.add_error("uses", _("Choose the use you object to."))
        said = data.get("details") or "details" in self.errors  # too long is not "nothing"
        if data.get("kind") == RightKind.RECTIFICATION and not said:
            self.add_error("details", _("Say what is wrong and what is right."))
        return data


def _password_ok(request: HttpRequest, customer: User, password: str) -> bool:
    return authenticate(request, username=customer.email, password=password) is not None


@login_required
@require_http_methods(["GET", "POST"])
def privacy_page(request: HttpRequest) -> HttpResponse:
    customer = customer_of(request)
    now = in_force()
    policy, lang = now.policy, get_language() or "en"
    form = SignedInRequestForm(request.POST or None, policy=policy, lang=lang)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not _password_ok(request, customer, data["password"]):
            form.add_error("password", _("That is not your password."))
        else:
            try:
                return _ask(request, customer, now, data, lang)
            except RightsError as error:
                form.add_error(None, str(error))
    context = {
        "form": form,
        "requests": customer_requests(customer=customer)[:50],
        "rights": policy.rights,
        "restriction": restriction_holding(customer=customer),
        "permitted": use_names(policy, tuple(sorted(policy.rights.restriction_permits)), lang)
        if policy.rights is not None
        else "",
    }
    return render(request, "rights/privacy.html", context, status=400 if form.errors else 200)


@enforces("RIGHTS-18")
@login_required
@require_POST
def restriction_end_view(request: HttpRequest) -> HttpResponse:
    """The customer ends the restriction they asked for (their own wish: no reason asked)."""
    customer = customer_of(request)
    actor = customer_actor(customer.subject_ref)
    try:
        ended = restriction_end(customer=customer, actor=actor, gate=in_force().gate(actor=actor))
    except RightsError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The restriction (%(reference)s) has ended: we use your data again as our "
              "privacy statement describes.") % {"reference": ended.reference},
        )  # fmt: skip
    return redirect("portal:rights")


def _ask(
    request: HttpRequest, customer: User, now: InForce, data: dict[str, object], lang: str
) -> HttpResponse:
    kind = str(data["kind"])
    if kind == RightKind.ERASURE:  # the plan first; filed when confirmed there
        return redirect("portal:rights_erase")
    asked, created = request_open_signed_in(
        customer=customer,
        kind=kind,
        details=str(data.get("details") or ""),
        language=lang,
        policy=now.policy,
    )
    if not created:
        messages.info(
            request,
            _("You already had an open request of this kind: what you wrote was added to it.")
            if str(data.get("details") or "").strip()
            else _("You already have an open request of this kind: here it is."),
        )
    if created and kind in AT_ONCE:
        gate = now.gate(actor=customer_actor(customer.subject_ref))
        carry_out(
            request=asked,
            policy=now.policy,
            actor=customer_actor(customer.subject_ref),
            gate=gate,
            uses=[str(u) for u in cast(list[object], data.get("uses") or [])],
        )
    return redirect("portal:rights_request", reference=asked.reference)


@login_required
def request_page(request: HttpRequest, reference: str) -> HttpResponse:
    customer = customer_of(request)
    asked = customer_request(customer=customer, reference=reference)
    if asked is None:
        raise Http404("no such request of yours")
    return render(request, "rights/request.html", {"asked": asked, "steps": asked.steps.all()})


@login_required
def request_download(request: HttpRequest, reference: str) -> HttpResponse:
    customer = customer_of(request)
    asked = customer_request(customer=customer, reference=reference)
    if asked is None or asked.kind not in (RightKind.ACCESS, RightKind.PORTABILITY):
        raise Http404("no such download of yours")
    if asked.state != "done":
        raise Http404("not ready")
    now = in_force()
    gate = now.gate(actor=customer_actor(customer.subject_ref))
    gate.require(
        use="essential.legal_obligation",
        categories=("user.unique_id",),
        subject=customer.subject_ref,
        purpose_context=f"rights:{reference}",
    )
    body = access_export(customer=customer, policy=now.policy, reference=reference)
    response = HttpResponse(body, content_type="application/zip")
    name = f"{customer.subject_ref}-{timezone.now():%Y%m%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def erase_page(request: HttpRequest) -> HttpResponse:
    """The erasure's plan from the policy; on the password, the request is filed and carried
    out at once, the account closed and the receipt shown."""
    customer = customer_of(request)
    now = in_force()
    lang = get_language() or "en"
    today = timezone.localdate()
    plan = erasure_plan(customer=customer, policy=now.policy, lang=lang, today=today)
    error = ""
    if request.method == "POST":
        if not _password_ok(request, customer, request.POST.get("password", "")):
            error = _("That is not your password.")
        else:
            asked, _created = request_open_signed_in(
                customer=customer,
                kind=RightKind.ERASURE,
                details="",
                language=lang,
                policy=now.policy,
            )
            actor = customer_actor(customer.subject_ref)
            gate = now.gate(actor=actor)
            with translation.override(asked.language):
                done = erasure_carry_out(request=asked, policy=now.policy, actor=actor, gate=gate)
            logout(request)
            return render(request, "rights/erased.html", {"asked": done, "plan": plan})
    owed = [
        {"amount": money_here(case.amount_minor, case.currency), "paid": case.since}
        for case in refunds_owed(subject=customer.subject_ref)
    ]
    context = {"plan": plan, "error": error, "owed": owed}
    return render(request, "rights/erase.html", context, status=400 if error else 200)


class PublicRequestForm(VisibleTextForm):
    email = forms.EmailField(label=gettext_lazy("Your account's e-mail address"), max_length=254)
    kind = forms.ChoiceField(label=gettext_lazy("What do you ask for?"), widget=forms.RadioSelect)
    details = forms.CharField(
        label=gettext_lazy("Details (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: object, policy: Policy, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = _kinds(policy)  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
def public_request(request: HttpRequest) -> HttpResponse:
    now = in_force()
    form = PublicRequestForm(request.POST or None, policy=now.policy)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            asked, _code = request_from_address(
                email=data["email"],
                kind=data["kind"],
                details=data["details"],
                channel=Channel.FORM,
                language=get_language() or "en",
                policy=now.policy,
                gate=now.gate(actor=Actor.system("rights request form")),
            )
        except RightsError as error:
            form.add_error(None, str(error))
        else:
            return redirect(reverse("portal:rights_confirm") + f"?ref={asked.reference}")
    context = {"form": form, "rights": now.policy.rights}
    return render(
        request, "rights/public_request.html", context, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def public_confirm(request: HttpRequest) -> HttpResponse:
    reference = (request.POST.get("ref") or request.GET.get("ref") or "").strip()[:20]
    error, confirmed = "", None
    if request.method == "POST":
        try:
            confirmed = request_confirm(reference=reference, code=request.POST.get("code", ""))
        except RightsError as failure:
            error = str(failure)
    context = {"reference": reference, "error": error, "confirmed": confirmed}
    return render(request, "rights/public_confirm.html", context, status=400 if error else 200)
