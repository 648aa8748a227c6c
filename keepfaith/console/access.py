"""Who may open a console page, and the record of every staff read of customer data.

Two questions, two sources:

- **May this person act here?** ``staff_view(permission)`` admits a staff account that passed
  its second factor and whose role holds the Django permission (action permissions only:
  send a campaign, verify a chain, manage staff; ``keepfaith/accounts/roles.py``).
- **May this person read this data?** The policy's ``recipients.staff`` section, asked through
  the gate: ``staff_read(read)`` asks ``gate.check(use=..., categories=..., recipient=<role>)``
  for each role the reader holds and each use the page may serve, before the view runs. A
  refusal is a 403 with the gate's reason and an audit entry of the refusal; an allowed read
  is audited after a successful response (a page, or the redirect that answers a form acting
  on the data), naming the role and use that allowed it, so every
  read in the audit log can be replayed through the gate. Removing a role from a staff entry
  and publishing the policy closes its pages at once, with no code change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_otp import user_has_device

from keepfaith.accounts.roles import CONSOLE, ROLE_PERMISSIONS
from keepfaith.accounts.selectors import customer_by_number
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor, audit_append
from keepfaith.consent.selectors import LedgerChoices, is_restricted, restricted_subjects
from keepfaith.gate import Decision, Gate
from keepfaith.inforce import in_force
from keepfaith.policy import Policy
from keepfaith.policy.phrases import category_name, join_words
from keepfaith.policy.schema import text_in
from keepfaith.policy.trace import enforces

View = TypeVar("View", bound=Callable[..., HttpResponse])
ROLE_WORDS = (
    gettext_noop("support"),
    gettext_noop("billing"),
    gettext_noop("marketing"),
    gettext_noop("privacy officer"),
    gettext_noop("administrator"),
)
"""The role names, for the catalogue: the console shows them translated."""
_AUDITED_SUBJECTS_MAX = 500


@dataclass(frozen=True, slots=True)
class StaffRead:
    """What a console page shows of customer data.

    ``uses``: the purposes the page can serve, in order; the read is allowed when the policy
    grants one of them, with every one of ``categories``, to one of the reader's roles.
    """

    action: str
    categories: tuple[str, ...]
    uses: tuple[str, ...]
    clauses: tuple[str, ...] = ()


ReadSpec = StaffRead | Callable[[Policy], StaffRead]


@enforces("QS-3")
def staff_view(permission: str = CONSOLE) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or not user.is_staff:
                return redirect_to_login(request.get_full_path(), reverse("console:login"))
            if not user.is_verified():  # type: ignore[attr-defined]
                if not user_has_device(user):
                    return render(request, "console/no_second_factor.html", status=403)
                return redirect(f"{reverse('console:verify')}?next={request.get_full_path()}")
            staff_language_activate(request)
            if not user.has_perm(CONSOLE) or not user.has_perm(permission):
                audit_append(
                    actor=staff_actor(request),
                    action="console.action",
                    outcome="refused",
                    detail={
                        "path": request.path,
                        "permission": permission,
                        "roles": list(roles_of(request)),
                        "reason": "the role's action permissions do not include it",
                    },
                )
                return refused_page(
                    request,
                    reason=_("Your role does not include this action."),
                    needs=roles_with(permission),
                )
            try:
                return view(request, *args, **kwargs)
            except Http404:  # in the console's chrome and the staff member's language
                return not_found_page(request)

        return cast(View, wrapper)

    return decorate


def not_found_page(request: HttpRequest) -> HttpResponse:
    """The console's 404: a customer, order or request that does not exist, or an address
    under /console/ that names no page."""
    return render(request, "console/not_found.html", status=404)


def staff_language_activate(request: HttpRequest) -> None:
    """The console speaks the language the staff member chose (``User.language``)."""
    chosen = getattr(request.user, "language", "") or ""
    if chosen in dict(settings.LANGUAGES):
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen  # type: ignore[attr-defined]


def roles_with(permission: str) -> str:
    """The staff roles whose action permissions include ``permission``, as words."""
    names = [role for role, perms in ROLE_PERMISSIONS.items() if permission in perms]
    return ", ".join(_(name) for name in names)


def staff_actor(request: HttpRequest) -> Actor:
    return Actor(ActorKind.STAFF, str(getattr(request.user, "email", "")))


def roles_of(request: HttpRequest) -> tuple[str, ...]:
    return tuple(getattr(request.user, "role_names", ()))


@enforces("QS-3")
def read_decision(
    *, gate: Gate, read: StaffRead, roles: Iterable[str], subject: str | None = None
) -> Decision:
    """The gate's answer for a staff member holding ``roles``: the first role and use the
    policy allows, else the refusal for the first role asked (its reason names the fix)."""
    refusal: Decision | None = None
    held = tuple(roles)
    if not held:
        return _no_role(read)
    for role in held:
        for use in read.uses:
            decision = gate.check(
                use=use,
                categories=read.categories,
                subject=subject,
                recipient=role,
                purpose_context=read.action,
            )
            if decision.allowed:
                return decision
            refusal = refusal or decision
    assert refusal is not None
    return refusal


def _no_role(read: StaffRead) -> Decision:
    reason = "this staff account holds no role: an administrator gives it one (keepfaith staff)"
    return Decision(False, reason, read.clauses, read.uses[0], read.categories, None, None, None,
                    read.action)  # fmt: skip


def _audit(request: HttpRequest, read: StaffRead, decision: Decision, **extra: Any) -> None:
    subjects: list[str] = getattr(request, "audited_subjects", [])
    audit_append(
        actor=staff_actor(request),
        action=read.action,
        outcome="read" if decision.allowed else "refused",
        subject=subjects[0] if len(subjects) == 1 else "",
        categories=read.categories,
        use=decision.use,
        clauses=read.clauses,
        detail={
            "path": request.path,
            "recipient": decision.recipient,
            "subjects": subjects[:_AUDITED_SUBJECTS_MAX],
            "count": len(subjects),
            **({} if decision.allowed else {"reason": decision.reason}),
            **extra,
        },
    )


def refused_page(
    request: HttpRequest, *, reason: str, needs: str = "", summary: str = ""
) -> HttpResponse:
    """The console's 403: what was refused and why, in the console's chrome: ``summary`` in
    words (a read: the data the page shows), ``needs`` the roles that may, ``reason`` the
    policy's own (the gate's, naming the section to change), with the uses and data it
    quotes by the policy's names, as the audit log shows them."""
    from keepfaith.console.audit import reason_shown  # the audit page builds on this module

    context = {"reason": reason_shown(reason), "needs": needs, "summary": summary}
    return render(request, "console/refused.html", context, status=403)


