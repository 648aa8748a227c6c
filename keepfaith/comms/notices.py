"""Telling every customer that the privacy statement changed (BE-11): a service e-mail in
their language, through the outbox.

Each customer gets one message per version: the outbox row's key is
``policy-change:<version>:<customer>``, so queueing again (a crash half-way, a second run of
``keepfaith policy notify``) adds only the rows still missing, and the worker sends each once.
Every message asks the gate for the policy's transactional mail use first (audited per
customer). The text names what changed, from the published diff, and links to the update page.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence

from django.db import transaction
from django.urls import translate_url

from keepfaith.audit.services import Actor, audit_append
from keepfaith.comms.emails import RenderedMail, render_mail
from keepfaith.comms.models import OutboxMessage
from keepfaith.comms.selectors import established_customers
from keepfaith.comms.services import delivery_kick
from keepfaith.gate import Gate
from keepfaith.policy.trace import enforces

__all__ = ["policy_change_notify"]

KIND = "transactional"
_BATCH = 500


def _people(languages: Sequence[str]) -> Iterator[tuple[str, str, str]]:
    """(customer number, address, language) of every customer, their language when the
    policy offers it, else its first."""
    rows = (
        established_customers().order_by("pk").values_list("customer_number", "email", "language")
    )
    for number, email, language in rows.iterator(chunk_size=2000):
        yield number or "", email, language if language in languages else languages[0]


@enforces("BE-11", features=("changes.notify.email",))
def policy_change_notify(
    *,
    label: str,
    changes: Mapping[str, Sequence[str]],
    update_url: str,
    controller: str,
    gate: Gate,
    actor: Actor,
) -> int:
    """Queue the notice of version ``label`` for every customer the gate allows; returns the
    rows added (0 when every customer has theirs already). ``changes``: the diff's lines per
    language of the policy."""
    languages = list(changes)
    mails: dict[str, RenderedMail] = {
        lang: render_mail(
            name="policy_change",
            language=lang,
            context={
                "label": label,
                "changes": changes[lang],
                "url": translate_url(update_url, lang),  # the page in the reader's language
                "controller": controller,
            },
        )
        for lang in languages
    }
    use = gate.mail_kind(KIND).use
    added = 0
    people = _people(languages)
    while chunk := list(itertools.islice(people, _BATCH)):
        keys = {f"policy-change:{label}:{number}": (number, address, lang)
                for number, address, lang in chunk}  # fmt: skip
        done = set(
            OutboxMessage.objects.filter(idempotency_key__in=keys).values_list(
                "idempotency_key", flat=True
            )
        )
        batch = [
            _row(key, number, address, mails[lang], lang)
            for key, (number, address, lang) in keys.items()
            if key not in done
            and gate.check(
                use=use, categories=("user.contact.email",), subject=number, purpose_context=key
            )
        ]
        OutboxMessage.objects.bulk_create(batch, ignore_conflicts=True)
        added += len(batch)
    audit_append(
        actor=actor,
        action="comms.policy_change.queue",
        outcome="queued",
        categories=("user.contact.email",),
        use=use,
        clauses=("BE-11",),
        detail={"version": label, "added": added},
    )
    transaction.on_commit(delivery_kick)
    return added


def _row(key: str, number: str, address: str, mail: RenderedMail, lang: str) -> OutboxMessage:
    return OutboxMessage(
        idempotency_key=key,
        kind=KIND,
        recipient=number,
        to_address=address,
        language=lang,
        subject=mail.subject,
        text_body=mail.text,
        html_body=mail.html,
    )
