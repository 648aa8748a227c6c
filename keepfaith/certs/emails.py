"""The expiry reminder: a service message (no unsubscribe) before a certificate runs out, in
the customer's language, through the one path for outgoing mail (SITE-2, BE-8)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from keepfaith.certs.models import CertificateOrder, CertState
from keepfaith.comms.emails import page_url
from keepfaith.comms.outgoing import Recipient, mail_send
from keepfaith.gate import Gate
from keepfaith.policy import Policy
from keepfaith.policy.sections import display_name
from keepfaith.policy.trace import enforces


@enforces("SITE-2", "BE-8")
def certificate_expiry_reminders(
    *, gate: Gate, policy: Policy, now: dt.datetime | None = None
) -> int:
    """Remind each customer once about each expiring certificate; returns how many were
    queued (``mail_send`` asks ``gate`` first). Nothing when the policy has no transactional
    mail kind."""
    if policy.mail_kind("transactional") is None:
        return 0
    due = CertificateOrder.objects.filter(state=CertState.EXPIRING, reminded_at__isnull=True)
    languages = policy.controller.languages
    sent = 0
    for certificate in due.select_related("customer"):
        customer = certificate.customer
        lang = customer.language if customer.language in languages else languages[0]
        context = {
            "certificate": certificate,
            "number": certificate.number,
            "url": page_url("portal:certificate", lang, number=certificate.number),
            "controller": display_name(policy),
        }
        mail_send(
            name="certificate_expiring",
            to=Recipient(customer.email, customer.subject_ref, lang),
            context=context,
            key=f"certificate-expiring:{certificate.number}",
            gate=gate,
            purpose=f"certificate {certificate.number} expiry",
        )
        certificate.reminded_at = now or timezone.now()
        certificate.save(update_fields=["reminded_at"])
        sent += 1
    return sent
