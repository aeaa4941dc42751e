"""A reporter who leaves: the chief editor (主编) unticks 在职 on her profile, and her login ends with it. Before, she
went on logging in and editing her drafts until the site's administrator deactivated the login, which the chief
editor may not change."""

from importlib import import_module

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from articles.models import Byline, Reporter
from tests.factories import ArticleFactory, BylineFactory, ReporterFactory
from tests.test_admin import errors_of, form_data
from tests.views.pages import main_of, text_of

pytestmark = pytest.mark.django_db

SESSION_STORES = ["db", "cached_db", "cache"]


def change_url(reporter):
    return reverse("admin:articles_reporter_change", args=[reporter.pk])


def save_profile(client, reporter, **changes):
    """Post the profile's change form as ``client`` sees it, with ``changes``; ``is_active=False`` unticks 在职."""
    data = form_data(client.get(change_url(reporter)), form_id="reporter_form")
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(change_url(reporter), {**data, "_save": "保存"}, follow=True)


def logged_in(user):
    """A browser in which ``user`` logged in through the admin's login form (a real session in the store)."""
    browser = Client()
    response = browser.post(
        reverse("admin:login"), {"username": user.username, "password": "secret", "next": "/admin/"}
    )
    assert response.status_code == 302, response.content.decode()
    return browser


def session_exists(key, settings):
    return import_module(settings.SESSION_ENGINE).SessionStore().exists(key)


@pytest.fixture
def leaving(reporter_user):
    """李晓萌, a reporter with a login, a story that came out and a draft of hers."""
    reporter = reporter_user.reporter
    published = ArticleFactory(headline="巾帼创业故事", published=True, created_by=reporter_user)
    BylineFactory(article=published, reporter=reporter)
    draft = ArticleFactory(headline="未完成的稿件", created_by=reporter_user)
    BylineFactory(article=draft, reporter=reporter)
    return {"user": reporter_user, "reporter": reporter, "published": published, "draft": draft}


@pytest.mark.parametrize("store", SESSION_STORES)
@pytest.mark.parametrize("by", ["chief_editor", "administrator"])
def test_marking_a_reporter_as_departed_ends_her_login_at_once(
    client, settings, leaving, chief_editor_user, admin_user, store, by
):
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{store}"
    user, reporter, draft = leaving["user"], leaving["reporter"], leaving["draft"]
    her_browser = logged_in(user)
    draft_url = reverse("admin:articles_article_change", args=[draft.pk])
    assert her_browser.get(draft_url).status_code == 200
    key = her_browser.cookies[settings.SESSION_COOKIE_NAME].value
    client.force_login(chief_editor_user if by == "chief_editor" else admin_user)

    response = save_profile(client, reporter, is_active=False)

    assert response.redirect_chain, errors_of(response)
    assert "李晓萌的登录已停用（账号 reporter）" in response.content.decode()
    assert "重新勾选“在职”不会恢复登录" in response.content.decode()
    user.refresh_from_db()
    assert not user.is_active
    if store != "cache":  # sessions kept in the cache alone cannot be listed: they end at their next request
        assert not session_exists(key, settings)
    # Her next request: the login page, and the session is gone from the store.
    answer = her_browser.get(draft_url)
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("admin:login"))
    assert not session_exists(key, settings)
    assert her_browser.get(reverse("admin:index")).status_code == 302
    # Her stories and her page stay.
    assert Byline.objects.filter(reporter=reporter).count() == 2
    page = Client().get(reverse("articles:reporter_detail", kwargs={"slug": reporter.slug}))
    assert page.status_code == 200
    assert "巾帼创业故事" in page.content.decode()
    assert Client().get(leaving["published"].get_absolute_url()).status_code == 200


def test_her_page_says_she_has_left_and_keeps_her_stories(client, editor_user):
    """Her page read as if she still wrote for the paper: nothing on it said she had left."""
    departing, colleague = ReporterFactory(name="刘敏", slug="liu-min"), ReporterFactory(name="陈静", slug="chen-jing")
    for reporter, headline in [(departing, "巾帼创业故事"), (colleague, "乡村振兴女能手")]:
        BylineFactory(article=ArticleFactory(headline=headline, published=True), reporter=reporter)
    client.force_login(editor_user)
    assert save_profile(client, departing, is_active=False).redirect_chain

    reader = Client()
    page = text_of(main_of(reader.get(departing.get_absolute_url())))
    assert "已离开本报" in page
    assert "巾帼创业故事" in page
    # A colleague at work: no such note.
    assert "已离开本报" not in text_of(main_of(reader.get(colleague.get_absolute_url())))


def test_she_cannot_log_in_again(client, leaving, chief_editor_user):
    client.force_login(chief_editor_user)
    save_profile(client, leaving["reporter"], is_active=False)

    browser = Client()
    response = browser.post(reverse("admin:login"), {"username": "reporter", "password": "secret", "next": "/admin/"})

    assert response.status_code == 200  # the login form again, with its error
    assert browser.get(reverse("admin:index")).status_code == 302


