"""The vault's errors. No message ever contains a card number or a security code."""

from __future__ import annotations


class VaultError(Exception):
    """A sealed value cannot be opened, parsed or re-wrapped; or the key ring refuses."""


class KeyRingError(VaultError):
    """The key ring is missing, unsafe (permissions) or does not hold the asked version."""


class CardError(ValueError):
    """A card number, expiry or security code is not acceptable. Safe to show to the payer.

    ``code`` (and ``params``) name the problem for a page that says it in the payer's
    language (``keepfaith.portal.checkout_forms``); the message is the English text."""

    def __init__(self, message: str, *, code: str = "invalid", **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params
