"""Two people on one story: the later save is refused with what changed, the typed text stays, and each sees
that the other has the story open."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import Article
from tests.factories import ArticleFactory
from tests.test_admin import admin_url, errors_of, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_editors(editor_user, other_editor_user):
    first, second = Client(), Client()
    first.force_login(editor_user)
    second.force_login(other_editor_user)
    return first, second


def test_the_later_of_two_saves_is_refused_and_keeps_what_was_typed(two_editors):
    first, second = two_editors
    article = ArticleFactory(headline="原标题", summary="原导语")
    url = admin_url(article, "change", article.pk)
    first_form, second_form = form_data(first.get(url)), form_data(second.get(url))

    first_form.update({"headline": "第一位编辑的标题", "_continue": "1"})
    assert first.post(url, first_form).status_code == 302

    second_form.update({"summary": "第二位编辑写的导语", "_continue": "1"})
    response = second.post(url, second_form)

    assert response.status_code == 200  # the form comes back instead of saving
    html = response.content.decode()
    assert "第二位编辑写的导语" in html  # what they typed is still there
    refusal = " ".join(response.context["adminform"].form.non_field_errors())
    assert "editor 于" in refusal  # names who saved in between, and when
    article.refresh_from_db()
    assert article.headline == "第一位编辑的标题" and article.summary == "原导语"


def test_the_refused_form_links_to_the_changes_made_in_between(two_editors):
    first, second = two_editors
    article = ArticleFactory(headline="原标题")
    url = admin_url(article, "change", article.pk)
    # A first save, so that the story has a version both editors open the form on (a save that changes nothing
    # keeps none).
    opening = form_data(first.get(url))
    opening.update({"summary": "导语", "_continue": "1"})
    first.post(url, opening)
    first_form, second_form = form_data(first.get(url)), form_data(second.get(url))
    first_form.update({"headline": "新标题", "_continue": "1"})
    first.post(url, first_form)

    second_form.update({"_continue": "1"})
    html = second.post(url, second_form).content.decode()

    history_link = re.search(r'href="([^"]*\?old=\d+&amp;new=\d+[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "<ins>新</ins>" in first.get(history_link).content.decode()


def test_saving_again_after_seeing_the_conflict_is_a_deliberate_replacement(two_editors):
    first, second = two_editors
    article = ArticleFactory(headline="原标题")
    url = admin_url(article, "change", article.pk)
    first_form, second_form = form_data(first.get(url)), form_data(second.get(url))
    first_form.update({"headline": "甲的标题", "_continue": "1"})
    first.post(url, first_form)
    second_form.update({"headline": "乙的标题", "_continue": "1"})
    refused = second.post(url, second_form)

    again = form_data(refused)  # the form as it came back, with the current edit count
    again.update({"_continue": "1"})
    response = second.post(url, again)

    assert response.status_code == 302, errors_of(response)
    article.refresh_from_db()
    assert article.headline == "乙的标题"


def test_a_single_editor_saving_twice_is_never_refused(editor_client):
    article = ArticleFactory(headline="一")
    url = admin_url(article, "change", article.pk)
    for headline in ["二", "三"]:
        data = form_data(editor_client.get(url))
        data.update({"headline": headline, "_continue": "1"})
        assert editor_client.post(url, data).status_code == 302
    assert Article.objects.get(pk=article.pk).headline == "三"


def test_an_editor_sees_who_else_has_the_story_open(two_editors):
    first, second = two_editors
    article = ArticleFactory()
    url = admin_url(article, "change", article.pk)

    alone = first.get(url).content.decode()
    together = second.get(url).content.decode()

    assert 'id="edit-presence"' in alone and "也打开了这篇稿件" not in alone
    assert "editor 也打开了这篇稿件" in together


def test_the_open_form_heartbeat_reports_the_others(two_editors):
    first, second = two_editors
    article = ArticleFactory()
    presence = reverse("admin:articles_article_presence", args=[article.pk])
    first.get(admin_url(article, "change", article.pk))

    answer = second.post(presence).json()

    assert [other["text"] for other in answer["others"]][0].startswith("editor 也打开了这篇稿件")
    assert second.get(presence).status_code == 405


def test_a_colleague_with_a_reporter_profile_is_named_by_their_byline_name(editor_client, reporter_user):
    """A login without a full name (demo-reporter, jizhe) is known in the newsroom by its byline name."""
    reporter_user.first_name = reporter_user.last_name = ""
    reporter_user.save()
    article = ArticleFactory(created_by=reporter_user)
    reporter_client = Client()
    reporter_client.force_login(reporter_user)
    reporter_client.get(admin_url(article, "change", article.pk))

    page = editor_client.get(admin_url(article, "change", article.pk)).content.decode()

    assert f"{reporter_user.reporter.name} 也打开了这篇稿件" in page


def test_presence_of_a_story_is_not_told_to_who_may_not_see_it(reporter_client):
    article = ArticleFactory(headline="别人的稿件")
    response = reporter_client.post(reverse("admin:articles_article_presence", args=[article.pk]))
    assert response.status_code in {403, 404}


# --- A workflow step from a page showing an older state -----------------------------------------------------


@pytest.fixture
def story_in_review(reporter_user):
    from articles import services
    from tests.factories import BylineFactory

    article = ArticleFactory(created_by=reporter_user, headline="原标题", body="<p>会议指出。</p>")
    BylineFactory(article=article, reporter=reporter_user.reporter)
    services.submit_for_review(article, reporter_user)
    return article


def test_a_publish_clicked_on_a_page_opened_before_a_colleague_scheduled_the_story_is_refused(
    two_editors, story_in_review
):
    """Editor A's page still offered 立即发布: clicking it published at once a story editor C had just scheduled
    under an embargo."""
    first, second = two_editors
    url = admin_url(story_in_review, "change", story_in_review.pk)
    stale_publish = form_data(first.get(url), form_id="workflow-publish")
    schedule = form_data(second.get(url), form_id="workflow-schedule")
    schedule["published_at"] = ["2036-11-21T09:41:00"]
    assert second.post(reverse("admin:articles_article_workflow", args=[story_in_review.pk, "schedule"]), schedule)

    response = first.post(
        reverse("admin:articles_article_workflow", args=[story_in_review.pk, "publish"]), stale_publish, follow=True
    )

    story_in_review.refresh_from_db()
    assert story_in_review.is_scheduled()
    said = [str(message) for message in response.context["messages"]]
    assert any("你打开此页之后，稿件有了改动" in text and "这一步没有执行" in text for text in said), said


def test_a_publish_clicked_on_a_page_opened_before_a_colleague_changed_the_text_is_refused(
    two_editors, story_in_review
):
    """The publisher would sign off a headline they never saw."""
    first, second = two_editors
    url = admin_url(story_in_review, "change", story_in_review.pk)
    stale_publish = form_data(first.get(url), form_id="workflow-publish")
    edit = form_data(second.get(url))
    edit.update({"headline": "同事改过的标题", "_continue": "1"})
    assert second.post(url, edit).status_code == 302

    first.post(reverse("admin:articles_article_workflow", args=[story_in_review.pk, "publish"]), stale_publish)

    story_in_review.refresh_from_db()
    assert not story_in_review.is_published()
    fresh_publish = form_data(first.get(url), form_id="workflow-publish")  # seen now: the step goes through
    first.post(reverse("admin:articles_article_workflow", args=[story_in_review.pk, "publish"]), fresh_publish)
    story_in_review.refresh_from_db()
    assert story_in_review.is_published() and story_in_review.headline == "同事改过的标题"


def test_an_edit_form_opened_before_the_story_was_published_is_refused_as_out_of_date(two_editors, story_in_review):
    """A step counts as an edit: the editor still typing learns the story went live before their save does."""
    first, second = two_editors
    url = admin_url(story_in_review, "change", story_in_review.pk)
    stale_edit = form_data(first.get(url))
    publish = form_data(second.get(url), form_id="workflow-publish")
    second.post(reverse("admin:articles_article_workflow", args=[story_in_review.pk, "publish"]), publish)

    stale_edit.update({"summary": "还在改的导语", "_continue": "1"})
    response = first.post(url, stale_edit)

    assert response.status_code == 200 and "还在改的导语" in response.content.decode()
    story_in_review.refresh_from_db()
    assert story_in_review.is_published() and story_in_review.summary != "还在改的导语"


def test_a_form_opened_before_a_colleague_removed_a_byline_can_be_saved_after_the_conflict(two_editors):
    """Django refused the second save too, on "署名第2条", a row the page no longer showed, and every save after
    it: the typed text could only be lost. Saving again now saves this page's version, its byline included."""
    from tests.factories import BylineFactory

    first, second = two_editors
    article = ArticleFactory(headline="原标题")
    kept, removed = BylineFactory(article=article, order=1), BylineFactory(article=article, order=2)
    url = admin_url(article, "change", article.pk)
    first_form, second_form = form_data(first.get(url)), form_data(second.get(url))
    row = next(
        name[: -len("-id")] for name, value in first_form.items() if name.endswith("-id") and value == [str(removed.pk)]
    )
    first_form.update({f"{row}-DELETE": "on", "_continue": "1"})
    assert first.post(url, first_form).status_code == 302, errors_of(first.post(url, first_form))
    assert list(article.bylines.values_list("pk", flat=True)) == [kept.pk]

    second_form.update({"subtitle": "第二位编辑写的副题", "_continue": "1"})
    refused = second.post(url, second_form)
    assert refused.status_code == 200 and "第二位编辑写的副题" in refused.content.decode()
    again = form_data(refused)  # the page as it came back: what they typed, told who saved in between
    again["_continue"] = "1"
    response = second.post(url, again)

    assert response.status_code == 302, errors_of(response)
    article.refresh_from_db()
    assert article.subtitle == "第二位编辑写的副题"
    assert sorted(article.bylines.values_list("reporter_id", flat=True)) == sorted(
        [kept.reporter_id, removed.reporter_id]
    )


