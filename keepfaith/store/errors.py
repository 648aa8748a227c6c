"""The shop's errors. Every message is safe to show to the customer as it stands."""

from __future__ import annotations


class ShopError(ValueError):
    """A request the shop refuses (unknown product, bad option, bad quantity, ...)."""


class CheckoutError(ShopError):
    """A checkout that cannot go on; nothing was stored and nothing was charged twice."""
