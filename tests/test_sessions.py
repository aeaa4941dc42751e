"""Staff sessions end SESSION_COOKIE_AGE after the last activity (articles.middleware.SessionActivityMiddleware),
not after the login: an editor is not logged out in the middle of a story because they logged in eight hours ago."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from articles.middleware import SESSION_RENEWED_KEY
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def nearly_over(client):
    """The client's session as it is late in the day: ten minutes left, not renewed for an hour."""
    session = client.session
    session[SESSION_RENEWED_KEY] = int((timezone.now() - timedelta(hours=1)).timestamp())
    session.save()
    Session.objects.filter(pk=session.session_key).update(expire_date=timezone.now() + timedelta(minutes=10))
    return session.session_key


def minutes_left(key):
    return (Session.objects.get(pk=key).expire_date - timezone.now()).total_seconds() / 60


def test_working_in_the_admin_keeps_the_session_for_another_full_period(editor_client, settings):
    key = nearly_over(editor_client)

    assert editor_client.get(reverse("admin:index")).status_code == 200

    assert minutes_left(key) > settings.SESSION_COOKIE_AGE / 60 - 1


def test_an_edit_page_left_open_does_not_keep_the_session_but_typing_in_it_does(editor_client, settings):
    article = ArticleFactory()
    presence = reverse("admin:articles_article_presence", args=[article.pk])
    key = nearly_over(editor_client)

    assert editor_client.post(presence, {"active": "0"}).status_code == 200
    assert minutes_left(key) < 11  # a heartbeat alone: the ten minutes stand

    assert editor_client.post(presence, {"active": "1"}).status_code == 200
    assert minutes_left(key) > settings.SESSION_COOKIE_AGE / 60 - 1


def test_the_session_is_saved_at_most_once_a_minute(editor_client):
    editor_client.get(reverse("admin:index"))  # renewed just now
    key = editor_client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=10))

    editor_client.get(reverse("admin:index"))

    assert minutes_left(key) < 11


def test_readers_get_no_session_even_with_a_stale_cookie(client):
    ArticleFactory(published=True)
    client.cookies["sessionid"] = "no-such-session-key-0123456789abcdef"

    for url in [reverse("articles:home"), reverse("articles:article_list")]:
        assert client.get(url).status_code == 200

    assert not Session.objects.exists()


def test_the_heartbeat_of_a_page_whose_story_is_gone_does_not_keep_the_session(editor_client, editor_user):
    from articles import services

    article = ArticleFactory()
    presence = reverse("admin:articles_article_presence", args=[article.pk])
    services.move_to_trash(article, editor_user)
    key = nearly_over(editor_client)

    assert editor_client.post(presence, {"active": "0"}).status_code == 404

    assert minutes_left(key) < 11


def test_a_save_sent_after_the_login_ended_answers_with_what_was_typed(client, reporter_user):
    """A reporter typing on her phone while her login ended: the save went to the login page, and after logging in
    again the paragraph was gone."""
    from tests.test_admin import form_data

    article = ArticleFactory(created_by=reporter_user, headline="现场会召开", body="<p>第一段。</p>")
    client.force_login(reporter_user)
    url = reverse("admin:articles_article_change", args=[article.pk])
    data = form_data(client.get(url))
    data.update({"body": "<p>第一段。</p><p>在现场写下的第二段。</p>", "_continue": "1"})
    Session.objects.filter(pk=client.session.session_key).update(expire_date=timezone.now() - timedelta(minutes=1))

    response = client.post(url, data)

    assert response.status_code == 403
    html = response.content.decode()
    assert "你的登录已经过期，这次没有保存。" in html and "在现场写下的第二段。" in html
    assert f'href="{reverse("admin:login")}?next=' in html
    assert response["Cache-Control"].startswith("max-age=0")
    assert "第二段" not in type(article).objects.get(pk=article.pk).body


def test_the_login_form_itself_is_not_held_up(client, reporter_user):
    response = client.post(reverse("admin:login"), {"username": reporter_user.username, "password": "wrong"})
    assert response.status_code == 200 and "登录已经过期" not in response.content.decode()
