"""Helpers for consent tests: the example policy, a newer version of it, a fresh gate."""

from __future__ import annotations

from pathlib import Path

from keepfaith.audit.services import Actor
from keepfaith.gate import Gate
from keepfaith.inforce import in_force

BE_PATH = Path(__file__).resolve().parents[2] / "examples" / "qualityssl" / "policy.yaml"
BE_TEXT = BE_PATH.read_text(encoding="utf-8")
PARTNER = "marketing.communications.email.partner_promotions"
NEWSLETTER = "marketing.communications.email.newsletter"
ADS = "marketing.advertising.first_party.contextual"
NEW_USE = f"""  - key: {ADS}
    name: {{en: Ads on our site, da: Annoncer på vores websted}}
    description: {{en: To show our own offers., da: For at vise vores egne tilbud.}}
    legal_basis: consent
    choice: opt-in
    audience: [customers]
    retention: 1y
    categories: [user.contact.email]
    portal_preference: true

recipients:
"""


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"anchor must occur once: {old!r}"
    return text.replace(old, new)


def newer_policy_text() -> str:
    """Version 2025.1: a new opt-in use (ads) and partner promotions taking the name too."""
    text = _replace_once(BE_TEXT, 'version: "2024.1"', 'version: "2025.1"')
    text = _replace_once(text, "\nrecipients:\n", "\n" + NEW_USE)
    partner_block = (
        "    categories: [user.contact.email]\n    portal_preference: true\n"
        "    opt_out_by_email: true\n    clauses: [BE-9]\n"
    )
    return _replace_once(
        text,
        partner_block,
        partner_block.replace("[user.contact.email]", "[user.contact.email, user.name]"),
    )


def gate() -> Gate:
    """A fresh gate over the policy in force, reading the ledger (as each request gets)."""
    return in_force().gate(actor=Actor.system("test"))


def allowed(subject: str, use: str, categories: tuple[str, ...] = ("user.contact.email",)) -> bool:
    return gate().check(use=use, categories=categories, subject=subject).allowed
