"""The shop's errors. Every message is safe to show to the customer as it stands."""

from __future__ import annotations


class ShopError(ValueError):
    """A request the shop refuses (unknown product, bad option, bad quantity, ...).

    Said as a sentence: a message built around a lower-case word ("the quantity must be
    a whole number", "antallet ...") starts with a capital letter and ends with a stop.
    """

    def __str__(self) -> str:
        text = super().__str__().strip()
        if not text:
            return text
        text = text[0].upper() + text[1:]
        return text if text.endswith((".", "!", "?")) else text + "."


class CheckoutError(ShopError):
    """A checkout that cannot go on; nothing was stored and nothing was charged twice."""
