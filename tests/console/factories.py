"""Small data for console tests: an order with a renewal charge, a ticket, a consent event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone


def order_with_renewal_charge(customer: Any) -> Any:
    from keepfaith.store.models import Order, OrderLine, Renewal, RenewalCharge

    order = Order.objects.create(
        customer=customer,
        status="active",
        currency="DKK",
        subtotal_minor=1_234_500,
        vat_rate=25,
        vat_minor=308_625,
        total_minor=1_543_125,
        checkout_token=f"console-{customer.pk}",
        payment_reference="pay-TEST-0001",
        billing_name=customer.full_name,
        billing_email=customer.email,
    )
    line = OrderLine.objects.create(
        order=order,
        product_id="qualityssl-wildcard",
        description="QualitySSL Wildcard, 12 months",
        term_months=12,
        quantity=1,
        unit_minor=1_234_500,
        total_minor=1_234_500,
    )
    today = timezone.localdate()
    renewal = Renewal.objects.create(
        line=line,
        due=today + dt.timedelta(days=365),
        product_id="qualityssl-wildcard",
        price_minor=1_234_500,
        term_months=12,
        automatic=True,
    )
    RenewalCharge.objects.create(
        renewal=renewal,
        period_start=today,
        period_end=today + dt.timedelta(days=365),
        net_minor=1_234_500,
        vat_minor=308_625,
        total_minor=1_543_125,
        currency="DKK",
        trigger="automatic",
        payment_reference="pay-RENEW-0002",
    )
    return order


def ticket_for(customer: Any) -> Any:
    from keepfaith.support.models import SupportTicket

    return SupportTicket.objects.create(
        customer=customer,
        customer_number=customer.customer_number,
        email=customer.email,
        name=customer.full_name,
        summary="Certificate not trusted on Android",
        description="The chain seems incomplete.",
    )
