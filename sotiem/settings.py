"""One settings module, read from the environment (SQLite under var/ by default, DATABASE_URL for PostgreSQL)."""

import contextlib
import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _gettext

from sotiem.lib import i18n as _i18n
from sotiem.lib.catalogs import compile_catalogues as _compile_catalogues

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SOTIEM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Production or development (README, "Deployment"). SOTIEM_ENV=production|development says it outright; without
# it, the WSGI entry point (sotiem.wsgi, what gunicorn loads) and an explicit DEBUG=0 mean production, and everything
# else -- the console script, the test runner, `make demo` -- is development: plain http on loopback, and a built-in
# development SECRET_KEY when none is set. Production refuses to start without a SECRET_KEY of its own.
_explicit_debug_off = bool(os.environ.get("DEBUG", "").strip()) and not env_bool("DEBUG")
SOTIEM_ENV = os.environ.get("SOTIEM_ENV", "").strip().lower() or (
    "production" if _explicit_debug_off else "development"
)
if SOTIEM_ENV not in {"production", "development"}:
    raise ImproperlyConfigured(f"SOTIEM_ENV={SOTIEM_ENV!r}: set it to production or development")
PRODUCTION = SOTIEM_ENV == "production"
DEBUG = env_bool("DEBUG", False)
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret-change-me-in-production-0123456789"
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if PRODUCTION and SECRET_KEY in {"", DEVELOPMENT_SECRET_KEY}:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set (or is the development key): production (SOTIEM_ENV=production, DEBUG=0, or the WSGI "
        "entry point sotiem.wsgi) needs a secret of its own, e.g. SECRET_KEY=$(python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'). For a local run over plain http, set SOTIEM_ENV=development."
    )
SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",  # before our apps: its login-failure receiver runs before the one that audits the failure
    "sotiem.core",
    "sotiem.places",
    "sotiem.audit",
    "sotiem.accounts",
    "sotiem.people",
    "sotiem.immunizations",
    "sotiem.interop",
    "sotiem.certificates",
    "sotiem.linkage",
    "sotiem.synth",
    # django-ninja's own templates and static files: /api/v1/docs loads the Swagger UI it ships (no CDN, works
    # offline). Last, so a template of ours would override its ninja/swagger.html.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # the language: the reader's choice (the language cookie set by the switch), else Accept-Language, else vi
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into its answer
]

