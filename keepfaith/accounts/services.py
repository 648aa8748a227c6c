"""Writes to accounts: staff accounts and their second factor; customers' sign-up,
verification, contact details and the confirmed change of their login address."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare
from django_otp.plugins.otp_totp.models import TOTPDevice

from keepfaith.accounts.models import (
    CONTACT_FIELDS,
    ContactDetailsChange,
    EmailChangeRequest,
    User,
    erased_address,
    normalise_email,
)
from keepfaith.accounts.roles import ROLES
from keepfaith.accounts.tokens import (
    EMAIL_CHANGE_MAX_AGE,
    email_change_token,
    email_change_token_read,
    nonce_hash,
)
from keepfaith.audit.services import Actor, audit_append
from keepfaith.policy.trace import enforces


class UnknownRole(ValueError):
    pass


class StaffAccountExists(ValueError):
    """``staff add`` for an address that already has an account (replace on purpose only)."""


def _staff_audit(actor: Actor, action: str, user: User, **detail: object) -> None:
    """Every change to a staff account is in the audit log: who, what, which account; never
    a password or an authenticator secret."""
    audit_append(
        actor=actor,
        action=f"accounts.staff.{action}",
        outcome="done",
        detail={"account": user.email, **detail},
    )


def staff_create(
    *,
    email: str,
    password: str,
    roles: Iterable[str],
    actor: Actor,
    full_name: str = "",
    replace: bool = False,
) -> tuple[User, TOTPDevice]:
    """Create a staff account with its roles and a fresh TOTP device; audited.

    An existing staff account is replaced (new password, roles and authenticator) only with
    ``replace``; a customer's account is never made a staff one. A staff account reaches
    the console only once its holder has the device's secret in an authenticator app; the
    caller shows the ``config_url`` to that person once.
    """
    roles = list(roles)
    unknown = [role for role in roles if role not in ROLES]
    if unknown or not roles:
        raise UnknownRole(
            f"roles must be among {', '.join(ROLES)}; got {', '.join(unknown) or 'none'}"
        )
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email=normalise_email(email)).first()
        if user is not None and not user.is_staff:
            raise StaffAccountExists(
                f"{user.email} is a customer's account: a staff account needs its own address"
            )
        if user is not None and not replace:
            raise StaffAccountExists(
                f"{user.email} is already a staff account ({', '.join(user.role_names)}): "
                "add --replace to give it new roles, a new password and a new authenticator"
            )
        existed = user is not None
        before = list(user.role_names) if user is not None else []
        if user is None:
            user = User.objects.create_user(email, password, is_staff=True, full_name=full_name)
        else:
            user.full_name = full_name or user.full_name
            user.set_password(password)
            user.save()
        user.groups.set(Group.objects.filter(name__in=roles))
        device = staff_totp_reset(user=user, actor=actor, audited=False)
        _staff_audit(
            actor, "replace" if existed else "add", user, roles=sorted(roles), roles_before=before
        )
    return user, device


def staff_password_set(*, user: User, password: str, actor: Actor) -> User:
    """Give a staff account a new password (staff-side only: the customer "lost password"
    page refuses staff addresses); audited. Every session of the account ends with the old
    password."""
    if not user.is_staff:
        raise ValueError(f"{user.email} is not a staff account")
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        _staff_audit(actor, "password", user)
    return user


def staff_language_set(*, user: User, language: str) -> User:
    """The language the staff console speaks to this staff member (``settings.LANGUAGES``)."""
    if not user.is_staff:
        raise ValueError(f"{user.email} is not a staff account")
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not one of the site's languages")
    user.language = language
    user.save(update_fields=["language"])
    return user


def staff_totp_reset(
    *, user: User, actor: Actor, key_hex: str | None = None, audited: bool = True
) -> TOTPDevice:
    """Replace the staff member's TOTP devices with a new confirmed one; audited (unless
    the caller audits the whole change itself)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        fields = {"key": key_hex} if key_hex else {}
        device = TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=True, **fields
        )
        if audited:
            _staff_audit(actor, "authenticator", user)
    return device


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
            # The password is hashed all the same: an answer as quick as a lookup would tell
            # a stranger that the address has an account.
            make_password(password)
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