def test_a_form_opened_before_a_history_restore_can_be_saved_after_the_conflict(two_editors, editor_user):
    from reversion.models import Version

    from articles import services
    from tests.factories import BylineFactory
    from tests.test_history import save_version

    first, second = two_editors
    article = ArticleFactory(headline="第一版")
    byline = BylineFactory(article=article)
    save_version(article, byline, comment="第一版")
    url = admin_url(article, "change", article.pk)
    stale = form_data(second.get(url))
    services.restore_version(article, Version.objects.get_for_object(article).first(), editor_user)

    stale.update({"summary": "恢复之后才保存的导语", "_continue": "1"})
    refused = second.post(url, stale)
    again = form_data(refused)
    again["_continue"] = "1"
    response = second.post(url, again)

    assert refused.status_code == 200 and response.status_code in {200, 302}
    if response.status_code == 200:  # at most a clear word on a repeated byline, never an error on a hidden row
        assert "同一人以同一身份署名了两次" in response.content.decode(), errors_of(response)
    else:
        article.refresh_from_db()
        assert article.summary == "恢复之后才保存的导语"


# --- The story goes beyond reach while someone types ----------------------------------------------------------


def test_a_reporters_save_after_an_editor_submitted_her_draft_shows_what_she_typed(reporter_user, editor_user, client):
    """She got a 403 page telling her to go back; going back reloaded the page read-only, without her text."""
    from articles import services
    from tests.factories import BylineFactory

    article = ArticleFactory(created_by=reporter_user, headline="记者的稿件", summary="原导语")
    BylineFactory(article=article, reporter=reporter_user.reporter)
    client.force_login(reporter_user)
    url = admin_url(article, "change", article.pk)
    typing = form_data(client.get(url))
    services.submit_for_review(article, editor_user)

    typing.update({"summary": "记者正在写的新导语", "_save": "保存"})
    response = client.post(url, typing)

    assert response.status_code == 403
    html = response.content.decode()
    assert "记者正在写的新导语" in html and "你的改动没有保存" in html
    assert "对这篇稿件执行了“提交审核”" in html
    article.refresh_from_db()
    assert article.summary == "原导语"


