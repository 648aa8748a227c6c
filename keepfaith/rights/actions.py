"""Carrying out a request of each kind, the same for the portal, the console and the CLI.

- access and portability: the download is built from the records on demand
  (``export.access_export``); the request is completed when it is ready;
- restriction (RIGHTS-18): ``rights:restriction`` opted-out in the consent ledger, so the
  gate refuses every use the policy does not permit for the subject; ``restriction_end``
  lifts it (``withdrawn``), at the customer's wish or by the privacy officer;
- objection (RIGHTS-21): the objected uses opted-out in the consent ledger, at once;
- rectification (RIGHTS-16): the correction staff made is recorded on the timeline;
- erasure (RIGHTS-17): ``erasure.erasure_run``, then the receipt;
and rectification, erasure and restriction are passed on to the recipients (RIGHTS-19).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from keepfaith.accounts.models import CONTACT_FIELD_CATEGORY, CONTACT_FIELD_LABELS, User
from keepfaith.accounts.services import contact_details_update
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import is_restricted
from keepfaith.consent.services import consent_record, consent_record_many
from keepfaith.gate import RESTRICTION_KEY, Gate
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.rights.erasure import erasure_run, plan_date, store_title
from keepfaith.rights.models import RightKind, RightsRequest
from keepfaith.rights.recipients import recipients_tell
from keepfaith.rights.services import (
    RightsError,
    reader_language,
    request_audit,
    request_close,
    requester_tell,
    rights_of,
    step_add,
)


def _known(request: RightsRequest) -> None:
    if request.customer is None or not request.is_open:
        raise RightsError(_("Only an open request from a known customer can be carried out."))
    if request.state != "open":
        raise RightsError(_("The requester has not been identified yet."))


@enforces("RIGHTS-18", features=("rights.restriction.gate",))
def restriction_apply(
    *, request: RightsRequest, actor: Actor, gate: Gate, now: dt.datetime | None = None
) -> RightsRequest:
    """Restrict the subject's data to storage and the uses the policy permits."""
    now = now or timezone.now()
    _known(request)
    assert request.customer is not None
    with transaction.atomic():
        _restriction_record(request, actor=actor, event="opted-out")
        recipients_tell(request=request, customer=request.customer, action="restriction", now=now)
        step_add(request=request, actor=actor.ref, action="restricted", now=now)
        return request_close(
            request=request,
            actor=actor,
            gate=gate,
            now=now,
            outcome=_("The use of your data is restricted."),
        )


def _restriction_record(request: RightsRequest, *, actor: Actor, event: str, **more: Any) -> None:
    """The restriction ``request`` puts in force (``opted-out``) or ends (``withdrawn``), as
    the ledger keeps it: ``restriction_holding`` finds the request again by this evidence."""
    consent_record(
        subject=request.subject,
        key=RESTRICTION_KEY,
        event=event,
        source=f"rights:{request.reference}",
        actor=actor,
        evidence={"right": "restriction", "request": request.reference, **more},
    )


def restriction_holding(*, customer: User) -> RightsRequest | None:
    """The customer's restriction request whose restriction holds now, or None (none holds,
    or the one that holds is an erasure's, which keeps the rest of the data restricted)."""
    if not customer.is_active or not is_restricted(subject=customer.subject_ref):
        return None
    last = (
        ConsentEvent.objects.filter(subject=customer.subject_ref, key=RESTRICTION_KEY)
        .order_by("-seq")
        .first()
    )
    if last is None or last.evidence.get("right") != "restriction":
        return None
    return RightsRequest.objects.filter(
        customer=customer, kind=RightKind.RESTRICTION, reference=last.evidence.get("request")
    ).first()


@enforces("RIGHTS-18", features=("rights.restriction.gate",))
def restriction_end(
    *,
    customer: User,
    actor: Actor,
    gate: Gate,
    reason: str = "",
    request: RightsRequest | None = None,
    now: dt.datetime | None = None,
) -> RightsRequest:
    """End the restriction the customer asked for: at their own wish, or by the privacy
    officer with a reason, which the customer is told by e-mail (Art. 18(3)). Recorded in the
    consent ledger (``withdrawn``), on the request's timeline and in the audit log.

    ``request``: the restriction request a staff member is looking at; only its restriction
    is ended. The check is made again under a lock of the customer's row, so two clicks end
    it (and tell the customer) once.
    """
    by_staff = actor.kind != ActorKind.CUSTOMER
    reason = reason.strip()[:2000]
    if by_staff and not reason:
        raise RightsError(_("Give the reason for lifting it; it is sent to the customer."))
    now = now or timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=customer.pk).first()
        holding = restriction_holding(customer=customer)
        if holding is None or (request is not None and holding.pk != request.pk):
            raise RightsError(_("No restriction that can be lifted holds for this customer."))
        request = holding
        _restriction_record(request, actor=actor, event="withdrawn", lifted=True)
        step_add(request=request, actor=actor.ref, action="lifted", now=now, reason=reason)
        request_audit(request, actor=actor, action="lifted")
        if by_staff:
            requester_tell(request, "rights_lifted", gate=gate, reason=reason)
    return request


