from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django_otp import match_token

from keepfaith.weblog.parse import END_TIME, FIRST_TIME

# The days a console filter accepts: a date at the calendar's edge (0001-01-01, 9999-12-31)
# overflowed the day before or after it that a range needs (a 500 instead of an answer). They
# are the days the web-log store can hold, so every range accepted is one it can answer.
FIRST_DAY = FIRST_TIME.date()
LAST_DAY = END_TIME.date() - dt.timedelta(days=1)


def day_in_range(day: dt.date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def day_range_message() -> str:
    return str(_("Give a date from %(first)s to %(last)s.") % {
        "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()
    })  # fmt: skip


class DayField(forms.DateField):
    """A date (``YYYY-MM-DD``) between ``FIRST_DAY`` and ``LAST_DAY``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not day_in_range(value):
            raise forms.ValidationError(day_range_message(), code="out_of_range")


class FilterForm(forms.Form):
    """A console page's filters. A bound form that is not valid selects nothing: a page
    never falls back to showing everything because one field was wrong. ``since`` and
    ``until`` (when the form has them) must not be the wrong way round."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise forms.ValidationError(
                _("The range ends (%(end)s) before it starts (%(start)s)."),
                params={"start": since.isoformat(), "end": until.isoformat()},
            )
        return data

    @property
    def refused(self) -> bool:
        """True when filters were given and one of them is wrong."""
        return self.is_bound and not self.is_valid()


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
