"""The policy in force: the one composition root that hands out the policy and the gate.

Interfaces (views, commands, tasks) call ``in_force()`` once and pass what they need down as
keyword arguments: services receive ``policy=`` or ``gate=``, they never look up "the policy
in force" themselves. ``in_force()`` returns a frozen ``InForce`` holding

- the published version (None before the first publish: the file ``KEEPFAITH_POLICY`` names),
- its validated ``Policy``, compiled ``Rulebook`` and ``CookieRegistry``,

and ``InForce.gate(actor=...)`` builds a gate over the rulebook whose decisions about a
subject are written to the audit log as ``actor``.

Inside a request the version is looked up once (``InForceMiddleware``; a publish during the
request is read afresh, see ``keepfaith.versions.selectors``); commands and tasks wrap their
work in ``in_force_scope()`` for the same effect. Compiled bundles live in one bounded cache
keyed by the content hash, so a version is parsed and compiled once per process; a policy
that passed its checks is also kept on disk (``_checked``), so the next process skips them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pydantic
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

import keepfaith.policy
from keepfaith.audit.services import Actor, audit_append
from keepfaith.consent.selectors import LedgerChoices
from keepfaith.gate import ChoiceSource, Decision, Gate, audit_fields
from keepfaith.gate.cookies import CookieRegistry, compile_registry
from keepfaith.policy import Policy, load_policy_text
from keepfaith.policy.changes_text import diff_sentences
from keepfaith.policy.diff import policy_diff
from keepfaith.policy.document import to_html
from keepfaith.policy.render import statement
from keepfaith.policy.rulebook import Rulebook, compile_rulebook
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.selectors import active_version, active_version_memo

__all__ = [
    "InForce",
    "InForceMiddleware",
    "changes_between",
    "in_force",
    "in_force_scope",
    "policy_of",
]

_CACHE_SIZE = 16
# Checked policies kept on disk (VAR_DIR/cache/policies), newest first beyond this dropped.
_CHECKED_ON_DISK = 32


@dataclass(frozen=True, slots=True)
class _Compiled:
    policy: Policy
    rulebook: Rulebook
    cookies: CookieRegistry
    statements: dict[str, str] = field(default_factory=dict)  # language:since -> HTML


@dataclass(frozen=True, slots=True)
class InForce:
    """The policy in force for one request, command or task."""

    version: PolicyVersion | None
    policy: Policy
    rulebook: Rulebook
    cookies: CookieRegistry
    _compiled: _Compiled = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        """The label people see: the published version's, else the file's own."""
        return self.version.label if self.version is not None else self.policy.version

    @property
    def reconsent(self) -> frozenset[str]:
        """Uses this version asks fresh consent for (BE-11)."""
        return (
            frozenset(self.version.requires_reconsent) if self.version is not None else frozenset()
        )

    def gate(self, *, actor: Actor, choices: ChoiceSource | None = None) -> Gate:
        """A gate over this policy; its decisions about a subject are audited as ``actor``.

        ``choices`` defaults to a fresh snapshot of the consent ledger (one per gate)."""

        def record(decision: Decision) -> None:
            audit_append(actor=actor, **audit_fields(decision))

        return Gate(self.rulebook, choices or LedgerChoices(), audit=record)

    def statement_html(self, lang: str) -> str:
        """The statement in ``lang`` as HTML, rendered once per version and language (every
        piece of text is escaped by ``keepfaith.policy.document.to_html``)."""
        since = self.version.in_force_from.isoformat() if self.version is not None else None
        key = f"{lang}:{since}"  # the day it took effect moves nothing else
        html = self._compiled.statements.get(key)
        if html is None:
            document = statement(self.policy, lang=lang, in_force_from=since)
            html = self._compiled.statements[key] = to_html(document)
        return html

    def language(self, preferred: str | None) -> str:
        """The language to address someone in: ``preferred`` when the policy offers it, else
        the policy's first language. The one place that picks a customer's language."""
        short = (preferred or "")[:2].lower()
        languages = self.policy.controller.languages
        return short if short in languages else languages[0]


class _BoundedCache:
    """Content hash -> compiled policy, least recently used dropped beyond ``size``."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, _Compiled] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], Policy]) -> _Compiled:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        policy = load()
        rulebook = compile_rulebook(policy)
        compiled = _Compiled(policy, rulebook, compile_registry(rulebook))
        with self._lock:
            self._items[key] = compiled
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return compiled

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _BoundedCache(_CACHE_SIZE)


