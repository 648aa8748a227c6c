"""The front page for a signed-in customer: a greeting and what is theirs to look at."""

from __future__ import annotations

from typing import Any

from keepfaith.accounts.models import User
from keepfaith.store.selectors import orders_of
from keepfaith.support.selectors import customer_tickets


def home_customer_context(user: Any) -> dict[str, Any]:
    assert isinstance(user, User)
    tickets = customer_tickets(customer=user).filter(status__in=("waiting", "answered"))[:5]
    return {"orders": list(orders_of(user)[:3]), "tickets": list(tickets)}
