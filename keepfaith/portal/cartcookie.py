"""The cart lives in its own strictly necessary cookie, ``cart`` (QS-7), not in the session.

The cookie holds the cart's lines exactly as ``keepfaith.store.cart`` keeps them (ids,
options, term, quantity: never a price, never personal data), signed so the browser cannot
alter them, and it lasts for the browser session. An anonymous visitor who fills a cart
therefore leaves no row in the database; the server prices the lines again on every view.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from keepfaith.policy.trace import enforces
from keepfaith.store.cart import CART_KEY

CART_COOKIE = "cart"
_SALT = "keepfaith.portal.cart"


class CartCookie(dict[str, Any]):
    """The mapping the cart functions work on; ``write`` puts a change into the response."""

    changed = False

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.changed = True

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.changed = True

    @classmethod
    def read(cls, request: HttpRequest) -> CartCookie:
        """The visitor's cart; an absent, altered or malformed cookie is an empty cart."""
        cart = cls()
        raw = request.COOKIES.get(CART_COOKIE)
        if raw:
            try:
                lines = signing.loads(raw, salt=_SALT)
            except signing.BadSignature:
                lines = None
            if isinstance(lines, list):
                dict.__setitem__(cart, CART_KEY, lines)
        return cart

    @enforces("QS-7")
    def write(self, response: HttpResponse) -> HttpResponse:
        """Set (or delete, when empty) the cookie if the cart changed during this request."""
        if not self.changed:
            return response
        lines = self.get(CART_KEY) or []
        if lines:
            response.set_cookie(
                CART_COOKIE,
                signing.dumps(lines, salt=_SALT, compress=True),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        else:
            response.delete_cookie(CART_COOKIE, samesite="Lax")
        return response
