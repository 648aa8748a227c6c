"""Telling the recipients a person's data went to of a rectification, erasure or
restriction (Art. 19, RIGHTS-19).

The recipients are found from the records: the payment processor when a card of the person
was stored, the certificate authority when data went to it. Each notice goes through a
``NoticeAdapter`` (like the payment processor's adapter: the local one records the notice as
delivered; a provider's adapter sends it) and is recorded as a ``RecipientNotice``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured

from keepfaith.accounts.models import User
from keepfaith.audit.selectors import recipients_allowed
from keepfaith.certs.models import CaTransfer
from keepfaith.inforce import in_force
from keepfaith.policy import Policy
from keepfaith.policy.schema import category_covered
from keepfaith.policy.trace import enforces
from keepfaith.rights.models import RecipientNotice, RightsRequest
from keepfaith.store.models import OutsideTransfer
from keepfaith.vault.gateway import PAYMENT_USE, payment_recipient
from keepfaith.vault.models import StoredCardRecord


class NoticeAdapter(Protocol):
    """Delivers one notice to one recipient; returns the recipient's reference or raises."""

    def tell(self, *, recipient: str, action: str, subject: str, reference: str) -> str: ...


class LocalNoticeAdapter:
    """The development and test adapter: the notice is recorded, nothing leaves the host."""

    def tell(self, *, recipient: str, action: str, subject: str, reference: str) -> str:
        return f"local:{recipient}:{reference}:{action}"


_ADAPTER: NoticeAdapter = LocalNoticeAdapter()


def recipients_of(customer: User, *, policy: Policy | None = None) -> list[str]:
    """The recipients (policy keys) the customer's data went to: the payment processors the
    gate let card data go to (the audit log names them, so a processor replaced since is
    still told), else, for a stored card without such a record, the processor ``policy``
    (default: the one in force) declares; and the keys the transfers recorded."""
    found: dict[str, None] = {}
    subject = customer.subject_ref
    if StoredCardRecord.objects.filter(subject=subject).exists():
        processors = recipients_allowed(subject=subject, use_prefix=PAYMENT_USE)
        if not processors:
            try:
                processors = [payment_recipient(policy=policy or in_force().policy)]
            except ImproperlyConfigured:  # the policy names no card processor any more
                processors = []
        found.update(dict.fromkeys(processors))
    authorities = CaTransfer.objects.filter(certificate__customer=customer)
    parties = OutsideTransfer.objects.filter(order__customer=customer, status="sent")
    found.update(dict.fromkeys(authorities.values_list("authority", flat=True)))
    found.update(dict.fromkeys(parties.values_list("party", flat=True)))
    return list(found)


@enforces("RIGHTS-19", features=("rights.recipients.told",))
def _received_any(policy: Policy, recipient: str, categories: Collection[str]) -> bool:
    """Did ``recipient`` (a processor or outside party of ``policy``) receive any of
    ``categories``? One the policy no longer declares is told anyway."""
    declared = policy.processor(recipient) or policy.outside_party(recipient)
    if declared is None:
        return True
    # either way round: a recipient of a detail's part (a country) is told its correction
    return any(category_covered(mine, declared.categories) for mine in categories) or any(
        category_covered(theirs, categories) for theirs in declared.categories
    )


def recipients_tell(
    *,
    request: RightsRequest,
    customer: User,
    action: str,
    now: dt.datetime,
    adapter: NoticeAdapter | None = None,
    categories: Collection[str] | None = None,
) -> list[RecipientNotice]:
    """Tell each recipient of ``customer``'s data of ``action``; each notice recorded once.
    With ``categories`` (what a correction changed), only the recipients that received one
    of them: the card processor is not told of a new phone number it never had."""
    adapter = adapter or _ADAPTER
    notices = []
    policy = in_force().policy
    for recipient in recipients_of(customer, policy=policy):
        if categories is not None and not _received_any(policy, recipient, categories):
            continue
        notice, created = RecipientNotice.objects.get_or_create(
            request=request, recipient=recipient, action=action, defaults={"at": now}
        )
        if created or not notice.delivered:
            try:
                ref = adapter.tell(
                    recipient=recipient,
                    action=action,
                    subject=customer.subject_ref,
                    reference=request.reference,
                )
                notice.delivered, notice.detail = True, {"reference": ref}
            except Exception as exc:
                notice.detail = {"error": str(exc)[:300]}
            notice.save()
        notices.append(notice)
    return notices
