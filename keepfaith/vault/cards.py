"""Card values: the number, its expiry and its security code, validated, never shown in full.

Rules kept here:

- A card number is digits only once spaces and dashes are removed; it must have a recognised
  brand, a length that brand issues, and a valid Luhn check digit.
- ``CardNumber`` never shows the full number: ``repr``, ``str``, f-strings and error messages
  give the masked form (brand and last four, PCI DSS 3.4.1); it cannot be pickled, copied into
  a session or serialised. Only :meth:`CardNumber.reveal_for_processor` returns the digits.
- ``SecurityCode`` is held in memory only to pass to the processor (PCI DSS 3.3.1): it never
  shows its value and cannot be pickled or serialised, so it cannot reach a database, session,
  log, error page or e-mail by accident.
- A card is valid through the last day of its expiry month.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, NoReturn

from keepfaith.cardcheck import luhn_valid
from keepfaith.policy.trace import enforces
from keepfaith.vault.errors import CardError

MASK = "••••"


class CardBrand(StrEnum):
    """Card brands the vault recognises; the value is stored, the label is shown."""

    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    JCB = "jcb"
    DINERS = "diners"
    MAESTRO = "maestro"
    DANKORT = "dankort"
    VISA_DANKORT = "visa-dankort"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def security_code_length(self) -> int:
        return 4 if self is CardBrand.AMEX else 3


_LABELS = {
    CardBrand.VISA: "Visa",
    CardBrand.MASTERCARD: "Mastercard",
    CardBrand.AMEX: "American Express",
    CardBrand.DISCOVER: "Discover",
    CardBrand.JCB: "JCB",
    CardBrand.DINERS: "Diners Club",
    CardBrand.MAESTRO: "Maestro",
    CardBrand.DANKORT: "Dankort",
    CardBrand.VISA_DANKORT: "Visa/Dankort",
}


@dataclass(frozen=True)
class _BrandRule:
    brand: CardBrand
    prefixes: tuple[tuple[int, int], ...]  # inclusive ranges of leading digits, same width
    lengths: frozenset[int]


def _r(lo: int, hi: int | None = None) -> tuple[int, int]:
    return (lo, lo if hi is None else hi)


# Issuer identification ranges. The longest matching prefix wins, so Dankort (5019) beats
# Maestro (50) and Visa/Dankort (4571) beats Visa (4).
_RULES = (
    _BrandRule(CardBrand.VISA, (_r(4),), frozenset({13, 16, 19})),
    _BrandRule(CardBrand.VISA_DANKORT, (_r(4571),), frozenset({16})),
    _BrandRule(CardBrand.MASTERCARD, (_r(51, 55), _r(2221, 2720)), frozenset({16})),
    _BrandRule(CardBrand.AMEX, (_r(34), _r(37)), frozenset({15})),
    _BrandRule(
        CardBrand.DISCOVER,
        (_r(6011), _r(644, 649), _r(65), _r(622126, 622925)),
        frozenset(range(16, 20)),
    ),
    _BrandRule(CardBrand.JCB, (_r(3528, 3589),), frozenset(range(16, 20))),
    _BrandRule(
        CardBrand.DINERS, (_r(300, 305), _r(3095), _r(36), _r(38, 39)), frozenset(range(14, 20))
    ),
    _BrandRule(CardBrand.DANKORT, (_r(5019),), frozenset({16})),
    _BrandRule(
        CardBrand.MAESTRO,
        (_r(50), _r(56, 58), _r(6), _r(6304), _r(6759), _r(6761, 6763)),
        frozenset(range(12, 20)),
    ),
)
_MAX_INPUT = 40  # a card number with separators is never longer; longer input is refused


# Every issuer prefix spelled out (a few thousand entries), so finding the brand is at most
# one dictionary lookup per prefix width, widest first: the longest match wins.
_PREFIX_BRAND = {
    str(prefix): rule.brand
    for rule in _RULES
    for lo, hi in rule.prefixes
    for prefix in range(lo, hi + 1)
}
_WIDTHS = sorted({len(prefix) for prefix in _PREFIX_BRAND}, reverse=True)
_LENGTHS = {rule.brand: rule.lengths for rule in _RULES}


def brand_of(digits: str) -> CardBrand | None:
    """The brand whose issuer range has the longest prefix matching ``digits``, if any."""
    for width in _WIDTHS:
        brand = _PREFIX_BRAND.get(digits[:width])
        if brand is not None:
            return brand
    return None


def _lengths_text(lengths: frozenset[int]) -> str:
    ordered = sorted(lengths)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{ordered[0]} to {ordered[-1]}"
    return (
        ", ".join(map(str, ordered[:-1])) + (" or " if len(ordered) > 1 else "") + str(ordered[-1])
    )


def _no_serialising(kind: str) -> NoReturn:
    raise TypeError(f"a {kind} cannot be pickled, copied or serialised; it lives in memory only")


class CardNumber:
    """A validated card number. Shows only brand and last four; see the module docstring."""

    __slots__ = ("_digits", "brand", "last4")
    _digits: str
    brand: CardBrand
    last4: str

    def __init__(self, raw: str) -> None:
        if not isinstance(raw, str):
            raise CardError("the card number must be text")
        if len(raw) > _MAX_INPUT:
            raise CardError("the card number is too long", code="number_long")
        digits = raw.strip().replace(" ", "").replace("-", "")
        if not digits:
            raise CardError("enter the card number", code="number_missing")
        if not (digits.isascii() and digits.isdigit()):
            raise CardError(
                "the card number may contain only digits, spaces and dashes", code="number_chars"
            )
        if not 12 <= len(digits) <= 19:
            raise CardError("a card number has 12 to 19 digits", code="number_length")
        brand = brand_of(digits)
        if brand is None:
            raise CardError("this card brand is not accepted", code="brand")
        lengths = _LENGTHS[brand]
        if len(digits) not in lengths:
            raise CardError(
                f"a {brand.label} card number has {_lengths_text(lengths)} digits",
                code="brand_length",
                brand=brand.label,
                lengths=sorted(lengths),
            )
        if not luhn_valid(digits):
            raise CardError("the card number is not valid; check for a typing error", code="luhn")
        self._set(digits, brand)

    @classmethod
    def _trusted(cls, digits: str, brand: CardBrand) -> CardNumber:
        """Rebuild a number the vault validated before it sealed it (skips the checks)."""
        card = object.__new__(cls)
        card._set(digits, brand)
        return card

    def _set(self, digits: str, brand: CardBrand) -> None:
        object.__setattr__(self, "_digits", digits)
        object.__setattr__(self, "brand", brand)
        object.__setattr__(self, "last4", digits[-4:])

    def reveal_for_processor(self) -> str:
        """The full digits: only for the payment processor adapter, never for display."""
        return self._digits

    def masked(self) -> str:
        return masked(brand=self.brand, last4=self.last4)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("a CardNumber cannot be changed")

    def __repr__(self) -> str:
        return f"<CardNumber {self.masked()}>"

    def __str__(self) -> str:
        return self.masked()

    def __format__(self, spec: str) -> str:
        return format(self.masked(), spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CardNumber):
            return NotImplemented
        return hmac.compare_digest(self._digits, other._digits)

    def __hash__(self) -> int:
        return hash(("CardNumber", self._digits))

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        _no_serialising("card number")

    def __getstate__(self) -> NoReturn:
        _no_serialising("card number")

    def __copy__(self) -> CardNumber:
        return self

    def __deepcopy__(self, memo: Any) -> CardNumber:
        return self


def masked(*, brand: CardBrand | str, last4: str) -> str:
    """The only way a card is shown: brand label and last four, e.g. ``Visa •••• 4242``."""
    label = CardBrand(brand).label if brand in CardBrand._value2member_map_ else str(brand)
    if len(last4) != 4 or not (last4.isascii() and last4.isdigit()):
        raise CardError("a masked card shows exactly four digits")
    return f"{label} {MASK} {last4}"


@dataclass(frozen=True)
class CardExpiry:
    """An expiry month; the card is valid through the last day of that month."""

    month: int
    year: int

    def expired(self, *, today: date) -> bool:
        return (today.year, today.month) > (self.year, self.month)

    def __str__(self) -> str:
        return f"{self.month:02d}/{self.year % 100:02d}"


def _today() -> date:
    """Seam for tests: today's date in UTC."""
    return datetime.now(UTC).date()


