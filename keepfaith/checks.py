"""Deployment checks of keepfaith's own settings (``keepfaith check --deploy``).

Django's ``--deploy`` checks look at HTTPS and cookies; these look at what only keepfaith
knows breaks a production site. Each is an error in production mode (``KEEPFAITH_MODE``) and
names the variable to fix:

- ``keepfaith.E001`` ``KEEPFAITH_PUBLIC_URL`` is not https, or its host is local (localhost,
  loopback, unspecified or link-local addresses, the reserved ``.localhost``, ``.invalid``,
  ``.test``, ``.example`` and ``.local`` names): every link in mail (one-click unsubscribe,
  order pages) would point nowhere.
- ``keepfaith.E002`` ``KEEPFAITH_EMAIL_FROM`` has no address, or a local domain.
- ``keepfaith.E003`` ``KEEPFAITH_PAYMENT_PROCESSOR`` is the local test processor, or cannot be
  imported (found at boot, not at the first checkout after a card was typed).
- ``keepfaith.E004`` ``KEEPFAITH_ALLOWED_HOSTS`` holds ``*`` (any Host header: reset links
  built from it could point anywhere).
- ``keepfaith.E005`` a secret or a retired secret (``*_FALLBACKS``) is weak or generated for
  development (``keepfaith.env.secret_problem``; the settings refuse the current ones at load).
- ``keepfaith.E006`` the SQLite database file can be read by others than its owner.
- ``keepfaith.E007`` plain HTTP would still be served: ``KEEPFAITH_SSL_REDIRECT`` is off or
  ``KEEPFAITH_HSTS_SECONDS`` is under a year (the policy promises every page over TLS only;
  Django's own checks only warn).
- ``keepfaith.E008`` ``KEEPFAITH_EMAIL_HOST`` is not set: mail (receipts, reset links) would
  be written to files under the var directory and never delivered.

The shipped gunicorn configuration (``keepfaith/gunicorn_conf.py``) runs these at start and
refuses to serve while any fails.
"""

from __future__ import annotations

import ipaddress
import stat
from collections.abc import Iterable
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.utils.module_loading import import_string

from keepfaith.env import secret_problem
from keepfaith.policy.trace import enforces

LOCAL_TEST_PROCESSOR = "keepfaith.vault.processors.LocalTestProcessor"
TLS_HSTS_MIN_SECONDS = 365 * 24 * 3600
_LOCAL_SUFFIXES = (".localhost", ".invalid", ".test", ".example", ".local")


