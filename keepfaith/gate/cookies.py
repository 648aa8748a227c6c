"""The cookie registry: what a policy lets the sites set, compiled from its rulebook.

Pure (floor 1): the composition root (``keepfaith.inforce``) compiles it once per version.

Rules it keeps:

- only a cookie the policy lists may be set (BE-4);
- a strictly necessary (``essential``) cookie is set without asking, every other one only
  after the visitor accepted its purpose (QS-7, BE-2);
- a Global Privacy Control signal refuses every purpose that tracks for marketing: any
  ``marketing.*`` or ``analytics.*`` use, and every third-party cookie's purpose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from keepfaith.gate.choices import InMemoryChoices
from keepfaith.gate.core import Gate
from keepfaith.policy.rulebook import CookieRule, Rulebook

GPC_REFUSED_ROOTS = ("marketing", "analytics")
_LIFETIME_RE = re.compile(r"^([1-9][0-9]{0,4})([hdwmy])$")
_UNIT_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400, "m": 30 * 86400, "y": 365 * 86400}


@dataclass(frozen=True, slots=True)
class Purpose:
    """A purpose the visitor can accept or refuse: a use that non-essential cookies serve."""

    key: str
    cookies: tuple[str, ...]
    refused_by_gpc: bool


@dataclass(frozen=True, slots=True)
class CookieRegistry:
    """The cookies of one policy version, as the banner, the middleware and the guard read them."""

    version: str
    digest: str
    cookies: Mapping[str, CookieRule]
    purposes: tuple[Purpose, ...]
    gate: Gate

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.cookies)

    @property
    def purpose_keys(self) -> frozenset[str]:
        """Every purpose the visitor can choose: the uses of the non-essential cookies."""
        return frozenset(p.key for p in self.purposes)

    @property
    def gpc_refused(self) -> frozenset[str]:
        """The purposes a ``Sec-GPC: 1`` signal refuses whatever the visitor's choice says."""
        return frozenset(p.key for p in self.purposes if p.refused_by_gpc)

    def rule(self, name: str) -> CookieRule | None:
        return self.cookies.get(name)

    def allowed(self, name: str, accepted: frozenset[str]) -> bool:
        """May ``name`` be set, given the accepted purposes? The gate decides: unlisted names
        never, strictly necessary ones always, others once their purpose is accepted."""
        return self.gate.cookie_allowed(name, accepted)


def _tracks_for_marketing(use: str, rules: list[CookieRule]) -> bool:
    root = use.split(".", 1)[0]
    return root in GPC_REFUSED_ROOTS or any(rule.party == "third" for rule in rules)


def compile_registry(rulebook: Rulebook) -> CookieRegistry:
    """The registry of ``rulebook``'s policy: its cookies and the purposes a visitor chooses."""
    by_purpose: dict[str, list[CookieRule]] = {}
    for rule in rulebook.cookies.values():
        if not rule.essential:
            by_purpose.setdefault(rule.purpose, []).append(rule)
    purposes = tuple(
        Purpose(key, tuple(r.name for r in rules), _tracks_for_marketing(key, rules))
        for key, rules in by_purpose.items()
    )
    return CookieRegistry(
        version=rulebook.version,
        digest=rulebook.digest,
        cookies=MappingProxyType(dict(rulebook.cookies)),
        purposes=purposes,
        # Cookie decisions are about a browser, not a subject: no recorded choices are read.
        gate=Gate(rulebook, InMemoryChoices()),
    )


def lifetime_seconds(lifetime: str) -> int | None:
    """A registry lifetime in seconds; None for ``session`` (the cookie ends with the browser)."""
    match = _LIFETIME_RE.match(lifetime)
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
