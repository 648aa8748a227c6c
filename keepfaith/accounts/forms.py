"""The account forms that collect personal data: sign-up and contact details.

Both are collection points of the policy (``signup``, ``contact-details``): every field
names its data category, and the form refuses to exist if the policy does not declare it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from keepfaith.accounts.models import User, normalise_email
from keepfaith.collection.declare import collects
from keepfaith.collection.forms import CollectionPointForm


class SignupForm(CollectionPointForm):
    """Sign up with e-mail and password (SITE-1), plus the choices the point offers."""

    point_id = "signup"

    email = collects("user.contact.email", forms.EmailField(label="E-mail", max_length=254))
    full_name = collects(
        "user.name", forms.CharField(label="Name", max_length=150), if_declared=True
    )
    password1 = collects(
        "user.authorization.password",
        forms.CharField(label="Password", strip=False, widget=forms.PasswordInput),
    )
    password2 = collects(
        "user.authorization.password",
        forms.CharField(label="Password again", strip=False, widget=forms.PasswordInput),
    )

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            probe = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(first, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ContactDetailsForm(CollectionPointForm):
    """The customer's contact details (QS-4): each field only if the policy declares it."""

    point_id = "contact-details"

    full_name = collects(
        "user.name", forms.CharField(label="Name", max_length=150), if_declared=True
    )
    email = collects("user.contact.email", forms.EmailField(label="E-mail", max_length=254))
    phone = collects(
        "user.contact.phone_number",
        forms.CharField(label="Phone number", max_length=40),
        if_declared=True,
    )
    organization = collects(
        "user.contact.organization",
        forms.CharField(label="Organisation", max_length=150),
        if_declared=True,
    )
    postal_address = collects(
        "user.contact.address",
        forms.CharField(
            label="Postal address", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
        ),
        if_declared=True,
    )

    def __init__(self, *args: Any, customer: User, **kwargs: Any) -> None:
        self.customer = customer
        kwargs.setdefault("initial", {f: getattr(customer, f) for f in self.base_fields})
        super().__init__(*args, subject=customer.customer_number, **kwargs)

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data["email"])
        taken = User.objects.filter(email=email).exclude(pk=self.customer.pk).exists()
        if taken:
            raise forms.ValidationError("This address cannot be used for your account.")
        return email

    def contact_values(self) -> dict[str, str]:
        """The submitted contact details, by User field name."""
        return {name: value or "" for name, value in self.personal_data().items()}