def _read_refused_page(
    request: HttpRequest, *, policy: Policy, gate: Gate, read: StaffRead, decision: Decision
) -> HttpResponse:
    """The 403 of a read the policy does not grant: the data in words, the roles whose staff
    entries grant it, and the gate's reason."""
    lang = translation.get_language() or "en"
    declared = {c.key: text_in(c.name, lang) for c in policy.taxonomy.data_categories}
    names = [category_name(key, lang, declared=declared) for key in read.categories]
    data = join_words(names, lang)
    uses = [text_in(u.name, lang) for key in read.uses if (u := policy.use_by_key(key))]
    may = readers_of(gate=gate, read=read)
    return refused_page(
        request,
        reason=decision.reason,
        summary=_(
            "This page shows %(data)s for %(purpose)s. The privacy policy does not give your "
            "role that data for that purpose."
        )
        % {"data": data, "purpose": join_words(uses, lang, last="or")},
        needs=may,
    )


def readers_of(*, gate: Gate, read: StaffRead, subject: str | None = None) -> str:
    """The staff roles the policy lets read ``read`` (about ``subject``, when given), as words
    ("billing, administrator")."""
    may = [
        role
        for role in ROLE_WORDS
        if read_decision(gate=gate, read=read, roles=(role,), subject=subject).allowed
    ]
    return ", ".join(_(role) for role in may)


