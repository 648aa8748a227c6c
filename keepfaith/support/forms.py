"""The support forms, collection points ``information-request`` and ``support-ticket``.

The computer-configuration fields exist only on the ticket form, whose point serves the
support use alone (BE-3); the information request never asks for them.
"""

from __future__ import annotations

from typing import ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from keepfaith.collection.declare import collects, not_personal
from keepfaith.collection.fields import PhoneNumberField
from keepfaith.collection.forms import CollectionPointForm

_TEXT_REASON = "the text of the request; the form asks for personal data only in its own fields"
CONFIG = "user.device.computer_configuration"


class InformationRequestForm(CollectionPointForm):
    """Ask us a question (SITE-3): contact details and the question."""

    point_id = "information-request"
    anonymous_choices_need_visitors = True

    email = collects("user.contact.email", forms.EmailField(label=_("E-mail"), max_length=254))
    name = collects("user.name", forms.CharField(label=_("Name"), max_length=150), if_declared=True)
    phone = collects(
        "user.contact.phone_number",
        PhoneNumberField(label=_("Phone number")),
        if_declared=True,
    )
    question = not_personal(
        forms.CharField(label=_("Your question"), max_length=5000, widget=forms.Textarea),
        reason=_TEXT_REASON,
    )


class SupportTicketForm(CollectionPointForm):
    """Technical support for a signed-in customer, with their computer configuration."""

    point_id = "support-ticket"
    implicit_categories: ClassVar[tuple[str, ...]] = ("user.unique_id",)

    email = collects("user.contact.email", forms.EmailField(label=_("E-mail"), max_length=254))
    name = collects("user.name", forms.CharField(label=_("Name"), max_length=150), if_declared=True)
    summary = not_personal(forms.CharField(label=_("Summary"), max_length=200), reason=_TEXT_REASON)
    description = not_personal(
        forms.CharField(label=_("What happens?"), max_length=10000, widget=forms.Textarea),
        reason=_TEXT_REASON,
    )
    operating_system = collects(
        CONFIG, forms.CharField(label=_("Operating system and version"), max_length=120)
    )
    browser = collects(CONFIG, forms.CharField(label=_("Browser and version"), max_length=120))
    software_versions = collects(
        CONFIG,
        forms.CharField(
            label=_("Web server and other software, with versions"),
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 3}),
        ),
    )
