"""Card-number checks that need nothing but the digits (floor 1: the vault, the log scrubber
and the cookie guard all use them)."""

from __future__ import annotations

_DOUBLED = {str(d): (2 * d if d < 5 else 2 * d - 9) for d in range(10)}
_PLAIN = {str(d): d for d in range(10)}


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (ASCII digits only) ends in a valid Luhn check digit."""
    total = sum(map(_PLAIN.__getitem__, digits[-1::-2]))
    total += sum(map(_DOUBLED.__getitem__, digits[-2::-2]))
    return total % 10 == 0
