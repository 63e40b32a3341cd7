"""Django settings for ektp-drives.

Every value that differs between machines comes from the environment (see .env.example).
``ektp_drives.settings_production`` tightens these for a server.
"""

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE

import ektp_drives

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# EKTP_ENV_FILE points at another file (or /dev/null to read none, as the settings tests do).
environ.Env.read_env(env("EKTP_ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdefghij")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "ektp_drives.views_errors.csrf_failure"  # Indonesian page, in the app's layout

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "django_htmx",
    "axes",
    "csp",
    "ektp_drives",
    "schools",
    "recordings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ektp_drives.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ektp_drives.middleware.PrivateNoStoreMiddleware",  # Cache-Control for logged-in users' pages
    "schools.middleware.PasswordChangeRequiredMiddleware",
    "ektp_drives.security.AdminSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "ektp_drives.urls"
WSGI_APPLICATION = "ektp_drives.wsgi.application"

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
                "schools.context_processors.role",
                "ektp_drives.context_processors.app",
                "ektp_drives.context_processors.office",
            ],
        },
    },
]

# Database: DATABASE_URL selects a PostgreSQL server; without it an embedded PostgreSQL
# (pgserver) runs with its data under var/. PostgreSQL only: no SQLite anywhere.
VAR_DIR = Path(env("EKTP_VAR_DIR", default=str(BASE_DIR / "var")))
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from ektp_drives.embedded_db import embedded_database_url

    DATABASES = {"default": env.db_url_config(embedded_database_url(VAR_DIR))}
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# Separate test databases let several test runs share one server.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=None)}
# Optional read replica (PostgreSQL streaming replication) for heavy read-only pages such as the
# progress dashboards: code that may read slightly stale data uses .using(DASHBOARD_DATABASE).
if env("REPLICA_DATABASE_URL", default=""):
    DATABASES["replica"] = env.db("REPLICA_DATABASE_URL")
    DATABASES["replica"]["ENGINE"] = "django.db.backends.postgresql"
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DASHBOARD_DATABASE = "replica" if "replica" in DATABASES else "default"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "ektp_drives.security.AxesBackend",  # refuses locked-out username + IP pairs; must come first
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The release (footer, service-worker caches). One definition: ektp_drives.__version__.
APP_VERSION = ektp_drives.__version__
# Offline visit pages (docs/adr/0022-offline-visit-pages-service-worker.md): after this many hours
# unsent, the visit page warns to connect or use the field sheet; copies are deleted after the other.
OFFLINE_WARN_HOURS = env.float("OFFLINE_WARN_HOURS", default=4)
OFFLINE_COPY_MAX_HOURS = env.int("OFFLINE_COPY_MAX_HOURS", default=48)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # expiry counts from the last request (inactivity)
# Admin sessions (under /admin/ or of is_staff users) also end when the browser closes:
# ektp_drives.security.AdminSessionMiddleware.

# Login protection (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from one
# IP address, that pair is refused (even with the right password) for AXES_COOLOFF_MINUTES.
# Unlock earlier with `manage.py axes_reset_username <name>` or `manage.py axes_reset`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ektp_drives.security.lockout_response"  # templates/registration/locked_out.html
AXES_CLIENT_IP_CALLABLE = "ektp_drives.security.client_ip"
# Only behind a proxy that overwrites X-Real-IP (nginx in docs/operations.md) may the header be trusted.
TRUST_X_REAL_IP = env.bool("TRUST_X_REAL_IP", default=False)

# Outcomes (docs/adr/0014): a tap kept offline on a phone is still taken this many hours after its
# visit finished (from the user who made it); later, only a supervisor's correction changes it.
LATE_TAP_WINDOW_HOURS = env.int("LATE_TAP_WINDOW_HOURS", default=72)

# Content-Security-Policy (django-csp): scripts and styles only from our own static files.
# Inline style *attributes* are allowed (Bootstrap progress bars set style="width: ..."); inline
# <script> and <style> elements are not. The one <style> htmx injects for its indicators is allowed by hash.
# (htmx 2.0.11; tests/ektp_drives/test_csp_browser.py fails if an upgrade changes it.)
HTMX_INDICATOR_STYLE = (
    ".htmx-indicator{opacity:0;visibility: hidden} "
    ".htmx-request .htmx-indicator, .htmx-request.htmx-indicator{opacity:1;visibility: visible;"
    "transition: opacity 200ms ease-in}"
)
_htmx_style_digest = base64.b64encode(hashlib.sha256(HTMX_INDICATOR_STYLE.encode()).digest()).decode()
HTMX_INDICATOR_STYLE_HASH = f"'sha256-{_htmx_style_digest}'"
WHATSAPP_ORIGINS = ["https://wa.me", "https://api.whatsapp.com"]  # click-to-chat (docs/adr/0029)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, HTMX_INDICATOR_STYLE_HASH],
        "style-src-elem": [SELF, HTMX_INDICATOR_STYLE_HASH],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # The WhatsApp button posts to our server, which logs the tap and answers 303 to wa.me
        # (which may redirect to api.whatsapp.com): form-action also governs those redirects.
        "form-action": [SELF, *WHATSAPP_ORIGINS],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# The office, as printed on reports and named on the login page's "Lupa kata sandi?" help.