@functools.cache
def _checker_fingerprint() -> bytes:
    """What a policy's checked form depends on besides its text: the policy package's code
    and data, and the versions of the libraries it validates with."""
    libraries = f"pydantic {pydantic.VERSION}; fideslang {metadata.version('fideslang')}"
    digest = hashlib.sha256(libraries.encode())
    package = Path(keepfaith.policy.__file__).parent
    for path in sorted(package.glob("*.py")) + sorted(package.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def _checked(raw: bytes, *, file: str, stored: bool = False) -> Policy:
    """The validated policy of ``raw`` (``PolicyError`` if it has errors); ``stored``: the
    text of a published version, judged by the rules it was published under.

    Reading YAML with positions for messages and checking every reference takes about a
    fifth of a second, paid by every process that starts (each command, each web worker).
    A policy that passed is kept as its JSON dump under ``VAR_DIR/cache/policies``, named by
    the hash of its text and of the checking code (``_checker_fingerprint``), and read back
    with pydantic's validation alone (under a millisecond). A missing, unreadable or invalid
    file is checked afresh; a policy with errors is never kept.
    """
    folder = Path(settings.VAR_DIR) / "cache" / "policies"
    judged = b"stored\0" if stored else b"file\0"  # a stored version's text is judged leniently
    kept = folder / f"{hashlib.sha256(_checker_fingerprint() + judged + raw).hexdigest()}.json"
    try:
        return Policy.model_validate_json(kept.read_bytes())
    except (OSError, ValueError):
        pass
    policy = load_policy_text(raw, file=file, stored=stored)
    partial = kept.with_suffix(f".{os.getpid()}.{threading.get_ident()}.partial")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "wb") as handle:
            handle.write(policy.model_dump_json().encode())
        os.replace(partial, kept)
        _checked_prune(folder)
    except OSError:  # a VAR_DIR that cannot be written costs the check next time
        with contextlib.suppress(OSError):
            partial.unlink()
    return policy


def _checked_prune(folder: Path) -> None:
    found = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in found[_CHECKED_ON_DISK:]:
        old.unlink(missing_ok=True)


def _compiled_version(version: PolicyVersion) -> _Compiled:
    return _cache.get(
        version.content_hash,
        lambda: _checked(version.source.encode(), file=f"version {version.label}", stored=True),
    )


def _compiled_file() -> _Compiled:
    path = Path(settings.POLICY_PATH)
    key = f"file:{path}:{path.stat().st_mtime_ns}"
    return _cache.get(key, lambda: _checked(path.read_bytes(), file=str(path), stored=False))


def in_force() -> InForce:
    """The policy in force now (the latest published version, else the configured file)."""
    version = active_version()
    compiled = _compiled_version(version) if version is not None else _compiled_file()
    return InForce(version, compiled.policy, compiled.rulebook, compiled.cookies, compiled)


def policy_of(version: PolicyVersion) -> Policy:
    """The validated policy of any stored version (parsed once per process, same cache)."""
    return _compiled_version(version).policy


def changes_between(old: PolicyVersion, new: PolicyVersion, lang: str) -> tuple[str, ...]:
    """What changed from ``old`` to ``new``, as readable lines in ``lang`` (the update page and
    the change notice read this; computed once per pair of contents and language)."""
    return _changes(old.content_hash, new.content_hash, lang, old, new)


@functools.lru_cache(maxsize=64)
def _changes(
    old_hash: str, new_hash: str, lang: str, old: PolicyVersion, new: PolicyVersion
) -> tuple[str, ...]:
    before, after = policy_of(old), policy_of(new)
    return tuple(diff_sentences(policy_diff(before, after), old=before, new=after, lang=lang))


def in_force_scope() -> AbstractContextManager[None]:
    """Look the version in force up at most once inside the block (a command or a task)."""
    return active_version_memo()


def cache_clear() -> None:
    """Forget every compiled policy (tests that rewrite the configured file in place)."""
    _cache.clear()


class InForceMiddleware:
    """Every read of the policy in force during a request shares one database lookup.

    First in ``MIDDLEWARE``, so the other middlewares, the view and its templates all see the
    same version; the next request looks it up again, so a publish counts from then on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with active_version_memo():
            return self.get_response(request)
