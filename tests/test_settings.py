"""Settings read from the environment, the newsroom's language and time, and Chinese date input."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.utils import translation

BASE_DIR = Path(__file__).resolve().parent.parent


def run_django(code, **environment):
    """Start Django in a fresh interpreter with only the given environment (no inherited DJANGO_* variables)."""
    env = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "newsroom.settings", **environment}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_site_speaks_chinese_on_beijing_time_and_stores_utc():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.DEFAULT_AUTO_FIELD == "django.db.models.BigAutoField"


def test_startup_without_secret_key_and_without_debug_fails():
    result = run_django("print('started')")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "started" not in result.stdout


def test_startup_without_secret_key_works_in_debug_mode():
    result = run_django("print('started', settings.DEBUG)", DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started True"


def test_startup_with_a_secret_key_runs_with_debug_off():
    result = run_django("print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)", DJANGO_SECRET_KEY="s" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True"


def test_database_url_selects_postgresql():
    result = run_django(
        "d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['USER'], d['HOST'], d['PORT'])",
        DJANGO_DEBUG="true",
        DATABASE_URL="postgres://u:p@h:5432/db",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["newsroom.postgresql", "db", "u", "h", "5432"]


def test_without_database_url_the_database_is_sqlite_beside_the_code():
    result = run_django("d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'])", DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", str(BASE_DIR / "db.sqlite3")]


class _DateForm(forms.Form):
    day = forms.DateField()


@pytest.mark.parametrize("typed", ["2026年11月20日", "2026-11-20", "2026/11/20", "2026.11.20"])
def test_chinese_dates_are_understood_in_forms(typed):
    with translation.override("zh-hans"):
        form = _DateForm({"day": typed})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == date(2026, 11, 20)


def test_unpadded_chinese_date_is_understood():
    with translation.override("zh-hans"):
        form = _DateForm({"day": "2026年1月5日"})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == date(2026, 1, 5)


def test_nonsense_date_is_refused():
    with translation.override("zh-hans"):
        assert not _DateForm({"day": "2026年13月40日"}).is_valid()


@pytest.mark.django_db
def test_postgresql_connections_run_without_the_jit_compiler():
    """A query PostgreSQL costs high would pay ~150 ms of JIT compiling: page queries are short index scans."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_the_wsgi_application_leaves_its_startup_objects_out_of_the_garbage_collectors_walks():
    """gunicorn loads newsroom.wsgi: what it loaded (Django, the models, the URLconf's views) is frozen, so that a
    full collection during a request does not walk it (a pause of 30-70 ms every few thousand requests)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SECRET_KEY": "s" * 50,
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }
    code = (
        "import gc, sys; import newsroom.wsgi; "
        "print(gc.get_freeze_count(), 'articles.views' in sys.modules, 'articles.admin' in sys.modules)"
    )
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    frozen, views_loaded, admin_loaded = result.stdout.split()
    assert int(frozen) > 50_000
    assert views_loaded == admin_loaded == "True"


@pytest.mark.parametrize(
    "command",
    [["-c", "import newsroom.wsgi"], ["manage.py", "check"]],
    ids=["app server", "manage.py check"],
)
def test_an_app_server_that_cannot_create_its_generation_folder_stops_and_says_what_to_set(tmp_path, command):
    """Without Redis the content generation is a file under NEWSROOM_CACHE_DIR: a worker that cannot create it
    stops at startup with the folder and the setting named (it used to serve with the page cache off and log a
    traceback at every change); so does `manage.py check`, which opens every cache (it stopped on a bare
    FileNotFoundError from Django's file cache)."""
    in_the_way = tmp_path / "cache"
    in_the_way.write_text("a file where the folder should be")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SECRET_KEY": "s" * 50,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "NEWSROOM_CACHE_DIR": str(in_the_way),
    }
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, *command],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: The content-generation folder")
    assert str(in_the_way / "generation") in last_line
    assert "NEWSROOM_CACHE_DIR" in last_line


