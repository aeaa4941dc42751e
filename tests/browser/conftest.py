"""Fixtures for the Playwright tests: Debian's chromium against pytest-django's live server.

These tests build their own data with the ORM; they do not depend on tests/factories.py.
"""

import contextlib
import os

import pytest

# The sync Playwright API runs an event loop in this thread; Django's ORM refuses that without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EDITOR_USERNAME = "bianji"
EDITOR_PASSWORD = "Newsroom-test-password-1"


@pytest.fixture(scope="session")
def browser():
    from playwright import sync_api

    if not os.path.exists(CHROMIUM):
        # A missing browser is a broken setup, not a reason to pass: `make test` installs it with apt.
        pytest.fail(f"{CHROMIUM} is not installed (apt-get install chromium), or deselect with -m 'not browser'")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_settings(settings, tmp_path):
    """Settings for an http live server without collectstatic: plain static storage, no secure cookies."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@pytest.fixture
def page(browser, browser_settings, live_server):
    """A fresh page in a Chinese-speaking browser; console errors are collected in ``page.console_errors``."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.console_errors = []

    def collect(message):
        if message.type == "error" and "favicon" not in (message.location.get("url") or "") + message.text:
            page.console_errors.append(message.text)

    page.on("console", collect)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    close_quietly(context)


@pytest.fixture
def newsroom_data(transactional_db):
    """A section, a reporter, the byline roles and an editor (superuser) who may publish.

    Byline roles come from a data migration, but a transactional test flushes the tables afterwards,
    so they are (re)created here.
    """
    from django.contrib.auth import get_user_model

    from articles.models import BylineRole, Reporter, Section

    section = Section.objects.create(name="要闻", slug="yaowen", order=1)
    reporter = Reporter.objects.create(name="李晓萌", slug="li-xiaomeng", title="记者")
    role, _created = BylineRole.objects.get_or_create(name="首席记者", defaults={"order": 20})
    BylineRole.objects.get_or_create(name="记者", defaults={"order": 10})
    user = get_user_model().objects.create_superuser(EDITOR_USERNAME, "bianji@example.com", EDITOR_PASSWORD)
    return {"section": section, "reporter": reporter, "role": role, "user": user}


@pytest.fixture
def admin_page(page, newsroom_data):
    """The page, logged into the admin as the editor."""
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", EDITOR_USERNAME)
    page.fill("#id_password", EDITOR_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    return page


REPORTER_USERNAME = "jizhe"
WORKFLOW_EDITOR_USERNAME = "shenhe"
WORKFLOW_PASSWORD = "Newsroom-test-password-2"


@pytest.fixture
def workflow_people(newsroom_data):
    """A reporter (记者 group, with the Reporter profile of ``newsroom_data``) and an editor (编辑 group).

    The groups come from a data migration that a transactional test's flush removes: they are made again here.
    """
    from django.contrib.auth import get_user_model

    from articles.services import ensure_newsroom_groups

    reporters, editors, _chiefs = ensure_newsroom_groups()
    users = get_user_model().objects
    reporter_user = users.create_user(REPORTER_USERNAME, password=WORKFLOW_PASSWORD, is_staff=True)
    reporter_user.groups.add(reporters)
    newsroom_data["reporter"].user = reporter_user
    newsroom_data["reporter"].save()
    editor_user = users.create_user(WORKFLOW_EDITOR_USERNAME, password=WORKFLOW_PASSWORD, is_staff=True)
    editor_user.groups.add(editors)
    return {"reporter": reporter_user, "editor": editor_user}


@pytest.fixture
def new_page(browser, browser_settings, live_server):
    """Make pages in separate browser contexts (separate cookies: one person each); closed at the end."""
    contexts = []

    def make():
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        close_quietly(context)


def close_quietly(context):
    """Close the browser context without its pages' goodbye reaching the server: a story's page tells the server
    it is left (a beacon on "pagehide", edit-presence.js), and that request would meet the test database's flush
    (on SQLite: "database table is locked")."""
    for page in context.pages:
        with contextlib.suppress(Exception):  # a page already closed, or showing no story
            page.evaluate("document.getElementById('edit-presence')?.removeAttribute('data-seen')")
    context.close()


def log_in(page, username, password=WORKFLOW_PASSWORD):
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    return page
