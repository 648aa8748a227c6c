"""The account forms that collect personal data: sign-up and contact details.

Both are collection points of the policy (``signup``, ``contact-details``): every field
names its data category, and the form refuses to exist if the policy does not declare it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from keepfaith.accounts.models import User, normalise_email
from keepfaith.collection.declare import collects, not_personal
from keepfaith.collection.fields import PhoneNumberField
from keepfaith.collection.forms import CollectionPointForm


class SignupForm(CollectionPointForm):
    """Sign up with e-mail and password (SITE-1), plus the choices the point offers."""

    point_id = "signup"

    email = collects("user.contact.email", forms.EmailField(label=_("E-mail"), max_length=254))
    full_name = collects(
        "user.name", forms.CharField(label=_("Name"), max_length=150), if_declared=True
    )
    password1 = collects(
        "user.authorization.password",
        forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput),
    )
    password2 = collects(
        "user.authorization.password",
        forms.CharField(label=_("Password again"), strip=False, widget=forms.PasswordInput),
    )

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            probe = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(first, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ContactDetailsForm(CollectionPointForm):
    """The customer's contact details (QS-4): each field only if the policy declares it.

    Every detail changes at once except the login address: a new address needs the current
    password, and becomes the login only when the link sent to it is followed
    (``email_change_request``). An address that belongs to another account is accepted the
    same way (its owner gets a mail instead of a link), so the form reveals no account.
    """

    point_id = "contact-details"

    full_name = collects(
        "user.name", forms.CharField(label=_("Name"), max_length=150), if_declared=True
    )
    email = collects("user.contact.email", forms.EmailField(label=_("E-mail"), max_length=254))
    current_password = not_personal(
        forms.CharField(
            label=_("Current password (only to change your e-mail address)"),
            strip=False,
            required=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        ),
        reason="checked against the stored password hash to change the login address; never stored",
    )
    phone = collects(
        "user.contact.phone_number",
        PhoneNumberField(label=_("Phone number")),
        if_declared=True,
    )
    organization = collects(
        "user.contact.organization",
        forms.CharField(label=_("Organisation"), max_length=150),
        if_declared=True,
    )
    postal_address = collects(
        "user.contact.address",
        forms.CharField(
            label=_("Postal address"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
        ),
        if_declared=True,
    )

    def __init__(
        self, *args: Any, customer: User, request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        self.customer = customer
        self.request = request
        fields = [f for f in self.base_fields if f != "current_password"]
        kwargs.setdefault("initial", {f: getattr(customer, f) for f in fields})
        super().__init__(*args, subject=customer.subject_ref, **kwargs)

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.email_changed():
            password = cleaned.get("current_password") or ""
            if not password:
                self.add_error(
                    "current_password",
                    _("Enter your current password to change your e-mail address."),
                )
            elif not self._password_is_right(password):
                self.add_error("current_password", _("That is not your current password."))
        return cleaned

    def _password_is_right(self, password: str) -> bool:
        """Checked through ``authenticate``: wrong guesses count towards the login throttle."""
        user = authenticate(self.request, username=self.customer.email, password=password)
        return user is not None and user.pk == self.customer.pk

    def email_changed(self) -> bool:
        new = getattr(self, "cleaned_data", {}).get("email")
        return bool(new) and new != self.customer.email

    def contact_values(self) -> dict[str, str]:
        """The submitted contact details that change at once, by User field name (all but
        the login address)."""
        values = {name: value or "" for name, value in self.personal_data().items()}
        values.pop("email", None)
        return values
