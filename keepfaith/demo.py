"""Demo data for ``keepfaith demo``: every feature adds the step that shows it off.

Each step is idempotent (running the demo twice changes nothing) and returns lines to print.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from keepfaith.accounts.models import User
from keepfaith.accounts.services import staff_create
from keepfaith.accounts.totp import current_code

DEMO_PASSWORD = "keepfaith-demo"  # noqa: S105 - demo accounts only; the demo refuses production
DEMO_STAFF = (
    ("bob@staff.example", "Bob Support", "support"),
    ("bill@staff.example", "Bill Billing", "billing"),
    ("mia@staff.example", "Mia Marketing", "marketing"),
    ("pat@staff.example", "Pat Privacy", "privacy officer"),
    ("ada@staff.example", "Ada Admin", "administrator"),
)
DEMO_CUSTOMERS = (
    ("alice@example.com", "Alice Andersen"),
    ("carol@example.com", "Carol Christensen"),
)


def demo_totp_key(email: str) -> str:
    """A fixed TOTP key per demo staff account, so an authenticator app is set up only once."""
    return hashlib.sha256(f"keepfaith-demo-totp:{email}".encode()).hexdigest()[:40]


def demo_staff() -> list[str]:
    from keepfaith.accounts.services import staff_totp_reset

    lines = [f"Staff (password '{DEMO_PASSWORD}', second factor: `keepfaith staff code EMAIL`):"]
    for email, name, role in DEMO_STAFF:
        user = User.objects.filter(email=email).first()
        if user is None:
            user, _ = staff_create(
                email=email, password=DEMO_PASSWORD, roles=[role], full_name=name
            )
        device = user.totpdevice_set.first()  # type: ignore[attr-defined]
        if device is None or device.key != demo_totp_key(email):
            device = staff_totp_reset(user=user, key_hex=demo_totp_key(email))
        lines.append(f"  {email:<22} {role:<16} code now: {current_code(device)}")
    return lines


def demo_customers() -> list[str]:
    lines = [f"Customers (password '{DEMO_PASSWORD}'):"]
    for email, name in DEMO_CUSTOMERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name)
        lines.append(f"  {email:<22} {user.customer_number}")
    return lines


STEPS: list[Callable[[], list[str]]] = [demo_staff, demo_customers]
