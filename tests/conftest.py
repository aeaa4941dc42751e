"""Shared fixtures: a private MEDIA_ROOT and a fast hasher for every test, and newsroom users in their groups."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.utils import timezone

from articles.services import ensure_newsroom_groups
from tests.factories import ReporterFactory


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Uploads go to a temporary folder; passwords hash fast; static files need no collectstatic manifest."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    settings.STATIC_ROOT.mkdir()  # whitenoise warns about a missing folder; collectstatic is not run for tests
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_caches(settings, tmp_path):
    """Every test starts with empty caches of its own (never the developer's REDIS_URL, never another test run's
    content generation), and with the page cache off: query budgets measure rendering. tests/test_cache.py turns
    the page cache on."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "newsroom-tests"},
        "generation": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache-generation"),
            "TIMEOUT": None,
        },
    }
    settings.NEWSROOM_PAGE_CACHE = False
    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture
def media_root(settings):
    return settings.MEDIA_ROOT


@pytest.fixture
def newsroom_groups(db):
    """The reporter (记者), editor (编辑) and chief-editor (主编) groups with their permissions."""
    return ensure_newsroom_groups()


@pytest.fixture
def make_reporter_user(newsroom_groups):
    """Make a staff user in the reporter group, with the Reporter profile bylines point to."""
    reporters, _editors, _chiefs = newsroom_groups

    def make(username="reporter", name="李晓萌"):
        user = get_user_model().objects.create_user(username, password="secret", is_staff=True)
        user.groups.add(reporters)
        ReporterFactory(name=name, user=user)
        return user

    return make


@pytest.fixture
def reporter_user(make_reporter_user):
    return make_reporter_user()


@pytest.fixture
def other_reporter_user(make_reporter_user):
    return make_reporter_user(username="other-reporter", name="王芳")


@pytest.fixture
def make_staff_user(newsroom_groups):
    """Make a staff user in one of the groups: "记者", "编辑" or "主编"."""
    groups = {group.name: group for group in newsroom_groups}

    def make(username, group_name):
        user = get_user_model().objects.create_user(username, password="secret", is_staff=True)
        user.groups.add(groups[group_name])
        return user

    return make


@pytest.fixture
def editor_user(make_staff_user):
    return make_staff_user("editor", "编辑")


@pytest.fixture
def other_editor_user(make_staff_user):
    return make_staff_user("other-editor", "编辑")


@pytest.fixture
def chief_editor_user(make_staff_user):
    return make_staff_user("chief-editor", "主编")


@pytest.fixture
def reporter_client(client, reporter_user):
    client.force_login(reporter_user)
    return client


@pytest.fixture
def editor_client(client, editor_user):
    client.force_login(editor_user)
    return client


@pytest.fixture
def clock(monkeypatch):
    """Move the clock forward (``clock.advance(days=2)``): a scheduled story goes live with no job running."""
    real_now = timezone.now

    class Clock:
        def advance(self, **delta):
            moved_to = real_now() + timedelta(**delta)
            monkeypatch.setattr(timezone, "now", lambda: moved_to)
            return moved_to

    return Clock()