@pytest.mark.parametrize(
    ("variable", "value", "advice"),
    [
        ("DJANGO_CONN_MAX_AGE", "abc", "is not a whole number"),
        ("DJANGO_HSTS_SECONDS", "1y", "is not a whole number"),
        ("NEWSROOM_MAX_UPLOAD_BYTES", "25MB", "is not a whole number"),
        ("NEWSROOM_FULL_SIZE_IMAGES_AT_ONCE", "0", "the least is 1"),
        ("DJANGO_HSTS_INCLUDE_SUBDOMAINS", "ture", "use true or false"),
        ("NEWSROOM_TASKS", "databse", "use one of database, immediate"),
        ("DJANGO_SESSION_STORE", "redis", "use one of db, cache, cached_db"),
        ("DJANGO_SESSION_STORE", "cached_db", "needs REDIS_URL"),
        ("DJANGO_LOG_LEVEL", "verbose", "use one of DEBUG, INFO"),
        ("DATABASE_URL", "postgress://newsroom:s3cret-pass@db:5432/newsroom", "unknown database kind 'postgress'"),
        ("DATABASE_URL", "postgres://newsroom:s3cret-pass@db:54x2/newsroom", "percent-encoded"),
        ("DATABASE_REPLICA_URL", "postgres://newsroom:s3cret-pass@replica:5432/", "names no database"),
        ("REDIS_URL", "default:s3cret-pass@127.0.0.1:6379/0", "must start with redis://"),
        ("DJANGO_ALLOWED_HOSTS", "https://www.example.cn", "is not a host name"),
    ],
)
def test_a_bad_value_stops_startup_with_a_message_naming_the_variable(variable, value, advice):
    result = run_django("print('started')", DJANGO_SECRET_KEY="s" * 50, **{variable: value})
    assert result.returncode != 0
    assert "started" not in result.stdout
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    assert variable in last_line and advice in last_line, last_line
    # A database URL's password never reaches the log.
    assert "s3cret-pass" not in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"), [("yes", "True"), ("On", "True"), ("1", "True"), ("no", "False"), ("0", "False")]
)
def test_booleans_take_the_documented_words(value, expected):
    result = run_django(
        "print(settings.SECURE_SSL_REDIRECT)", DJANGO_SECRET_KEY="s" * 50, DJANGO_SECURE_SSL_REDIRECT=value
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_an_empty_value_means_the_default():
    """`NAME=` left empty in an .env file is the same as leaving the variable out."""
    result = run_django(
        "print(settings.CONN_MAX_AGE, settings.DATABASES['default']['ENGINE'], settings.TASKS['default']['BACKEND'])",
        DJANGO_SECRET_KEY="s" * 50,
        DJANGO_CONN_MAX_AGE="",
        DATABASE_URL="",
        NEWSROOM_TASKS="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["60", "django.db.backends.sqlite3", "django_tasks_db.DatabaseBackend"]


def test_an_empty_text_or_list_value_means_the_default_too():
    """An empty DJANGO_ALLOWED_HOSTS answered every request with 400; an empty DJANGO_MEDIA_ROOT put the uploads in
    the working directory (the code checkout under systemd), and backup_site archived that whole folder."""
    names = ["ALLOWED_HOSTS", "MEDIA_ROOT", "MEDIA_URL", "STATIC_ROOT", "NEWSROOM_CACHE_DIR", "NEWSROOM_SITE_NAME"]
    show = "; ".join(f"print(repr(settings.{name}))" for name in names)
    defaults = run_django(show, DJANGO_SECRET_KEY="s" * 50)
    emptied = run_django(
        show,
        DJANGO_SECRET_KEY="s" * 50,
        DJANGO_ALLOWED_HOSTS="",
        DJANGO_MEDIA_ROOT="",
        DJANGO_MEDIA_URL=" ",
        DJANGO_STATIC_ROOT="",
        NEWSROOM_CACHE_DIR="",
        NEWSROOM_SITE_NAME="",
    )
    assert defaults.returncode == 0, defaults.stderr
    assert emptied.returncode == 0, emptied.stderr
    assert emptied.stdout.splitlines() == defaults.stdout.splitlines()
    assert f"{BASE_DIR / 'media'}" in defaults.stdout and "'localhost'" in defaults.stdout


def test_commands_on_sqlite_print_no_warning(tmp_path):
    """migrate, backup_site and the rest run the database checks: on SQLite (development, small sites) they say
    nothing about the PostgreSQL index whose INCLUDE column SQLite leaves out (it works there without it)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--database", "default"],
        cwd=BASE_DIR,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SECRET_KEY": "s" * 50,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stdout + result.stderr and "W040" not in result.stderr, result.stderr
    assert "no issues" in result.stdout


def test_the_placeholder_secret_key_of_env_example_is_refused_in_production():
    placeholder = next(
        line.split("=", 1)[1]
        for line in (BASE_DIR / ".env.example").read_text().splitlines()
        if line.startswith("DJANGO_SECRET_KEY=")
    )
    result = run_django("print('started')", DJANGO_SECRET_KEY=placeholder)
    assert result.returncode != 0 and "started" not in result.stdout
    assert "DJANGO_SECRET_KEY is still .env.example's placeholder" in result.stderr.strip().splitlines()[-1]
    # On a developer's machine with debug on, the copied file still starts.
    assert run_django("print('started')", DJANGO_SECRET_KEY=placeholder, DJANGO_DEBUG="true").returncode == 0
