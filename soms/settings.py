"""Django settings for SOMS, read from the environment.

Development (the default) runs on an embedded SQLite database with no configuration at all.
Production (``SOMS_ENV=production``) refuses to start unless every value it cannot safely guess is
set: a SOMS that silently ran with a development secret key or on SQLite would be worse than one
that does not start.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

SOMS_ENV = os.environ.get("SOMS_ENV", "development")
if SOMS_ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"SOMS_ENV must be 'development' or 'production', not {SOMS_ENV!r}.")
PRODUCTION = SOMS_ENV == "production"


def _required(name: str, development_default: str) -> str:
    """A value production must be given explicitly; development gets a harmless default."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(
            f"{name} is required when SOMS_ENV=production. "
            f"Set it in the environment (see docs/operations.md). "
            f"生产环境必须设置环境变量 {name}。"
        )
    return development_default


SECRET_KEY = _required("SECRET_KEY", "development-only-key-never-use-in-production")
DEBUG = not PRODUCTION and os.environ.get("DEBUG", "1") != "0"
ALLOWED_HOSTS = [
    h.strip()
    for h in _required("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

_database_url = _required("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'soms.sqlite3'}")
if PRODUCTION and _database_url.startswith("sqlite"):
    # SQLite is the embedded trial database; production data belongs on PostgreSQL.
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL when SOMS_ENV=production. "
        "生产环境的 DATABASE_URL 必须指向 PostgreSQL。"
    )
DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL and a busy timeout let the web server and a command line share the file.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    # Test databases in a file, not in memory, so that an import job's own process (soms
    # run_import_job) reaches the same database as the test that started it.
    _test_name = Path(DATABASES["default"]["NAME"]).with_name("test-soms.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": str(_test_name)}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})
    # The statements a decision runs every time (soms.core.db) are prepared once per
    # connection; a generic plan spares planning them on each run. Django's own queries are
    # not server-side prepared, so this setting does not touch them. JIT compilation costs more
    # than it saves on the queries of a web page (a fifth of a second on a national figure).
    DATABASES["default"]["OPTIONS"]["options"] = "-c plan_cache_mode=force_generic_plan -c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The data's path: reference -> registry -> filing -> review -> statistics -> dissemination.
    "soms.core",
    "soms.audit",
    "soms.accounts",
    "soms.reference",
    "soms.registry",
    "soms.filing",
    "soms.review",
    "soms.exchange",
    "soms.statistics",
    "soms.dissemination",
    "soms.policy",
    "soms.evaluation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "soms.core.middleware.ContentSecurityPolicyMiddleware",
    # WhiteNoise serves collected static files in production; development serves them itself.
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if PRODUCTION else []),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which one-time-code device, if any, verified this session (request.user.otp_device).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "soms.core.middleware.RequestContextMiddleware",
    # After a password, a session that owes a one-time code sees only the pages that take it.
    "soms.accounts.middleware.TwoFactorMiddleware",
    # Axes last: it needs the authenticated user and answers lock-outs itself.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "soms.urls"
WSGI_APPLICATION = "soms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "soms.core.context_processors.soms",
            ],
        },
    }
]

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
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# Login throttling: after 5 failures for one username from one address, 15 minutes' lock-out.
AXES_FAILURE_LIMIT = int(os.environ.get("SOMS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Two-factor sign-in with a one-time code from an authenticator app (soms.accounts.two_factor).
# "required": every official (all roles but the enterprise ones) sets it up and enters a code after
# the password; "optional": anyone may set it up on their account page, and is then asked for a
# code at each sign-in. Production requires it; development and the demo (no phone at hand) do not.
SOMS_TWO_FACTOR = os.environ.get("SOMS_TWO_FACTOR", "").strip() or (
    "required" if PRODUCTION else "optional"
)
if SOMS_TWO_FACTOR not in ("required", "optional"):
    raise ImproperlyConfigured(
        f"SOMS_TWO_FACTOR must be 'required' or 'optional', not {SOMS_TWO_FACTOR!r}. "
        f"环境变量 SOMS_TWO_FACTOR 只能是 required 或 optional。"
    )
OTP_TOTP_ISSUER = "SOMS"
# Wrong codes in a row make the next attempt wait 1, 2, 4, 8 … seconds (django-otp's throttling).
OTP_TOTP_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
# Front-end packages come from npm at set-up (package.json); nothing is fetched at run time.
NODE_MODULES = Path(os.environ.get("SOMS_NODE_MODULES", BASE_DIR / "node_modules"))
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "soms@localhost")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# The largest upload accepted (megabytes; a scanned certificate: 20). nginx's
# client_max_body_size should be at least this (docs/operations.md).
SOMS_UPLOAD_MAX_MB = int(os.environ.get("SOMS_UPLOAD_MAX_MB", "200"))
SOMS_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = os.environ.get("SOMS_INSECURE_COOKIES") != "1"
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HTTPS only, remembered by browsers for a year (behind nginx, which terminates TLS; see
    # docs/operations.md). SOMS_HTTPS=0 for a closed network without certificates.
    _HTTPS = os.environ.get("SOMS_HTTPS", "1") != "0"
    SECURE_SSL_REDIRECT = _HTTPS
    SECURE_HSTS_SECONDS = 31_536_000 if _HTTPS else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
    SECURE_HSTS_PRELOAD = _HTTPS  # the directive only; listing the domain is a separate request

# The facts of shared/reference ship inside the package (a test keeps the copies identical).
SOMS_REFERENCE_DIR = Path(os.environ.get("SOMS_REFERENCE_DIR", PACKAGE_DIR / "reference" / "data"))
# One cache for every worker process on the host (public statistics are kept there, see
# soms.statistics.versions); in development each process keeps its own in memory.
if PRODUCTION:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("SOMS_CACHE_DIR", str(BASE_DIR / "var" / "cache")),
        }
    }
# Public statistics (disclosure-controlled, summed over every enterprise's facts) are reused for
# up to this many seconds after a decision changes the data; officials' figures are current.
# (In development they follow every decision at once.)
SOMS_PUBLIC_STATISTICS_MAX_AGE = int(
    os.environ.get("SOMS_PUBLIC_STATISTICS_MAX_AGE", "600" if PRODUCTION else "0")
)
# The deployer's approved province boundaries (a GeoJSON file on disk) for the statistics map;
# none ships with SOMS, and without it the map is a tile grid that draws no boundary at all.
SOMS_PROVINCE_GEOJSON = os.environ.get("SOMS_PROVINCE_GEOJSON", "").strip()
if SOMS_PROVINCE_GEOJSON and not Path(SOMS_PROVINCE_GEOJSON).is_file():
    raise ImproperlyConfigured(
        f"SOMS_PROVINCE_GEOJSON names {SOMS_PROVINCE_GEOJSON!r}, which is not a readable file. "
        f"环境变量 SOMS_PROVINCE_GEOJSON 指向的文件不存在。"
    )
# Days before a certificate's expiry from which it is shown as expiring.
SOMS_CERTIFICATE_WARNING_DAYS = int(os.environ.get("SOMS_CERTIFICATE_WARNING_DAYS", "90"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint narrates every step of every PDF at INFO.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}

SOMS_TITLE = _("Service Outsourcing Management and Statistics")
