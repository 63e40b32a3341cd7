"""Production settings: DEBUG off, SECRET_KEY required, secure cookies and HSTS.

``DJANGO_SETTINGS_MODULE=ektp_drives.settings_production python manage.py check --deploy`` reports
nothing (tests/ektp_drives/test_settings_production.py). See docs/operations.md for the environment.
"""

import os

os.environ.setdefault("DEBUG", "false")

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from ektp_drives.settings import *  # noqa: E402,F403
from ektp_drives.settings import DATABASES, env  # noqa: E402

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: refuse to start without one
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith(("dev-only", "change-me", "django-insecure")):
    raise ImproperlyConfigured(
        "SECRET_KEY must be a long random string (50+ characters), e.g. from "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# nginx terminates TLS and sets X-Forwarded-Proto and X-Real-IP (docs/operations.md).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
TRUST_X_REAL_IP = env.bool("TRUST_X_REAL_IP", default=True)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True  # the token reaches forms and HTMX through the page, never through JS cookies
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Error e-mails to ADMINS ("Name:email,..."), masked by ektp_drives.personal_data. EMAIL_URL is e.g.
# smtp+tls://user:password@mail.example.go.id:587 (django-environ's documented pattern below).
SERVER_EMAIL = env("SERVER_EMAIL", default="root@localhost")
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
