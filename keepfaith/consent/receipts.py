"""Consent receipts: what a person agreed to or declined, in the spirit of the Kantara
Initiative Consent Receipt (v1.1 field names), plus the ledger entry that proves it.

The receipt describes the event under the policy version the person was shown (the caller
passes that policy: ``keepfaith.inforce.policy_of(event.policy_version)``, or the policy in
force when the event names none) and carries the entry's sequence number and
hash, so the customer can later show that the ledger holds exactly this event.
"""

from __future__ import annotations

import uuid
from typing import Any

from keepfaith.consent.models import EVENT_STATUS, ConsentEvent
from keepfaith.gate.choices import OUTSIDE_PARTY_PREFIX
from keepfaith.policy import Policy
from keepfaith.policy.jurisdiction import answer_required
from keepfaith.policy.schema import Use, text_in

RECEIPT_VERSION = "KI-CR-v1.1.0"
_RECEIPT_NAMESPACE = uuid.UUID("0b1c6c0e-6a1f-4b53-9d86-5a0c3b5e7f21")


def _text(value: dict[str, str] | None, lang: str) -> str:
    if not value:
        return ""
    return value.get(lang) or value.get("en") or next(iter(value.values()))


def _site_url(policy: Policy) -> str:
    wanted = policy.portal.property if policy.portal is not None else None
    for prop in policy.properties:
        if wanted in (None, prop.key):
            return prop.base_url.rstrip("/")
    return ""


def _service(policy: Policy, key: str, lang: str) -> dict[str, Any]:
    """The Kantara ``services`` entry for a use key or an outside-party go-ahead."""
    if key.startswith(OUTSIDE_PARTY_PREFIX):
        party_key = key.removeprefix(OUTSIDE_PARTY_PREFIX)
        party = next((p for p in policy.recipients.outside_parties if p.key == party_key), None)
        if party is None:
            return {"service": key, "purposes": []}
        purpose = {
            "purpose": _text(party.notice, lang),
            "purposeCategory": list(party.uses),
            "consentType": "EXPLICIT",
            "piiCategory": list(party.categories),
            "primaryPurpose": True,
            "termination": "",
            "thirdPartyDisclosure": True,
            "thirdPartyName": text_in(party.name, lang),
        }
        return {"service": text_in(party.name, lang), "purposes": [purpose]}
    use = policy.use_by_key(key)
    if use is None:
        return {"service": key, "purposes": []}
    purpose = {
        "purpose": _text(use.description, lang),
        "purposeCategory": [use.key],
        # a box ticked where it may not start ticked (the EU) is an explicit yes too
        "consentType": "EXPLICIT" if use.choice == "opt-in" or _asked(policy, use) else "IMPLICIT",
        "piiCategory": list(use.categories),
        "primaryPurpose": use.choice == "none",
        "termination": use.retention,
        "thirdPartyDisclosure": False,
    }
    return {"service": _text(use.name, lang), "purposes": [purpose]}


def _asked(policy: Policy, use: Use) -> bool:
    return answer_required(use.choice, country=policy.controller.jurisdiction)


def consent_receipt_id(event: ConsentEvent) -> str:
    """A stable receipt id: a UUID derived from the ledger entry's hash."""
    return str(uuid.uuid5(_RECEIPT_NAMESPACE, event.entry_hash))


def consent_receipt(*, event: ConsentEvent, policy: Policy, lang: str = "en") -> dict[str, Any]:
    """The receipt of one ledger event under ``policy`` (the version it names), as data."""
    controller = policy.controller
    address = controller.postal_address
    site = _site_url(policy)
    version = event.policy_version
    status = EVENT_STATUS[event.event]
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": controller.jurisdiction,
        "consentTimestamp": int(event.at.timestamp()),
        "collectionMethod": event.source,
        "consentReceiptID": consent_receipt_id(event),
        "language": lang,
        "piiPrincipalId": event.subject,
        "piiControllers": [
            {
                "piiController": controller.legal_name,
                "onBehalf": False,
                "contact": controller.privacy_email,
                "email": controller.privacy_email,
                "address": None if address is None else address.model_dump(mode="json"),
                "piiControllerUrl": site,
            }
        ],
        "policyUrl": f"{site}/privacy/" if site else "/privacy/",
        "services": [_service(policy, event.key, lang)],
        "sensitive": False,
        "spiCat": [],
        "keepfaith": {
            "event": event.event,
            "key": event.key,
            "state": None if status is None else status.value,
            "at": event.at.isoformat(timespec="microseconds"),
            "source": event.source,
            "recordedBy": {"kind": event.actor_kind, "ref": event.actor},
            "policyVersion": None
            if version is None
            else {"label": version.label, "contentHash": version.content_hash},
            "evidence": event.evidence,
            "ledger": {
                "chain": ConsentEvent.CHAIN,
                # no sequence number: it would tell how many choices all customers made
                "entryHash": event.entry_hash,
                "prevHash": event.prev_hash,
                "keyId": event.key_id,
            },
        },
    }
