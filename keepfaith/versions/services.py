"""Publishing a policy version: validated, stored once per content, diffed, audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.db import transaction

from keepfaith.audit.services import Actor, audit_append, chain_append, chain_lock
from keepfaith.policy import load_policy_text
from keepfaith.policy.diff import diff_to_dict, policy_diff
from keepfaith.policy.loader import policy_file_bytes
from keepfaith.policy.render import policy_content_hash
from keepfaith.policy.trace import enforces
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.selectors import active_version_forget


class PublishRefused(Exception):
    """A valid policy that cannot be published as it is; the message says what to change."""


@enforces("BE-11")
def policy_publish(
    *, source: str | bytes, source_name: str = "<policy>"
) -> tuple[PolicyVersion, bool]:
    """Publish the policy text ``source``; the version in force published again is nothing.

    Raises ``PolicyError`` (with every located problem) when the text is not a valid policy,
    and ``PublishRefused`` when its version label is published already with other content, or
    its content was published before and has been superseded (going back to it is a new
    version, with a label of its own). Returns the version and whether it is new.
    """
    policy = load_policy_text(source, file=source_name)
    text = source.decode("utf-8") if isinstance(source, bytes) else source  # valid: UTF-8
    content_hash = policy_content_hash(policy)
    with transaction.atomic():
        chain_lock(PolicyVersion)  # two publishes at once: the second reads the first's
        previous = PolicyVersion.objects.order_by("-seq").first()
        existing = PolicyVersion.objects.filter(content_hash=content_hash).first()
        if existing is not None and previous is not None and existing.pk == previous.pk:
            return existing, False
        if existing is not None:
            raise PublishRefused(
                f"{source_name}: this content was published as version {existing.label} and "
                f"version {previous.label if previous else '?'} has replaced it since; to "
                "go back to it, give it a new version label (the `version:` field) and "
                "publish that"
            )
        taken = PolicyVersion.objects.filter(label=policy.version).first()
        if taken is not None:
            raise PublishRefused(
                f"{source_name}: version {policy.version} is published already with other "
                "content; give this policy a new version label (the `version:` field)"
            )
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
            source=text,
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
    """``policy_publish`` of the file at ``path``; one that cannot be read, or is larger than
    a policy may be, is a ``PolicyError`` naming it (read no further than that limit)."""
    return policy_publish(source=policy_file_bytes(path), source_name=str(path))
