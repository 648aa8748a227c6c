"""The one settings module. Every value comes from the environment (see ``.env.example``).

Defaults are safe for development: a SQLite file and generated secrets under ``var/``, mail
written to files under ``var/mail/``. ``KEEPFAITH_MODE=production`` turns on every HTTPS
protection and refuses to start with development secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from keepfaith.env import envbool, envchoice, envint, envlist, envstr, generated_secret

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("KEEPFAITH_VAR_DIR", str(BASE_DIR / "var"))).resolve()

MODE = envchoice("KEEPFAITH_MODE", "development", ("development", "production"))
PRODUCTION = MODE == "production"
DEBUG = envbool("KEEPFAITH_DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("KEEPFAITH_DEBUG must be off when KEEPFAITH_MODE=production")


def _secret(name: str, dev_file: str) -> str:
    """A secret from ``NAME`` / ``NAME_FILE``; in development, generated under ``var/``."""
    value = envstr(name, "")
    dev_path = VAR_DIR / dev_file
    if PRODUCTION:
        if not value:
            raise ImproperlyConfigured(f"{name} (or {name}_FILE) is required in production mode")
        if dev_path.exists() and dev_path.read_text(encoding="utf-8").strip() == value:
            raise ImproperlyConfigured(f"{name} is the generated development secret; set your own")
        if len(value) < 50 or len(set(value)) < 5 or value.startswith("django-insecure"):
            raise ImproperlyConfigured(f"{name} is too weak: use at least 50 random characters")
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
    "keepfaith.jobs",
]
ADMIN_ENABLED = envbool("KEEPFAITH_ADMIN_ENABLED", False)
if ADMIN_ENABLED:
    INSTALLED_APPS.insert(0, "django.contrib.admin")

MIDDLEWARE = [
    # Outermost: one lookup of the policy version in force per request, shared by all below.
    "keepfaith.versions.middleware.PolicyInForceMiddleware",
    # Next (the memo sets no cookie), so its response phase runs last and checks every
    # Set-Cookie (BE-4).
    "keepfaith.cookies.middleware.CookieGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After sessions and auth: reads the visitor's cookie choice and GPC (QS-7, BE-2).
    "keepfaith.cookies.middleware.CookieConsentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "keepfaith.portal.reconsent.ReconsentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
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
            ],
        },
    },
]

DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'keepfaith.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("KEEPFAITH_DB_CONN_MAX_AGE", 0))
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL={DATABASE_URL!r}: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers up front, so a read-then-append (the hash
    # chains) never fails half-way with "database is locked".
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    if _db["NAME"] and _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Tests use a file too (not shared-cache memory), so locking behaves as in production.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"

# Login throttling (django-axes) on every authenticate() call: staff and customer logins.
AXES_FAILURE_LIMIT = envint("KEEPFAITH_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = envint("KEEPFAITH_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
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
WEBLOG_CHUNK_MB = envint("KEEPFAITH_WEBLOG_CHUNK_MB", 8, minimum=1, maximum=64)
WEBLOG_MEMORY_MB = envint("KEEPFAITH_WEBLOG_MEMORY_MB", 256, minimum=128, maximum=65536)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("da", "Dansk")]
TIME_ZONE = "UTC"
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
DEFAULT_FROM_EMAIL = envstr("KEEPFAITH_EMAIL_FROM", "keepfaith <noreply@localhost>")
if EMAIL_HOST:
    # Django's SMTP backend, DKIM-signing each message when a key is configured (below).
    EMAIL_BACKEND = "keepfaith.comms.backends.SigningSMTPBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# Marketing and service mail (docs/mail.md).
# The https base of links in e-mail (one-click unsubscribe must be https, RFC 8058).
PUBLIC_URL = envstr("KEEPFAITH_PUBLIC_URL", "https://localhost:8000").rstrip("/")
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
CSRF_COOKIE_NAME = "csrftoken"
# Messages ride in the session, never in a cookie of their own (not in the registry), and
# nothing adds a message for a visitor who only browses, so no session row appears either.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# The cookie guard raises instead of only blocking and reporting (the test suite turns it on).
KEEPFAITH_COOKIE_GUARD_STRICT = envbool("KEEPFAITH_COOKIE_GUARD_STRICT", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("KEEPFAITH_SESSION_HOURS", 12, minimum=1) * 3600
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Card numbers and security codes never reach a log line (PCI DSS 3.3.1, 3.4.1).
    "filters": {
        "scrub_card_numbers": {"()": "keepfaith.vault.scrub.CardNumberScrubFilter"},
        "scrub_security_codes": {"()": "keepfaith.vault.scrub.SecurityCodeScrubFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["scrub_card_numbers", "scrub_security_codes"],
        }
    },
    "root": {"handlers": ["console"], "level": envstr("KEEPFAITH_LOG_LEVEL", "INFO").upper()},
    "loggers": {"axes": {"level": "WARNING"}},
}
