"""A Django system check: every key the code names is declared by the policy in force.

Code names use keys (the console's reads, payments, retention jobs), data categories, mail
kinds, collection points, staff roles and cookie names. A policy that renames or drops one
would make a page refuse every read, a purge skip its data or a form refuse to exist, at run
time and quietly. ``keepfaith check`` (and ``check --deploy``) names each such key first, the
way ``django.contrib.auth.checks`` names a broken user model. Registered by the console's
``AppConfig.ready``; tagged ``keepfaith``.

The policy file the settings name (``KEEPFAITH_POLICY``) is always checked, without the
database (checks run before ``migrate``); with ``--database default`` the published version
in force is checked too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

ID = "keepfaith.E1"


def _named_uses() -> Iterator[tuple[str, str]]:
    """(use key, where the code names it)."""
    from keepfaith.console import reads
    from keepfaith.vault.gateway import PAYMENT_USE

    for read in reads.FIXED_READS:
        for use in read.uses:
            yield use, f"console read {read.action}"
    yield PAYMENT_USE, "keepfaith.vault.gateway.PAYMENT_USE"
    yield "essential.service.operations.support", "support purge"


def _named_categories() -> Iterator[tuple[str, str]]:
    from keepfaith.console import reads
    from keepfaith.vault.gateway import CARD_CATEGORY

    for read in reads.FIXED_READS:
        for category in read.categories:
            yield category, f"console read {read.action}"
    yield CARD_CATEGORY, "keepfaith.vault.gateway.CARD_CATEGORY"


def _form_points() -> Iterator[tuple[str, str]]:
    """Collection points the product's forms are declared as."""
    import keepfaith.accounts.forms
    import keepfaith.portal.checkout_forms
    import keepfaith.support.forms  # noqa: F401
    from keepfaith.collection.forms import CollectionPointForm

    stack: list[type[CollectionPointForm]] = list(CollectionPointForm.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.point_id and cls.__module__.startswith("keepfaith."):
            yield cls.point_id, f"{cls.__module__}.{cls.__qualname__}"


def _cookie_names() -> Iterator[tuple[str, str]]:
    from keepfaith.cookies import names
    from keepfaith.portal.cartcookie import CART_COOKIE

    yield settings.SESSION_COOKIE_NAME, "SESSION_COOKIE_NAME"
    yield settings.CSRF_COOKIE_NAME, "CSRF_COOKIE_NAME"
    yield CART_COOKIE, "keepfaith.portal.cartcookie.CART_COOKIE"
    for name in ("CONSENT_COOKIE", "RETURNING_COOKIE", "CAMPAIGN_COOKIE", "NOTICE_COOKIE"):
        yield getattr(names, name), f"keepfaith.cookies.names.{name}"


def _missing(
    kind: str, named: Iterable[tuple[str, str]], declared: set[str], fix: str, number: int
) -> Iterator[CheckMessage]:
    seen: set[str] = set()
    for key, where in named:
        if key in declared or key in seen:
            continue
        seen.add(key)
        yield Error(
            f"{kind} {key!r} is named by {where} but the policy in force does not declare it",
            hint=fix,
            obj=settings.POLICY_PATH,
            id=f"{ID}{number:02d}",
        )


def _policies(databases: Iterable[str] | None) -> Iterator[tuple[str, Any, Any]]:
    """(what, policy, rulebook): the configured file, and the published version when asked."""
    from pathlib import Path

    from keepfaith.policy import PolicyError, load_policy
    from keepfaith.policy.rulebook import compile_rulebook

    path = Path(settings.POLICY_PATH)
    try:
        policy = load_policy(path)
    except (PolicyError, OSError) as error:
        raise ValueError(f"{path}: {error}") from None
    yield str(path), policy, compile_rulebook(policy)
    if databases and "default" in databases:
        from django.db import DatabaseError

        from keepfaith.inforce import in_force

        try:
            now = in_force()
        except DatabaseError:  # not migrated yet: nothing is published
            return
        if now.version is not None:
            yield f"published version {now.version.label}", now.policy, now.rulebook


@register(Tags.compatibility, Tags.database, "keepfaith")
def policy_declares_code_names(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Errors for every use, category, mail kind, form, staff role or cookie the code names
    and the policy (the configured file; the published version with ``--database``) does not
    declare."""
    found: list[CheckMessage] = []
    try:
        for what, policy, book in _policies(kwargs.get("databases")):
            found += [_named(message, what) for message in _check(policy, book)]
    except ValueError as error:
        found.append(Error(f"the policy cannot be read: {error}", id=f"{ID}00"))
    return found


def _named(message: CheckMessage, what: str) -> CheckMessage:
    message.msg = f"{what}: {message.msg}"
    return message


def _check(policy: Any, book: Any) -> list[CheckMessage]:
    from keepfaith.accounts.roles import ROLES
    from keepfaith.policy.schema import StaffRole

    fix = "declare it in the policy (and publish it), or change the code that names it"
    found: list[CheckMessage] = []
    found += _missing("use", _named_uses(), set(book.uses), fix, 1)
    found += _missing("data category", _named_categories(), set(book.known_categories), fix, 2)
    kinds = [("transactional", "keepfaith.comms.outgoing.mail_send")]
    found += _missing("mail kind", kinds, set(book.mail_kinds), fix, 3)
    points = {p.id for p in policy.collection_points}
    found += _missing("collection point", _form_points(), points, fix, 4)
    found += _missing("cookie", _cookie_names(), set(book.cookies), fix, 5)
    schema_roles = set(StaffRole.__args__)  # type: ignore[attr-defined]
    roles = [(role, "keepfaith.accounts.roles.ROLE_PERMISSIONS") for role in ROLES]
    found += _missing("staff role", roles, schema_roles, "keep roles.py and the schema in step", 6)
    return found
