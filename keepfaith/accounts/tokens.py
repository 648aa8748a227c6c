"""The e-mail verification token: Django's password-reset token machinery with its own salt.

A token names the account's primary key, its e-mail address and whether it is active, so it
stops working once the account is verified or its address changes, and after
``PASSWORD_RESET_TIMEOUT`` (three days by default). Keys rotate through
``SECRET_KEY_FALLBACKS`` like every Django token.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "keepfaith.accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{user.pk}{user.email}{user.is_active}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()