def local_host(host: str) -> bool:
    """True when ``host`` cannot be reached by anyone else: a name or address of this machine,
    a reserved name, or nothing at all."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if not name or name == "localhost" or name.endswith(_LOCAL_SUFFIXES):
        return True
    if "." not in name and ":" not in name:
        return True  # a bare machine name: not a public host
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_link_local


def _public_url(url: str) -> list[CheckMessage]:
    parts = urlsplit(url)
    problem = None
    if parts.scheme != "https":
        problem = "must be an https address (RFC 8058 one-click unsubscribe needs https)"
    elif local_host(parts.hostname or ""):
        problem = "points at a local host: links in mail would reach no one"
    if problem is None:
        return []
    return [
        Error(
            f"KEEPFAITH_PUBLIC_URL={url!r} {problem}",
            hint="Set KEEPFAITH_PUBLIC_URL to the site's public https address.",
            id="keepfaith.E001",
        )
    ]


def _sender(sender: str) -> list[CheckMessage]:
    _, address = parseaddr(sender)
    domain = address.rpartition("@")[2]
    if "@" in address and not local_host(domain):
        return []
    return [
        Error(
            f"KEEPFAITH_EMAIL_FROM={sender!r} is not an address at a public domain",
            hint="Set KEEPFAITH_EMAIL_FROM to e.g. 'Shop <noreply@shop.example.com>'.",
            id="keepfaith.E002",
        )
    ]


def _processor(path: str) -> list[CheckMessage]:
    if path == LOCAL_TEST_PROCESSOR:
        message = "is the local test processor, which approves test cards in memory only"
    else:
        try:
            import_string(path)
        except ImportError as exc:
            message = f"cannot be imported: {exc}"
        else:
            return []
    return [
        Error(
            f"KEEPFAITH_PAYMENT_PROCESSOR={path!r} {message}",
            hint="Name the payment provider's adapter class (package.module.ClassName).",
            id="keepfaith.E003",
        )
    ]


def _hosts(hosts: Iterable[str]) -> list[CheckMessage]:
    if "*" not in hosts:
        return []
    return [
        Error(
            "KEEPFAITH_ALLOWED_HOSTS holds '*': any Host header is accepted",
            hint="List the site's host names, comma-separated.",
            id="keepfaith.E004",
        )
    ]


def _secrets() -> list[CheckMessage]:
    named = {
        "KEEPFAITH_SECRET_KEY": [settings.SECRET_KEY],
        "KEEPFAITH_AUDIT_KEY": [settings.AUDIT_KEY],
        "KEEPFAITH_UNSUBSCRIBE_SECRET": [settings.UNSUBSCRIBE_SECRET],
        "KEEPFAITH_AUDIT_KEY_FALLBACKS": settings.AUDIT_KEY_FALLBACKS,
        "KEEPFAITH_UNSUBSCRIBE_SECRET_FALLBACKS": settings.UNSUBSCRIBE_SECRET_FALLBACKS,
    }
    places = {Path(settings.VAR_DIR), Path(settings.BASE_DIR) / "var"}
    names = ("secret_key", "audit_key", "unsubscribe_secret")
    dev_files = [place / name for place in places for name in names]
    errors: list[CheckMessage] = []
    for name, values in named.items():
        for value in values:
            problem = secret_problem(name, str(value), dev_files=dev_files)
            if problem:
                errors.append(Error(problem, id="keepfaith.E005"))
    return errors


def _database_file() -> list[CheckMessage]:
    database = settings.DATABASES["default"]
    if not str(database["ENGINE"]).endswith("sqlite3"):
        return []
    path = Path(str(database["NAME"]))
    if not path.is_file() or not stat.S_IMODE(path.stat().st_mode) & 0o077:
        return []
    return [
        Error(
            f"the SQLite database {path} can be read by others than its owner",
            hint=f"chmod 600 {path} (DATABASE_URL names it)",
            id="keepfaith.E006",
        )
    ]


@enforces("QS-3", "BE-8")
def production_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The keepfaith deployment checks (module docstring); nothing outside production."""
    if not settings.PRODUCTION:
        return []
    return [
        *_public_url(str(settings.PUBLIC_URL)),
        *_sender(str(settings.DEFAULT_FROM_EMAIL)),
        *_processor(str(settings.PAYMENT_PROCESSOR)),
        *_hosts(settings.ALLOWED_HOSTS),
        *_secrets(),
        *_database_file(),
        *_tls(),
        *_mail_server(),
    ]


def _mail_server() -> list[CheckMessage]:
    if settings.EMAIL_HOST:
        return []
    return [
        Error(
            "KEEPFAITH_EMAIL_HOST is not set: mail would be written to files under the var "
            "directory, never delivered",
            hint="Set KEEPFAITH_EMAIL_HOST (and _PORT, _USER, _PASSWORD, _TLS) to the mail relay.",
            id="keepfaith.E008",
        )
    ]


@enforces("QS-3", features=("security.deploy.tls_settings",))
def _tls() -> list[CheckMessage]:
    problems = []
    if not settings.SECURE_SSL_REDIRECT:
        problems.append("KEEPFAITH_SSL_REDIRECT is off: pages would be served over plain HTTP")
    if settings.SECURE_HSTS_SECONDS < TLS_HSTS_MIN_SECONDS:
        problems.append(
            f"KEEPFAITH_HSTS_SECONDS={settings.SECURE_HSTS_SECONDS} is under a year: browsers "
            "would go back to plain HTTP"
        )
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        problems.append("the session and CSRF cookies would be sent over plain HTTP")
    hint = "Every page is served over TLS only (security measure in the policy)."
    return [Error(problem, hint=hint, id="keepfaith.E007") for problem in problems]


def register_checks() -> None:
    register(production_settings_check, Tags.security, deploy=True)