def test_a_save_after_a_colleague_moved_the_story_to_the_trash_shows_what_was_typed(two_editors, other_editor_user):
    """It landed on the admin's index saying the story does not exist, and the text was gone."""
    from articles import services

    first, _second = two_editors
    article = ArticleFactory(headline="要删的稿件")
    url = admin_url(article, "change", article.pk)
    typing = form_data(first.get(url))
    services.move_to_trash(article, other_editor_user)

    typing.update({"body": "<p>还没保存的一段话。</p>", "_save": "保存"})
    response = first.post(url, typing)

    assert response.status_code == 403
    html = response.content.decode()
    assert "还没保存的一段话" in html and "对这篇稿件执行了“移入回收站”" in html
    assert Article.all_objects.get(pk=article.pk).body != "<p>还没保存的一段话。</p>"


def test_a_reporter_learns_nothing_of_someone_elses_story_in_the_trash(reporter_user, other_reporter_user, client):
    from articles import services

    article = ArticleFactory(created_by=other_reporter_user, headline="别人的稿件")
    services.move_to_trash(article, other_reporter_user)
    client.force_login(reporter_user)

    response = client.post(admin_url(article, "change", article.pk), {"summary": "试探"})

    assert "别人的稿件" not in response.content.decode() and "你的改动没有保存" not in response.content.decode()