# HTTPS in production: HSTS, cookies only over TLS, http redirected. Behind a proxy that ends TLS, either let it
# tell Django the request was https (SOTIEM_TRUST_X_FORWARDED_PROTO=1: the proxy must set X-Forwarded-Proto and
# strip any the client sent) or let the proxy redirect http itself (SOTIEM_SSL_REDIRECT=0). Development (plain
# http on 127.0.0.1, the test client) has none of them.
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SOTIEM_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SOTIEM_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SOTIEM_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SOTIEM_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("SOTIEM_TRUST_X_FORWARDED_PROTO"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Officials' sign-in throttled by django-axes: AXES_FAILURE_LIMIT wrong passwords for one account (from anywhere), or
# from one client address (for any account), with no pause of AXES_COOLOFF_TIME between them, lock it until that long
# after the last try; while locked even the right password is refused (and counted). A right password does not reset the count. The client
# address is REMOTE_ADDR (sotiem.accounts.clients). `sotiem axes_reset_username NAME` lifts an account's lock.
AUTHENTICATION_BACKENDS = [
    "sotiem.accounts.login.SignInThrottle",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own: per account, and per client address
AXES_FAILURE_LIMIT = int(os.environ.get("SOTIEM_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("SOTIEM_LOGIN_LOCK_MINUTES", "30")))
AXES_CLIENT_IP_CALLABLE = "sotiem.accounts.clients.client_address"
AXES_LOCKOUT_CALLABLE = "sotiem.accounts.login.lockout_response"
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False

ROOT_URLCONF = "sotiem.urls"
WSGI_APPLICATION = "sotiem.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{VAR_DIR / 'sotiem.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _default_sqlite, conn_max_age=60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run while one writer writes; IMMEDIATE takes the write lock up front so two
        # writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = (
        {"NAME": str(VAR_DIR / "test.sqlite3")} if env_bool("SOTIEM_TEST_DB_FILE") else {}
    )

# A batch of 1,000 records is ~0.5 MB; larger bodies are refused with 413 by the API.
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024

# Backlog files uploaded on /imports/: the most bytes accepted per kind (streamed to disk, refused past it), and
# overrides of the reading limits of sotiem.lib.spreadsheets.SheetLimits (cell, row, row count, XLSX zip).
SOTIEM_IMPORT_MAX_BYTES = {
    "csv": int(os.environ.get("SOTIEM_IMPORT_MAX_CSV_MB", "50")) * 1024 * 1024,
    "xlsx": int(os.environ.get("SOTIEM_IMPORT_MAX_XLSX_MB", "50")) * 1024 * 1024,
}
SOTIEM_IMPORT_LIMITS: dict[str, int] = {}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Vietnamese first: every page, the admin and the API speak Vietnamese unless the reader chose English (the switch
# on every page sets the language cookie; without one, Accept-Language decides). Each app's messages live in its
# own locale/ folder; the shared pages', the assembly's and lib's in the folders below (see sotiem.lib.catalogs).
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "sotiem" / "locale", BASE_DIR / "sotiem" / "lib" / "locale"]
FORMAT_MODULE_PATH = ["sotiem.core.formats"]  # Vietnamese numbers grouped (2.002) and dates as 01/01/1987
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # a chosen language is remembered for a year
LANGUAGE_COOKIE_SAMESITE = "Lax"
_i18n.install(_gettext)  # lib's messages (sotiem.lib.i18n.Text) are read in the request's language
# Build the .mo files a checkout lacks or holds stale (a pull or an edit changed a .po) before anything reads them:
# here, because Django caches a catalogue the first time a message is translated, which can happen while the apps
# load. An installation that cannot write there keeps the catalogues it was built with.
with contextlib.suppress(OSError):
    _compile_catalogues()
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

LOGIN_URL = "/admin/login/"

# Identity thresholds are settings so that a province can tune review load without a release.
# Match weights are log2 Bayes factors with the prior (0 = even odds; +10 ≈ 1,000 to 1 for a match).
SOTIEM_MATCH_LINK_WEIGHT = float(os.environ.get("SOTIEM_MATCH_LINK_WEIGHT", "10"))
SOTIEM_MATCH_REVIEW_WEIGHT = float(os.environ.get("SOTIEM_MATCH_REVIEW_WEIGHT", "4"))
# Registry-wide deduplication merges without an official only above this stricter weight.
SOTIEM_MATCH_AUTOMERGE_WEIGHT = float(os.environ.get("SOTIEM_MATCH_AUTOMERGE_WEIGHT", "20"))
# The trained match model (sotiem linkage train); empty: the model shipped in sotiem/people/data/.
SOTIEM_MATCH_MODEL_PATH = os.environ.get("SOTIEM_MATCH_MODEL_PATH", "")
# Where text messages (one-time codes) go: "console" (logged and appended to <SOTIEM_VAR_DIR>/sms-outbox.log),
# "locmem" (kept in sotiem.people.sms.outbox, for tests) or the dotted path of a gateway's send(phone, text).
SOTIEM_SMS_BACKEND = os.environ.get("SOTIEM_SMS_BACKEND", "console")

# Wrong birth dates on the citizen's certificate page (docs/certificates.md), counted in the database: `tries` wrong
# ones within `window_hours` lock the person (for every phone), the phone, or the client address until the window has
# passed since the first of them; each later lock of the same one within 30 days lasts twice the one before, up to
# `max_hours`. A right birth date does not reset the count.
SOTIEM_BIRTH_DATE_LIMITS = {
    "person": {
        "tries": int(os.environ.get("SOTIEM_BIRTH_TRIES_PER_PERSON", "5")),
        "window_hours": 24,
        "max_hours": 30 * 24,
    },
    "phone": {
        "tries": int(os.environ.get("SOTIEM_BIRTH_TRIES_PER_PHONE", "10")),
        "window_hours": 24,
        "max_hours": 30 * 24,
    },
    "address": {
        "tries": int(os.environ.get("SOTIEM_BIRTH_TRIES_PER_ADDRESS", "30")),
        "window_hours": 1,
        "max_hours": 24,
    },
}

# Certificates (EU DCC format). Private signing keys are PEM files in this directory, never in the database; in
# production point it at a mounted secret (or an HSM-backed path) readable only by the registry.
SOTIEM_SIGNING_KEY_DIR = Path(os.environ.get("SOTIEM_SIGNING_KEY_DIR", VAR_DIR / "keys"))
# A certificate is valid this long (MoH: the QR is valid 12 months and reissued); a document signer certificate is
# valid SIGNER_DAYS, and signs only while a certificate issued now still expires before the signer does.
SOTIEM_CERTIFICATE_VALIDITY_DAYS = int(os.environ.get("SOTIEM_CERTIFICATE_VALIDITY_DAYS", "365"))
SOTIEM_SIGNER_VALIDITY_DAYS = int(os.environ.get("SOTIEM_SIGNER_VALIDITY_DAYS", "730"))
# When no signing key can sign a full-validity certificate, make a new one rather than stop issuing.
SOTIEM_SIGNING_KEY_AUTO_ROTATE = env_bool("SOTIEM_SIGNING_KEY_AUTO_ROTATE", True)
# The issuer segment of certificate identifiers: URN:UVCI:01:VN:<issuer>/<opaque>#<check>
SOTIEM_UVCI_ISSUER = os.environ.get("SOTIEM_UVCI_ISSUER", "BYT")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
