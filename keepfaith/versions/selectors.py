"""Reads of policy versions and the policy in force."""

from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from keepfaith.policy import Policy, load_policy, load_policy_text
from keepfaith.versions.models import PolicyVersion

_lock = threading.Lock()
_by_hash: dict[str, Policy] = {}
_file_cache: dict[tuple[str, int], Policy] = {}


def policy_versions() -> QuerySet[PolicyVersion]:
    """Every published version, newest first."""
    return PolicyVersion.objects.order_by("-seq")


def active_version() -> PolicyVersion | None:
    """The version in force: the latest published one.

    Read on every page, so the policy text and diff stay deferred: ``policy_of`` parses the
    text once per process and loads it only then.
    """
    return PolicyVersion.objects.defer("source", "changes").order_by("-seq").first()


def policy_of(version: PolicyVersion) -> Policy:
    """The validated policy of a stored version (parsed once per process)."""
    with _lock:
        cached = _by_hash.get(version.content_hash)
    if cached is None:
        cached = load_policy_text(version.source, file=f"version {version.label}")
        with _lock:
            _by_hash[version.content_hash] = cached
    return cached


def configured_policy() -> Policy:
    """The policy file named by KEEPFAITH_POLICY (re-read when the file changes)."""
    path = Path(settings.POLICY_PATH)
    key = (str(path), path.stat().st_mtime_ns)
    with _lock:
        cached = _file_cache.get(key)
    if cached is None:
        cached = load_policy(path)
        with _lock:
            _file_cache.clear()
            _file_cache[key] = cached
    return cached


def active_policy() -> tuple[Policy, PolicyVersion | None]:
    """The policy in force and its stored version (None before anything is published)."""
    version = active_version()
    if version is None:
        return configured_policy(), None
    return policy_of(version), version
