"""Django settings for Kith. Everything comes from the environment with working dev defaults
(see .env.example)."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("KITH_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("KITH_DEBUG", False)
# The public development key: anyone may read it, so with it anyone can sign CSAT links and
# sessions. Kith refuses to start with it while debug is off (kith.core.checks): production
# must set KITH_SECRET_KEY; `./dev` sets a random key of its own in var/.
KITH_DEV_SECRET_KEY = "kith-dev-only-not-secret"
SECRET_KEY = os.environ.get("KITH_SECRET_KEY") or KITH_DEV_SECRET_KEY
ALLOWED_HOSTS = os.environ.get("KITH_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("KITH_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    # The API docs page with django-ninja's own Swagger UI files (no CDN, no inline script).
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "kith.core",
    "kith.identity",
    "kith.customers",
    "kith.engagement",
    "kith.sales",
    "kith.service",
    "kith.feedback",
    "kith.loyalty",
    "kith.insights",
    "kith.intake",
    "kith.automation",
    "kith.marketing",
    "kith.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kith.web.middleware.RequestContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kith.web.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kith.web.middleware.BadInputMiddleware",
    "kith.web.middleware.TwoFactorRequiredMiddleware",
]

ROOT_URLCONF = "kith.urls"
WSGI_APPLICATION = "kith.wsgi.application"
AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
                "django.template.context_processors.i18n",
                "kith.web.context_processors.kith",
            ],
            # {% linked record "module" %} names a linked record only for those who may see it.
            "builtins": ["kith.web.templatetags.kith_links", "kith.web.templatetags.kith_names"],
        },
    },
]

DATABASE_URL = os.environ.get("KITH_DATABASE_URL", f"sqlite:///{VAR_DIR / 'kith.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the worker write while the server reads; IMMEDIATE avoids upgrade deadlocks.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
            " PRAGMA cache_size=-200000; PRAGMA mmap_size=1073741824; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("KITH_TEST_SQLITE", "")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGES = [("en", _("English")), ("zh-hans", "简体中文"), ("vi", "Tiếng Việt")]
# The installation's language: pages for readers who asked for none, and the language the
# built-in setup (roles, the demo's pipelines, stages and SLA policies) is named in.
LANGUAGE_CODE = os.environ.get("KITH_LANGUAGE", "en").strip().lower() or "en"
if LANGUAGE_CODE not in {code for code, _name in LANGUAGES}:
    raise ImproperlyConfigured(
        f"KITH_LANGUAGE={LANGUAGE_CODE!r} is not one of Kith's languages: en, zh-hans, vi"
    )
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KITH_TIME_ZONE", "UTC")
USE_I18N = True
FORMAT_MODULE_PATH = ["kith.web.formats"]  # thousands grouped in vi and zh-hans
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up when it is missing
# Front-end libraries come from npm (package.json); they are served straight from node_modules.
NODE_MODULES = PROJECT_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/sortablejs", NODE_MODULES / "sortablejs"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/cytoscape", NODE_MODULES / "cytoscape" / "dist"),
    ("vendor/swagger-ui", NODE_MODULES / "swagger-ui-dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Phone numbers typed without a country code are read in this region.
KITH_DEFAULT_PHONE_REGION = os.environ.get("KITH_DEFAULT_PHONE_REGION", "US")
KITH_PAGE_SIZE = int(os.environ.get("KITH_PAGE_SIZE", "50"))
# The one currency insights' KPIs and the sales forecast report in (others are converted at
# the admins' exchange rates); empty: the currency of most orders.
KITH_REPORTING_CURRENCY = os.environ.get("KITH_REPORTING_CURRENCY", "").strip().upper()

# Outgoing webhooks may go to private, loopback or link-local addresses only if allowed here:
# "true" for all of them, or comma-separated networks ("10.1.0.0/16,127.0.0.1/32").
KITH_WEBHOOKS_ALLOW_PRIVATE = os.environ.get("KITH_WEBHOOKS_ALLOW_PRIVATE", "")

# Outgoing email (messages from a contact's page, reminders, CSAT requests): SMTP.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("KITH_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("KITH_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KITH_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KITH_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("KITH_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("KITH_EMAIL_FROM", "Kith <kith@localhost>")
# Absolute links in emails (CSAT pages, public forms) start with this.
KITH_BASE_URL = os.environ.get("KITH_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# HTTPS: when KITH_BASE_URL is https, cookies are secure, plain HTTP is redirected and HSTS is
# sent, unless a KITH_* variable says otherwise. Behind a reverse proxy that terminates TLS, set
# KITH_TRUST_X_FORWARDED_FOR (the proxy's X-Forwarded-For names the client: public-form rate
# limits and sign-in throttling count per real address) and KITH_TRUST_X_FORWARDED_PROTO (its
# X-Forwarded-Proto says the request came over https). Only set them when the proxy overwrites
# those headers; otherwise they are the client's word.
KITH_HTTPS = KITH_BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env_bool("KITH_SECURE_COOKIES", KITH_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("KITH_SECURE_SSL_REDIRECT", KITH_HTTPS)
SECURE_HSTS_SECONDS = int(os.environ.get("KITH_HSTS_SECONDS", "31536000" if KITH_HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KITH_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("KITH_HSTS_PRELOAD", False)
KITH_TRUST_X_FORWARDED_FOR = env_bool("KITH_TRUST_X_FORWARDED_FOR", False)
if env_bool("KITH_TRUST_X_FORWARDED_PROTO", KITH_TRUST_X_FORWARDED_FOR):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy of every page (kith.web.middleware): scripts and styles only from
# Kith's own static files; inline style attributes are allowed (tag colours, heat maps).
KITH_CSP = os.environ.get(
    "KITH_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'",
)

# Backups (kith backup, and nightly in kith worker at KITH_BACKUP_AT UTC, "" for none) go to
# KITH_BACKUP_DIR; the newest of each of the last KITH_BACKUP_KEEP_DAILY days and of the last
# KITH_BACKUP_KEEP_WEEKLY weeks are kept. The admin page warns when the newest backup is older
# than KITH_BACKUP_WARN_HOURS. KITH_PG_BIN_DIR: where pg_dump/pg_restore are (default: PATH).
KITH_BACKUP_DIR = Path(os.environ.get("KITH_BACKUP_DIR", VAR_DIR / "backups"))
KITH_BACKUP_AT = os.environ.get("KITH_BACKUP_AT", "02:30")
KITH_BACKUP_KEEP_DAILY = int(os.environ.get("KITH_BACKUP_KEEP_DAILY", "7"))
KITH_BACKUP_KEEP_WEEKLY = int(os.environ.get("KITH_BACKUP_KEEP_WEEKLY", "4"))
KITH_BACKUP_WARN_HOURS = int(os.environ.get("KITH_BACKUP_WARN_HOURS", "36"))
KITH_PG_BIN_DIR = os.environ.get("KITH_PG_BIN_DIR", "")

# Retention rules, run nightly by kith worker (0: off): raw emails are deleted after
# KITH_RETENTION_RAW_EMAIL_DAYS days; leads that never became a contact are anonymised after
# KITH_RETENTION_LEAD_MONTHS months without a change.
KITH_RETENTION_RAW_EMAIL_DAYS = int(os.environ.get("KITH_RETENTION_RAW_EMAIL_DAYS", "0"))
KITH_RETENTION_LEAD_MONTHS = int(os.environ.get("KITH_RETENTION_LEAD_MONTHS", "0"))
# A privacy request (export, erasure) is due this many days after it was received (GDPR: 30).
KITH_PRIVACY_REQUEST_DAYS = int(os.environ.get("KITH_PRIVACY_REQUEST_DAYS", "30"))

# Two-factor sign-in (TOTP) is optional for every user; with KITH_2FA_REQUIRED_FOR_ADMINS an
# administrator must set it up before using Kith. KITH_PASSWORD_MIN_LENGTH: the password policy's
# shortest password (common, all-digit and name-like passwords are refused too).
KITH_2FA_REQUIRED_FOR_ADMINS = env_bool("KITH_2FA_REQUIRED_FOR_ADMINS", False)
KITH_PASSWORD_MIN_LENGTH = int(os.environ.get("KITH_PASSWORD_MIN_LENGTH", "10"))
AUTH_PASSWORD_VALIDATORS[1]["OPTIONS"] = {"min_length": KITH_PASSWORD_MIN_LENGTH}

# Sign-in throttling: after KITH_SIGNIN_MAX_FAILURES failed sign-ins of one account, or
# KITH_SIGNIN_MAX_FAILURES_ADDRESS from one address, within KITH_SIGNIN_WINDOW seconds, that
# account or address is locked out for KITH_SIGNIN_LOCKOUT seconds.
KITH_SIGNIN_MAX_FAILURES = int(os.environ.get("KITH_SIGNIN_MAX_FAILURES", "5"))
KITH_SIGNIN_MAX_FAILURES_ADDRESS = int(os.environ.get("KITH_SIGNIN_MAX_FAILURES_ADDRESS", "20"))
KITH_SIGNIN_WINDOW = int(os.environ.get("KITH_SIGNIN_WINDOW", "900"))
KITH_SIGNIN_LOCKOUT = int(os.environ.get("KITH_SIGNIN_LOCKOUT", "900"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KITH_LOG_LEVEL", "INFO")},
}

# Sales: public web-to-lead forms accept at most KITH_SALES_FORM_RATE posts per address in
# KITH_SALES_FORM_WINDOW seconds (counted in the database, so across every app server process).
KITH_SALES_FORM_RATE = int(os.environ.get("KITH_SALES_FORM_RATE", "5"))
KITH_SALES_FORM_WINDOW = int(os.environ.get("KITH_SALES_FORM_WINDOW", "600"))
# Cards shown per kanban column before "more".
KITH_SALES_BOARD_COLUMN = int(os.environ.get("KITH_SALES_BOARD_COLUMN", "15"))

# Service: the public support form takes KITH_SERVICE_FORM_RATE posts per address in
# KITH_SERVICE_FORM_WINDOW seconds; CSAT links expire after KITH_SERVICE_CSAT_DAYS days; tickets
# of new contacts (form, email) go to KITH_SERVICE_INTAKE_USER (default: the first superuser).
KITH_SERVICE_FORM_RATE = int(os.environ.get("KITH_SERVICE_FORM_RATE", "5"))
KITH_SERVICE_FORM_WINDOW = int(os.environ.get("KITH_SERVICE_FORM_WINDOW", "600"))
KITH_SERVICE_CSAT_DAYS = int(os.environ.get("KITH_SERVICE_CSAT_DAYS", "14"))
KITH_SERVICE_INTAKE_USER = os.environ.get("KITH_SERVICE_INTAKE_USER", "")

# Imports: a file of at most KITH_IMPORT_MAX_MB megabytes and KITH_IMPORT_MAX_ROWS rows; one up to
# KITH_IMPORT_READ_INLINE_KB is read while the user waits, a larger one by the worker.
KITH_IMPORT_MAX_MB = int(os.environ.get("KITH_IMPORT_MAX_MB", "50"))
KITH_IMPORT_MAX_ROWS = int(os.environ.get("KITH_IMPORT_MAX_ROWS", "1000000"))
KITH_IMPORT_READ_INLINE_KB = int(os.environ.get("KITH_IMPORT_READ_INLINE_KB", "512"))
# Django keeps an upload above this in a temporary file, not in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Marketing: the mailto of List-Unsubscribe (default: the campaign's From); the mailbox with
# purpose "bounces" should receive this address's mail (unsubscribe replies and DSNs).
KITH_MARKETING_UNSUBSCRIBE_EMAIL = os.environ.get("KITH_MARKETING_UNSUBSCRIBE_EMAIL", "")
# SMS campaigns go through a provider adapter (kith.marketing.channels): its name ("http"), its
# URL, and the name of the environment variable holding its token.
KITH_MARKETING_SMS_PROVIDER = os.environ.get("KITH_MARKETING_SMS_PROVIDER", "http")
KITH_MARKETING_SMS_URL = os.environ.get("KITH_MARKETING_SMS_URL", "")
KITH_MARKETING_SMS_TOKEN_ENV = os.environ.get("KITH_MARKETING_SMS_TOKEN_ENV", "")
# Chat/social messages of campaigns: the "webhook" adapter posts signed JSON to a bridge.
KITH_MARKETING_CHAT_PROVIDER = os.environ.get("KITH_MARKETING_CHAT_PROVIDER", "webhook")
KITH_MARKETING_CHAT_URL = os.environ.get("KITH_MARKETING_CHAT_URL", "")
KITH_MARKETING_CHAT_TOKEN_ENV = os.environ.get("KITH_MARKETING_CHAT_TOKEN_ENV", "")
