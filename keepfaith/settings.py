"""The one settings module. Every value comes from the environment (see ``.env.example``).

Defaults are safe for development: a SQLite file and generated secrets under ``var/``, mail
written to files under ``var/mail/``. ``KEEPFAITH_MODE=production`` turns on every HTTPS
protection and refuses to start with development secrets.
"""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from keepfaith.env import (
    envbool,
    envchoice,
    envint,
    envlist,
    envstr,
    generated_secret,
    private_file,
    secret_problem,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("KEEPFAITH_VAR_DIR", str(BASE_DIR / "var"))).resolve()

MODE = envchoice("KEEPFAITH_MODE", "development", ("development", "production"))
PRODUCTION = MODE == "production"
DEBUG = envbool("KEEPFAITH_DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("KEEPFAITH_DEBUG must be off when KEEPFAITH_MODE=production")


def _without_password(url: str) -> str:
    """``url`` with whatever stands between the user name and the last ``@`` replaced by
    ``***`` (for messages). Read off the text, not parsed: a password with ``/``, ``#`` or
    ``?`` in it is what makes a URL malformed, and a parser then finds no password."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0] if ":" in credentials else None
    return f"{scheme}://{user}:***@{host}" if user is not None else f"{scheme}://***@{host}"


def _secret(name: str, dev_file: str) -> str:
    """A secret from ``NAME`` / ``NAME_FILE``; in development, generated under ``var/``.

    Production refuses a missing, weak or development secret (``keepfaith.env.secret_problem``):
    one generated for development wherever it now lives (its prefix), or equal to the file of
    this VAR_DIR or of the checkout's own ``var/``.
    """
    value = envstr(name, "")
    dev_path = VAR_DIR / dev_file
    if PRODUCTION:
        problem = secret_problem(name, value, dev_files={dev_path, BASE_DIR / "var" / dev_file})
        if problem:
            raise ImproperlyConfigured(problem)
        return value
    return value or generated_secret(dev_path)


SECRET_KEY = _secret("KEEPFAITH_SECRET_KEY", "secret_key")
# Seals the audit chain (HMAC): a forger without this key cannot append a valid entry.
AUDIT_KEY = _secret("KEEPFAITH_AUDIT_KEY", "audit_key")
# Retired sealing keys, comma-separated: entries sealed with them still verify.
AUDIT_KEY_FALLBACKS = envlist("KEEPFAITH_AUDIT_KEY_FALLBACKS", [])

ALLOWED_HOSTS = envlist(
    "KEEPFAITH_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("KEEPFAITH_ALLOWED_HOSTS is required in production mode")
CSRF_TRUSTED_ORIGINS = envlist("KEEPFAITH_CSRF_TRUSTED_ORIGINS", [])

POLICY_PATH = Path(
    envstr("KEEPFAITH_POLICY", str(BASE_DIR / "examples" / "qualityssl" / "policy.yaml"))
)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "keepfaith",  # the deployment checks of keepfaith's settings (keepfaith/checks.py)
    "keepfaith.audit",
    "keepfaith.versions",
    "keepfaith.consent",
    "keepfaith.accounts",
    "keepfaith.vault",
    "keepfaith.store",
    "keepfaith.collection",
    "keepfaith.support",
    "keepfaith.comms",
    "keepfaith.portal",
    "keepfaith.console",
    "keepfaith.weblog",
    "keepfaith.sharing",
    "keepfaith.jobs",
    "keepfaith.certs",
    "keepfaith.rights",
]
ADMIN_ENABLED = envbool("KEEPFAITH_ADMIN_ENABLED", False)
if ADMIN_ENABLED:
    INSTALLED_APPS.insert(0, "django.contrib.admin")

MIDDLEWARE = [
    # Outermost: one lookup of the policy version in force per request, shared by all below.
    "keepfaith.inforce.InForceMiddleware",
    # Next (the memo sets no cookie), so its response phase runs last and checks every
    # Set-Cookie (BE-4).
    "keepfaith.cookies.middleware.CookieGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's, with the URL's language worked out once per request, not three times.
    "keepfaith.portal.pathlanguage.LocaleMiddleware",
    # A POST body is parsed once, here: one that cannot be is a styled 400, never a 500.
    "keepfaith.portal.errors.RequestBodyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Pages for a signed-in person and every console page: Cache-Control: no-store.
    "keepfaith.portal.nostore.NoStoreMiddleware",
    # After sessions and auth: reads the visitor's cookie choice and GPC (QS-7, BE-2).
    "keepfaith.cookies.middleware.CookieConsentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "keepfaith.portal.reconsent.ReconsentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "keepfaith.portal.csp.CSPMiddleware",  # django-csp's, the header built once
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "keepfaith.urls"
WSGI_APPLICATION = "keepfaith.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "keepfaith.portal.context_processors.cookie_banner",
                "keepfaith.portal.context_processors.site_identity",
                "keepfaith.portal.context_processors.policy_notice",
                "keepfaith.portal.language.language_switch",
            ],
        },
    },
]

DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'keepfaith.sqlite3'}")
try:
    # Connections stay open between requests (each page asks for the version in force):
    # opening one per request cost more than the rest of the middleware together
    # (bench/pages.py). Django checks a kept connection before reusing it.
    _db = dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=envint("KEEPFAITH_DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
except (ValueError, KeyError) as exc:  # the URL's password never reaches the message
    raise ImproperlyConfigured(
        f"DATABASE_URL={_without_password(DATABASE_URL)!r}: {str(exc).replace(DATABASE_URL, '')}"
    ) from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers up front, so a read-then-append (the hash
    # chains) never fails half-way with "database is locked".
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    if _db["NAME"] and _db["NAME"] != ":memory:":
        # Created 0600 like the key files (SQLite would make it 0644 under the usual umask).
        private_file(Path(_db["NAME"]))
    # Tests use a file too (not shared-cache memory), so locking behaves as in production.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading each request's user with one prepared query.
    "keepfaith.accounts.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "keepfaith.accounts.passwords.SimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},  # the account's own fields
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "keepfaith.portal.errors.csrf_failure"
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"

# Login throttling (django-axes) on every authenticate() call: staff and customer logins.
AXES_FAILURE_LIMIT = envint("KEEPFAITH_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = envint("KEEPFAITH_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
# Failures count against the identity the login matches (NFKC, trimmed, lower-cased), so a
# change of capitals is the same account, not a fresh allowance of guesses.
AXES_USERNAME_CALLABLE = "keepfaith.accounts.throttle.throttle_username"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # do not keep IP addresses of successful logins
AXES_LOCKOUT_TEMPLATE = "lockout.html"
AXES_IPWARE_PROXY_COUNT = envint("KEEPFAITH_PROXY_COUNT", 0, minimum=0)

OTP_TOTP_ISSUER = envstr("KEEPFAITH_OTP_ISSUER", "keepfaith")

# Web-log analytics: DuckDB files and Parquet under WEBLOG_DIR, never the relational database.
# Raw client addresses stay in its diagnostics store this many days (purged by `logs purge`).
WEBLOG_DIR = Path(envstr("KEEPFAITH_WEBLOG_DIR", str(VAR_DIR / "weblog"))).resolve()
WEBLOG_RAW_IP_RETENTION_DAYS = envint("KEEPFAITH_RAW_IP_RETENTION_DAYS", 7, minimum=0, maximum=90)
WEBLOG_DOWNLOAD_EXTENSIONS = envlist("KEEPFAITH_WEBLOG_DOWNLOAD_EXTENSIONS", [])
# Host names of this site: referrals from them are moves inside the site, not referring sites.
WEBLOG_OWN_HOSTS = envlist("KEEPFAITH_WEBLOG_OWN_HOSTS", ALLOWED_HOSTS)
# Ingest: chunks prepared in parallel (one per core, up to 4), the size of a chunk, and
# DuckDB's memory budget (the day aggregates are computed in batches that fit it). Fewer
# workers and smaller chunks hold less memory and ingest slower (docs/weblog.md, "Memory").
WEBLOG_WORKERS = envint(
    "KEEPFAITH_WEBLOG_WORKERS", min(4, os.cpu_count() or 1), minimum=1, maximum=16
)
WEBLOG_CHUNK_MB = envint("KEEPFAITH_WEBLOG_CHUNK_MB", 4, minimum=1, maximum=64)
WEBLOG_MEMORY_MB = envint("KEEPFAITH_WEBLOG_MEMORY_MB", 256, minimum=128, maximum=65536)
# The site's own log format (a preset name or an Apache LogFormat string), tried first when
# `logs ingest` detects a file's format; empty: the presets only.
WEBLOG_FORMAT = envstr("KEEPFAITH_WEBLOG_FORMAT", "")

# Partner releases (BE-6): each release file is written to SHARING_DIR/<partner key>/, the
# partner's drop folder (served to the partner by SFTP or similar, never e-mailed), and can be
# downloaded from the console by staff who may release partner data.
SHARING_DIR = Path(envstr("KEEPFAITH_SHARING_DIR", str(VAR_DIR / "sharing"))).resolve()

LANGUAGE_CODE = "en"
# English dates as the statement writes them: "5 December 2026" (keepfaith/formats).
FORMAT_MODULE_PATH = ["keepfaith.formats"]
LANGUAGES = [("en", "English"), ("da", "Dansk")]
# Times are stored in UTC and shown (pages, invoices, e-mail, "today" for due dates) in the
# company's time zone: a Danish customer ordering at 00:30 sees that day on the invoice.
TIME_ZONE = envstr("KEEPFAITH_TIME_ZONE", "Europe/Copenhagen")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder
    raise ImproperlyConfigured(
        f"KEEPFAITH_TIME_ZONE={TIME_ZONE!r}: not a time zone name (like Europe/Copenhagen)"
    ) from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # collectstatic's target; whitenoise wants it

# Mail: a file sink under var/mail/ unless an SMTP host is configured.
EMAIL_HOST = envstr("KEEPFAITH_EMAIL_HOST", "")
EMAIL_PORT = envint("KEEPFAITH_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = envstr("KEEPFAITH_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = envstr("KEEPFAITH_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = envbool("KEEPFAITH_EMAIL_TLS", False)
EMAIL_USE_SSL = envbool("KEEPFAITH_EMAIL_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("KEEPFAITH_EMAIL_TLS and KEEPFAITH_EMAIL_SSL exclude each other")
EMAIL_TIMEOUT = 30
# Without a name, mail goes out under the company's trading name from the policy in force.
DEFAULT_FROM_EMAIL = envstr("KEEPFAITH_EMAIL_FROM", "noreply@localhost")
if EMAIL_HOST:
    # Django's SMTP backend, DKIM-signing each message when a key is configured (below).
    EMAIL_BACKEND = "keepfaith.comms.backends.SigningSMTPBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# Marketing and service mail (docs/mail.md).
# The https base of links in e-mail (one-click unsubscribe must be https, RFC 8058).
# Development: where `make run` serves, so that links in the demo's mail work whoever sends
# it (the server or `keepfaith mail worker`); production must set it (check --deploy).
PUBLIC_URL = envstr("KEEPFAITH_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Signs the per-recipient unsubscribe tokens; retired secrets still verify old links.
UNSUBSCRIBE_SECRET = _secret("KEEPFAITH_UNSUBSCRIBE_SECRET", "unsubscribe_secret")
UNSUBSCRIBE_SECRET_FALLBACKS = envlist("KEEPFAITH_UNSUBSCRIBE_SECRET_FALLBACKS", [])
# The opt-out addresses; empty: the policy's controller.unsubscribe_email / privacy_email.
MAIL_UNSUBSCRIBE_ADDRESS = envstr("KEEPFAITH_MAIL_UNSUBSCRIBE_ADDRESS", "")
MAIL_PRIVACY_ADDRESS = envstr("KEEPFAITH_MAIL_PRIVACY_ADDRESS", "")
MAIL_LISTEN_PORT = envint("KEEPFAITH_MAIL_LISTEN_PORT", 8025, minimum=1, maximum=65535)
MAIL_MAX_INBOUND_BYTES = envint("KEEPFAITH_MAIL_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# A worker that dies mid-send leaves its row "sending"; another takes it over after this.
MAIL_LEASE_SECONDS = envint("KEEPFAITH_MAIL_LEASE_SECONDS", 120, minimum=1)
MAIL_MAX_ATTEMPTS = envint("KEEPFAITH_MAIL_MAX_ATTEMPTS", 5, minimum=1)
# Background work: the database queue (`keepfaith mail worker`) or Celery with Redis.
TASK_BACKEND = envchoice("KEEPFAITH_TASK_BACKEND", "database", ("database", "celery"))
CELERY_BROKER = envstr("KEEPFAITH_CELERY_BROKER", "redis://127.0.0.1:6379/0")
# Optional DKIM signing of outgoing SMTP mail (all three, or none).
DKIM_KEY_FILE = envstr("KEEPFAITH_DKIM_KEY_FILE", "")
DKIM_SELECTOR = envstr("KEEPFAITH_DKIM_SELECTOR", "")
DKIM_DOMAIN = envstr("KEEPFAITH_DKIM_DOMAIN", "")
if len({bool(DKIM_KEY_FILE), bool(DKIM_SELECTOR), bool(DKIM_DOMAIN)}) > 1:
    raise ImproperlyConfigured(
        "KEEPFAITH_DKIM_KEY_FILE, KEEPFAITH_DKIM_SELECTOR and KEEPFAITH_DKIM_DOMAIN go together"
    )

# HTTP hardening. In production every check of `check --deploy` is satisfied.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Cookie names must be those of the policy's cookie registry (docs/cookies.md).
SESSION_COOKIE_NAME = "sessionid"
# Django's database sessions, each request's row read with one prepared query.
SESSION_ENGINE = "keepfaith.accounts.sessions"
CSRF_COOKIE_NAME = "csrftoken"
# Messages ride in the session, never in a cookie of their own (not in the registry), and
# nothing adds a message for a visitor who only browses, so no session row appears either.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# The cookie guard raises instead of only blocking and reporting (the test suite turns it on).
KEEPFAITH_COOKIE_GUARD_STRICT = envbool("KEEPFAITH_COOKIE_GUARD_STRICT", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# The forgery token ends with the browser (the security use keeps data for the visit only);
# a form open across a browser restart then asks to be sent again (the styled 403 says so).
CSRF_COOKIE_AGE = None
SESSION_COOKIE_AGE = envint("KEEPFAITH_SESSION_HOURS", 12, minimum=1) * 3600
# The registry (and so the statement) says the session cookie ends with the browser: it is
# sent without an expiry, and the server still ends the session after SESSION_COOKIE_AGE.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_SSL_REDIRECT = PRODUCTION and envbool("KEEPFAITH_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = envint("KEEPFAITH_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
if envbool("KEEPFAITH_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# The card vault: KEKs live in a key-ring file outside the database (mode 0600, created on first
# use); "token-only" keeps just the processor's token, brand and last four of each card.
VAULT_KEYRING_PATH = Path(envstr("KEEPFAITH_VAULT_KEYRING", str(VAR_DIR / "vault-keyring.json")))
CARD_STORAGE = envchoice("KEEPFAITH_CARD_STORAGE", "encrypted", ("encrypted", "token-only"))
# The payment processor adapter (package.module.ClassName, built with name=<the policy's
# processor key>). The default local test processor is refused in production mode.
PAYMENT_PROCESSOR = envstr(
    "KEEPFAITH_PAYMENT_PROCESSOR", "keepfaith.vault.processors.LocalTestProcessor"
)
# Where the local test processor keeps its books (charges, refunds, tokens; never a card number)
# so that every process sees them: the demo charges, the server refunds. "memory" keeps them in
# each process only (the tests' default). Not used by any other processor.
_payment_test_ledger = envstr("KEEPFAITH_PAYMENT_TEST_LEDGER", "").strip()
PAYMENT_TEST_LEDGER: Path | None = (
    None
    if _payment_test_ledger == "memory"
    else Path(_payment_test_ledger or VAR_DIR / "payment-test-ledger.sqlite3").resolve()
)

# Certificates (docs/certs.md). The SSL server test connects only to public addresses on these
# ports; KEEPFAITH_SSLTEST_ALLOW_PRIVATE lets tests reach loopback servers and is refused in
# production.
SSLTEST_ALLOW_PRIVATE = envbool("KEEPFAITH_SSLTEST_ALLOW_PRIVATE", False)
if PRODUCTION and SSLTEST_ALLOW_PRIVATE:
    raise ImproperlyConfigured(
        "KEEPFAITH_SSLTEST_ALLOW_PRIVATE must be off when KEEPFAITH_MODE=production: the public "
        "SSL server test would reach private and loopback addresses"
    )
try:
    SSLTEST_PORTS = tuple(
        int(p) for p in envlist("KEEPFAITH_SSLTEST_PORTS", ["443", "465", "636", "853", "993",
                                                            "995", "8443"])
    )  # fmt: skip
except ValueError:
    raise ImproperlyConfigured(
        "KEEPFAITH_SSLTEST_PORTS: expected port numbers, comma-separated"
    ) from None
SSLTEST_CA_FILE = envstr("KEEPFAITH_SSLTEST_CA_FILE", "")
SSLTEST_BUDGET_SECONDS = envint("KEEPFAITH_SSLTEST_BUDGET_SECONDS", 30, minimum=5, maximum=120)
SSLTEST_PER_VISITOR = envint("KEEPFAITH_SSLTEST_PER_VISITOR", 10, minimum=1)
SSLTEST_PER_MINUTE = envint("KEEPFAITH_SSLTEST_PER_MINUTE", 20, minimum=1)
SSLTEST_CONCURRENT = envint("KEEPFAITH_SSLTEST_CONCURRENT", 2, minimum=1, maximum=16)
# The certificate authority (package.module.Class): the local test authority in development,
# ACME in production (where the local one is refused). ACME: the directory URL, the CA bundle
# that verifies its TLS (empty: the system's), External Account Binding (key id and base64url
# HMAC key), our account key and contact.
CERT_AUTHORITY = envstr(
    "KEEPFAITH_CERT_AUTHORITY",
    "keepfaith.certs.acmeca.AcmeAuthority"
    if PRODUCTION
    else "keepfaith.certs.authorities.LocalTestAuthority",
)
ACME_DIRECTORY = envstr("KEEPFAITH_ACME_DIRECTORY", "")
ACME_CA_BUNDLE = envstr("KEEPFAITH_ACME_CA_BUNDLE", "")
ACME_EAB_KID = envstr("KEEPFAITH_ACME_EAB_KID", "")
ACME_EAB_HMAC_KEY = envstr("KEEPFAITH_ACME_EAB_HMAC_KEY", "")
ACME_ACCOUNT_KEY = Path(envstr("KEEPFAITH_ACME_ACCOUNT_KEY", str(VAR_DIR / "acme-account-key.pem")))
ACME_CONTACT = envstr("KEEPFAITH_ACME_CONTACT", "")
CERT_EXPIRING_DAYS = envint("KEEPFAITH_CERT_EXPIRING_DAYS", 30, minimum=1, maximum=365)

# Every record of the process is scrubbed of card data when it is made (the record factory
# configure_logging installs), and every handler here filters again. Django's own loggers are
# listed so none keeps a handler of Django's defaults: the request log and the development
# server's access log go through the scrubbed handlers too.
LOGGING_CONFIG = "keepfaith.vault.scrub.configure_logging"
_SCRUB = ["scrub_card_numbers", "scrub_security_codes", "scrub_link_secrets"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    # Card numbers and security codes never reach a log line (PCI DSS 3.3.1, 3.4.1).
    "filters": {
        "scrub_card_numbers": {"()": "keepfaith.vault.scrub.CardNumberScrubFilter"},
        "scrub_security_codes": {"()": "keepfaith.vault.scrub.SecurityCodeScrubFilter"},
        "scrub_link_secrets": {"()": "keepfaith.vault.scrub.LinkSecretScrubFilter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": _SCRUB},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": _SCRUB,
        },
    },
    "root": {"handlers": ["console"], "level": envstr("KEEPFAITH_LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "axes": {"level": "WARNING"},
    },
}