@enforces("QS-3", features=("staff.reads-by-policy",))
def staff_read(*specs: ReadSpec) -> Callable[[View], View]:
    """Ask the gate before the view reads customer data; audit each read or the refusal.

    A page that shows several kinds of data names one ``StaffRead`` per kind: each must be
    allowed. The view adds the subjects it shows to ``request.audited_subjects`` and may read
    ``request.staff_reads`` (the allowing ``Decision`` of each read: its ``recipient`` is the
    role). Use inside ``staff_view`` (second factor and console permission).
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            now = in_force()
            reads = [spec(now.policy) if callable(spec) else spec for spec in specs]
            gate = now.gate(actor=staff_actor(request))
            request.audited_subjects = []  # type: ignore[attr-defined]
            decisions = []
            for read in reads:
                decision = read_decision(gate=gate, read=read, roles=roles_of(request))
                if not decision.allowed:
                    _audit(request, read, decision)
                    return _read_refused_page(
                        request, policy=now.policy, gate=gate, read=read, decision=decision
                    )
                decisions.append(decision)
            request.staff_reads = decisions  # type: ignore[attr-defined]
            request.section_reads = []  # type: ignore[attr-defined]
            request.page_reads = reads  # type: ignore[attr-defined]
            try:
                response = view(request, *args, **kwargs)
            except SubjectRefused as refused:
                _audit(request, refused.read, refused.decision)
                return _subject_refused_page(request, policy=now.policy, refused=refused)
            # a page shown (400: with an error), or an answer to a form that acted on a
            # customer's data (a redirect after a POST that named them): each audited as the
            # read it was; a form that found no customer (decided already) read nobody's
            acted = request.audited_subjects  # type: ignore[attr-defined]
            if response.status_code in (200, 400) or (
                request.method == "POST" and response.status_code == 302 and acted
            ):
                for read, decision in zip(reads, decisions, strict=True):
                    _audit(request, read, decision)
                for read, decision in request.section_reads:  # type: ignore[attr-defined]
                    _audit(request, read, decision)
            return response

        return cast(View, wrapper)

    return decorate


class SubjectRefused(Exception):
    """A page's read refused for the one customer it is about (``subject_opened``)."""

    def __init__(self, read: StaffRead, decision: Decision, subject: str) -> None:
        super().__init__(decision.reason)
        self.read, self.decision, self.subject = read, decision, subject


@enforces("QS-3", "RIGHTS-18", features=("staff.reads-by-policy",))
def subject_opened(request: HttpRequest, subject: str) -> None:
    """The page is about ``subject``: ask each of its reads again, for this customer, before
    the view reads or changes anything of theirs. A customer who restricted the processing of
    their data (Art. 18) is then open only for the uses the policy's
    ``rights.restriction_permits`` names; a refusal ends the view in a 403 that says so, and
    is audited. Inside ``staff_read`` only; the subject is audited with the page's reads."""
    roles = roles_of(request)
    gate = subject_gate(request)
    decisions: list[Decision] = request.staff_reads  # type: ignore[attr-defined]
    for i, (read, allowed) in enumerate(zip(request.page_reads, decisions, strict=True)):  # type: ignore[attr-defined]
        decision = read_decision(gate=gate, read=read, roles=roles, subject=subject)
        if decision.allowed:
            decisions[i] = decision  # audited as allowed for this customer (role and use)
        else:
            # the reason that matters is this customer's: the use the page's read was
            # allowed for, asked again for them
            decision = gate.check(
                use=allowed.use,
                categories=read.categories,
                subject=subject,
                recipient=allowed.recipient,
                purpose_context=read.action,
            )
            request.audited_subjects.append(subject)  # type: ignore[attr-defined]
            raise SubjectRefused(read, decision, subject)
    request.page_subject = subject  # type: ignore[attr-defined]
    request.audited_subjects.append(subject)  # type: ignore[attr-defined]