def _whole_number(value: int | str, what: str) -> int:
    if isinstance(value, bool):
        raise CardError(f"the expiry {what} must be a number", code="expiry_number")
    if isinstance(value, int):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        raise CardError(f"the expiry {what} must be a number", code="expiry_number")
    return int(text)


def validate_expiry(
    month: int | str, year: int | str, *, today: date | None = None, max_years: int = 20
) -> CardExpiry:
    """Check an expiry month/year (two- or four-digit year); refuse past or implausible ones."""
    today = today or _today()
    month_n = _whole_number(month, "month")
    year_n = _whole_number(year, "year")
    if not 1 <= month_n <= 12:
        raise CardError("the expiry month must be between 1 and 12", code="expiry_month")
    if year_n < 100:
        year_n += 2000
    expiry = CardExpiry(month=month_n, year=year_n)
    if expiry.expired(today=today):
        raise CardError("the card has expired", code="expired")
    if year_n > today.year + max_years:
        raise CardError(
            f"the expiry year is more than {max_years} years ahead",
            code="expiry_far",
            years=max_years,
        )
    return expiry


@enforces("QS-5", features=("security.vault.no_security_code",))
class SecurityCode:
    """A card security code (CVC/CVV/CID): in memory only, never shown, never serialised."""

    __slots__ = ("_digits",)
    _digits: str

    def __init__(self, digits: str) -> None:
        object.__setattr__(self, "_digits", digits)

    def reveal_for_processor(self) -> str:
        return self._digits

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("a SecurityCode cannot be changed")

    def __repr__(self) -> str:
        return "<SecurityCode ***>"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return format("***", spec)

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        _no_serialising("security code")

    def __getstate__(self) -> NoReturn:
        _no_serialising("security code")

    def __copy__(self) -> NoReturn:
        _no_serialising("security code")

    def __deepcopy__(self, memo: Any) -> NoReturn:
        _no_serialising("security code")


def validate_security_code(code: str, brand: CardBrand) -> SecurityCode:
    """Check a security code: 4 digits for American Express, 3 for every other brand."""
    if not isinstance(code, str):
        raise CardError("the security code must be text")
    digits = code.strip()
    want = brand.security_code_length
    if len(digits) != want or not (digits.isascii() and digits.isdigit()):
        raise CardError(
            f"the {brand.label} security code has {want} digits",
            code="security_code",
            brand=brand.label,
            digits=want,
        )
    return SecurityCode(digits)
