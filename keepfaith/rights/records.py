"""Every record held about one customer, table by table, with its documented schema
(RIGHTS-15, RIGHTS-20).

``records_of(customer)`` reads each store and returns plain rows (JSON-ready); ``SCHEMA``
documents every table and column the export holds (a test fails when a column is not
documented). Cards appear only masked (brand and last four): the sealed number, the
processor's token and the security code never leave the vault. The web-log analytics hold
nothing that joins to a person (BE-5): the export says so instead of pretending to search.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from keepfaith.accounts.models import ContactDetailsChange, User
from keepfaith.audit.models import ActorKind, AuditEntry
from keepfaith.certs.models import CaTransfer, CertificateOrder
from keepfaith.comms.models import InboundMessage, OutboxMessage
from keepfaith.consent.models import ConsentEvent
from keepfaith.policy.trace import enforces
from keepfaith.rights.models import RightsRequest
from keepfaith.store.models import Order, OrderLine, OutsideTransfer, Renewal
from keepfaith.support.models import InformationRequest, SupportMessage, SupportTicket
from keepfaith.vault.models import StoredCardRecord

Row = dict[str, Any]

SCHEMA: dict[str, dict[str, str]] = {
    "account": {
        "customer_number": "Your customer number: the reference our records use for you.",
        "email": "Your login and contact e-mail address.",
        "full_name": "Your name.",
        "phone": "Your phone number.",
        "organization": "Your organisation.",
        "postal_address": "Your postal address.",
        "language": "The language we write to you in.",
        "date_joined": "When the account was created (ISO 8601, UTC).",
    },
    "contact_history": {
        "field": "The contact detail that changed.",
        "old": "Its value before.",
        "new": "Its value after.",
        "at": "When it changed.",
    },
    "orders": {
        "number": "Order number.",
        "status": "Order status.",
        "currency": "Currency of the amounts.",
        "total_minor": "Total including VAT, in minor units (cents).",
        "vat_minor": "VAT in minor units.",
        "billing_name": "Name on the invoice.",
        "billing_email": "E-mail on the invoice.",
        "billing_address": "Address on the invoice.",
        "card": "The card used, masked: brand and last four digits only.",
        "created": "When the order was placed.",
        "outside_party": "The outside party the order needed (e.g. a certificate authority).",
        "outside_party_choice": "Your choice to go on with that party.",
        "validation_details": (
            "The details you gave for that party to validate your organisation (organisation, "
            "address, phone), as they are sent to it."
        ),
    },
    "order_lines": {
        "order": "Order number.",
        "product_id": "Product.",
        "description": "What was bought.",
        "term_months": "Term in months.",
        "quantity": "Quantity.",
        "currency": "Currency of the amount.",
        "total_minor": "Line total in minor units.",
    },
    "renewals": {
        "order": "Order number.",
        "product_id": "Product renewed.",
        "due": "Paid until.",
        "automatic": "Whether you turned automatic renewal on.",
    },
    "cards": {
        "card": "A stored card, masked: brand and last four digits only.",
        "created": "When it was stored.",
    },
    "consent_events": {
        "at": "When you made the choice.",
        "key": "What the choice is about (a use of data or an outside party).",
        "event": "The choice: given, withdrawn, opted-out, opted-in, notice-acknowledged.",
        "source": "Where you made it (portal, e-mail, checkout, a form...).",
        "policy_version": "The version of the privacy statement you were shown.",
    },
    "support_tickets": {
        "reference": "Ticket reference.",
        "name": "Name you gave.",
        "email": "E-mail address you gave for the answer.",
        "summary": "Summary.",
        "description": "What you wrote.",
        "operating_system": "Operating system you reported.",
        "browser": "Browser you reported.",
        "software_versions": "Software versions you reported.",
        "created_at": "When you sent it.",
        "closed_at": "When it was closed.",
        "expires_at": "When it is deleted.",
    },
    "support_messages": {
        "ticket": "Ticket reference.",
        "author": "Who wrote it: you, or our support (customer, staff).",
        "body": "The message.",
        "created_at": "When it was written.",
    },
    "information_requests": {
        "reference": "Request reference.",
        "name": "Name you gave.",
        "phone": "Phone number you gave.",
        "question": "What you asked.",
        "created_at": "When you sent it.",
        "expires_at": "When it is deleted.",
    },
    "mail_sent": {
        "kind": "Kind of e-mail.",
        "to_address": "Address it went to.",
        "subject": "Subject line.",
        "status": "Delivery status.",
        "created_at": "When it was written.",
        "sent_at": "When it was sent.",
    },
    "mail_received": {
        "received_at": "When your e-mail arrived (e.g. an opt-out).",
        "subject_line": "Its subject line.",
        "outcome": "What we did with it.",
    },
    "transfers": {
        "party": "The outside party or certificate authority.",
        "what": "What was sent (order, validation, issue, revocation).",
        "categories": "Which kinds of your data were sent.",
        "at": "When.",
    },
    "certificates": {
        "number": "Certificate number.",
        "names": "Domain names in the certificate.",
        "state": "State.",
        "not_after": "Valid until.",
    },
    "staff_reads": {
        "at": "When a member of staff saw your data.",
        "staff": "Who (their staff e-mail).",
        "what": "The page or command.",
        "categories": "Which kinds of your data were shown.",
        "use": "The purpose that allowed the read.",
    },
    "rights_requests": {
        "reference": "Your request's reference.",
        "kind": "Which right.",
        "state": "Its state.",
        "received_at": "When we received it.",
        "due_at": "When it is due.",
        "closed_at": "When it was closed.",
        "outcome": "What we did, or why we refused.",
    },
}
"""Every table of the export and the meaning of each column (documented in docs/rights.md)."""

NOT_HELD = {
    "web_logs": (
        "Our web-log analytics keep pseudonymised addresses only and are never linked to a "
        "person; nothing in them can be found by your name, e-mail or customer number."
    ),
}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _rows(items: Iterable[Any], table: str) -> list[Row]:
    columns = tuple(SCHEMA[table])
    return [{col: _plain(item.get(col)) for col in columns} for item in items]


def _orders(customer: User) -> Iterator[Row]:
    for order in Order.objects.filter(customer=customer).select_related("card").order_by("pk"):
        yield {**order.__dict__, "card": order.card_masked()}


def _staff_reads(subject: str) -> Iterator[Row]:
    entries = AuditEntry.objects.filter(actor_kind=ActorKind.STAFF).filter(
        Q(subject=subject) | Q(detail__icontains=f'"{subject}"')
    )
    for entry in entries.order_by("seq"):
        detail = entry.detail or {}
        if entry.subject != subject and subject not in (detail.get("subjects") or ()):
            continue
        if entry.outcome != "read":
            continue
        yield {
            "at": entry.at,
            "staff": entry.actor,
            "what": entry.action,  # the page or command, by its audit action
            "categories": entry.categories,
            "use": entry.use,
        }


def _transfers(customer: User) -> Iterator[Row]:
    for t in OutsideTransfer.objects.filter(order__customer=customer).order_by("pk"):
        at = t.sent_at or t.created
        yield {"party": t.party, "what": f"order {t.status}", "categories": t.categories, "at": at}
    for c in CaTransfer.objects.filter(certificate__customer=customer).order_by("pk"):
        yield {"party": c.authority, "what": c.action, "categories": c.categories, "at": c.at}


@enforces("RIGHTS-15", "RIGHTS-20")
def records_of(customer: User) -> dict[str, list[Row]]:
    """Every record held about ``customer``, table by table, in ``SCHEMA``'s columns."""
    ref = customer.subject_ref
    lines = OrderLine.objects.filter(order__customer=customer).select_related("order")
    renewals = Renewal.objects.filter(line__order__customer=customer).select_related("line__order")
    events = ConsentEvent.objects.filter(subject=ref).select_related("policy_version")
    return {
        # Read field by field: the signed-in user is a lazy wrapper whose ``__dict__`` holds
        # none of the account's fields (the download had an empty account row).
        "account": _rows([{col: getattr(customer, col) for col in SCHEMA["account"]}], "account"),
        "contact_history": _rows(
            ContactDetailsChange.objects.filter(customer=customer).order_by("at").values(),
            "contact_history",
        ),
        "orders": _rows(_orders(customer), "orders"),
        "order_lines": _rows(
            (
                {**ln.__dict__, "order": ln.order.number, "currency": ln.order.currency}
                for ln in lines
            ),
            "order_lines",
        ),
        "renewals": _rows(
            ({**r.__dict__, "order": r.line.order.number} for r in renewals), "renewals"
        ),
        "cards": _rows(
            (
                {"card": c.masked(), "created": c.created}
                for c in StoredCardRecord.objects.filter(subject=ref).order_by("pk")
            ),
            "cards",
        ),
        "consent_events": _rows(
            (
                {**e.__dict__, "policy_version": e.policy_version.label if e.policy_version else ""}
                for e in events.order_by("seq")
            ),
            "consent_events",
        ),
        "support_tickets": _rows(
            SupportTicket.objects.filter(customer=customer).order_by("pk").values(),
            "support_tickets",
        ),
        "support_messages": _rows(
            (
                {**m.__dict__, "ticket": m.ticket.reference}
                for m in SupportMessage.objects.filter(ticket__customer=customer)
                .select_related("ticket")
                .order_by("ticket_id", "created_at", "pk")
            ),
            "support_messages",
        ),
        "information_requests": _rows(
            InformationRequest.objects.filter(email__iexact=customer.email).order_by("pk").values(),
            "information_requests",
        ),
        "mail_sent": _rows(
            OutboxMessage.objects.filter(recipient=ref).order_by("pk").values(), "mail_sent"
        ),
        "mail_received": _rows(
            InboundMessage.objects.filter(customer=ref).order_by("pk").values(), "mail_received"
        ),
        "transfers": _rows(_transfers(customer), "transfers"),
        "certificates": _rows(
            CertificateOrder.objects.filter(customer=customer).order_by("pk").values(),
            "certificates",
        ),
        "staff_reads": _rows(_staff_reads(ref), "staff_reads"),
        "rights_requests": _rows(
            RightsRequest.objects.filter(subject=ref).order_by("pk").values(), "rights_requests"
        ),
    }