@enforces("QS-3", "RIGHTS-18", features=("staff.reads-by-policy",))
def closed_by_restriction(request: HttpRequest, subjects: Iterable[str]) -> set[str]:
    """Of the customers a list page would show, those whose restriction of processing closes
    them to this reader (the page's reads asked for each of them, as ``subject_opened``
    asks): the page leaves them out and says how many. Inside ``staff_read`` only."""
    wanted = {s for s in subjects if s}
    restricted = set(
        restricted_subjects().filter(subject__in=wanted).values_list("subject", flat=True)
    )
    gate, roles = subject_gate(request), roles_of(request)
    return {
        subject
        for subject in restricted
        for read in request.page_reads  # type: ignore[attr-defined]
        if not read_decision(gate=gate, read=read, roles=roles, subject=subject).allowed
    }


@enforces("QS-3", features=("staff.reads-by-policy",))
def subject_read(request: HttpRequest, read: StaffRead, *, subject: str) -> Decision:
    """Ask the gate whether this staff member may read ``read`` about ``subject`` (outside a
    ``staff_read`` page: one answer on a page that reads nothing else of theirs), and audit
    the read or the refusal with the subject."""
    decision = read_decision(
        gate=subject_gate(request), read=read, roles=roles_of(request), subject=subject
    )
    request.audited_subjects = [subject]  # type: ignore[attr-defined]
    _audit(request, read, decision)
    return decision


def subject_gate(request: HttpRequest | None = None) -> Gate:
    """A gate whose subject decisions are not audited on their own: the staff read's entry
    records the outcome, with the subject. One per request (its ledger snapshot is reused
    by the page's sections)."""
    found = getattr(request, "_subject_gate", None) if request is not None else None
    if found is None:
        found = Gate(in_force().rulebook, LedgerChoices())
        if request is not None:
            request._subject_gate = found  # type: ignore[attr-defined]
    return found


def _subject_refused_page(
    request: HttpRequest, *, policy: Policy, refused: SubjectRefused
) -> HttpResponse:
    if not is_restricted(subject=refused.subject):
        return _read_refused_page(
            request,
            policy=policy,
            gate=subject_gate(),
            read=refused.read,
            decision=refused.decision,
        )
    lang = translation.get_language() or "en"
    permits = (policy.rights.restriction_permits if policy.rights else ()) or ()
    uses = [text_in(u.name, lang) for key in permits if (u := policy.use_by_key(key))]
    words = {"uses": join_words(uses, lang) or _("nothing else")}
    if _erased(refused.subject):  # an erasure restricts for good: no one lifts it
        summary = (
            _(
                "This customer's account was erased. The erasure restricts the use of what is "
                "kept of their data for good: it is only stored, and used only for: %(uses)s."
            )
            % words
        )
    else:
        summary = (
            _(
                "This customer has restricted the use of their data. Until the privacy officer "
                "lifts the restriction, their data is only stored, and used only for: %(uses)s."
            )
            % words
        )
    needs = readers_of(gate=subject_gate(request), read=refused.read, subject=refused.subject)
    return refused_page(request, reason=refused.decision.reason, summary=summary, needs=needs)


def _erased(subject: str) -> bool:
    """Was ``subject``'s account erased?"""
    found = customer_by_number(number=subject)
    return found is not None and found.is_erased


@enforces("QS-3", features=("staff.reads-by-policy",))
def section_read(request: HttpRequest, read: StaffRead) -> bool:
    """May this page also show the section ``read``? Asks the gate with the reader's roles
    (for the page's customer, once ``subject_opened`` named one); an allowed section is
    audited with the page's read (after a successful response), a refused one is left out of
    the page and not read at all. Inside ``staff_read`` only."""
    subject = getattr(request, "page_subject", None)
    gate = subject_gate(request) if subject else in_force().gate(actor=staff_actor(request))
    decision = read_decision(gate=gate, read=read, roles=roles_of(request), subject=subject)
    if decision.allowed:
        request.section_reads.append((read, decision))  # type: ignore[attr-defined]
    return decision.allowed


def may_read(request: HttpRequest, read: ReadSpec) -> bool:
    """Would ``staff_read`` let this person open a page with ``read``? (No audit: a menu.)"""
    now = in_force()
    spec = read(now.policy) if callable(read) else read
    gate = now.gate(actor=staff_actor(request))
    return read_decision(gate=gate, read=spec, roles=roles_of(request)).allowed
