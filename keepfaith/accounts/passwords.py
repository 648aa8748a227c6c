"""Password rules said in the customer's language (Django's own Danish message reads
"din/dit e-mail address", half English and unsure of the word's gender)."""

from __future__ import annotations

from django.contrib.auth.password_validation import UserAttributeSimilarityValidator
from django.utils.translation import gettext as _


class SimilarityValidator(UserAttributeSimilarityValidator):
    """Django's check that a password is not close to the account's e-mail or name."""

    def get_error_message(self) -> str:
        return _("The password is too close to what you gave as your %(verbose_name)s.")

    def get_help_text(self) -> str:
        return _("Your password must not be close to your e-mail address or name.")
