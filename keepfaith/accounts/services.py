"""Writes to accounts: staff accounts and their second factor; customers' sign-up,
verification and contact details."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from keepfaith.accounts.models import CONTACT_FIELDS, ContactDetailsChange, User, normalise_email
from keepfaith.accounts.roles import ROLES
from keepfaith.policy.trace import enforces


class UnknownRole(ValueError):
    pass


def staff_create(
    *, email: str, password: str, roles: Iterable[str], full_name: str = ""
) -> tuple[User, TOTPDevice]:
    """Create (or update) a staff account with its roles and a fresh TOTP device.

    A staff account reaches the console only once its holder has the device's secret in an
    authenticator app; the caller shows the ``config_url`` to that person once.
    """
    roles = list(roles)
    unknown = [role for role in roles if role not in ROLES]
    if unknown or not roles:
        raise UnknownRole(
            f"roles must be among {', '.join(ROLES)}; got {', '.join(unknown) or 'none'}"
        )
    with transaction.atomic():
        user = User.objects.filter(email=normalise_email(email)).first()
        if user is None:
            user = User.objects.create_user(email, password, is_staff=True, full_name=full_name)
        else:
            user.is_staff, user.full_name = True, full_name or user.full_name
            user.set_password(password)
            user.save()
        user.groups.set(Group.objects.filter(name__in=roles))
        device = staff_totp_reset(user=user)
    return user, device


def staff_totp_reset(*, user: User, key_hex: str | None = None) -> TOTPDevice:
    """Replace the staff member's TOTP devices with a new confirmed one."""
    TOTPDevice.objects.filter(user=user).delete()
    fields = {"key": key_hex} if key_hex else {}
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True, **fields)


# -- customers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignupOutcome:
    """What a sign-up did. The page shown afterwards is the same whatever happened."""

    user: User | None
    created: bool
    already_active: bool


@enforces("SITE-1")
def customer_signup(
    *, email: str, password: str, full_name: str = "", language: str = ""
) -> SignupOutcome:
    """Open an inactive customer account until its address is verified.

    An address with an active account is left untouched (``already_active``: its owner is
    told by e-mail). An address with an unverified account gets the new password and name:
    only the holder of the address can ever open it, so nothing is taken from anyone.
    """
    address = normalise_email(email)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email=address).first()
        if user is not None and (user.is_active or user.is_staff or user.last_login):
            return SignupOutcome(user=None, created=False, already_active=True)
        if user is None:
            user = User.objects.create_user(
                address, password, full_name=full_name, is_active=False, language=language
            )
            return SignupOutcome(user=user, created=True, already_active=False)
        user.set_password(password)
        user.full_name, user.language = full_name, language or user.language
        user.save(update_fields=["password", "full_name", "language"])
    return SignupOutcome(user=user, created=False, already_active=False)


@enforces("SITE-1")
def customer_verify(*, user: User) -> User:
    """Open a customer account whose address was proven by the verification link."""
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


@enforces("QS-4")
def contact_details_update(*, customer: User, values: dict[str, str]) -> list[ContactDetailsChange]:
    """Change the customer's contact details at once and keep each change in history."""
    unknown = sorted(set(values) - set(CONTACT_FIELDS))
    if unknown:
        raise ValueError(f"not contact details: {', '.join(unknown)}")
    with transaction.atomic():
        fresh = User.objects.select_for_update().get(pk=customer.pk)
        changes = []
        for field, new in values.items():
            old = getattr(fresh, field) or ""
            if new != old:
                setattr(fresh, field, new)
                changes.append(ContactDetailsChange(customer=fresh, field=field, old=old, new=new))
        if changes:
            fresh.full_clean(exclude=["password"])
            fresh.save(update_fields=[c.field for c in changes])
            ContactDetailsChange.objects.bulk_create(changes)
    for change in changes:
        setattr(customer, change.field, change.new)
    return changes
