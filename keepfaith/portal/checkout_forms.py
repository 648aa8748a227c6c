"""The checkout: collection point ``checkout`` of the policy, and the outside party's own point.

``CheckoutForm`` asks exactly what the policy's ``checkout`` point declares (name, e-mail and
address for the invoice, the card when there is something to pay) and offers its choices,
like every collecting form (``keepfaith.collection.forms``); the details start from what the
account already holds. ``OutsidePartyForm`` asks what an outside party needs (e.g. the
certificate authority's organisation validation: its own collection point) and the
customer's explicit choice to go on (BE-10).

The card number and security code are never written back into the page (a re-shown form has
empty card fields), and their cleaned values are ``CardNumber``/``SecurityCode`` objects that
refuse to be pickled, so they cannot reach the session or a cache.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from keepfaith.accounts.models import User
from keepfaith.collection.declare import collects, not_personal
from keepfaith.collection.fields import PhoneNumberField
from keepfaith.collection.forms import CollectionPointForm
from keepfaith.policy.trace import enforces
from keepfaith.store.outside import Notice
from keepfaith.store.services import Payment
from keepfaith.vault.cards import CardNumber, validate_expiry, validate_security_code
from keepfaith.vault.errors import CardError

CARD = "user.financial.credit_card"
CARD_FIELDS = ("card_number", "expiry_month", "expiry_year", "security_code")


# Which account detail a field starts from: the checkout's invoice details and the outside
# party's form (only fields the point declares exist on a form, so only those are filled).
BILLING_FROM_ACCOUNT = {
    "billing_name": "full_name",
    "billing_email": "email",
    "billing_address": "postal_address",
}
PARTY_FROM_ACCOUNT = {
    "name": "full_name",
    "email": "email",
    "phone": "phone",
    "organisation": "organization",
    "address": "postal_address",
}


def _start_from_account(form: forms.Form, customer: User, fields: dict[str, str]) -> None:
    """Fill the declared fields the caller left empty from what the account already holds."""
    for name, attribute in fields.items():
        value = getattr(customer, attribute, "") or ""
        if name in form.fields and value and not form.initial.get(name):
            form.initial[name] = value


class BlankTextInput(forms.TextInput):
    """A text input that never shows the submitted value again."""

    def format_value(self, value: Any) -> str | None:
        return None


class CheckoutForm(CollectionPointForm):
    """Collection point ``checkout``: the invoice details, the card, the point's choices."""

    point_id = "checkout"
    implicit_categories: ClassVar[tuple[str, ...]] = ("user.unique_id",)

    checkout_token = not_personal(
        forms.CharField(widget=forms.HiddenInput, max_length=64),
        reason="the token that makes one checkout one order",
    )
    billing_name = collects(
        "user.name", forms.CharField(label=_("Name on the invoice"), max_length=150)
    )
    billing_email = collects(
        "user.contact.email", forms.EmailField(label=_("E-mail for the receipt"), max_length=254)
    )
    billing_address = collects(
        "user.contact.address",
        forms.CharField(
            label=_("Billing address"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
        ),
        if_declared=True,
    )
    card_number = collects(
        CARD,
        forms.CharField(
            label=_("Card number"),
            max_length=40,
            widget=BlankTextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
        ),
    )
    expiry_month = collects(CARD, forms.CharField(label=_("Expiry month (MM)"), max_length=2))
    expiry_year = collects(CARD, forms.CharField(label=_("Expiry year (YY)"), max_length=4))
    security_code = collects(
        CARD,
        forms.CharField(
            label=_("Security code"),
            max_length=4,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "cc-csc"}),
        ),
    )

    def __init__(self, *args: Any, customer: User, needs_card: bool = True, **kw: Any) -> None:
        super().__init__(*args, subject=customer.subject_ref, **kw)
        _start_from_account(self, customer, BILLING_FROM_ACCOUNT)
        self.needs_card = needs_card
        if not needs_card:
            self.not_asked_here.add(CARD)
        for name in CARD_FIELDS:
            if needs_card:
                self.fields[name].required = False  # checked together in clean()
            else:
                del self.fields[name]

    def card_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in CARD_FIELDS if name in self.fields]

    def details_fields(self) -> list[forms.BoundField]:
        """The invoice details (not the card, not the token)."""
        skip = {*CARD_FIELDS, "checkout_token"}
        return [field for field in self.data_fields() if field.name not in skip]

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.needs_card:
            return data
        try:
            card = CardNumber(self.data.get("card_number", "") or "")
            expiry = validate_expiry(
                self.data.get("expiry_month", "") or "", self.data.get("expiry_year", "") or ""
            )
            code = validate_security_code(self.data.get("security_code", "") or "", card.brand)
        except CardError as exc:
            raise forms.ValidationError(card_problem(exc)) from None
        data["payment"] = Payment(card=card, expiry=expiry, security_code=code)
        for name in CARD_FIELDS:
            data.pop(name, None)
        return data

    def collected_categories(self) -> list[str]:
        """What this checkout stores: the details, and the card when one was given."""
        found = set(super().collected_categories())
        if self.cleaned_data.get("payment") is not None:
            found.add(CARD)
        return sorted(found)

    def billing(self) -> dict[str, str]:
        """The invoice details, as the order keeps them."""
        keys = ("billing_name", "billing_email", "billing_address")
        return {key: str(self.cleaned_data.get(key) or "") for key in keys if key in self.fields}