def test_ticking_active_again_does_not_restore_the_login(client, leaving, chief_editor_user):
    client.force_login(chief_editor_user)
    save_profile(client, leaving["reporter"], is_active=False)

    response = save_profile(client, leaving["reporter"], is_active="on")

    assert "李晓萌已恢复在职，但其登录账号（reporter）仍为停用状态，需由网站管理员启用" in response.content.decode()
    leaving["user"].refresh_from_db()
    assert not leaving["user"].is_active
    assert Reporter.objects.get(pk=leaving["reporter"].pk).is_active


def test_a_profile_saved_for_something_else_does_not_end_a_login_enabled_again(client, leaving, chief_editor_user):
    """The administrator enabled the login again while 在职 stayed unticked: correcting the biography ends nothing."""
    client.force_login(chief_editor_user)
    save_profile(client, leaving["reporter"], is_active=False)
    get_user_model().objects.filter(pk=leaving["user"].pk).update(is_active=True)

    save_profile(client, leaving["reporter"], bio="2019年入职。")

    leaving["user"].refresh_from_db()
    assert leaving["user"].is_active


def test_an_editor_cannot_lock_a_colleague_out(client, leaving, editor_user):
    """在职 of a profile with a login is read-only for an editor; a correspondent without one she still marks."""
    client.force_login(editor_user)
    page = client.get(change_url(leaving["reporter"])).content.decode()
    assert 'name="is_active"' not in page

    response = save_profile(client, leaving["reporter"], is_active=False)

    assert response.redirect_chain, errors_of(response)  # saved: 在职 was not the editor's to change
    assert Reporter.objects.get(pk=leaving["reporter"].pk).is_active
    leaving["user"].refresh_from_db()
    assert leaving["user"].is_active
    correspondent = ReporterFactory(name="刘敏")
    assert 'name="is_active"' in client.get(change_url(correspondent)).content.decode()
    assert save_profile(client, correspondent, is_active=False).redirect_chain
    assert not Reporter.objects.get(pk=correspondent.pk).is_active


def test_an_editor_cannot_link_a_login_to_a_departed_profile(client, editor_user):
    """Linking a login to a profile marked as departed would deactivate it: refused, and the form keeps the typing."""
    client.force_login(editor_user)
    departed = ReporterFactory(name="潘丽", is_active=False)
    login = get_user_model().objects.create_user("panli", is_staff=True)

    response = save_profile(client, departed, user=str(login.pk), bio="离职前负责要闻版。")

    assert not response.redirect_chain
    html = response.content.decode()
    assert "只有主编才能把有登录账号的记者标为离职：这会停用其登录账号（panli）" in html
    assert "离职前负责要闻版。" in html
    login.refresh_from_db()
    assert login.is_active
    assert Reporter.objects.get(pk=departed.pk).user is None


def test_a_chief_editor_cannot_end_her_own_login(client, chief_editor_user):
    own = ReporterFactory(name="周主编", user=chief_editor_user)
    client.force_login(chief_editor_user)

    response = save_profile(client, own, is_active=False, bio="总编室")

    assert not response.redirect_chain
    html = response.content.decode()
    assert "这是你自己的登录账号：把自己标为离职会立即把你自己关在门外" in html
    assert "总编室" in html
    assert Reporter.objects.get(pk=own.pk).is_active
    chief_editor_user.refresh_from_db()
    assert chief_editor_user.is_active
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_chief_editor_cannot_end_the_administrator_s_login(client, chief_editor_user, admin_user):
    profile = ReporterFactory(name="网站管理员", user=admin_user)
    client.force_login(chief_editor_user)

    response = save_profile(client, profile, is_active=False)

    assert not response.redirect_chain
    assert "admin 是网站管理员的登录账号：只有管理员本人才能停用" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert Reporter.objects.get(pk=profile.pk).is_active


def test_a_reporter_cannot_change_her_own_profile(client, leaving):
    """A guard kept: a reporter may only view profiles, her own included (it already held before)."""
    client.force_login(leaving["user"])
    data = {"name": "李晓萌", "slug": leaving["reporter"].slug, "user": leaving["user"].pk}

    assert client.post(change_url(leaving["reporter"]), data).status_code == 403
    assert Reporter.objects.get(pk=leaving["reporter"].pk).is_active


def test_the_byline_box_leaves_out_a_reporter_whose_login_was_deactivated(editor_client):
    """The administrator deactivated 潘丽's login and 在职 was left ticked: she was offered for new bylines."""
    ReporterFactory(name="潘丽", user=get_user_model().objects.create_user("panli", is_staff=True, is_active=False))
    ReporterFactory(name="潘小雨", user=get_user_model().objects.create_user("panxiaoyu", is_staff=True))
    ReporterFactory(name="潘通讯员")  # a correspondent without a login
    url = reverse("admin:autocomplete") + "?app_label=articles&model_name=byline&field_name=reporter&term=潘"

    results = [result["text"] for result in editor_client.get(url).json()["results"]]

    assert sorted(results) == sorted(["潘小雨", "潘通讯员"])


def test_the_reporters_list_finds_a_reporter_by_her_user_name(editor_client):
    ReporterFactory(name="王小雅", user=get_user_model().objects.create_user("xiaowang", is_staff=True))
    ReporterFactory(name="王芳")

    html = editor_client.get(reverse("admin:articles_reporter_changelist"), {"q": "xiaowang"}).content.decode()

    assert "王小雅" in html
    assert "王芳" not in html
