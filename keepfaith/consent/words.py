"""The customer's words for the consent ledger's keys: a use's name from the policy, the go-ahead
for an outside party by its name, a form by its name, a status or a channel in plain language.
Never the key itself (no ``marketing.communications.email``, no ``form:support-ticket``)."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from keepfaith.gate.choices import RESTRICTION_KEY
from keepfaith.policy import Policy
from keepfaith.policy.schema import text_in

GO_AHEAD_PREFIX = "outside_party:"
RIGHTS_PREFIX = "rights:"
FORM_PREFIX = "form:"


def _lang() -> str:
    return (get_language() or "en")[:2]


def _text(policy: Policy, text: dict[str, str]) -> str:
    return (
        text.get(_lang()) or text.get(policy.controller.languages[0]) or next(iter(text.values()))
    )


def _readable(ident: str) -> str:
    return ident.rsplit(".", 1)[-1].replace("_", " ").replace("-", " ").capitalize()


def _form_name(policy: Policy, point_id: str) -> str:
    point = policy.collection_point_by_id(point_id)
    return _text(policy, point.name) if point is not None else _readable(point_id)


def choice_name(policy: Policy, key: str) -> str:
    """What a choice is about: a use, the go-ahead for an outside party, or a restriction of
    processing the customer asked for."""
    if key == RESTRICTION_KEY:
        return _("Restriction of the use of your data (at your request)")
    if key.startswith(GO_AHEAD_PREFIX):
        party_key = key.removeprefix(GO_AHEAD_PREFIX)
        party = next((p for p in policy.recipients.outside_parties if p.key == party_key), None)
        name = text_in(party.name, _lang()) if party is not None else _readable(party_key)
        return _("Sending your details to %(party)s") % {"party": name}
    use = policy.use_by_key(key)
    return _text(policy, use.name) if use is not None else _readable(key)


def status_word(status: str, key: str = "") -> str:
    """Where a choice stands; a restriction the customer asked for is in force or ended, not
    a "no" to something (the ledger keeps it as opted-out and withdrawn)."""
    if key == RESTRICTION_KEY:
        return {"opted-out": _("In force"), "withdrawn": _("Ended")}.get(str(status), "")
    return {
        "given": _("Yes"),
        "opted-in": _("Yes"),
        "withdrawn": _("Withdrawn"),
        "opted-out": _("No"),
        "not-asked": _("Not asked yet"),
        "notice-acknowledged": _("Informed"),
    }.get(str(status), _readable(str(status)))


def event_word(event: str, key: str = "") -> str:
    """What happened, in a consent event (to a restriction: it started or ended)."""
    if key == RESTRICTION_KEY:
        return {"opted-out": _("Started"), "withdrawn": _("Ended")}.get(str(event), "")
    return {
        "given": _("Agreed"),
        "opted-in": _("Agreed"),
        "withdrawn": _("Withdrew consent"),
        "opted-out": _("Declined"),
        "notice-acknowledged": _("Was informed"),
    }.get(str(event), _readable(str(event)))


def source_word(policy: Policy, source: str) -> str:
    """Where a choice was made."""
    if source.startswith(RIGHTS_PREFIX):
        return _("By your request %(reference)s") % {
            "reference": source.removeprefix(RIGHTS_PREFIX)
        }
    if source.startswith(FORM_PREFIX):
        return _("On the form “%(form)s”") % {
            "form": _form_name(policy, source.removeprefix(FORM_PREFIX))
        }
    return {
        "web": _("On our website"),
        "portal": _("In your account"),
        "email": _("By e-mail"),
        "one-click": _("With the unsubscribe link in an e-mail"),
        "gpc": _("Your browser's Global Privacy Control signal"),
        "staff": _("By our staff, at your request"),
        "checkout": _("At checkout"),
        "signup": _("When you signed up"),
    }.get(source, _readable(source))
