"""Settings for newsroom, read from the environment (see .env.example and the README)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


# A bad value stops startup with a message naming the variable, never a bare ValueError from deep inside Django or
# a library; an empty value (`NAME=` in an .env file) means the default, as if the variable were unset.
_TRUE_WORDS = {"1", "true", "yes", "on"}
_FALSE_WORDS = {"0", "false", "no", "off"}


def env_str(name, default=""):
    value = os.environ.get(name, "")
    return value if value.strip() else default


def env_bool(name, default=False):
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in _TRUE_WORDS | _FALSE_WORDS:
        return value in _TRUE_WORDS
    raise ImproperlyConfigured(f"{name}={os.environ[name]!r}: use true or false (or 1/0, yes/no, on/off).")


def env_int(name, default, minimum=0):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number (the default is {default}).") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is too small: the least is {minimum}.")
    return number


def env_choice(name, default, choices):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r}: use one of {', '.join(choices)}.")
    return value


def env_database(name, conn_max_age, default=""):
    """The database named by the URL in ``name`` (the URL itself is never printed: it may hold a password)."""
    url = os.environ.get(name, "").strip() or default
    if not url:
        return None
    try:
        database = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    except dj_database_url.UnknownSchemeError:
        scheme = url.split("://", 1)[0] if "://" in url else url.split(":", 1)[0]
        raise ImproperlyConfigured(
            f"{name}: unknown database kind {scheme!r}; write postgres://user:password@host:5432/name "
            "(or sqlite:////path/to/db.sqlite3)."
        ) from None
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} is not a valid URL: write postgres://user:password@host:5432/name, with special characters "
            "in the user name and password percent-encoded (@ as %40, / as %2F, : as %3A)."
        ) from None
    if not database.get("NAME"):
        raise ImproperlyConfigured(f"{name} names no database: postgres://user:password@host:5432/name.")
    return database


def env_list(name, default=""):
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=true for local development only).")
    # Only with DEBUG on, on a developer's machine: without DEBUG, startup fails above when no key is set.
    SECRET_KEY = "django-insecure-local-development-only-never-in-production"  # noqa: S105  # nosec B105
elif not DEBUG and "change-me" in SECRET_KEY:
    # .env.example's placeholder copied as it is: a key anyone can read must never sign a live site's cookies.
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is still .env.example's placeholder: generate one with "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
for _host in ALLOWED_HOSTS:
    if "/" in _host:  # https://www.example.cn, or a path: no request ever matches it, every page is a 400
        raise ImproperlyConfigured(f"DJANGO_ALLOWED_HOSTS: {_host!r} is not a host name; write www.example.cn.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "articles.admin_site.NewsroomAdminConfig",  # django.contrib.admin, its models in a working order
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "reversion",
    "csp",
    "articles.admin_site.NewsroomAxesConfig",  # axes, named in Chinese in the admin
    "django_tasks",
    "articles.admin_site.NewsroomTasksDatabaseConfig",  # django_tasks_db, named in Chinese in the admin
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # /healthz for load balancers, whatever Host header they send (newsroom/health.py).
    "newsroom.health.HealthCheckMiddleware",
    # A view, template, session or user load that finds the database away answers a 503 page (Retry-After).
    "articles.middleware.DatabaseUnavailableMiddleware",
    "articles.middleware.PermissionsPolicyMiddleware",
    # Anonymous public pages from Django's cache, ETag/Last-Modified/304, Cache-Control (articles/cache.py). Above
    # django-csp's middleware: a stored page keeps the CSP header that matches the nonce in its body.
    "articles.cache.PageCacheMiddleware",
    "articles.middleware.SiteLocaleMiddleware",
    "articles.middleware.NewsroomCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "articles.middleware.SessionMiddleware",  # Django's, reusing the session the page cache read
    "articles.middleware.CleanQueryStringMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff sessions last SESSION_COOKIE_AGE after the last activity (below SessionMiddleware: it saves them).
    "articles.middleware.SessionActivityMiddleware",
    # A form posted to the admin after the login ended answers with the typed text, not the login page.
    "articles.middleware.SignedOutSaveMiddleware",
    # Anonymous public reads go to the read replica (when there is one); see newsroom/routers.py.
    "newsroom.routers.ReplicaRoutingMiddleware",
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
CONN_MAX_AGE = env_int("DJANGO_CONN_MAX_AGE", 60)
DATABASES = {"default": env_database("DATABASE_URL", CONN_MAX_AGE, default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# A streaming replica of that database (PostgreSQL hot standby): anonymous public reads go there, everything else
# (admin, staff, writes, preview links, a browser that has just written) to the primary. Tests mirror it.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL").strip()
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {**env_database("DATABASE_REPLICA_URL", CONN_MAX_AGE), "TEST": {"MIRROR": "default"}}
    # A replica that does not answer is given up quickly (reads then go to the primary).
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
NEWSROOM_REPLICA_DATABASE = "replica" if DATABASE_REPLICA_URL else ""
# PostgreSQL's JIT compiler pays ~150 ms to compile any query it costs high; page queries are short index scans,
# so it is off for our connections (set PGOPTIONS or the server's jit to override).
#
# Prepared statements: the public pages' main queries (the article, the home page, the story lists: built once per
# process by articles.querysets.fetch_compiled) are the same few SQL texts with other values, and planning one
# (its JSON parts, joins) took about as long as running it. With the values bound on the server, those queries
# (and only those: a generic plan cannot use a partial index whose condition is a bound value, which made another
# query 10 times slower) are prepared on each connection and then only executed. Behind a pooler in transaction
# mode that cannot keep prepared statements (PgBouncer before 1.21), set NEWSROOM_DB_PREPARED_STATEMENTS=false.
NEWSROOM_DB_PREPARED_STATEMENTS = env_bool("NEWSROOM_DB_PREPARED_STATEMENTS", True)
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, its health check without a round trip (newsroom/postgresql/base.py).
        _database["ENGINE"] = "newsroom.postgresql"
        _options = _database.setdefault("OPTIONS", {})
        _options.setdefault("options", "-c jit=off")
        if NEWSROOM_DB_PREPARED_STATEMENTS:
            _options.setdefault("server_side_binding", True)
            # psycopg prepares a query after this many runs: never by itself (None would forbid it even when asked).
            _options.setdefault("prepare_threshold", 2**31 - 1)
DATABASE_ROUTERS = ["newsroom.routers.ReplicaRouter"]
# After a write, the browser reads from the primary for this long (replication lag never shows it stale data).
NEWSROOM_REPLICA_PIN_SECONDS = env_int("NEWSROOM_REPLICA_PIN_SECONDS", 15)
# A replica that failed is left alone for this long before it is tried again (reads go to the primary).
NEWSROOM_REPLICA_RETRY_SECONDS = env_int("NEWSROOM_REPLICA_RETRY_SECONDS", 10)

# Sessions (staff only) in the database by default, so any app server knows them; "cache" or "cached_db" keeps
# them in the cache too, which then must be shared (REDIS_URL).
SESSION_ENGINE = "django.contrib.sessions.backends." + env_choice(
    "DJANGO_SESSION_STORE", "db", ["db", "cache", "cached_db"]
)

# Background work (django-tasks with its database backend): jobs are rows in the database, so the worker of any
# app server (`manage.py db_worker`) can take any job. NEWSROOM_TASKS=immediate runs them at once in the request
# instead (no worker needed: local development, tests).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if env_choice("NEWSROOM_TASKS", "database", ["database", "immediate"]) == "database"
        else "django_tasks.backends.immediate.ImmediateBackend",
    }
}

# Caches (articles/cache.py). "default" holds anonymous pages: this process's memory, or Redis when REDIS_URL is set
# (redis://host:6379/0; shared by every app server). "generation" holds the content generation every process must
# agree on (a random token replaced by every change): the same Redis, or else a small file in NEWSROOM_CACHE_DIR,
# which every process that changes content (gunicorn workers, manage.py commands, the task worker) must be able to
# write. Stored pages expire after NEWSROOM_PAGE_CACHE_TIMEOUT seconds at the latest; a change retires them at once.
# Without Redis, every one of those processes must run as the same system user: Django's file cache creates the
# generation file with mode 0600, so a process running as another user can neither read nor replace it (a change
# it makes is then not seen by the others, and its pages are never retired). Root (a `sudo make restore`) is the
# exception: what it writes goes to the owner of NEWSROOM_CACHE_DIR (newsroom/file_cache.py).
REDIS_URL = env_str("REDIS_URL").strip()
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    # Otherwise every request would log the error and run without the cache. The URL may hold a password: not shown.
    raise ImproperlyConfigured(
        "REDIS_URL must start with redis://, rediss:// or unix://, e.g. redis://127.0.0.1:6379/0."
    )
if SESSION_ENGINE != "django.contrib.sessions.backends.db" and not REDIS_URL:
    # Each gunicorn worker's own memory: a login known to one worker only, a logout that the others never see.
    raise ImproperlyConfigured(
        "DJANGO_SESSION_STORE=cache or cached_db needs REDIS_URL (a cache every process shares); or use db."
    )
NEWSROOM_CACHE_DIR = Path(env_str("NEWSROOM_CACHE_DIR", str(BASE_DIR / ".tmp" / "cache")))
NEWSROOM_PAGE_CACHE_TIMEOUT = env_int("NEWSROOM_PAGE_CACHE_TIMEOUT", 600)
if REDIS_URL:
    _redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # A Redis that does not answer costs a request at most this long; the page is then rendered without it.
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    CACHES = {
        "default": {**_redis, "TIMEOUT": NEWSROOM_PAGE_CACHE_TIMEOUT, "KEY_PREFIX": "newsroom"},
        "generation": {**_redis, "TIMEOUT": None, "KEY_PREFIX": "newsroom"},
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "newsroom",
            "TIMEOUT": NEWSROOM_PAGE_CACHE_TIMEOUT,
            # 20-60 KB a page: at most ~50 MB per process; the least recently used pages go first.
            "OPTIONS": {"MAX_ENTRIES": env_int("NEWSROOM_PAGE_CACHE_ENTRIES", 1000, minimum=1)},
        },
        "generation": {
            # Django's file cache, whose files stay the site user's when a command is run as root (sudo).
            "BACKEND": "newsroom.file_cache.SharedFileBasedCache",
            "LOCATION": str(NEWSROOM_CACHE_DIR / "generation"),
            "TIMEOUT": None,
        },
    }
# NEWSROOM_PAGE_CACHE=false turns the page cache and its HTTP headers off (the test suite does, except
# tests/test_cache.py, so that query budgets measure rendering). NEWSROOM_CACHE_SECONDS is the s-maxage of anonymous
# pages: how long a CDN or reverse proxy may serve one without asking (and so how long it may lag behind a change).
NEWSROOM_PAGE_CACHE = env_bool("NEWSROOM_PAGE_CACHE", True)
NEWSROOM_CACHE_SECONDS = env_int("NEWSROOM_CACHE_SECONDS", 30)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The only login is the admin's: where it leads when its ?next= is missing or points off the site (Django's default,
# /accounts/profile/, is a 404 here).
LOGIN_REDIRECT_URL = "admin:index"

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

# Media on S3-compatible object storage (django-storages) when a bucket is named: no app server keeps a file of its
# own. Keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (read by boto3); AWS_S3_ENDPOINT_URL names a store
# other than Amazon's. Readers fetch media from AWS_S3_CUSTOM_DOMAIN (a CDN or the bucket's own domain) if set, else
# from the bucket under the endpoint; the bucket (or CDN) must allow anonymous reads, since URLs are not signed.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _s3_endpoint = env_str("AWS_S3_ENDPOINT_URL").rstrip("/")
    if _s3_endpoint and not _s3_endpoint.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"AWS_S3_ENDPOINT_URL={_s3_endpoint!r}: write it as a URL, https://s3.example.cn.")
    _s3_region = env_str("AWS_S3_REGION_NAME", "us-east-1")
    # The CDN's host, also when written as a URL (https://img.example.cn/): its scheme then names the protocol.
    _custom_scheme, _, _custom_host = env_str("AWS_S3_CUSTOM_DOMAIN").strip().rpartition("://")
    _media_host = _custom_host.rstrip("/") or (
        f"{_s3_endpoint.split('://', 1)[-1]}/{AWS_STORAGE_BUCKET_NAME}"
        if _s3_endpoint
        else f"{AWS_STORAGE_BUCKET_NAME}.s3.{_s3_region}.amazonaws.com"
    )
    _media_scheme = (
        env_str("AWS_S3_URL_PROTOCOL").strip().rstrip(":")
        or _custom_scheme
        or (_s3_endpoint.split("://", 1)[0] if _s3_endpoint else "https")
    )
    if _media_scheme not in ("https", "http"):
        raise ImproperlyConfigured(f"AWS_S3_URL_PROTOCOL={_media_scheme!r}: use https: or http:.")
    _media_protocol = _media_scheme + ":"
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": _s3_endpoint or None,
            "region_name": _s3_region,
            "addressing_style": "path" if _s3_endpoint else None,
            # storage.url(name) is exactly MEDIA_URL + name (rich text refers to stored images by that URL).
            "custom_domain": _media_host,
            "url_protocol": _media_protocol,
            "querystring_auth": False,
            "default_acl": None,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=86400"},
        },
    }
    MEDIA_URL = f"{_media_protocol}//{_media_host}/"

# Uploads: bytes and pixels an image may have before it is refused.
NEWSROOM_MAX_UPLOAD_BYTES = env_int("NEWSROOM_MAX_UPLOAD_BYTES", 25 * 1024 * 1024, minimum=1)
NEWSROOM_MAX_IMAGE_PIXELS = env_int("NEWSROOM_MAX_IMAGE_PIXELS", 60_000_000, minimum=1)
# New photos one staff member may upload in an hour (the admin and the editor's image button alike).
NEWSROOM_UPLOADS_PER_HOUR = env_int("NEWSROOM_UPLOADS_PER_HOUR", 200, minimum=1)
# Full-size images decoded and worked on at once per process (uploads, renditions): each takes up to several
# hundred MB at the pixel limit; other uploads wait for their turn (articles/services.py, full_size_image_slot).
NEWSROOM_FULL_SIZE_IMAGES_AT_ONCE = env_int("NEWSROOM_FULL_SIZE_IMAGES_AT_ONCE", 1, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Files in one request: the manuscript import takes 30 at a time and says so; with Django's 100, choosing more than
# 100 files ended on a bare 400 page before the form could.
DATA_UPLOAD_MAX_NUMBER_FILES = 300
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Workflow: how many review levels sign a story off (1, or 3 for 初审/复审/终审), how long preview links
# for outside sources live, and how long the trash keeps articles.
NEWSROOM_REVIEW_LEVELS = env_int("NEWSROOM_REVIEW_LEVELS", 1, minimum=1)
NEWSROOM_SHARE_LINK_DAYS = env_int("NEWSROOM_SHARE_LINK_DAYS", 3)
NEWSROOM_TRASH_DAYS = env_int("NEWSROOM_TRASH_DAYS", 30)

# The paper's name as printed on the site.
NEWSROOM_SITE_NAME = env_str("NEWSROOM_SITE_NAME", "今日女报 · 凤网")

# Production security (all on when DEBUG is off; see the README's deployment section).
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
# A load balancer's health probe often speaks plain HTTP to the app server: answered, not redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Only staff have sessions (readers never log in): they end this long after the user's last activity
# (articles.middleware.SessionActivityMiddleware; an open edit page counts only while someone types in it), and when
# the browser closes.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=1)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
# Preload is a commitment that is hard to undo (every subdomain HTTPS-only in every browser for months), so it
# stays an explicit decision of whoever runs the domain: off by default, and its reminder (W021) is silenced.
SILENCED_SYSTEM_CHECKS = [
    "security.W021",
    # SQLite has no INCLUDE columns in indexes: articles_article_live_id_idx is a plain index there (still used),
    # and without this every migrate and backup_site on SQLite printed the warning.
    "models.W040",
]
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
AXES_FAILURE_LIMIT = env_int("DJANGO_AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
# The client address (articles.middleware.client_ip_address): REMOTE_ADDR unless the site is behind a reverse
# proxy. Then it is the address the proxies appended to X-Forwarded-For, DJANGO_PROXY_COUNT entries from the right
# (proxies in a row, default 1): whatever the client itself wrote in that header is ignored. (django-ipware's
# proxy_count finds nothing when the header holds the client alone, and then falls back to the proxy's address.)
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 1, minimum=1) if BEHIND_PROXY else 0
AXES_CLIENT_IP_CALLABLE = "articles.middleware.client_ip_address"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("DJANGO_LOG_LEVEL", "WARNING", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    },
}
