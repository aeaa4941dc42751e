"""Holes a review of the workflow found, each closed and pinned: edits to scheduled stories, invisible characters
around sensitive words, who may switch a sensitive word off, other people's photos, stale forms without their
counter, preview links of trashed stories, restores of versions whose parts are gone, and odd URLs."""

from datetime import timedelta

import pytest
import reversion
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Article, ShareLink, Status, Transition, WatchWord
from tests.factories import ArticleFactory, ArticlePhotoFactory, BylineFactory, PhotoFactory
from tests.test_admin import admin_url, errors_of, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(reporter_user):
    article = ArticleFactory(created_by=reporter_user, headline="全省妇联改革推进会召开", body="<p>会议指出。</p>")
    BylineFactory(article=article, reporter=reporter_user.reporter)
    return article


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


# --- A scheduled story that is edited goes back to review -------------------------------------------------


def test_editing_a_scheduled_story_cancels_the_schedule_and_sends_it_back_to_review(
    settings, story, reporter_user, editor_user, other_editor_user, make_staff_user
):
    settings.NEWSROOM_REVIEW_LEVELS = 3
    third = make_staff_user("third-editor", "编辑")
    services.submit_for_review(story, reporter_user)
    for signer in (editor_user, other_editor_user, third):
        services.approve(story, signer)
    services.publish(story, editor_user, at=timezone.now() + timedelta(hours=2))
    client = logged_in(editor_user)
    url = admin_url(story, "change", story.pk)
    data = form_data(client.get(url))
    data.update({"headline": "排期后改过的标题", "_save": "保存"})

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    story.refresh_from_db()
    assert story.status == Status.IN_REVIEW and story.review_level == 0 and story.published_at is None
    assert story.transitions.order_by("id").last().action == Transition.Action.RESET
    assert not Article.objects.published().filter(pk=story.pk).exists()


def scheduled_and_opened(story, reporter_user, editor_user):
    """The story scheduled two hours ahead and its change page opened by the editor: (client, url, time, data)."""
    services.submit_for_review(story, reporter_user)
    at = timezone.now() + timedelta(hours=2)
    services.publish(story, editor_user, at=at)
    client = logged_in(editor_user)
    url = admin_url(story, "change", story.pk)
    return client, url, at, form_data(client.get(url))


def test_saving_a_scheduled_story_unchanged_keeps_its_schedule(story, reporter_user, editor_user):
    client, url, at, data = scheduled_and_opened(story, reporter_user, editor_user)
    data["_save"] = "保存"

    assert client.post(url, data).status_code == 302
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED and story.published_at == at


def test_saving_a_scheduled_story_whose_image_ckeditor_writes_back_in_another_order_keeps_its_schedule(
    story, reporter_user, editor_user
):
    """CKEditor gives an image's attributes back in its own order (alt first): the same image, so no change to the
    text, no cancelled schedule, and no "正文" in the history's label of a save that changed only the headline."""
    stored = '<p>会议指出。</p><figure class="image"><img src="/media/photos/2026/11/hall.jpg" width="800" height="600" alt="会场"></figure>'
    Article.objects.filter(pk=story.pk).update(body=stored)
    story.refresh_from_db()
    client, url, at, data = scheduled_and_opened(story, reporter_user, editor_user)
    data["body"] = (
        '<p>会议指出。</p><figure class="image">'
        '<img src="/media/photos/2026/11/hall.jpg" alt="会场" width="800" height="600"></figure>'
    )
    data["_continue"] = "保存并继续编辑"

    assert client.post(url, data).status_code == 302
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED and story.published_at == at

    data = form_data(client.get(url))
    [body] = data["body"]
    assert body == stored  # a save that changed nothing stored nothing
    data["body"] = body.replace('width="800" height="600" alt="会场"', 'width="800" alt="会场" height="600"')
    assert data["body"] != body
    data["headline"] = "只改了标题"
    data["_continue"] = "保存并继续编辑"
    assert client.post(url, data).status_code == 302
    label = reversion.models.Version.objects.get_for_object(story).first().revision.comment
    assert "标题" in label and "正文" not in label, label


