"""The identity login throttling counts failures against: the one the login matches on.

django-axes counts failed logins per (username, address). The login forms hand the typed
address through Django's ``UsernameField`` (NFKC-normalised) to ``get_by_natural_key``
(trimmed and lower-cased by ``normalise_email``), so ``Alice@Example.com``,
`` alice@example.com`` and a full-width spelling all open the same account. Axes must count
them as one, or every new spelling would get a fresh allowance of guesses
(``AXES_USERNAME_CALLABLE``). Axes stores the key in a 255-character column; no address
that long opens an account (e-mail addresses end at 254), so longer names are cut to fit
instead of failing the write on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from keepfaith.accounts.models import login_identity
from keepfaith.policy.trace import enforces

_AXES_USERNAME_MAX = 255  # axes.models.AccessBase.username


@enforces("QS-3")
def throttle_username(request: HttpRequest | None, credentials: Mapping[str, Any] | None) -> str:
    """``AXES_USERNAME_CALLABLE``: the normalised identity of a login attempt."""
    field = settings.AXES_USERNAME_FORM_FIELD
    typed: Any = (credentials or {}).get(field)
    if typed is None and request is not None:
        typed = getattr(request, "POST", {}).get(field)
    return login_identity(typed)[:_AXES_USERNAME_MAX] if isinstance(typed, str) else ""
