"""Every read of customer data the console makes, as the gate is asked about it (QS-3).

A page names what it shows (categories) and the purposes it can serve (uses); the policy's
``recipients.staff`` decides, through the gate, which roles may read it. The keys named here
are checked against the policy in force by ``keepfaith.console.checks`` (``check --deploy``).
"""

from __future__ import annotations

from keepfaith.accounts.models import CONTACT_FIELD_CATEGORY
from keepfaith.console.access import StaffRead
from keepfaith.policy import Policy

EMAIL = "user.contact.email"
NAME = "user.name"
UNIQUE_ID = "user.unique_id"
CARD_MASKED = "user.financial.credit_card.masked"
COMPUTER = "user.device.computer_configuration"
PHONE = "user.contact.phone_number"
ADDRESS = "user.contact.address"
ORGANIZATION = "user.contact.organization"

AUTHENTICATION = "essential.service.authentication"
SUPPORT = "essential.service.operations.support"
INFORMATION_REQUEST = "essential.service.operations.information_request"
PAYMENT = "essential.service.payment_processing"
CERTIFICATE_VALIDATION = "essential.service.certificate_validation"
SECURITY = "essential.service.security"
REQUESTS = "essential.legal_obligation"

CUSTOMERS = StaffRead(
    "console.customers.list", (EMAIL, NAME, UNIQUE_ID), (SUPPORT, PAYMENT, AUTHENTICATION),
    ("QS-3",),
)  # fmt: skip
AUDIT_LOG = StaffRead("console.audit.list", (UNIQUE_ID,), (SECURITY,), ("QS-3",))
ORDERS = StaffRead(
    "console.orders.list", (EMAIL, UNIQUE_ID, CARD_MASKED), (PAYMENT,), ("QS-3", "QS-5", "SITE-2")
)
"""The orders list: numbers and masked cards, found by order, customer number or e-mail."""
REFUNDS = StaffRead("console.orders.refunds", (UNIQUE_ID,), (PAYMENT,), ("QS-3", "SITE-2"))
"""Payments whose checkout placed no order and whose refund failed: customer number, amount."""
TICKETS = StaffRead("console.support.list", (EMAIL, UNIQUE_ID), (SUPPORT,), ("BE-3", "QS-3"))
INFORMATION_REQUESTS = StaffRead(
    "console.support.requests", (EMAIL, NAME), (INFORMATION_REQUEST,), ("BE-3", "QS-3")
)
INFORMATION_REQUEST_PHONE = StaffRead(
    "console.support.request.phone", (PHONE,), (INFORMATION_REQUEST,), ("BE-3", "QS-3")
)
"""The phone number a request gave: shown on its page to a role the policy grants it."""
TICKET = StaffRead(
    "console.support.ticket", (EMAIL, NAME, UNIQUE_ID, COMPUTER), (SUPPORT,), ("BE-3",)
)
OPTOUT_QUEUE = StaffRead("console.mail.queue", (EMAIL,), (REQUESTS,), ("BE-9", "QS-4"))

CONSENT_HISTORY = StaffRead(
    "console.consent.show", (UNIQUE_ID,), (REQUESTS, AUTHENTICATION), ("QS-3", "BE-9")
)

CUSTOMER = StaffRead(
    "console.customer.show", (EMAIL, NAME, UNIQUE_ID), (SUPPORT, PAYMENT, AUTHENTICATION),
    ("QS-3", "QS-4"),
)  # fmt: skip
"""One customer's page: who they are; each further section asks its own read below."""


def contact_field_read(field: str) -> StaffRead:
    """A further contact detail (and its history) on the customer page: the detail alone
    (the page's own read, ``CUSTOMER``, covers the customer number it hangs on)."""
    return StaffRead(
        f"console.customer.contact.{field}",
        (CONTACT_FIELD_CATEGORY[field],),
        (SUPPORT, PAYMENT, CERTIFICATE_VALIDATION, AUTHENTICATION),
        ("QS-3", "QS-4"),
    )


CUSTOMER_ORDERS = StaffRead(
    "console.customer.orders", (UNIQUE_ID, CARD_MASKED), (PAYMENT,), ("QS-3", "QS-5")
)
CUSTOMER_TICKETS = StaffRead(
    "console.customer.tickets", (EMAIL, UNIQUE_ID), (SUPPORT,), ("BE-3", "QS-3")
)
ORDER = StaffRead(
    "console.order.show", (NAME, EMAIL, ADDRESS, UNIQUE_ID, CARD_MASKED), (PAYMENT,),
    ("QS-3", "QS-5", "SITE-2"),
)  # fmt: skip

FIXED_READS = (
    CUSTOMER,
    CUSTOMER_ORDERS,
    CUSTOMER_TICKETS,
    ORDER,
    CUSTOMERS,
    AUDIT_LOG,
    ORDERS,
    REFUNDS,
    TICKETS,
    INFORMATION_REQUESTS,
    INFORMATION_REQUEST_PHONE,
    TICKET,
    OPTOUT_QUEUE,
    CONSENT_HISTORY,
)


def log_categories(policy: Policy) -> tuple[str, ...]:
    return policy.log_files.categories if policy.log_files else ("user.device.ip_address",)


def analytics_use(policy: Policy) -> str:
    """The use the reports serve: the policy's analytics (or other non-essential) log use."""
    uses = policy.log_files.uses if policy.log_files else ()
    preferred = [u for u in uses if u.startswith("analytics")]
    others = [u for u in uses if not u.startswith("essential") and u != "third_party_sharing"]
    return (preferred or others or ["analytics.reporting"])[0]


def diagnostics_use(policy: Policy) -> str:
    """The use raw addresses serve: the policy's essential (operations) log use."""
    uses = policy.log_files.uses if policy.log_files else ()
    essential = [u for u in uses if u.startswith("essential")]
    return (essential or ["essential.service.operations"])[0]


def analytics_read(policy: Policy) -> StaffRead:
    """The reports: aggregates of the access logs, which name no one (BE-5)."""
    return StaffRead(
        "console.analytics.report", log_categories(policy), (analytics_use(policy),), ("BE-5",)
    )


def diagnostics_read(policy: Policy) -> StaffRead:
    """The raw requests with full addresses, for diagnosing the servers (QS-6)."""
    return StaffRead(
        "console.analytics.raw_hits",
        log_categories(policy),
        (diagnostics_use(policy),),
        ("QS-6", "BE-5"),
    )