def test_a_changed_caption_after_a_sign_off_also_resets_the_review(settings, story, reporter_user, editor_user):
    settings.NEWSROOM_REVIEW_LEVELS = 3
    link = ArticlePhotoFactory(article=story, caption="原图说。")
    services.submit_for_review(story, reporter_user)
    services.approve(story, editor_user)
    before = services.reviewed_text(story)

    link.caption = "改过的图说。"
    link.save()

    assert services.reviewed_text(story) != before


# --- Sensitive words ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("invisible", ["\u200b", "\u200d", "\u00ad", "\u2060", "\ufeff", "\ufe0f", "\u034f"])
def test_an_invisible_character_does_not_hide_a_sensitive_word(invisible):
    WatchWord.objects.create(word="禁词", kind=WatchWord.Kind.SENSITIVE)
    article = ArticleFactory(headline=f"标题里有禁{invisible}词", body=f"<p>正文也有禁{invisible}词。</p>")

    found = [f for f in services.publication_findings(article) if f.kind == "sensitive"]

    assert [f.field for f in found] == ["headline", "body"]


def test_an_editor_cannot_switch_off_a_sensitive_word(editor_user, chief_editor_user):
    word = WatchWord.objects.create(word="禁词", kind=WatchWord.Kind.SENSITIVE)
    url = admin_url(word, "change", word.pk)
    data = {"word": "禁词", "kind": "sensitive", "correction": "", "note": "", "_save": "保存"}  # is_active off

    refused = logged_in(editor_user).post(url, data)
    word.refresh_from_db()
    assert refused.status_code == 403 and word.is_active

    allowed = logged_in(chief_editor_user).post(url, data)
    word.refresh_from_db()
    assert allowed.status_code == 302 and not word.is_active


def test_an_editor_cannot_add_a_sensitive_word_but_may_add_a_miswriting(editor_user):
    client = logged_in(editor_user)
    url = admin_url(WatchWord, "add")

    client.post(url, {"word": "新禁词", "kind": "sensitive", "is_active": "on", "_save": "保存"})
    client.post(url, {"word": "做为", "kind": "miswritten", "correction": "作为", "is_active": "on", "_save": "保存"})

    assert list(WatchWord.objects.values_list("word", flat=True)) == ["做为"]


# --- Photos a reporter may not use -------------------------------------------------------------------------


def test_a_reporter_cannot_post_another_reporters_photo_as_lead_photo(reporter_user, other_reporter_user):
    theirs = PhotoFactory(alt_text="别人未发稿的照片", uploaded_by=other_reporter_user)
    mine = ArticleFactory(created_by=reporter_user)
    client = logged_in(reporter_user)
    url = admin_url(mine, "change", mine.pk)
    data = form_data(client.get(url))
    data.update({"lead_photo": str(theirs.pk), "_save": "保存"})

    response = client.post(url, data)

    assert response.status_code == 200  # the form comes back with an error
    mine.refresh_from_db()
    assert mine.lead_photo_id is None


def test_a_reporter_may_use_their_own_photo_as_lead_photo(reporter_user):
    own = PhotoFactory(alt_text="自己的照片", uploaded_by=reporter_user)
    mine = ArticleFactory(created_by=reporter_user)
    client = logged_in(reporter_user)
    url = admin_url(mine, "change", mine.pk)
    data = form_data(client.get(url))
    data.update({"lead_photo": str(own.pk), "_save": "保存"})

    assert client.post(url, data).status_code == 302
    mine.refresh_from_db()
    assert mine.lead_photo_id == own.pk


# --- Stale forms -----------------------------------------------------------------------------------------


