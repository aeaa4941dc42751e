"""Settings for newsroom, read from the environment (see .env.example and the README)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=true for local development only).")
    SECRET_KEY = "django-insecure-local-development-only-never-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "reversion",
    "csp",
    "axes",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "articles.middleware.PermissionsPolicyMiddleware",
    "articles.middleware.NewsroomCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "articles.middleware.CleanQueryStringMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it turns a locked-out login into the lockout page (see AXES_* below).
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out user name and address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "newsroom.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "articles.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"

# Database: SQLite beside the code unless DATABASE_URL names another (postgres://... uses psycopg 3).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(env_str("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Language and time: the newsroom works in Chinese, on Beijing time; datetimes are stored in UTC.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["newsroom.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Static files: our own assets in static/, CKEditor 5 straight from the npm package (never vendored).
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
CKEDITOR_DIST = BASE_DIR / "node_modules" / "ckeditor5" / "dist"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/ckeditor5", CKEDITOR_DIST / "browser"),
    ("vendor/ckeditor5/translations", CKEDITOR_DIST / "translations"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    "map",
    "jpg",
    "jpeg",
    "png",
    "gif",
    "webp",
    "zip",
    "gz",
    "tgz",
    "bz2",
    "woff",
    "woff2",
]

MEDIA_URL = env_str("DJANGO_MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))

# Uploads: bytes and pixels an image may have before it is refused.
NEWSROOM_MAX_UPLOAD_BYTES = int(env_str("NEWSROOM_MAX_UPLOAD_BYTES", str(25 * 1024 * 1024)))
NEWSROOM_MAX_IMAGE_PIXELS = int(env_str("NEWSROOM_MAX_IMAGE_PIXELS", str(60_000_000)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Workflow: how many review levels sign a story off (1, or 3 for 初审/复审/终审), how long preview links
# for outside sources live, and how long the trash keeps articles.
NEWSROOM_REVIEW_LEVELS = int(env_str("NEWSROOM_REVIEW_LEVELS", "1"))
NEWSROOM_SHARE_LINK_DAYS = int(env_str("NEWSROOM_SHARE_LINK_DAYS", "3"))
NEWSROOM_TRASH_DAYS = int(env_str("NEWSROOM_TRASH_DAYS", "30"))

# The paper's name as printed on the site.
NEWSROOM_SITE_NAME = env_str("NEWSROOM_SITE_NAME", "今日女报 · 凤网")

# Production security (all on when DEBUG is off; see the README's deployment section).
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Only staff have sessions (readers never log in): a working day at most, and gone when the browser closes.
SESSION_COOKIE_AGE = int(env_str("DJANGO_SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_HSTS_SECONDS = int(env_str("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
# Preload is a commitment that is hard to undo (every subdomain HTTPS-only in every browser for months), so it
# stays an explicit decision of whoever runs the domain: off by default, and its reminder (W021) is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page of ours uses (sent by articles.middleware.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), midi=(), payment=(), usb=()"
)

# Content-Security-Policy (django-csp 4). Public pages: our own scripts and styles only; the one inline
# <script> (the article's JSON-LD, data rather than code) carries the request's nonce.
_MEDIA_ORIGIN = [MEDIA_URL.split("/", 3)[0] + "//" + MEDIA_URL.split("/", 3)[2]] if "://" in MEDIA_URL else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *_MEDIA_ORIGIN],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# The admin (articles.middleware.NewsroomCSPMiddleware picks it for every URL under /admin/): the same, except
# style-src 'unsafe-inline'. CKEditor 5's documentation asks for it (some features write <style> elements or style
# attributes; the plugins we load, checked in tests/browser/test_csp.py, style through the CSSOM, which CSP does
# not restrict), and our admin pages have inline styles of their own (history and import-preview <style> blocks,
# photo thumbnails). Inline styles cannot run code; scripts stay strict everywhere: never 'unsafe-inline' or
# 'unsafe-eval' in script-src. blob: lets the editor preview an image while it uploads.
NEWSROOM_ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *_MEDIA_ORIGIN],
    }
}

# Login throttling on the admin (django-axes): five wrong passwords for one user name from one address lock that
# pair only (an attacker cannot lock the newsroom out), for a cool-off, then it unlocks by itself.
AXES_FAILURE_LIMIT = int(env_str("DJANGO_AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env_str("DJANGO_AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
# The client address (articles.middleware.client_ip_address): REMOTE_ADDR unless the site is behind a reverse
# proxy. Then it is the address the proxies appended to X-Forwarded-For, DJANGO_PROXY_COUNT entries from the right
# (proxies in a row, default 1): whatever the client itself wrote in that header is ignored. (django-ipware's
# proxy_count finds nothing when the header holds the client alone, and then falls back to the proxy's address.)
PROXY_COUNT = int(env_str("DJANGO_PROXY_COUNT", "1")) if BEHIND_PROXY else 0
AXES_CLIENT_IP_CALLABLE = "articles.middleware.client_ip_address"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "WARNING")},
}
