"""The checkout form: the card (in memory only), and what an outside party needs.

The card number and security code are never written back into the page (a re-shown form
has empty card fields), and their cleaned values are ``CardNumber``/``SecurityCode``
objects that refuse to be pickled, so they cannot reach the session or a cache.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.views.decorators.debug import sensitive_variables

from keepfaith.store.outside import Notice
from keepfaith.store.services import Payment
from keepfaith.vault.cards import CardNumber, validate_expiry, validate_security_code
from keepfaith.vault.errors import CardError

CARD_FIELDS = ("card_number", "expiry_month", "expiry_year", "security_code")


class BlankTextInput(forms.TextInput):
    """A text input that never shows the submitted value again."""

    def format_value(self, value: Any) -> str | None:
        return None


class CheckoutForm(forms.Form):
    checkout_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    card_number = forms.CharField(
        label="Card number",
        max_length=40,
        required=False,
        widget=BlankTextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    expiry_month = forms.CharField(label="Expiry month (MM)", max_length=2, required=False)
    expiry_year = forms.CharField(label="Expiry year (YY)", max_length=4, required=False)
    security_code = forms.CharField(
        label="Security code",
        max_length=4,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "cc-csc"}),
    )

    def __init__(
        self, *args: Any, notice: Notice | None = None, needs_card: bool = True, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.needs_card = needs_card
        self.notice = notice
        if notice is not None:
            for name, label, required in notice.fields:
                widget = forms.Textarea(attrs={"rows": 2}) if name == "address" else None
                self.fields[name] = forms.CharField(
                    label=label, max_length=200, required=required, widget=widget
                )
            self.fields["go_ahead"] = forms.ChoiceField(
                label=f"Go on with {notice.name}?",
                choices=[
                    ("proceed", f"Yes, send these details to {notice.name} for this order"),
                    ("wait", "Not now: keep the order waiting and send nothing"),
                ],
                widget=forms.RadioSelect,
                error_messages={"required": "choose whether to go on; nothing is preselected"},
            )

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.needs_card:
            return data
        try:
            card = CardNumber(self.data.get("card_number", "") or "")
            expiry = validate_expiry(
                self.data.get("expiry_month", "") or "", self.data.get("expiry_year", "") or ""
            )
            code = validate_security_code(self.data.get("security_code", "") or "", card.brand)
        except CardError as exc:
            raise forms.ValidationError(str(exc)) from None
        data["payment"] = Payment(card=card, expiry=expiry, security_code=code)
        for name in CARD_FIELDS:
            data.pop(name, None)
        return data

    def outside_fields(self) -> list[forms.BoundField]:
        """The fields the outside party's collection point asks for, in its order."""
        if self.notice is None:
            return []
        return [self[name] for name, _, _ in self.notice.fields]

    def validation_details(self) -> dict[str, str]:
        if self.notice is None:
            return {}
        return {name: str(self.cleaned_data.get(name) or "") for name, _, _ in self.notice.fields}

    def go_ahead(self) -> bool | None:
        if self.notice is None:
            return None
        return self.cleaned_data.get("go_ahead") == "proceed"
