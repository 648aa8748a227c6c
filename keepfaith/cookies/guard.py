"""The check every ``Set-Cookie`` passes before it leaves (BE-4, QS-7).

A cookie is blocked when:

- its name is not in the cookie registry of the policy in force;
- it is not strictly necessary and the visitor has not accepted its purpose;
- its value holds personal data: an e-mail address, a digit run that passes the Luhn check
  like a card number, or the signed-in person's customer number, e-mail address or name;
- it would outlive what the registry (and so the statement) says: a ``session`` cookie with
  an expiry, or one kept longer than its declared lifetime.

Deleting a cookie (an empty value) is never blocked: it carries nothing. The guard reports
names and reasons, never values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from keepfaith.cardcheck import luhn_valid
from keepfaith.gate.cookies import CookieRegistry, lifetime_seconds

# An e-mail-like run. Linear time: the local part starts only where a run of its characters
# starts (the lookbehind) and is taken whole (possessive), so no start inside a long run is
# tried again (``[^@]+@`` alone is quadratic on a long value without "@").
_EMAIL_RE = re.compile(r"(?<![^\s@\"';,<>])[^\s@\"';,<>]++@[^\s@\"';,<>]+\.[A-Za-z]{2,}")
# 13 to 19 digits, optionally grouped by spaces, dots or dashes as people write card numbers.
_CARD_RE = re.compile(r"(?<![0-9])[0-9](?:[ .\-]?[0-9]){12,18}(?![0-9])")
_CARD_SEPARATORS = str.maketrans("", "", " .-")
MIN_NAME_PART = 5


@dataclass(frozen=True, slots=True)
class CookieViolation:
    """Why one cookie was blocked: its name and the rule it broke (never its value)."""

    name: str
    reason: str


def _card_like(value: str) -> bool:
    return any(luhn_valid(m.group(0).translate(_CARD_SEPARATORS)) for m in _CARD_RE.finditer(value))


def personal_markers(*, customer_number: str, email: str, full_name: str) -> tuple[str, ...]:
    """What identifies the signed-in person in a cookie value (lower-cased).

    The customer number, the e-mail address, the full name and each part of the name long
    enough not to turn up by chance inside a random token.
    """
    parts = [customer_number, email, full_name, *full_name.split()]
    markers = {p.strip().lower() for p in parts if p.strip()}
    short = {p.lower() for p in full_name.split() if len(p) < MIN_NAME_PART}
    return tuple(sorted(markers - short))


def value_reason(value: str, markers: Iterable[str] = ()) -> str | None:
    """Why ``value`` may not be a cookie value, or None when it holds no personal data."""
    texts = {value, unquote_plus(value)}
    for text in texts:
        if _EMAIL_RE.search(text):
            return "its value holds an e-mail address"
        if _card_like(text):
            return "its value holds a card-number-like digit run"
        lowered = text.lower()
        for marker in markers:
            if marker and marker in lowered:
                return "its value holds the signed-in person's customer number, e-mail or name"
    return None


def lifetime_reason(declared: str, max_age: int | None) -> str | None:
    """Why a cookie kept ``max_age`` seconds (None: until the browser closes) outlives its
    declared lifetime, or None."""
    limit = lifetime_seconds(declared)
    if limit is None and max_age is not None:
        return f"it is kept {max_age} s, but the registry says it ends with the browser session"
    if limit is not None and max_age is not None and max_age > limit:
        return f"it is kept {max_age} s, longer than its declared lifetime {declared}"
    return None


def cookie_violations(
    *,
    cookies: Mapping[str, str],
    registry: CookieRegistry,
    accepted: frozenset[str],
    markers: Iterable[str] = (),
    max_ages: Mapping[str, int | None] | None = None,
) -> list[CookieViolation]:
    """The cookies of a response (name -> value; empty value = deletion) that must not leave.
    ``max_ages``: how long each is kept, in seconds (None: until the browser closes)."""
    found: list[CookieViolation] = []
    marks = tuple(markers)
    ages = max_ages or {}
    for name, value in cookies.items():
        if value == "":
            continue
        rule = registry.rule(name)
        if rule is None:
            found.append(CookieViolation(name, "its name is not in the cookie registry"))
        elif not registry.allowed(name, accepted):
            found.append(
                CookieViolation(name, f"set without consent to its purpose {rule.purpose}")
            )
        else:
            reason = value_reason(value, marks) or lifetime_reason(rule.lifetime, ages.get(name))
            if reason is not None:
                found.append(CookieViolation(name, reason))
    return found
