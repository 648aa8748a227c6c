"""Publishing a policy version: validated, stored once per content, diffed, audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.db import transaction

from keepfaith.audit.services import Actor, audit_append, chain_append
from keepfaith.policy import load_policy_text
from keepfaith.policy.diff import diff_to_dict, policy_diff
from keepfaith.policy.render import policy_content_hash
from keepfaith.policy.trace import enforces
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.selectors import active_version_forget


@enforces("BE-11")
def policy_publish(*, source: str, source_name: str = "<policy>") -> tuple[PolicyVersion, bool]:
    """Publish the policy text ``source``; the same content twice publishes nothing.

    Raises ``PolicyError`` (with every located problem) when the text is not a valid policy.
    Returns the version and whether it is new.
    """
    policy = load_policy_text(source, file=source_name)
    content_hash = policy_content_hash(policy)
    with transaction.atomic():
        existing = PolicyVersion.objects.filter(content_hash=content_hash).first()
        if existing is not None:
            return existing, False
        previous = PolicyVersion.objects.order_by("-seq").first()
        changes: dict[str, object] = {}
        reconsent: list[str] = []
        if previous is not None:
            older = load_policy_text(previous.source, file=f"version {previous.label}", stored=True)
            diff = policy_diff(older, policy)
            changes, reconsent = diff_to_dict(diff), list(diff.requires_reconsent)
        version = chain_append(
            PolicyVersion,
            label=policy.version,
            content_hash=content_hash,
            effective=dt.date.fromisoformat(policy.effective),
            source=source,
            source_name=source_name,
            changes=changes,
            requires_reconsent=reconsent,
        )
        active_version_forget()  # the rest of a request that publishes reads the new version
        audit_append(
            actor=Actor.system("policy publish"),
            action="policy.publish",
            outcome="published",
            clauses=["BE-11"],
            detail={"version": policy.version, "hash": content_hash, "reconsent": reconsent},
        )
    return version, True


def policy_publish_file(*, path: Path) -> tuple[PolicyVersion, bool]:
    return policy_publish(source=path.read_text(encoding="utf-8"), source_name=str(path))
