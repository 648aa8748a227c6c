"""Data-subject requests in the console, for the privacy officer (RIGHTS-12 to RIGHTS-21).

The queue by due date with overdue, soon-due and stalled flags; each request's page with its
timeline, the recipients told, an erasure's plan before it runs and its receipt after; and
the steps: match a queued request to an account, extend once with a reason, carry out,
refuse with a reason. Every page is a read the gate allows under the policy's staff
section and the audit log records (``staff_read``); every step is audited by the services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from keepfaith.accounts.models import CONTACT_FIELD_CATEGORY, CONTACT_FIELD_LABELS, User
from keepfaith.audit.services import audit_append
from keepfaith.collection.fields import PhoneNumberField, VisibleTextForm, invisible_characters
from keepfaith.console.access import (
    StaffRead,
    read_decision,
    section_read,
    staff_actor,
    staff_read,
    staff_view,
    subject_opened,
)
from keepfaith.gate import Gate
from keepfaith.inforce import in_force
from keepfaith.policy import Policy
from keepfaith.policy.schema import text_in
from keepfaith.policy.trace import enforces
from keepfaith.rights.actions import carry_out, restriction_end, restriction_holding
from keepfaith.rights.erasure import erasure_plan, plan_worded
from keepfaith.rights.models import RecipientNotice, RightKind, RightsRequest
from keepfaith.rights.selectors import request_by_reference, request_flags, request_queue
from keepfaith.rights.services import RightsError, request_close, request_extend, request_identify

HANDLE = "rights.handle_requests"
REQUESTS_USE = "essential.legal_obligation"
RIGHTS_QUEUE = StaffRead(
    "console.rights.queue",
    ("user.contact.email", "user.unique_id"),
    (REQUESTS_USE,),
    ("RIGHTS-12",),
)
RIGHTS_REQUEST = StaffRead(
    "console.rights.request",
    ("user.contact.email", "user.name", "user.unique_id"),
    (REQUESTS_USE,),
    ("RIGHTS-12",),
)


@enforces("RIGHTS-12", features=("rights.deadlines",))
@staff_view(HANDLE)
@staff_read(RIGHTS_QUEUE)
def rights_queue(request: HttpRequest) -> HttpResponse:
    policy, now = in_force().policy, timezone.now()
    rows = [(r, request_flags(r, policy=policy, now=now)) for r in request_queue()[:500]]
    closed = list(
        request_queue(open_only=False).exclude(state__in=("open", "queued", "awaiting-code"))[:50]
    )
    request.audited_subjects.extend(sorted({r.subject for r, _f in rows if r.subject}))  # type: ignore[attr-defined]
    context = {"rows": rows, "closed": closed}
    return render(request, "rights/console_queue.html", context)


def _request_or_404(reference: str) -> RightsRequest:
    found = request_by_reference(reference=reference)
    if found is None:
        raise Http404("no such request")
    return found


@enforces("RIGHTS-12", "RIGHTS-17")
@staff_view(HANDLE)
@staff_read(RIGHTS_REQUEST)
def rights_request(request: HttpRequest, rights_ref: str) -> HttpResponse:
    """The request's page; its forms post here with their ``step``, so that a step refused
    shows the page again at its own address, with what was typed (a reload sends the form
    again and is checked again; opening the address opens the page, never a step's)."""
    if request.method == "POST":
        step = request.POST.get("step", "")
        if step not in STEPS:
            raise Http404("no such step")
        return _step(request, rights_ref, step)
    asked = _request_or_404(rights_ref)
    if asked.subject:
        subject_opened(request, asked.subject)
    return _request_page(request, asked)


def _request_page(
    request: HttpRequest, asked: RightsRequest, *, step: str = "", status: int = 200
) -> HttpResponse:
    """The request's page; after a step that failed (``step``), its forms keep what was
    typed into that step's form (the error is in the messages above)."""
    # a correction's answer says the values it set: shown to a role the policy grants them
    corrected = asked.kind != RightKind.RECTIFICATION or section_read(request, RECTIFIED)
    policy, now = in_force().policy, timezone.now()
    plan, lang = None, (get_language() or "en")[:2]
    if asked.kind == RightKind.ERASURE and asked.customer is not None and asked.is_open:
        plan = erasure_plan(
            customer=asked.customer, policy=policy, lang=lang, today=timezone.localdate(now)
        )
    uses = [
        (k, text_in(u.name, lang))
        for k in (policy.rights.objection_uses if policy.rights else ())
        if (u := policy.use_by_key(k))
    ]
    context = {
        "asked": asked,
        "flags": request_flags(asked, policy=policy, now=now),
        "steps": asked.steps.all(),
        "notices": _notices(asked, policy),
        "plan": plan or plan_worded(asked.receipt.get("plan") or [], policy=policy, lang=lang),
        "uses": uses,
        "correction_form": CorrectionForm(request.POST if step == "complete" else None),
        "corrected_shown": corrected,
        "extension_months": range(1, (policy.rights.extension_months if policy.rights else 0) + 1),
        "posted": {"step": step, **request.POST.dict()} if step else {},
        "posted_uses": request.POST.getlist("uses") if step else [],
        "holding": asked.kind == RightKind.RESTRICTION
        and asked.customer is not None
        and restriction_holding(customer=asked.customer) == asked,
    }
    return render(request, "rights/console_request.html", context, status=status)


def _notices(asked: RightsRequest, policy: Policy) -> list[RecipientNotice]:
    """The recipients told, each with the name staff read (the row keeps the policy key)."""
    notices = list(asked.notices.all())
    lang = (get_language() or "en")[:2]
    for notice in notices:
        found = policy.recipient_name(notice.recipient, lang)
        notice.recipient_name = found or notice.recipient  # type: ignore[attr-defined]
    return notices


def _step(request: HttpRequest, rights_ref: str, action: str) -> HttpResponse:
    asked = _request_or_404(rights_ref)
    if asked.subject:
        subject_opened(request, asked.subject)
    now = in_force()
    actor = staff_actor(request)
    gate = now.gate(actor=actor)
    post = request.POST
    try:
        if action == "extend":
            given = post.get("months") or ""
            months = int(given) if given.isascii() and given.isdigit() else 0
            request_extend(
                request=asked,
                months=months,
                reason=post.get("reason", ""),
                actor=actor,
                policy=now.policy,
                gate=gate,
            )
        elif action == "refuse":
            request_close(
                request=asked, actor=actor, outcome=post.get("reason", ""), refused=True, gate=gate
            )
        elif action == "lift":
            if asked.customer is None:
                raise RightsError(_("No restriction that can be lifted holds for this customer."))
            restriction_end(
                customer=asked.customer,
                actor=actor,
                gate=gate,
                reason=post.get("reason", ""),
                request=asked,
            )
        elif action == "identify":
            customer = User.objects.filter(
                email__iexact=post.get("email", "").strip(), is_staff=False
            ).first()
            if customer is None:
                raise RightsError(_("No customer account has that address."))
            request.audited_subjects.append(customer.subject_ref)  # type: ignore[attr-defined]
            request_identify(
                request=asked, customer=customer, actor=actor, note=post.get("note", "")
            )
        else:
            if asked.kind in CONFIRMED_KINDS and post.get("confirm") != "yes":
                raise RightsError(_confirm_missing(asked))
            values = _corrections(request, asked, gate) if asked.kind == "rectification" else {}
            if invisible_characters(post.get("change", ""), multiline=True):
                raise RightsError(_("The note has invisible control characters: please retype it."))
            carry_out(
                request=asked,
                policy=now.policy,
                actor=actor,
                gate=gate,
                uses=post.getlist("uses"),
                change=post.get("change", ""),
                values=values,
            )
    except RightsError as error:
        messages.error(request, str(error))
        return _request_page(request, asked, step=action, status=400)
    messages.success(request, _("Done."))
    return redirect("console:rights_request", rights_ref=asked.reference)


def _confirm_missing(asked: RightsRequest) -> str:
    if asked.kind == RightKind.ERASURE:
        return _(
            "Nothing was erased: tick the box to confirm that you understand the erasure "
            "cannot be undone."
        )
    return _("Nothing was carried out: tick the box to confirm that you understand what it does.")


# The details a correction may set here; the login address changes only by the customer's
# confirmation of the new address (accounts: email_change_request).
CORRECTABLE = ("full_name", "organization", "postal_address", "phone")
RECTIFIED = StaffRead(
    "console.rights.rectified",
    tuple(CONTACT_FIELD_CATEGORY[f] for f in CORRECTABLE),
    (REQUESTS_USE,),
    ("RIGHTS-16",),
)
"""A correction's answer and step, which name the values set."""


class CorrectionForm(VisibleTextForm):
    """The corrected contact details (write-only: the current values are not shown), each
    checked as the customer's own contact form checks it, and the details to remove."""

    full_name = forms.CharField(required=False, max_length=150)
    organization = forms.CharField(required=False, max_length=150)
    postal_address = forms.CharField(
        required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    phone = PhoneNumberField(required=False)
    remove = forms.MultipleChoiceField(
        required=False,
        choices=[(name, name) for name in CORRECTABLE],
        widget=forms.CheckboxSelectMultiple,
    )

    prefix = "correct"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in CORRECTABLE:
            self.fields[name].label = CONTACT_FIELD_LABELS[name]
        remove = self.fields["remove"]
        assert isinstance(remove, forms.MultipleChoiceField)
        remove.label = _("Remove")
        remove.choices = [(name, CONTACT_FIELD_LABELS[name]) for name in CORRECTABLE]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in data.get("remove") or ():
            if (data.get(name) or "").strip():
                self.add_error(
                    "remove",
                    _("%(detail)s: give a corrected value or remove it, not both.")
                    % {"detail": CONTACT_FIELD_LABELS[name]},
                )
        return data

    def values(self) -> dict[str, str]:
        """The details given, trimmed, and those to remove as empty (a field left empty and
        not ticked for removal is left as it is)."""
        given = {f: v.strip() for f in CORRECTABLE if (v := self.cleaned_data.get(f) or "").strip()}
        return given | {f: "" for f in self.cleaned_data.get("remove") or ()}


def _corrections(request: HttpRequest, asked: RightsRequest, gate: Gate) -> dict[str, str]:
    """The corrected contact details given on the form, checked, once the gate lets the
    staff member write each of them for answering the request (the same question as a read);
    the decision is audited, and a refusal says which details and why."""
    if not (asked.is_open and asked.state == "open" and asked.customer is not None):
        return {}  # carry_out says why nothing can be carried out
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        raise RightsError(
            " ".join(
                str(error) if name == "remove" else f"{form.fields[name].label}: {error}"
                for name, errors in form.errors.items()
                for error in errors
            )
        )
    values = form.values()
    if not values:
        return {}
    write = StaffRead(
        "console.rights.rectify",
        (*(CONTACT_FIELD_CATEGORY[f] for f in values), "user.unique_id"),
        (REQUESTS_USE,),
        ("RIGHTS-16",),
    )
    roles = getattr(request.user, "role_names", ())
    decision = read_decision(gate=gate, read=write, roles=roles, subject=asked.subject)
    audit_append(
        actor=staff_actor(request),
        action=write.action,
        outcome="allowed" if decision.allowed else "refused",
        subject=asked.subject,
        categories=write.categories,
        use=REQUESTS_USE,
        clauses=write.clauses,
        detail={"request": asked.reference, "fields": sorted(values), "reason": decision.reason},
    )
    if not decision.allowed:
        names = ", ".join(str(CONTACT_FIELD_LABELS[f]) for f in values)
        raise RightsError(
            _("The privacy policy does not let your role correct %(details)s: %(reason)s")
            % {"details": names, "reason": decision.reason}
        )
    return values


STEPS = ("extend", "refuse", "identify", "complete", "lift")
CONFIRMED_KINDS = (RightKind.ERASURE, RightKind.RESTRICTION, RightKind.OBJECTION)
"""The kinds whose carrying out cannot be taken back by the console's next click: an erasure
for good, a restriction or objection that stops uses of the customer's data at once. Each
asks for the "I understand" box, which the server checks."""


@staff_view(HANDLE)
@staff_read(RIGHTS_REQUEST)
def rights_step(request: HttpRequest, rights_ref: str, action: str) -> HttpResponse:
    if action not in STEPS:
        raise Http404("no such step")  # the console's 404 (staff_view)
    if request.method != "POST":
        # a step's address opened (a reload, a bookmark): the request's page, where its form is
        return redirect("console:rights_request", rights_ref=rights_ref[:64])
    return _step(request, rights_ref, action)
