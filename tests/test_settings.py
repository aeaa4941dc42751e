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
