"""Tokens sent by e-mail to prove an address.

- The e-mail verification token (sign-up): Django's password-reset token machinery with its
  own salt. It names the account's primary key, its e-mail address and whether it is active,
  so it stops working once the account is verified or its address changes, and after
  ``PASSWORD_RESET_TIMEOUT`` (three days by default).
- The e-mail change token: ``<request id>.<nonce>`` signed with a timestamp
  (``TimestampSigner``, own salt), good for ``EMAIL_CHANGE_MAX_AGE``. Only the nonce's hash
  is stored, so the database alone cannot make a working link.

Keys rotate through ``SECRET_KEY_FALLBACKS`` like every Django token.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.signing import BadSignature, TimestampSigner


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "keepfaith.accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{user.pk}{user.email}{user.is_active}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()

EMAIL_CHANGE_MAX_AGE = timedelta(days=3)
_EMAIL_CHANGE_SALT = "keepfaith.accounts.tokens.email-change"


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()


def email_change_token(*, request_id: int, nonce: str) -> str:
    """The token of the link that confirms e-mail change ``request_id``."""
    return TimestampSigner(salt=_EMAIL_CHANGE_SALT).sign(f"{request_id}.{nonce}")


def email_change_token_read(token: str) -> tuple[int, str] | None:
    """(request id, nonce) from a token this site signed less than three days ago, else None."""
    try:
        value = TimestampSigner(salt=_EMAIL_CHANGE_SALT).unsign(token, max_age=EMAIL_CHANGE_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    request_id, _, nonce = value.partition(".")
    if not (request_id.isascii() and request_id.isdigit()) or not nonce:
        return None
    return int(request_id), nonce
