"""Data-subject requests: received, identified, kept on time, extended once, closed (RIGHTS-12).

Every function takes the policy (and the gate, for mail) from its caller. A request is due
one calendar month after it was received (``rights.response_months``); the privacy officer
may extend it once by up to ``rights.extension_months`` with a reason, which is mailed to
the requester, and only within the first period. Identity is the signed-in account (the
portal asks for the password again) or a code mailed to the matched account's address; a
request that matches no account, or whose code was not given, waits in the privacy
officer's queue. The code is stored only as a hash, is used once and expires.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from keepfaith.accounts.models import User
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor, audit_append
from keepfaith.comms.emails import page_url
from keepfaith.comms.outgoing import Recipient, mail_send
from keepfaith.gate import Gate
from keepfaith.policy import Policy
from keepfaith.policy.schema import Rights, duration_hours
from keepfaith.policy.trace import enforces
from keepfaith.rights.models import (
    OPEN_STATES,
    Channel,
    RequestState,
    RequestStep,
    RightKind,
    RightsRequest,
    step_detail,
)

_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_ATTEMPTS = 5
REASON_MAX_CHARS = 2000  # an extension's reason, mailed to the requester


class RightsError(Exception):
    """A request step that cannot be taken; the message says why, for the person who asked."""


def customer_actor(subject: str) -> Actor:
    """The customer as the actor of their own request."""
    return Actor(ActorKind.CUSTOMER, subject)


def _now() -> dt.datetime:
    """The clock of the rights app (tests replace it)."""
    return timezone.now()


def rights_of(policy: Policy) -> Rights:
    """The policy's rights section; RightsError when the policy grants none."""
    if policy.rights is None:
        raise RightsError(_("The privacy policy in force states no data-subject rights."))
    return policy.rights


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` plus calendar months (31 January + 1 month = 28/29 February)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _reference() -> str:
    while True:
        ref = "DSR-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
        if not RightsRequest.objects.filter(reference=ref).exists():
            return ref


def _code_hash(reference: str, code: str) -> str:
    return hashlib.sha256(f"{reference}:{code.strip().upper()}".encode()).hexdigest()


def step_add(
    *, request: RightsRequest, actor: str, action: str, now: dt.datetime, **detail: Any
) -> RequestStep:
    """Add a step to a request's timeline and note the progress (nothing stalls unseen)."""
    RightsRequest.objects.filter(pk=request.pk).update(last_step_at=now)
    request.last_step_at = now
    return RequestStep.objects.create(
        request=request, actor=actor, action=action, at=now, detail=step_detail(**detail)
    )


def request_audit(request: RightsRequest, *, actor: Actor, action: str, **detail: Any) -> None:
    audit_append(
        actor=actor,
        action=f"rights.{action}",
        outcome="done",
        subject=request.subject,
        categories=("user.unique_id",),
        use="essential.legal_obligation",
        clauses=("RIGHTS-12",),
        detail={"reference": request.reference, "kind": request.kind, **detail},
    )


def _new(
    *,
    kind: str,
    channel: str,
    state: str,
    customer: User | None,
    email: str,
    details: str,
    language: str,
    policy: Policy,
    now: dt.datetime,
) -> RightsRequest:
    rights = rights_of(policy)
    if kind not in RightKind.values or kind not in rights.granted:
        raise RightsError(_("Choose one of the rights listed."))
    request = RightsRequest(
        reference=_reference(),
        kind=kind,
        state=state,
        channel=channel,
        customer=customer,
        subject=customer.subject_ref if customer is not None else "",
        requester_email=email,
        details=details.strip()[:4000],
        language=language if language in ("en", "da") else "en",
        received_at=now,
        due_at=add_months(now, rights.response_months),
        last_step_at=now,
    )
    request.full_clean()
    request.save()
    return request


@enforces("RIGHTS-12", features=("rights.request.portal",))
def request_open_signed_in(
    *,
    customer: User,
    kind: str,
    details: str,
    language: str,
    policy: Policy,
    now: dt.datetime | None = None,
) -> tuple[RightsRequest, bool]:
    """A request from the signed-in customer, who entered the password again: identified.

    The same kind asked again while one is open returns that one (a double submit files
    one request), with what the new one says added to its details and timeline (nothing
    the customer wrote is dropped); returns (request, created)."""
    now = now or _now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=customer.pk).first()
        same = RightsRequest.objects.filter(
            customer=customer, kind=kind, state__in=OPEN_STATES
        ).first()
        if same is not None:
            extra = details.strip()
            if extra and extra not in same.details:  # sent twice, it is there already
                limit = RightsRequest._meta.get_field("details").max_length or 4000
                same.details = f"{same.details}\n\n{extra}".strip()[:limit]
                same.save(update_fields=["details"])
                step_add(request=same, actor=customer.subject_ref, action="added", now=now)
                request_audit(same, actor=customer_actor(customer.subject_ref), action="added")
            return same, False
        request = _new(
            kind=kind,
            channel=Channel.PORTAL,
            state=RequestState.OPEN,
            customer=customer,
            email=customer.email,
            details=details,
            language=language,
            policy=policy,
            now=now,
        )
        step_add(
            request=request,
            actor=customer.subject_ref,
            action="received",
            now=now,
            channel="portal",
            identity="signed in, password entered again",
        )
        request_audit(request, actor=customer_actor(customer.subject_ref), action="received")
    return request, True


@enforces("RIGHTS-12", features=("rights.request.code",))
def request_from_address(
    *,
    email: str,
    kind: str,
    details: str,
    channel: str,
    language: str,
    policy: Policy,
    gate: Gate,
    now: dt.datetime | None = None,
) -> tuple[RightsRequest, str | None]:
    """A request by the public form or by e-mail. The address is matched to a customer
    account: matched, a code goes to the account's address (never to another address) and
    the request waits for it; unmatched, it goes to the privacy officer's queue. Returns the
    request and the code (for the mail only; None when unmatched). The requester's page is
    the same either way, so it never tells whether an address has an account."""
    now = now or _now()
    rights = rights_of(policy)
    address = email.strip().lower()
    customer = User.objects.filter(
        email=address, is_staff=False, is_active=True, customer_number__isnull=False
    ).first()
    with transaction.atomic():
        waiting = _waiting_for_code(customer, kind, now)
        if waiting is not None:  # a double submit, or someone repeating it: one code, one mail
            return waiting, None
        state = RequestState.AWAITING_CODE if customer else RequestState.QUEUED
        request = _new(
            kind=kind,
            channel=channel,
            state=state,
            customer=customer,
            email=address,
            details=details,
            language=language,
            policy=policy,
            now=now,
        )
        step_add(
            request=request,
            actor="requester",
            action="received",
            now=now,
            channel=channel,
            matched=customer is not None,
        )
        if customer is None:
            return request, None
        code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
        hours = duration_hours(rights.code_lifetime) or 24
        request.code_hash = _code_hash(request.reference, code)
        request.code_expires_at = now + dt.timedelta(hours=hours)
        request.save(update_fields=["code_hash", "code_expires_at"])
        mail_send(
            name="rights_code",
            to=Recipient(customer.email, customer.subject_ref, customer.language or language),
            context={
                "reference": request.reference,
                "code": code,
                "kind": request.kind,
                "hours": hours,
                "confirm_url": page_url(
                    "portal:rights_confirm",
                    customer.language or language,
                    query=f"?ref={request.reference}",
                ),
            },
            key=f"rights-code:{request.reference}",
            gate=gate,
            purpose=f"rights:{request.reference}",
        )
        step_add(request=request, actor="system", action="code-sent", now=now)
    return request, code


def _waiting_for_code(customer: User | None, kind: str, now: dt.datetime) -> RightsRequest | None:
    """The same request of this account still waiting for its code, if any."""
    if customer is None:
        return None
    return RightsRequest.objects.filter(
        customer=customer, kind=kind, state=RequestState.AWAITING_CODE, code_expires_at__gt=now
    ).first()


@enforces("RIGHTS-12", features=("rights.request.code",))
def request_confirm(*, reference: str, code: str, now: dt.datetime | None = None) -> RightsRequest:
    """Confirm a request with the code mailed to the account: once, before it expires. Too
    many wrong codes send the request to the privacy officer's queue."""
    now = now or _now()
    with transaction.atomic():
        request = (
            RightsRequest.objects.select_for_update()
            .filter(reference=reference.strip().upper())
            .first()
        )
        failure = _code_failure(request, code, now)
        if failure is None:
            assert request is not None
            request.state = RequestState.OPEN
            request.code_hash = ""
            request.save(update_fields=["state", "code_hash"])
            step_add(
                request=request,
                actor="requester",
                action="confirmed",
                now=now,
                identity="code sent to the account's address",
            )
            request_audit(request, actor=customer_actor(request.subject), action="confirmed")
    if failure is not None:  # raised after the commit: a spent attempt stays spent
        raise RightsError(failure)
    assert request is not None
    return request


def _code_failure(request: RightsRequest | None, code: str, now: dt.datetime) -> str | None:
    """Why the code does not confirm ``request`` (recording the attempt), or None."""
    if request is None or request.state != RequestState.AWAITING_CODE:
        return _("This code is not valid, or it was already used.")
    if request.code_expires_at is None or now > request.code_expires_at:
        _to_queue(request, now, "code-expired")
        return _("This code has expired. The privacy officer will contact you about the request.")
    if not hmac.compare_digest(request.code_hash, _code_hash(request.reference, code)):
        request.code_attempts += 1
        request.save(update_fields=["code_attempts"])
        if request.code_attempts >= CODE_ATTEMPTS:
            _to_queue(request, now, "too-many-codes")
        return _("This code is not valid, or it was already used.")
    return None


def _to_queue(request: RightsRequest, now: dt.datetime, why: str) -> None:
    request.state = RequestState.QUEUED
    request.code_hash = ""
    request.save(update_fields=["state", "code_hash", "code_attempts"])
    step_add(request=request, actor="system", action="queued", now=now, reason=why)


@enforces("RIGHTS-12", features=("rights.deadlines",))
def request_extend(
    *,
    request: RightsRequest,
    months: int,
    reason: str,
    actor: Actor,
    policy: Policy,
    gate: Gate,
    now: dt.datetime | None = None,
) -> RightsRequest:
    """Extend a request once, by up to the policy's months, with a reason mailed to the
    requester; only before the first deadline passes."""
    now = now or _now()
    rights = rights_of(policy)
    if not request.is_open:
        raise RightsError(_("This request is closed."))
    if request.extended_at is not None:
        raise RightsError(_("A request can be extended only once."))
    if not 1 <= months <= rights.extension_months:
        raise RightsError(
            _("Extend by 1 to %(months)d months.") % {"months": rights.extension_months}
        )
    if not reason.strip():
        raise RightsError(_("Give the reason; it is sent to the requester."))
    if len(reason.strip()) > REASON_MAX_CHARS:
        raise RightsError(
            _("Keep the reason within %(limit)s characters: it is sent to the requester whole.")
            % {"limit": number_format(REASON_MAX_CHARS, force_grouping=True)}
        )
    if now > add_months(request.received_at, rights.response_months):
        raise RightsError(
            _("The first deadline has passed: the request can no longer be extended.")
        )
    with transaction.atomic():
        request.due_at = add_months(request.due_at, months)
        request.extended_at = now
        request.extension_reason = reason.strip()
        request.save(update_fields=["due_at", "extended_at", "extension_reason"])
        step_add(
            request=request,
            actor=actor.ref,
            action="extended",
            now=now,
            months=months,
            reason=request.extension_reason,
        )
        requester_tell(request, "rights_extended", gate=gate, reason=request.extension_reason)
        request_audit(request, actor=actor, action="extended", months=months)
    return request


def reader_language(request: RightsRequest) -> str:
    """The language the requester reads this request's answer and mails in: the account's,
    else the one the request was made in (an answer and its mail must not differ)."""
    customer = request.customer
    return (customer.language if customer is not None else "") or request.language


def requester_tell(request: RightsRequest, name: str, *, gate: Gate, **context: Any) -> None:
    """Mail the requester about their request (the account's address when known), with a
    link to the request's page when they have an account to open it in."""
    customer = request.customer
    active = customer is not None and customer.is_active
    address = customer.email if customer is not None and active else request.requester_email
    if not address:
        return
    language = reader_language(request)
    if active:
        context.setdefault(
            "request_url",
            page_url("portal:rights_request", language, reference=request.reference),
        )
    authority = gate.rulebook.complaints_to
    mail_send(
        name=name,
        to=Recipient(address, request.subject or None, language),
        context={
            "reference": request.reference,
            "kind": request.kind,
            "due": request.due_at,
            # where to complain (Art. 12(4), 77), as the policy in force names it
            "authority": authority[0] if authority else "",
            "authority_url": authority[1] if authority else "",
            **context,
        },
        key=f"{name}:{request.reference}:{request.last_step_at.isoformat()}",
        gate=gate,
        purpose=f"rights:{request.reference}",
    )


@enforces("RIGHTS-12")
def request_close(
    *,
    request: RightsRequest,
    actor: Actor,
    outcome: str,
    refused: bool = False,
    gate: Gate,
    receipt: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> RightsRequest:
    """Complete or refuse a request; the requester is told (a refusal with its reason)."""
    now = now or _now()
    if not request.is_open:
        raise RightsError(_("This request is closed."))
    if refused and not outcome.strip():
        raise RightsError(_("Give the reason for the refusal; it is sent to the requester."))
    with transaction.atomic():
        request.state = RequestState.REFUSED if refused else RequestState.DONE
        request.closed_at = now
        request.outcome = outcome.strip()[:4000]
        if receipt is not None:
            request.receipt = receipt
        request.save(update_fields=["state", "closed_at", "outcome", "receipt"])
        action = "refused" if refused else "completed"
        step_add(request=request, actor=actor.ref, action=action, now=now, outcome=request.outcome)
        requester_tell(
            request, "rights_closed", gate=gate, refused=refused, outcome=request.outcome
        )
        request_audit(request, actor=actor, action=action)
    return request


def request_identify(
    *,
    request: RightsRequest,
    customer: User,
    actor: Actor,
    note: str,
    now: dt.datetime | None = None,
) -> RightsRequest:
    """The privacy officer confirmed who a queued request is from (e.g. by a reply from the
    account's address): the request opens for that customer."""
    now = now or _now()
    if request.state != RequestState.QUEUED:
        raise RightsError(_("Only a request waiting in the queue can be matched."))
    if customer.customer_number is None:
        raise RightsError(_("Choose a customer account."))
    with transaction.atomic():
        request.customer = customer
        request.subject = customer.subject_ref
        request.state = RequestState.OPEN
        request.save(update_fields=["customer", "subject", "state"])
        step_add(request=request, actor=actor.ref, action="identified", now=now, note=note)
        request_audit(request, actor=actor, action="identified")
    return request
