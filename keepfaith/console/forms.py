from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django_otp import match_token


class StaffLoginForm(AuthenticationForm):
    """E-mail and password of a staff account; customers are refused with the same message."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Please enter the e-mail address and password of a staff account."),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise self.get_invalid_login_error()


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.device: Any = None

    def clean_token(self) -> str:
        token = str(self.cleaned_data["token"]).strip()
        self.device = match_token(self.user, token)
        if self.device is None:
            raise forms.ValidationError(
                _("That code is not valid (or too many tries: wait a minute).")
            )
        return token


class StaffLanguageForm(forms.Form):
    """The language the console speaks to this staff member."""

    language = forms.ChoiceField(label=_("Language of the console"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = list(settings.LANGUAGES)  # type: ignore[attr-defined]
