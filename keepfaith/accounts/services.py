"""Writes to accounts: staff accounts and their second factor."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from keepfaith.accounts.models import User, normalise_email
from keepfaith.accounts.roles import ROLES


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