TABLE_TITLES: dict[str, Any] = {
    "account": _("Your account"),
    "contact_history": _("Changes to your contact details"),
    "orders": _("Orders and invoices"),
    "order_lines": _("Order lines"),
    "renewals": _("Renewals"),
    "cards": _("Cards (masked)"),
    "consent_events": _("Your choices and consents"),
    "support_tickets": _("Support tickets"),
    "support_messages": _("Replies in your support tickets"),
    "information_requests": _("Questions you sent us"),
    "mail_sent": _("E-mail we sent you"),
    "mail_received": _("E-mail we received from you"),
    "transfers": _("Data sent to outside parties"),
    "certificates": _("Certificates"),
    "staff_reads": _("Staff who saw your data"),
    "rights_requests": _("Your requests about your data"),
}

COLUMN_TITLES: dict[str, Any] = {
    "customer_number": _("Customer number"),
    "email": _("E-mail"),
    "full_name": _("Name"),
    "phone": _("Phone"),
    "organization": _("Organisation"),
    "postal_address": _("Postal address"),
    "language": _("Language"),
    "date_joined": _("Created"),
    "field": _("Detail"),
    "old": _("Before"),
    "new": _("After"),
    "at": _("When"),
    "number": _("Number"),
    "status": _("Status"),
    "currency": _("Currency"),
    "total_minor": _("Total"),
    "vat_minor": _("VAT"),
    "billing_name": _("Invoice name"),
    "billing_email": _("Invoice e-mail"),
    "billing_address": _("Invoice address"),
    "card": _("Card"),
    "created": _("Created"),
    "outside_party": _("Outside party"),
    "outside_party_choice": _("Your choice"),
    "validation_details": _("Details for validation"),
    "organisation": _("Organisation"),
    "address": _("Address"),
    "order": _("Order"),
    "product_id": _("Product"),
    "description": _("Description"),
    "term_months": _("Months"),
    "quantity": _("Quantity"),
    "due": _("Paid until"),
    "automatic": _("Automatic"),
    "seq": _("No."),
    "key": _("About"),
    "event": _("Choice"),
    "source": _("Where"),
    "policy_version": _("Statement version"),
    "reference": _("Reference"),
    "summary": _("Summary"),
    "ticket": _("Ticket"),
    "author": _("From"),
    "body": _("Message"),
    "operating_system": _("Operating system"),
    "browser": _("Browser"),
    "software_versions": _("Software versions"),
    "created_at": _("Sent"),
    "expires_at": _("Deleted on"),
    "name": _("Name"),
    "question": _("Question"),
    "kind": _("Kind"),
    "to_address": _("To"),
    "subject": _("Subject"),
    "sent_at": _("Sent"),
    "received_at": _("Received"),
    "subject_line": _("Subject"),
    "outcome": _("Outcome"),
    "party": _("Recipient"),
    "what": _("What"),
    "categories": _("Kinds of data"),
    "names": _("Names"),
    "state": _("State"),
    "not_after": _("Valid until"),
    "staff": _("Staff member"),
    "use": _("Purpose"),
    "due_at": _("Due"),
    "closed_at": _("Closed"),
}