def test_a_save_without_the_edit_counter_is_refused(editor_user):
    article = ArticleFactory(headline="原标题")
    client = logged_in(editor_user)
    url = admin_url(article, "change", article.pk)
    data = form_data(client.get(url))
    data.pop("seen_edit_count")
    data.update({"headline": "不说看到了什么的保存", "_save": "保存"})

    response = client.post(url, data)

    assert response.status_code == 200
    article.refresh_from_db()
    assert article.headline == "原标题"


# --- Trash and preview links ---------------------------------------------------------------------------------


def test_moving_a_story_to_the_trash_revokes_its_preview_links(client, editor_user):
    article = ArticleFactory(headline="待核稿件")
    link = services.create_share_link(article, editor_user)
    url = services.share_link_url(link)
    assert client.get(url).status_code == 200

    services.move_to_trash(article, editor_user)
    services.restore_from_trash(Article.all_objects.get(pk=article.pk), editor_user)

    assert ShareLink.objects.get(pk=link.pk).revoked_at is not None
    assert client.get(url).status_code in {404, 410}


# --- Restoring a version whose parts are gone ----------------------------------------------------------------


def test_restoring_a_version_whose_photo_was_deleted_leaves_that_photo_out(editor_user):
    article = ArticleFactory(headline="原标题")
    photo_link = ArticlePhotoFactory(article=article, caption="会场。")
    with reversion.create_revision():
        article.save()
        photo_link.save()
    photo = photo_link.photo
    photo_link.delete()
    photo.delete()
    article.headline = "新标题"
    with reversion.create_revision():
        article.save()
    old = list(services.article_versions(article))[-1]

    response = logged_in(editor_user).post(reverse("admin:articles_article_restore_version", args=[article.pk, old.pk]))

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "原标题" and not article.article_photos.exists()
    assert "1" in article.transitions.order_by("id").last().comment  # says what was left out


# --- Odd URLs are 404 or handled, never 500 ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/archive/0001/", "/archive/0001/01/01/", "/archive/9999/12/31/", "/archive/9999/"])
def test_archive_years_out_of_range_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_non_ascii_digits_in_admin_parameters_are_not_a_server_error(editor_user):
    article = ArticleFactory()
    client = logged_in(editor_user)
    assert client.get(admin_url(article, "history", article.pk) + "?old=%C2%B2&new=%C2%B2").status_code == 200
    assert client.get("/admin/r/1/%C2%B2/").status_code in {302, 404}


@pytest.mark.parametrize("path", ["/admin/r/999/1/", "/admin/r/99999999999999999999/1/"])
def test_the_view_on_site_shortcut_of_a_kind_that_does_not_exist_is_not_found(reporter_user, path):
    assert logged_in(reporter_user).get(path).status_code == 404


def test_nul_in_a_query_string_never_reaches_the_database(editor_user):
    client = logged_in(editor_user)
    url = reverse("admin:autocomplete") + "?app_label=articles&model_name=article&field_name=lead_photo&term=%00"
    assert client.get(url).status_code == 200
    assert client.get(reverse("articles:experience_entry_list") + "?organization=%00&year=%00").status_code == 200


def test_an_absurd_date_filter_in_the_admin_list_is_ignored(editor_user):
    response = logged_in(editor_user).get(admin_url(Article, "changelist") + "?published_at__year=99999999999999999999")
    assert response.status_code in {200, 302}


def test_a_reporter_may_reuse_a_photo_from_the_published_library(reporter_user, other_reporter_user):
    published_photo = PhotoFactory(alt_text="已见报的照片", uploaded_by=other_reporter_user)
    ArticleFactory(published=True, lead_photo=published_photo)
    mine = ArticleFactory(created_by=reporter_user)
    client = logged_in(reporter_user)
    url = admin_url(mine, "change", mine.pk)
    data = form_data(client.get(url))
    data.update({"lead_photo": str(published_photo.pk), "_save": "保存"})

    assert client.post(url, data).status_code == 302
    mine.refresh_from_db()
    assert mine.lead_photo_id == published_photo.pk