@enforces("SITE-5")
def customer_language_set(*, customer: User, language: str) -> User:
    """Remember the language a customer chose on the site: the portal after login and every
    e-mail to them use it."""
    if customer.language != language:
        customer.language = language
        customer.save(update_fields=["language"])
    return customer


@enforces("QS-4", features=("portal.contact-history",))
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


# -- the login address: changed only once the new one is confirmed -----------------------------


@dataclass(frozen=True)
class EmailChangeOutcome:
    """A requested change of login address. ``token`` is None when the new address belongs
    to another account: nothing can confirm it, and its owner is told so instead. The
    customer sees the same either way (nothing reveals which addresses have accounts)."""

    request: EmailChangeRequest
    token: str | None


class EmailChangeFailed(Exception):
    """The confirmation link does not work: ``reason`` is "invalid" (unknown, used, replaced
    by a newer request, forged or expired) or "taken" (the address got an account meanwhile)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@enforces("QS-4", "SITE-1")
def email_change_request(*, customer: User, new_email: str) -> EmailChangeOutcome:
    """Ask for ``new_email`` to become the customer's login address (replacing any earlier
    request). The current address stays the login until ``email_change_confirm``."""
    address = normalise_email(new_email)
    if address == customer.email:
        raise ValueError("the new address is the current one")
    nonce = secrets.token_urlsafe(24)
    with transaction.atomic():
        EmailChangeRequest.objects.filter(customer=customer).delete()
        request = EmailChangeRequest(
            customer=customer, new_email=address, nonce_hash=nonce_hash(nonce)
        )
        request.full_clean()
        request.save()
        taken = User.objects.filter(email=address).exclude(pk=customer.pk).exists()
    token = None if taken else email_change_token(request_id=request.pk, nonce=nonce)
    return EmailChangeOutcome(request=request, token=token)


@enforces("QS-4", "SITE-1")
def email_change_confirm(*, token: str) -> tuple[User, ContactDetailsChange]:
    """Make the requested address the login (the link in the mail to it was followed): the
    contact history records the change now. Raises ``EmailChangeFailed``."""
    read = email_change_token_read(token)
    if read is None:
        raise EmailChangeFailed("invalid")
    request_id, nonce = read
    with transaction.atomic():
        request = EmailChangeRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or not constant_time_compare(request.nonce_hash, nonce_hash(nonce)):
            raise EmailChangeFailed("invalid")
        customer = User.objects.select_for_update().get(pk=request.customer_id)
        old, new = customer.email, request.new_email
        request.delete()  # used, whatever happens next
        change = None
        if not User.objects.filter(email=new).exclude(pk=customer.pk).exists():
            try:
                with transaction.atomic():
                    customer.email = new
                    customer.save(update_fields=["email"])
                    change = ContactDetailsChange.objects.create(
                        customer=customer, field="email", old=old, new=new
                    )
            except IntegrityError:  # taken in the same instant by a sign-up
                customer.email = old
    if change is None:
        raise EmailChangeFailed("taken")
    return customer, change


def email_change_purge(*, now: datetime) -> int:
    """Delete changes of login address whose link has expired (the new address was never
    confirmed: it is not kept). Returns how many."""
    deleted, _ = EmailChangeRequest.objects.filter(
        requested_at__lte=now - EMAIL_CHANGE_MAX_AGE
    ).delete()
    return deleted


def email_change_cancel(*, customer: User) -> bool:
    """Withdraw the customer's pending change of address; True if there was one."""
    deleted, _ = EmailChangeRequest.objects.filter(customer=customer).delete()
    return deleted > 0


def account_erase(customer: User) -> None:
    """Erase the account (RIGHTS-17): name, addresses, phone, password and pending address
    changes. The row stays, without anything that links it to the person, as the anchor of
    the customer number the hash-chained logs hold."""
    EmailChangeRequest.objects.filter(customer=customer).delete()
    customer.email = erased_address(customer.pk)
    customer.full_name = customer.phone = customer.organization = customer.postal_address = ""
    customer.set_unusable_password()
    customer.is_active = False
    customer.save()


def contact_history_erase(customer: User) -> None:
    """Delete the history of the customer's contact details (RIGHTS-17)."""
    ContactDetailsChange.objects.filter(customer=customer).delete()