@enforces("RIGHTS-21", features=("rights.objection.gate",))
def objection_apply(
    *,
    request: RightsRequest,
    uses: Iterable[str],
    policy: Policy,
    actor: Actor,
    gate: Gate,
    now: dt.datetime | None = None,
) -> RightsRequest:
    """Stop the objected uses for the subject at once, recorded in the consent ledger."""
    now = now or timezone.now()
    _known(request)
    allowed = rights_of(policy).objection_uses
    chosen = [use for use in uses if use in allowed]
    if not chosen:
        raise RightsError(_("Choose the use you object to."))
    with transaction.atomic():
        consent_record_many(
            subject=request.subject,
            changes=dict.fromkeys(chosen, "opted-out"),
            source=f"rights:{request.reference}",
            actor=actor,
            evidence={"right": "objection", "request": request.reference},
        )
        step_add(request=request, actor=actor.ref, action="objected", now=now, uses=chosen)
        names = [
            str((u := policy.use_by_key(k)) and u.name.get(reader_language(request), u.name["en"]))
            for k in chosen
        ]
        outcome = _("We no longer use your data for: %(uses)s.") % {"uses": ", ".join(names)}
        return request_close(request=request, actor=actor, gate=gate, now=now, outcome=outcome)


@enforces("RIGHTS-16")
def rectification_record(
    *,
    request: RightsRequest,
    change: str,
    actor: Actor,
    gate: Gate,
    values: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> RightsRequest:
    """Correct the customer's contact details to ``values`` (field -> new value; each change
    kept in the details' history) and close with what changed, in the requester's words,
    and ``change`` (a note of what else was corrected). The answer never says more was
    changed than was: without a value that differs, a note is needed."""
    now = now or timezone.now()
    _known(request)
    customer = request.customer
    assert customer is not None
    note = change.strip()[:2000]
    with transaction.atomic():
        changed = contact_details_update(customer=customer, values=dict(values or {}))
        if not changed and not note:
            raise RightsError(
                _("Give the corrected value of a detail, or say what was corrected elsewhere.")
            )
        said = [
            _("%(field)s is now “%(value)s”.")
            % {"field": CONTACT_FIELD_LABELS[c.field], "value": c.new}
            if c.new
            else _("%(field)s has been removed.") % {"field": CONTACT_FIELD_LABELS[c.field]}
            for c in changed
        ]
        outcome = "\n".join([*said, *([note] if note else [])])
        step_add(
            request=request,
            actor=actor.ref,
            action="rectified",
            now=now,
            change=outcome,
        )
        recipients_tell(
            request=request,
            customer=customer,
            action="rectification",
            now=now,
            # a note alone says nothing of what changed: every recipient is told then
            categories=[CONTACT_FIELD_CATEGORY[c.field] for c in changed] if not note else None,
        )
        return request_close(request=request, actor=actor, gate=gate, now=now, outcome=outcome)


@enforces("RIGHTS-15", "RIGHTS-20")
def access_ready(
    *, request: RightsRequest, actor: Actor, gate: Gate, now: dt.datetime | None = None
) -> RightsRequest:
    """The download is ready in the customer's account: the request is answered."""
    _known(request)
    return request_close(
        request=request,
        actor=actor,
        gate=gate,
        now=now,
        outcome=_("Your data is ready to download from your account's privacy page."),
    )


@enforces("RIGHTS-17")
def erasure_carry_out(
    *,
    request: RightsRequest,
    policy: Policy,
    actor: Actor,
    gate: Gate,
    now: dt.datetime | None = None,
) -> RightsRequest:
    """Carry out the erasure and send the receipt (what was erased, what is kept, why)."""
    now = now or timezone.now()
    _known(request)
    language = reader_language(request)  # the plan's reasons are in it too
    receipt = erasure_run(request=request, policy=policy, actor=actor, now=now)
    request.refresh_from_db()
    plan = cast(list[dict[str, Any]], receipt["plan"])
    kept = [item for item in plan if not item["erase"]]
    with translation.override(language):
        lines = [_("Your data is erased.")]
        lines += [
            _("Kept until %(until)s: %(store)s (%(why)s).")
            % {"until": plan_date(k["until"]), "store": store_title(k["store"]), "why": k["why"]}
            for k in kept
        ]
    return request_close(
        request=request, actor=actor, gate=gate, now=now, outcome="\n".join(lines), receipt=receipt
    )


def carry_out(
    *,
    request: RightsRequest,
    policy: Policy,
    actor: Actor,
    gate: Gate,
    uses: Iterable[str] = (),
    change: str = "",
    values: Mapping[str, str] | None = None,
) -> RightsRequest:
    """Carry out ``request`` by its kind; the answer is written in the requester's language.
    ``values`` are a correction's new contact details (the caller has asked the gate).
    What cannot be carried out is said in the language of the one asking (staff)."""
    _known(request)
    if request.kind == RightKind.RECTIFICATION and not values and not change.strip():
        raise RightsError(
            _("Give the corrected value of a detail, or say what was corrected elsewhere.")
        )
    with translation.override(reader_language(request)):
        return _carry_out(
            request=request, policy=policy, actor=actor, gate=gate, uses=uses, change=change,
            values=values,
        )  # fmt: skip


def _carry_out(
    *,
    request: RightsRequest,
    policy: Policy,
    actor: Actor,
    gate: Gate,
    uses: Iterable[str],
    change: str,
    values: Mapping[str, str] | None,
) -> RightsRequest:
    kind = request.kind
    if kind in (RightKind.ACCESS, RightKind.PORTABILITY):
        return access_ready(request=request, actor=actor, gate=gate)
    if kind == RightKind.RESTRICTION:
        return restriction_apply(request=request, actor=actor, gate=gate)
    if kind == RightKind.OBJECTION:
        return objection_apply(request=request, uses=uses, policy=policy, actor=actor, gate=gate)
    if kind == RightKind.RECTIFICATION:
        return rectification_record(
            request=request, change=change, actor=actor, gate=gate, values=values
        )
    return erasure_carry_out(request=request, policy=policy, actor=actor, gate=gate)
