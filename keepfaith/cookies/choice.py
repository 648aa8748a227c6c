"""The visitor's cookie choice, kept in the browser only: no database row (BE-2).

The ``kf_consent`` cookie holds a format tag, the policy version the choice was made under
and the accepted purposes, nothing else: ``1~2024.1~personalize.content|analytics.x``.
A value that does not parse is no choice at all (the banner asks again); it never raises.
The campaign code from a landing URL is a short token, never free text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

FORMAT = "1"
_SEP = "~"
_PURPOSE_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
_VERSION_RE = re.compile(r"[A-Za-z0-9._-]{1,40}")
_CAMPAIGN_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
MAX_VALUE = 1024


@dataclass(frozen=True, slots=True)
class CookieChoice:
    """Which purposes the visitor accepted, under which policy version."""

    accepted: frozenset[str]
    policy_version: str


def choice_encode(choice: CookieChoice) -> str:
    """The cookie value of ``choice`` (only cookie-safe characters)."""
    if not _VERSION_RE.fullmatch(choice.policy_version):
        raise ValueError(f"policy version {choice.policy_version!r} cannot go into a cookie")
    bad = [p for p in choice.accepted if not _PURPOSE_RE.fullmatch(p)]
    if bad:
        raise ValueError(f"not a purpose key: {sorted(bad)!r}")
    return _SEP.join((FORMAT, choice.policy_version, "|".join(sorted(choice.accepted))))


def choice_parse(value: str | None) -> CookieChoice | None:
    """The choice in a ``kf_consent`` value, or None when there is none or it is malformed."""
    if not value or len(value) > MAX_VALUE:
        return None
    parts = value.split(_SEP)
    if len(parts) != 3 or parts[0] != FORMAT or not _VERSION_RE.fullmatch(parts[1]):
        return None
    accepted = frozenset(p for p in parts[2].split("|") if p)
    if not all(_PURPOSE_RE.fullmatch(p) for p in accepted):
        return None
    return CookieChoice(accepted, parts[1])


def campaign_code(values: Iterable[str | None]) -> str | None:
    """The first valid campaign code among ``values`` (``utm_campaign``, ``campaign``).

    A code is 1-32 characters of lower-case letters, digits, ``-`` and ``_`` with at least
    one letter (so it cannot carry a number such as a phone or card number); anything else
    is ignored, never stored.
    """
    for value in values:
        if value is None:
            continue
        code = value.strip().lower()
        if _CAMPAIGN_RE.fullmatch(code) and any(ch.isalpha() for ch in code):
            return code
    return None