OFFICE_NAME = env("OFFICE_NAME", default="Dinas Kependudukan dan Pencatatan Sipil")
OFFICE_REGENCY = env("OFFICE_REGENCY", default="Kabupaten Batanghari")
OFFICE_ADDRESS = env("OFFICE_ADDRESS", default="")
OFFICE_CONTACT = env("OFFICE_CONTACT", default="")  # phone or e-mail for school operators
OFFICE_PLACE = env("OFFICE_PLACE", default="Muara Bulian")  # where reports are signed
REPORT_SIGNER_TITLE = env("REPORT_SIGNER_TITLE", default="Kepala Dinas")
REPORT_SIGNER_NAME = env("REPORT_SIGNER_NAME", default="")
REPORT_SIGNER_NIP = env("REPORT_SIGNER_NIP", default="")

# Where trips start: the office's coordinates (decimal degrees). Without a travel figure entered for
# a school, its straight-line distance from here is shown, marked as such. The default is the
# centre of Muara Bulian (approximate); set the office's own point in .env.
OFFICE_LATITUDE = env.float("OFFICE_LATITUDE", default=-1.6956)
OFFICE_LONGITUDE = env.float("OFFICE_LONGITUDE", default=103.2648)
# The school map is drawn from coordinates alone (works offline). An optional tile layer is drawn
# under it only when a URL template is set, e.g. https://tile.example.org/{z}/{x}/{y}.png; its
# host is then allowed in the Content-Security-Policy's img-src.
MAP_TILE_URL = env("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", default="")
if MAP_TILE_URL:
    from urllib.parse import urlsplit

    _tiles = urlsplit(MAP_TILE_URL.replace("{s}", "a"))
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tiles.netloc}")
# The regency's rough bounding box (south, west, north, east; decimal degrees): a school placed
# outside it is flagged as a likely slip. Default: Kabupaten Batanghari.
REGENCY_BOUNDS = tuple(env.list("REGENCY_BOUNDS", cast=float, default=[-2.2, 102.45, -1.2, 103.85]))
# Where notices to schools come from, and the link to the app they carry (no trailing slash).
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ektp-drives@localhost")
# E-mail goes to the console unless EMAIL_URL names a server (smtp://user:pass@host:587).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Jakarta")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"  # uploads are served only through permission-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# History of every change, written by database triggers (so bulk writes are recorded too).
PGHISTORY_ADMIN_CLASS = "ektp_drives.history_admin.HistoryEventsAdmin"

# Backups (manage.py db_backup / db_restore, scripts/backup.sh): custom-format pg_dump files, mode 0600.
BACKUP_DIR = Path(env("BACKUP_DIR", default=str(VAR_DIR / "backups")))
BACKUP_KEEP_DAYS = env.int("BACKUP_KEEP_DAYS", default=30)
# Directory of pg_dump/pg_restore/psql to use; by default the ones matching the server's major version
# are found (pgserver's own, /usr/lib/postgresql/<major>/bin, PATH).
PG_BIN_DIR = env("PG_BIN_DIR", default="")

# Personal data: no NIK / No KK (16 digits) in logs or error reports. Every handler masks them, and
# Django's error reports (500 e-mails, the DEBUG page) go through the masking reporter and filter.
DEFAULT_EXCEPTION_REPORTER = "ektp_drives.personal_data.PersonalDataExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "ektp_drives.personal_data.PersonalDataReporterFilter"
ADMINS = [tuple(admin.split(":", 1)) for admin in env.list("ADMINS", default=[])]  # "Name:email,..."
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_personal_numbers": {"()": "ektp_drives.personal_data.MaskPersonalNumbersFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_personal_numbers"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "mask_personal_numbers"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Django's own loggers get the masked handlers too (replacing Django's defaults).
    "loggers": {
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # no start-up banner in every command's output
    },
}
