"""Orders, their lines and renewals, and the outbox of data due to outside parties.

An order exists only once it is paid (or costs nothing): a declined card leaves no order.
``checkout_token`` is unique, so a double submit of one checkout finds the first order.
An order whose products need an outside party stays ``waiting`` until the customer gives
the go-ahead; only then is an ``OutsideTransfer`` queued (BE-10).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from keepfaith.vault.models import StoredCardRecord

_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_order_number() -> str:
    """An order number: 8 random base32 symbols, not sequential."""
    symbols = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))
    return f"O-{symbols[:4]}-{symbols[4:]}"


class OrderStatus(models.TextChoices):
    WAITING = "waiting", gettext_lazy("waiting for your go-ahead")
    ACTIVE = "active", gettext_lazy("active")
    CANCELLED = "cancelled", gettext_lazy("cancelled")


class Order(models.Model):
    number = models.CharField(max_length=16, unique=True, default=new_order_number)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(max_length=10, choices=OrderStatus.choices)
    currency = models.CharField(max_length=3)
    subtotal_minor = models.PositiveIntegerField()
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    vat_minor = models.PositiveIntegerField()
    total_minor = models.PositiveIntegerField()
    checkout_token = models.CharField(max_length=64, unique=True, editable=False)
    card = models.ForeignKey(
        StoredCardRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    payment_reference = models.CharField(max_length=100, blank=True)
    policy_version = models.CharField(max_length=64, blank=True)
    billing_name = models.CharField(max_length=150, blank=True)
    billing_email = models.EmailField(max_length=254, blank=True)
    billing_address = models.TextField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(default=timezone.now)
    outside_party = models.CharField(max_length=64, blank=True)
    outside_party_choice = models.CharField(
        max_length=10, blank=True, help_text="'given' once the customer chose to go on"
    )
    outside_party_choice_at = models.DateTimeField(null=True, blank=True)
    validation_details = models.JSONField(default=dict, blank=True)
    # The refund of the order's payment (a cancelled waiting order), as the processor made it.
    refund_reference = models.CharField(max_length=100, blank=True)
    refunded_minor = models.PositiveIntegerField(default=0)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created", "-pk")
        permissions = [("refund_payments", "Can refund a payment whose checkout placed no order")]

    def __str__(self) -> str:
        return self.number

    def card_masked(self) -> str:
        """The card as it may be shown: brand and last four, or nothing for a free order."""
        return self.card.masked() if self.card is not None else ""

    @property
    def go_ahead_given(self) -> bool:
        return self.outside_party_choice == "given"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product_id = models.CharField(max_length=64)
    description = models.CharField(max_length=300)
    options = models.JSONField(default=dict)
    term_months = models.PositiveSmallIntegerField()
    quantity = models.PositiveSmallIntegerField()
    unit_minor = models.PositiveIntegerField()
    total_minor = models.PositiveIntegerField()

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"


class Renewal(models.Model):
    """The next renewal of an order line. ``due`` is the date the service is paid until; each
    renewal charge moves it on by ``term_months`` (``RenewalCharge`` keeps every charge).

    ``automatic``: the customer asked for this service to renew on its own (an opt-in use of
    the policy, recorded in the consent ledger); ``reminded_for`` is the due date whose
    reminder went out, so each automatic charge follows its own reminder.
    """

    line = models.OneToOneField(OrderLine, on_delete=models.CASCADE, related_name="renewal")
    due = models.DateField(help_text="the service is paid until this date")
    product_id = models.CharField(max_length=64, help_text="what the line renews as")
    price_minor = models.PositiveIntegerField(help_text="excluding VAT, for the whole line")
    term_months = models.PositiveSmallIntegerField(help_text="each renewal pays this many months")
    automatic = models.BooleanField(default=False)
    reminded_for = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ("due", "pk")

    def __str__(self) -> str:
        return f"{self.product_id} due {self.due}"


class RenewalCharge(models.Model):
    """One paid renewal period: what was charged, for which period, how it was asked for.

    ``(renewal, period_start)`` is unique and is the processor's idempotency key: a double
    submit, a second tab or a job run twice charges a period once.
    """

    class Trigger(models.TextChoices):
        CUSTOMER = "customer", gettext_lazy("confirmed by the customer")
        AUTOMATIC = "automatic", gettext_lazy("automatic renewal")

    renewal = models.ForeignKey(Renewal, on_delete=models.PROTECT, related_name="charges")
    period_start = models.DateField()
    period_end = models.DateField()
    net_minor = models.PositiveIntegerField()
    vat_minor = models.PositiveIntegerField()
    total_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    payment_reference = models.CharField(max_length=100)
    charged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-charged_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["renewal", "period_start"], name="store_one_charge_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.renewal} {self.period_start}..{self.period_end}"


class TransferStatus(models.TextChoices):
    QUEUED = "queued", gettext_lazy("queued")
    SENT = "sent", gettext_lazy("sent")


class OutsideTransfer(models.Model):
    """Data due to an outside party for an order: queued after the go-ahead, sent by
    ``keepfaith store transfers`` through the gate and the audit log."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="transfers")
    party = models.CharField(max_length=64)
    use = models.CharField(max_length=120)
    categories = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=TransferStatus.choices, default="queued")
    created = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"{self.order.number} to {self.party} ({self.status})"
