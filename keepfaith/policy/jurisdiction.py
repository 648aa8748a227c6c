"""What the law of the controller's country adds to a policy: rules other parts can read.

``jurisdiction_rules(country=...)`` returns the rules forms, cookies and mail read later
(e.g. whether an opt-out box may be shown pre-ticked). The table is deliberately small and
conservative: an unknown country gets the strictest rules.
"""

from __future__ import annotations

from dataclasses import dataclass

EU_EEA = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT"}
    | {"LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}
)


@dataclass(frozen=True, slots=True)
class JurisdictionRules:
    """Rules of one jurisdiction that the policy checks and the forms apply.

    - ``preticked_optout_allowed``: an opt-out box may be shown already ticked
      (EU/EEA: no; consent needs an active choice).
    - ``cookie_consent_required``: non-essential cookies need prior consent.
    - ``marketing_email_soft_opt_in_customers_only``: marketing e-mail on an opt-out basis
      may reach existing customers only; anyone else must opt in.
    - ``partner_email_requires_opt_in``: e-mail promoting partners' offers needs prior
      consent (EU ePrivacy art. 13: the soft opt-in covers only the controller's own
      products; Denmark: Marketing Practices Act, section 10).
    """

    country: str
    eu: bool
    preticked_optout_allowed: bool
    cookie_consent_required: bool
    marketing_email_soft_opt_in_customers_only: bool
    partner_email_requires_opt_in: bool


_US = JurisdictionRules(
    country="US",
    eu=False,
    preticked_optout_allowed=True,
    cookie_consent_required=False,
    marketing_email_soft_opt_in_customers_only=False,
    partner_email_requires_opt_in=False,
)


def jurisdiction_rules(*, country: str) -> JurisdictionRules:
    """The rules for ISO country ``country``; strict (EU-like) when the country is unknown."""
    if country == "US":
        return _US
    eu = country in EU_EEA
    return JurisdictionRules(
        country=country,
        eu=eu,
        preticked_optout_allowed=False,
        cookie_consent_required=True,
        marketing_email_soft_opt_in_customers_only=True,
        partner_email_requires_opt_in=True,
    )


def answer_required(choice: str, *, country: str) -> bool:
    """Whether a use of policy choice ``choice`` (none, opt-out, opt-in) reaches a subject only
    once they answered yes, under the law of ``country``: an opt-out use where its box may not
    start ticked (the EU). The forms ask with an empty box there, so a subject never asked
    (imported, or a customer since before the use existed) has not had the choice the
    statement promises, and is left out until they answer."""
    return choice == "opt-out" and not jurisdiction_rules(country=country).preticked_optout_allowed


def choice_as_asked(choice: str, *, country: str) -> str:
    """The phrase key for how a choice is put to people under ``country``'s law: an opt-out
    use that needs an answer is ``opt-out-asked`` ("asked when you give us your details")."""
    return "opt-out-asked" if answer_required(choice, country=country) else choice