def card_problem(error: CardError) -> str:
    """The vault's refusal of a card in the page's language (its English text as a fallback
    for a problem this table does not know)."""
    params = dict(error.params)
    if "lengths" in params:
        lengths = [str(n) for n in params["lengths"]]  # type: ignore[attr-defined]
        head = f"{', '.join(lengths[:-1])} {_('or')} " if len(lengths) > 1 else ""
        params["lengths"] = head + lengths[-1]
    words = {
        "number_missing": _("Enter the card number."),
        "number_long": _("The card number is too long."),
        "number_chars": _("The card number may contain only digits, spaces and dashes."),
        "number_length": _("A card number has 12 to 19 digits."),
        "brand": _("We do not accept this card brand."),
        "brand_length": _("A %(brand)s card number has %(lengths)s digits."),
        "luhn": _("The card number is not valid: check it for a typing error."),
        "expiry_number": _("Give the expiry month and year as numbers."),
        "expiry_month": _("The expiry month is between 1 and 12."),
        "expired": _("The card has expired."),
        "expiry_far": _("The expiry year is more than %(years)s years ahead."),
        "security_code": _("The %(brand)s security code has %(digits)s digits."),
    }
    text = words.get(error.code)
    if text is None:
        return str(error)
    return str(text) % params if params else str(text)


@enforces("BE-10", features=("collection.organisation-validation",))
class OutsidePartyForm(CollectionPointForm):
    """What an outside party needs (its collection point, e.g. ``organisation-validation``)
    and the customer's explicit choice to go on or wait; nothing is preselected (BE-10)."""

    # "Not now" needs none of the authority's details, so the browser must not demand them
    # (HTML ``required``); the server requires them when the customer goes on.
    use_required_attribute = False

    name = collects("user.name", forms.CharField(label=_("Name"), max_length=200), if_declared=True)
    email = collects(
        "user.contact.email", forms.EmailField(label=_("E-mail"), max_length=200), if_declared=True
    )
    phone = collects(
        "user.contact.phone_number",
        PhoneNumberField(label=_("Phone")),
        if_declared=True,
    )
    organisation = collects(
        "user.contact.organization",
        forms.CharField(label=_("Organisation"), max_length=200),
        if_declared=True,
    )
    address = collects(
        "user.contact.address",
        forms.CharField(
            label=_("Address"), max_length=200, widget=forms.Textarea(attrs={"rows": 2})
        ),
        if_declared=True,
    )
    go_ahead = not_personal(
        forms.ChoiceField(
            widget=forms.RadioSelect,
            error_messages={"required": _("Choose whether to go on; nothing is preselected.")},
        ),
        reason="the customer's choice about the outside party (kept in the consent ledger)",
    )

    def __init__(
        self, *args: Any, notice: Notice, point_id: str, customer: User, **kw: Any
    ) -> None:
        super().__init__(*args, subject=customer.subject_ref, point_id=point_id, **kw)
        _start_from_account(self, customer, PARTY_FROM_ACCOUNT)
        self.party_notice = notice
        party = {"party": notice.name}
        field = self.fields["go_ahead"]
        field.label = _("Go on with %(party)s?") % party
        field.choices = [  # type: ignore[attr-defined]
            ("proceed", _("Yes, send these details to %(party)s for this order") % party),
            ("wait", _("Not now: keep the order waiting and send nothing")),
        ]
        if self.is_bound and self.data.get(self.add_prefix("go_ahead")) == "wait":
            for bound in self.outside_fields():  # nothing goes anywhere: nothing is needed yet
                bound.field.required = False

    def outside_fields(self) -> list[forms.BoundField]:
        return [field for field in self.data_fields() if field.name != "go_ahead"]

    def validation_details(self) -> dict[str, str]:
        return {f.name: str(self.cleaned_data.get(f.name) or "") for f in self.outside_fields()}

    def go_ahead_chosen(self) -> bool:
        return self.cleaned_data.get("go_ahead") == "proceed"
