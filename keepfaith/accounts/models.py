"""People who log in: customers and staff, one user model told apart by role.

A customer account has ``is_staff`` false and never belongs to a staff group; a staff account
has ``is_staff`` true and reaches the console only with a verified second factor.
"""

from __future__ import annotations

import secrets
import unicodedata
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from keepfaith.policy.trace import enforces

_CUSTOMER_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


@enforces("SITE-1")
def new_customer_number() -> str:
    """A customer number: 10 random base32 symbols (50 bits), neither guessable nor sequential."""
    symbols = "".join(secrets.choice(_CUSTOMER_NUMBER_ALPHABET) for _ in range(10))
    return f"KF-{symbols[:5]}-{symbols[5:]}"


def normalise_email(address: str) -> str:
    """The form of an address we compare and store: trimmed and lower-cased."""
    return address.strip().lower()


def login_identity(typed: str) -> str:
    """The account a typed login name opens: NFKC (as Django's ``UsernameField`` does), then
    ``normalise_email``. Login throttling counts failures against this same key."""
    return normalise_email(unicodedata.normalize("NFKC", typed))


def erased_address(pk: int) -> str:
    """The login address an erased account keeps: unique, and no one's (RFC 2606)."""
    return f"erased-{pk}@erased.invalid"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("an e-mail address is required")
        user = self.model(email=normalise_email(email), **extra)
        if not user.is_staff and not user.customer_number:
            user.customer_number = new_customer_number()
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if extra["is_staff"] is not True or extra["is_superuser"] is not True:
            raise ValueError("a superuser is a staff account with is_superuser set")
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=login_identity(username or ""))


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(gettext_lazy("e-mail address"), max_length=254, unique=True)
    full_name = models.CharField(gettext_lazy("name"), max_length=150, blank=True)
    phone = models.CharField("phone number", max_length=40, blank=True)
    organization = models.CharField("organisation", max_length=150, blank=True)
    postal_address = models.TextField("postal address", max_length=500, blank=True)
    customer_number = models.CharField(
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Customers only: the reference staff and audit entries use for this person.",
    )
    language = models.CharField(
        max_length=8, blank=True, help_text="The language the customer uses with us (e-mail)."
    )
    is_staff = models.BooleanField(
        default=False, help_text="Staff account: may sign in to the console (with a second factor)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        permissions = [
            ("use_console", "Can sign in to the staff console"),
            ("view_customer_data", "Can view customers' personal data (every read is audited)"),
            ("manage_staff", "Can create staff accounts and reset their second factor"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalise_email(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalise_email(self.email)  # stored lower-case, so unique ignores case
        super().save(*args, **kwargs)

    @property
    def is_erased(self) -> bool:
        """Was this account erased (``account_erase``)? Not the same as inactive: a sign-up
        waiting for its confirmation, or an account staff switched off, is inactive too."""
        return self.pk is not None and self.email == erased_address(self.pk)

    @property
    def subject_ref(self) -> str:
        """The reference the gate, the consent ledger and the audit log use for this person:
        the customer number (an account without one, a staff account, is ``U-<id>``)."""
        return self.customer_number or f"U-{self.pk}"

    @property
    def role_names(self) -> list[str]:
        return sorted(group.name for group in self.groups.all())


CONTACT_FIELDS = ("full_name", "email", "phone", "organization", "postal_address")
"""The contact details a customer can change in the portal (QS-4), each kept in history."""
CONTACT_FIELD_LABELS = {
    "full_name": gettext_lazy("Name"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone number"),
    "organization": gettext_lazy("Organisation"),
    "postal_address": gettext_lazy("Postal address"),
}
"""What people read for each of them, in their language."""
CONTACT_FIELD_CATEGORY = {
    "full_name": "user.name",
    "email": "user.contact.email",
    "phone": "user.contact.phone_number",
    "organization": "user.contact.organization",
    "postal_address": "user.contact.address",
}
"""The policy's data category of each of them."""


class ContactDetailsChange(models.Model):
    """One change of one contact detail: what it was, what it became, when (QS-4).

    Written only by ``contact_details_update`` in the same transaction as the change itself.
    """

    customer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="contact_changes")
    field = models.CharField(max_length=40, choices=[(f, f) for f in CONTACT_FIELDS])
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-at", "-pk")

    def __str__(self) -> str:
        return f"{self.field} changed at {self.at:%Y-%m-%d %H:%M}"

    @property
    def field_label(self) -> str:
        """The detail's name for people, in the active language (never the field's key)."""
        return str(CONTACT_FIELD_LABELS.get(self.field, self.field))


class EmailChangeRequest(models.Model):
    """A change of a customer's login address waiting for the new address to be confirmed.

    The old address stays the login until the link sent to the new one is used. The link
    carries a signed, expiring token naming this row and a nonce whose hash only is kept;
    a newer request for the same customer replaces this one. Written by ``email_change_*``
    in ``accounts.services``; the row is deleted once confirmed or cancelled (the contact
    history then keeps the change).
    """

    customer = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="email_change_request"
    )
    new_email = models.EmailField("new e-mail address", max_length=254)
    nonce_hash = models.CharField(max_length=64)
    requested_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"e-mail change requested at {self.requested_at:%Y-%m-%d %H:%M}"
