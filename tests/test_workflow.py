"""The editorial workflow: submit, review levels, return, publish and schedule, unpublish, and their record."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import reset_queries
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Article, ExperienceEntry, Status, Transition
from tests.factories import (
    ArticleFactory,
    BylineFactory,
    CorrectionFactory,
    ExperienceEntryFactory,
    UserFactory,
    WatchWordFactory,
)
from tests.test_admin import admin_url, errors_of, form_data, saved_in_admin

pytestmark = pytest.mark.django_db

Action = Transition.Action


@pytest.fixture
def story(reporter_user):
    """A reporter's draft with a byline: ready to go through the workflow."""
    article = ArticleFactory(created_by=reporter_user, headline="全省妇联改革推进会召开", body="<p>会议指出。</p>")
    BylineFactory(article=article, reporter=reporter_user.reporter)
    return article


@pytest.fixture
def three_levels(settings):
    settings.NEWSROOM_REVIEW_LEVELS = 3


def steps(article):
    return list(article.transitions.order_by("id").values_list("action", "from_status", "to_status", "level"))


def freeze(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


# --- Submit ---------------------------------------------------------------------------------------------


def test_reporter_submits_their_draft(story, reporter_user):
    transition = services.submit_for_review(story, reporter_user, comment="请审")

    story.refresh_from_db()
    assert story.status == Status.IN_REVIEW and story.review_level == 0
    assert story.submitted_at is not None
    assert (transition.action, transition.user, transition.comment) == (Action.SUBMIT, reporter_user, "请审")
    assert steps(story) == [(Action.SUBMIT, Status.DRAFT, Status.IN_REVIEW, None)]


def test_a_bylined_reporter_and_an_editor_may_submit(story, make_reporter_user, editor_user):
    colleague = make_reporter_user(username="colleague", name="周丹")
    BylineFactory(article=story, reporter=colleague.reporter)
    services.submit_for_review(story, colleague)
    services.return_to_reporter(story, editor_user, "补充数据")
    services.submit_for_review(story, editor_user)
    assert Article.objects.get(pk=story.pk).status == Status.IN_REVIEW


def test_another_reporter_may_not_submit(story, other_reporter_user):
    with pytest.raises(services.WorkflowPermissionError):
        services.submit_for_review(story, other_reporter_user)
    story.refresh_from_db()
    assert story.status == Status.DRAFT and not story.transitions.exists()


@pytest.mark.parametrize("state", ["in_review", "published"])
def test_only_a_draft_is_submitted(reporter_user, editor_user, state):
    article = ArticleFactory(created_by=reporter_user, **{state: True})
    with pytest.raises(services.WorkflowError, match="草稿|draft"):
        services.submit_for_review(article, editor_user)


# --- Review levels ----------------------------------------------------------------------------------------


def test_reporters_may_not_sign_off(story, reporter_user):
    services.submit_for_review(story, reporter_user)
    with pytest.raises(services.WorkflowPermissionError):
        services.approve(story, reporter_user)


def test_only_a_story_in_review_is_signed_off(story, editor_user):
    with pytest.raises(services.WorkflowError):
        services.approve(story, editor_user)


def test_three_levels_are_signed_by_three_people_and_named(
    three_levels, story, reporter_user, editor_user, other_editor_user, chief_editor_user
):
    services.submit_for_review(story, reporter_user)
    services.approve(story, editor_user, comment="初审通过")
    with pytest.raises(services.WorkflowError, match="另一位|another person"):
        services.approve(story, editor_user)  # nobody signs two levels of the same story
    services.approve(story, other_editor_user)
    with pytest.raises(services.WorkflowError):
        services.publish(story, chief_editor_user)  # two of three levels signed: not yet
    services.approve(story, chief_editor_user)

    story.refresh_from_db()
    assert story.review_level == 3
    approvals = story.transitions.filter(action=Action.APPROVE).order_by("id")
    assert [(t.user, t.level) for t in approvals] == [(editor_user, 1), (other_editor_user, 2), (chief_editor_user, 3)]
    assert [services.review_level_name(t.level) for t in approvals] == ["初审", "复审", "终审"]
    with pytest.raises(services.WorkflowError):
        services.approve(story, UserFactory(is_superuser=True, is_staff=True))  # every level is signed

    services.publish(story, chief_editor_user)
    assert Article.objects.published().filter(pk=story.pk).exists()


def test_a_change_after_a_sign_off_sends_the_story_back_to_the_first_level(
    three_levels, story, reporter_user, editor_user, other_editor_user
):
    services.submit_for_review(story, reporter_user)
    services.approve(story, editor_user)
    services.approve(story, other_editor_user)

    assert services.reset_review_after_change(story, other_editor_user) is True

    story.refresh_from_db()
    assert story.review_level == 0 and story.status == Status.IN_REVIEW
    reset = story.transitions.order_by("id").last()
    assert (reset.action, reset.level, reset.user) == (Action.RESET, 2, other_editor_user)
    # A new round: the first editor may sign again, and the second too (once).
    services.approve(story, editor_user)
    services.approve(story, other_editor_user)
    assert Article.objects.get(pk=story.pk).review_level == 2


def test_a_change_before_any_sign_off_or_outside_review_resets_nothing(story, reporter_user, editor_user):
    assert services.reset_review_after_change(story, editor_user) is False  # a draft
    services.submit_for_review(story, reporter_user)
    assert services.reset_review_after_change(story, editor_user) is False  # nothing signed yet
    assert not story.transitions.filter(action=Action.RESET).exists()


def test_editing_the_text_in_the_admin_after_a_sign_off_resets_the_review(
    three_levels, client, story, reporter_user, editor_user, other_editor_user
):
    services.submit_for_review(story, reporter_user)
    services.approve(story, editor_user)
    client.force_login(other_editor_user)
    change_url = admin_url(story, "change", story.pk)

    data = form_data(client.get(change_url))
    data["_save"] = "保存"
    assert client.post(change_url, data).status_code == 302  # saved unchanged: the sign-off stands
    assert Article.objects.get(pk=story.pk).review_level == 1

    data = form_data(client.get(change_url))
    data.update({"headline": "改过的标题", "_save": "保存"})
    response = client.post(change_url, data)

    assert response.status_code == 302, errors_of(response)
    story.refresh_from_db()
    assert story.headline == "改过的标题" and story.review_level == 0
    assert story.transitions.order_by("id").last().action == Action.RESET


def test_editing_a_scheduled_story_in_the_admin_says_its_schedule_is_cancelled(
    client, story, reporter_user, editor_user
):
    services.submit_for_review(story, reporter_user)
    going_out = timezone.make_aware(datetime(2099, 3, 8, 9, 30), timezone.get_default_timezone())
    services.publish(story, editor_user, at=going_out)
    client.force_login(editor_user)
    change_url = admin_url(story, "change", story.pk)
    data = form_data(client.get(change_url))
    data.update({"headline": "改过的标题", "_continue": "保存并继续编辑"})

    response = client.post(change_url, data, follow=True)

    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == ["稿件定于 2099年3月8日 09:30 发布，之后文字有改动：定时发布已取消，稿件退回审核。"]
    story.refresh_from_db()
    assert (story.status, story.published_at) == (Status.IN_REVIEW, None)


def test_a_cancelled_schedule_is_offered_again_after_the_sign_offs_it_needs_again(
    three_levels, client, story, reporter_user, editor_user, other_editor_user, chief_editor_user
):
    """With three review levels the box offered now + 1 hour again by the time the story could be scheduled: the
    last step was a sign-off, not the edit that cancelled the schedule."""
    signers = [editor_user, other_editor_user, chief_editor_user]
    services.submit_for_review(story, reporter_user)
    for signer in signers:
        services.approve(story, signer)
    going_out = (timezone.now() + timedelta(minutes=30)).replace(microsecond=0)
    services.publish(story, chief_editor_user, at=going_out)
    client.force_login(chief_editor_user)
    change_url = saved_in_admin(client, story, headline="改过的标题")
    for signer in signers:  # signed off again, level by level
        services.approve(story, signer)

    html = client.get(change_url).content.decode()

    assert f'value="{timezone.localtime(going_out):%Y-%m-%dT%H:%M:%S}"' in schedule_box(html)


def schedule_box(html):
    return re.search(r'<input [^>]*id="workflow-schedule-time"[^>]*>', html).group(0)


@pytest.mark.parametrize("embargo_passed", [False, True])
def test_a_cancelled_schedule_offers_its_time_again_not_one_hour_from_now(
    client, monkeypatch, story, reporter_user, editor_user, embargo_passed
):
    """An editor fixing a typo in a story embargoed until 12月3日 08:00 found the schedule box at now + 1 hour:
    one quick click published it two days early. The box offers the embargo again while it is still ahead."""
    services.submit_for_review(story, reporter_user)
    going_out = (timezone.now() + timedelta(minutes=10)).replace(microsecond=0)
    services.publish(story, editor_user, at=going_out)
    client.force_login(editor_user)
    change_url = saved_in_admin(client, story, headline="改过的标题")
    if embargo_passed:  # the time is gone: the box offers the usual hour ahead
        later = going_out + timedelta(minutes=1)
        freeze(monkeypatch, later)
        expected = f"{timezone.localtime(later + timedelta(hours=1)):%Y-%m-%dT%H:%M}"
    else:
        expected = f"{timezone.localtime(going_out):%Y-%m-%dT%H:%M:%S}"

    html = client.get(change_url).content.decode()  # opened again later, from the list

    assert f'value="{expected}"' in schedule_box(html)


def test_changing_the_bylines_in_the_admin_after_a_sign_off_resets_the_review(
    three_levels, client, story, reporter_user, editor_user
):
    services.submit_for_review(story, reporter_user)
    services.approve(story, editor_user)
    client.force_login(editor_user)
    change_url = admin_url(story, "change", story.pk)
    data = form_data(client.get(change_url))
    data.update({"bylines-0-DELETE": "on", "_save": "保存"})

    assert client.post(change_url, data).status_code == 302
    story.refresh_from_db()
    assert story.review_level == 0 and not story.bylines.exists()


def test_changing_an_entry_after_a_sign_off_resets_the_review(three_levels, story, reporter_user, editor_user):
    entry = ExperienceEntryFactory(article=story, title="原题")
    services.submit_for_review(story, reporter_user)
    services.approve(story, editor_user)
    before = services.reviewed_text(story)
    entry.title = "新题"
    entry.save()
    assert services.reviewed_text(story) != before


def test_line_breaks_between_blocks_are_no_change_to_the_text(story, reporter_user, editor_user):
    """CKEditor gives a body back without the line breaks the manuscript import stores between its blocks: saving
    it so is no change (a browser test saves a scheduled story through CKEditor). A changed word still is one."""
    entry = ExperienceEntryFactory(article=story, body="<p>一段。</p>\n<ul>\n<li>一项</li>\n</ul>")
    Article.objects.filter(pk=story.pk).update(body="<p>第一段。</p>\n<h3>小标题</h3>\n<p>第二段。</p>")
    before = services.reviewed_text(story)

    Article.objects.filter(pk=story.pk).update(body="<p>第一段。</p><h3>小标题</h3><p>第二段。</p>")
    ExperienceEntry.objects.filter(pk=entry.pk).update(body="<p>一段。</p><ul><li>一项</li></ul>")
    assert services.reviewed_text(story) == before

    Article.objects.filter(pk=story.pk).update(body="<p>第一段。</p><h3>小标题</h3><p>第三段。</p>")
    assert services.reviewed_text(story) != before
    # An ideographic space inside a paragraph is text a reader sees, not markup's white space (one at its start
    # is not stored: the stylesheet indents paragraphs, services.tidy_paragraphs).
    Article.objects.filter(pk=story.pk).update(body="<p>第一段。</p><h3>小标题</h3><p>第二\u3000段。</p>")
    assert services.reviewed_text(story) != before


def test_a_text_boxs_crlf_line_breaks_are_no_change_to_the_text(story):
    """Browsers send a text box's line breaks as CRLF; the stored summary (imported) has LF."""
    entry = ExperienceEntryFactory(article=story, highlight="一句。\n两句。")
    Article.objects.filter(pk=story.pk).update(summary="第一行。\n第二行。")
    before = services.reviewed_text(story)

    Article.objects.filter(pk=story.pk).update(summary="第一行。\r\n第二行。")
    ExperienceEntry.objects.filter(pk=entry.pk).update(highlight="一句。\r\n两句。")
    assert services.reviewed_text(story) == before

    Article.objects.filter(pk=story.pk).update(summary="第一行。\r\n第三行。")
    assert services.reviewed_text(story) != before


# --- Return -------------------------------------------------------------------------------------------------


def test_an_editor_returns_a_story_with_a_comment(story, reporter_user, editor_user):
    services.submit_for_review(story, reporter_user)
    with pytest.raises(services.WorkflowError):
        services.return_to_reporter(story, editor_user, "  ")
    services.return_to_reporter(story, editor_user, "请核实数字")

    story.refresh_from_db()
    assert story.status == Status.DRAFT and story.review_level == 0
    last = story.transitions.order_by("id").last()
    assert (last.action, last.comment, last.user) == (Action.RETURN, "请核实数字", editor_user)
    assert list(Article.objects.returned()) == [story]
    assert services.may_edit_article(reporter_user, story)  # the reporter revises it
    services.submit_for_review(story, reporter_user)
    assert not Article.objects.returned().exists()


def test_reporters_may_not_return_stories(story, reporter_user):
    services.submit_for_review(story, reporter_user)
    with pytest.raises(services.WorkflowPermissionError):
        services.return_to_reporter(story, reporter_user, "自己退回")


# --- Publish --------------------------------------------------------------------------------------------------


def test_with_one_level_publishing_signs_it_and_publishes_in_one_step(story, reporter_user, editor_user):
    services.submit_for_review(story, reporter_user)

    warnings = services.publish(story, editor_user)

    assert warnings == []
    story.refresh_from_db()
    assert story.is_published() and story.review_level == 1
    assert [step[0] for step in steps(story)] == [Action.SUBMIT, Action.APPROVE, Action.PUBLISH]
    assert story.transitions.get(action=Action.APPROVE).user == editor_user


def test_with_one_level_an_editor_may_sign_and_another_publish(story, reporter_user, editor_user, other_editor_user):
    services.submit_for_review(story, reporter_user)
    services.approve(story, editor_user)
    services.publish(story, other_editor_user)
    assert [step[0] for step in steps(story)] == [Action.SUBMIT, Action.APPROVE, Action.PUBLISH]


def test_a_draft_is_not_published_before_review(story, editor_user):
    with pytest.raises(services.WorkflowError):
        services.publish(story, editor_user)
    assert not Article.objects.published().exists()


def test_reporters_may_not_publish(story, reporter_user):
    services.submit_for_review(story, reporter_user)
    with pytest.raises(services.WorkflowPermissionError):
        services.publish(story, reporter_user)


def test_a_missing_byline_blocks_publishing(reporter_user, editor_user):
    article = ArticleFactory(created_by=reporter_user)
    services.submit_for_review(article, reporter_user)
    with pytest.raises(services.WorkflowError) as caught:
        services.publish(article, editor_user)
    assert [(f.kind, f.field) for f in caught.value.findings] == [("missing", "bylines")]
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW and article.review_level == 0


def test_a_sensitive_word_blocks_an_editor(story, reporter_user, editor_user):
    WatchWordFactory(word="会议")
    services.submit_for_review(story, reporter_user)
    with pytest.raises(services.WorkflowError) as caught:
        services.publish(story, editor_user, override_reason="我说可以")  # an editor may not override
    assert {f.word for f in caught.value.findings} == {"会议"}
    assert not Article.objects.published().exists()


def test_a_chief_editor_overrides_a_sensitive_word_with_a_recorded_reason(story, reporter_user, chief_editor_user):
    WatchWordFactory(word="会议")
    services.submit_for_review(story, reporter_user)
    with pytest.raises(services.WorkflowError):
        services.publish(story, chief_editor_user, override_reason="  ")

    services.publish(story, chief_editor_user, override_reason="经核实为正常表述")

    story.refresh_from_db()
    assert story.is_published()
    override = story.transitions.get(action=Action.OVERRIDE)
    assert override.user == chief_editor_user
    assert "经核实为正常表述" in override.comment and "会议" in override.comment
    assert [step[0] for step in steps(story)][-3:] == [Action.APPROVE, Action.OVERRIDE, Action.PUBLISH]


def test_miswritten_words_are_warnings(story, reporter_user, editor_user):
    WatchWordFactory(miswritten=True)
    story.body = "<p>做为一项改革举措。</p>"
    story.save()
    services.submit_for_review(story, reporter_user)

    warnings = services.publish(story, editor_user)

    assert [(w.word, w.correction) for w in warnings] == [("做为", "作为")]
    assert Article.objects.get(pk=story.pk).is_published()


def test_a_future_time_schedules_the_story(story, reporter_user, editor_user):
    services.submit_for_review(story, reporter_user)
    at = timezone.now() + timedelta(hours=2)

    services.publish(story, editor_user, at=at)

    story.refresh_from_db()
    assert story.published_at == at and not story.is_published()
    assert list(Article.objects.scheduled()) == [story]
    schedule = story.transitions.order_by("id").last()
    assert schedule.action == Action.SCHEDULE
    local = timezone.localtime(at)
    assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in schedule.comment  # as the admin's dates


def test_a_scheduled_story_may_be_rescheduled_but_a_live_one_is_not_published_again(story, reporter_user, editor_user):
    services.submit_for_review(story, reporter_user)
    services.publish(story, editor_user, at=timezone.now() + timedelta(hours=2))
    sooner = timezone.now() + timedelta(minutes=30)
    services.publish(story, editor_user, at=sooner)
    assert Article.objects.get(pk=story.pk).published_at == sooner

    services.publish(story, editor_user)
    with pytest.raises(services.WorkflowError):
        services.publish(story, editor_user)


# --- Unpublish -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["published", "scheduled"])
def test_an_editor_unpublishes_with_a_reason(editor_user, state):
    article = ArticleFactory(**{state: True})
    with pytest.raises(services.WorkflowError):
        services.unpublish(article, editor_user, "")

    services.unpublish(article, editor_user, "信源有误")

    article.refresh_from_db()
    assert article.status == Status.DRAFT and article.published_at is None
    last = article.transitions.get()
    assert (last.action, last.from_status, last.to_status, last.comment) == (
        Action.UNPUBLISH,
        Status.PUBLISHED,
        Status.DRAFT,
        "信源有误",
    )


def test_a_story_taken_offline_and_published_again_keeps_its_first_publishing_time(
    story, reporter_user, editor_user, monkeypatch
):
    """Back online, a story is not news again: it keeps its date (lists, archive, feeds, JSON-LD) and its place."""
    first = timezone.now() - timedelta(days=3)
    freeze(monkeypatch, first)
    services.submit_for_review(story, reporter_user)
    services.publish(story, editor_user)
    freeze(monkeypatch, first + timedelta(days=2))
    services.unpublish(story, editor_user, "数据待核实")
    services.submit_for_review(story, reporter_user)
    newer = ArticleFactory(published=True, published_at=first + timedelta(days=1))

    services.publish(story, editor_user)

    story.refresh_from_db()
    assert story.is_published() and story.published_at == first == story.first_published_at
    assert list(Article.objects.published().order_by("-published_at")) == [newer, story]
    last = story.transitions.order_by("id").last()
    assert last.action == Action.PUBLISH and last.comment.startswith("重新上线，沿用首次发布时间")


def test_a_story_back_from_the_trash_keeps_its_first_publishing_time(story, reporter_user, editor_user):
    services.submit_for_review(story, reporter_user)
    services.publish(story, editor_user)
    story.refresh_from_db()
    first = story.published_at
    services.move_to_trash(story, editor_user)
    services.restore_from_trash(story, editor_user)
    services.submit_for_review(story, reporter_user)

    services.publish(story, editor_user)

    story.refresh_from_db()
    assert story.published_at == first


def test_a_scheduled_story_trashed_before_its_time_comes_back_later_as_new(
    story, reporter_user, editor_user, monkeypatch
):
    """It never went live: restored days later, published at once, it is not given a time it was never public."""
    now = timezone.now()
    services.submit_for_review(story, reporter_user)
    services.publish(story, editor_user, at=now + timedelta(days=1))
    services.move_to_trash(story, editor_user)
    freeze(monkeypatch, now + timedelta(days=5))
    services.restore_from_trash(story, editor_user)
    services.submit_for_review(story, reporter_user)

    services.publish(story, editor_user)

    story.refresh_from_db()
    assert story.published_at == now + timedelta(days=5) == story.first_published_at


@pytest.mark.parametrize("take_back", ["unpublish", "reset"])
def test_a_scheduled_story_taken_back_before_its_time_goes_live_later_as_new(
    story, reporter_user, editor_user, take_back
):
    services.submit_for_review(story, reporter_user)
    services.publish(story, editor_user, at=timezone.now() + timedelta(days=1))
    story.refresh_from_db()
    if take_back == "unpublish":
        services.unpublish(story, editor_user, "改期")
        services.submit_for_review(story, reporter_user)
    else:
        assert services.reset_review_after_change(story, editor_user)
    story.refresh_from_db()
    assert story.first_published_at is None  # the time it never reached is forgotten

    before = timezone.now()
    services.publish(story, editor_user)

    story.refresh_from_db()
    assert before <= story.published_at <= timezone.now() and story.first_published_at == story.published_at


def test_reporters_may_not_unpublish(reporter_user):
    article = ArticleFactory(published=True, created_by=reporter_user)
    with pytest.raises(services.WorkflowPermissionError):
        services.unpublish(article, reporter_user, "不想发了")


def test_only_a_published_story_is_unpublished(story, editor_user):
    with pytest.raises(services.WorkflowError):
        services.unpublish(story, editor_user, "原因")


def test_allowed_actions_follow_role_and_state(story, reporter_user, editor_user):
    assert services.allowed_actions(story, reporter_user) == ["submit"]
    assert services.allowed_actions(story, editor_user) == ["submit"]
    services.submit_for_review(story, reporter_user)
    assert services.allowed_actions(story, reporter_user) == []
    assert services.allowed_actions(story, editor_user) == ["approve", "return", "publish", "schedule"]
    services.publish(story, editor_user)
    assert services.allowed_actions(story, editor_user) == ["unpublish"]


# --- Scheduling at the edges, in newsroom time ---------------------------------------------------------------


def scheduled_story(editor_user, reporter_user, at):
    article = ArticleFactory(created_by=reporter_user, headline="定时发布的稿件")
    BylineFactory(article=article, reporter=reporter_user.reporter)
    services.submit_for_review(article, reporter_user)
    services.publish(article, editor_user, at=at)
    return article


def test_a_scheduled_story_appears_one_second_after_its_time_not_one_before(
    client, monkeypatch, editor_user, reporter_user
):
    at = (timezone.now() + timedelta(hours=3)).replace(microsecond=0)
    article = scheduled_story(editor_user, reporter_user, at)

    freeze(monkeypatch, at - timedelta(seconds=1))
    assert client.get(article.get_absolute_url()).status_code == 404
    assert "定时发布的稿件" not in client.get(reverse("articles:article_list")).content.decode()
    assert "定时发布的稿件" not in client.get(reverse("feeds:latest_rss")).content.decode()
    assert not article.is_published()

    freeze(monkeypatch, at + timedelta(seconds=1))
    assert client.get(article.get_absolute_url()).status_code == 200
    assert "定时发布的稿件" in client.get(reverse("articles:article_list")).content.decode()
    assert "定时发布的稿件" in client.get(reverse("feeds:latest_rss")).content.decode()


def test_scheduling_across_midnight_in_beijing(client, monkeypatch, editor_user, reporter_user):
    """00:00:30 on 21 November in Beijing is 16:00:30 UTC on the 20th: the story belongs to the 21st."""
    article = ArticleFactory(created_by=reporter_user, headline="零点发布的稿件")
    BylineFactory(article=article, reporter=reporter_user.reporter)
    services.submit_for_review(article, reporter_user)
    freeze(monkeypatch, datetime(2036, 11, 20, 15, 0, tzinfo=UTC))  # 23:00 in Beijing
    client.force_login(editor_user)

    response = client.post(
        reverse("admin:articles_article_workflow", args=[article.pk, "schedule"]),
        {"published_at": "2036-11-21T00:00:30"},
    )

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.published_at == datetime(2036, 11, 20, 16, 0, 30, tzinfo=UTC)
    client.logout()
    freeze(monkeypatch, datetime(2036, 11, 20, 16, 0, 29, tzinfo=UTC))
    assert client.get(article.get_absolute_url()).status_code == 404
    freeze(monkeypatch, datetime(2036, 11, 20, 16, 0, 31, tzinfo=UTC))
    assert client.get(article.get_absolute_url()).status_code == 200
    day = client.get(reverse("articles:article_archive_day", args=["2036", "11", "21"]))
    assert "零点发布的稿件" in day.content.decode()


def test_a_time_scheduled_to_the_second_is_confirmed_to_the_second(client, story, reporter_user, editor_user):
    services.submit_for_review(story, reporter_user)
    client.force_login(editor_user)
    at = (timezone.localtime() + timedelta(days=1)).replace(hour=20, minute=10, second=32, microsecond=0)

    response = client.post(
        reverse("admin:articles_article_workflow", args=[story.pk, "schedule"]),
        {"published_at": at.strftime("%Y-%m-%dT%H:%M:%S")},
        follow=True,
    )

    told = f"{at.year}年{at.month}月{at.day}日 20:10:32"
    assert any(told in str(message) for message in response.context["messages"])
    assert told in story.transitions.order_by("id").last().comment


def test_a_schedule_time_in_the_past_is_refused(client, story, reporter_user, editor_user):
    services.submit_for_review(story, reporter_user)
    client.force_login(editor_user)
    past = timezone.localtime() - timedelta(minutes=1)
    client.post(
        reverse("admin:articles_article_workflow", args=[story.pk, "schedule"]),
        {"published_at": past.strftime("%Y-%m-%dT%H:%M:%S")},
    )
    assert Article.objects.get(pk=story.pk).status == Status.IN_REVIEW


@pytest.mark.parametrize("typed", ["past", "2026-13-45T25:00", "下周一上午"])
def test_a_refused_schedule_time_stays_in_the_box_as_typed(client, story, reporter_user, editor_user, typed):
    """A refused step keeps what was typed (it came back as now + 1 hour: a second click scheduled a time the
    editor never chose); the next visit to the page offers the default again."""
    if typed == "past":
        typed = (timezone.localtime() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    services.submit_for_review(story, reporter_user)
    client.force_login(editor_user)

    response = client.post(
        reverse("admin:articles_article_workflow", args=[story.pk, "schedule"]), {"published_at": typed}, follow=True
    )

    box = re.search(r'<input type="datetime-local"[^>]*id="workflow-schedule-time"[^>]*>', response.content.decode())
    assert f'value="{typed}"' in box.group(0)
    assert Article.objects.get(pk=story.pk).status == Status.IN_REVIEW
    again = client.get(reverse("admin:articles_article_change", args=[story.pk])).content.decode()
    assert f'value="{typed}"' not in again


def test_a_refused_publish_keeps_the_reason_typed_for_it(client, story, reporter_user, chief_editor_user):
    """A chief editor's reason for publishing despite sensitive words, typed with a step the checks then refuse
    (an image in the body without alt text), is still in its box."""
    Article.objects.filter(pk=story.pk).update(
        body='<p>会议指出。</p><figure class="image"><img src="/media/x.jpg"></figure>'
    )
    services.submit_for_review(story, reporter_user)
    client.force_login(chief_editor_user)
    url = reverse("admin:articles_article_workflow", args=[story.pk, "publish"])

    html = client.post(url, {"override_reason": "已与宣传部核实"}, follow=True).content.decode()

    assert Article.objects.get(pk=story.pk).status == Status.IN_REVIEW
    box = re.search(r'<input [^>]*id="workflow-publish-override"[^>]*>', html).group(0)
    assert 'value="已与宣传部核实"' in box


def test_a_refused_publish_names_each_problem_once(client, story, reporter_user, editor_user):
    """The first message listed every problem ("…图说没有照片：请配上照片或删除图说。；第2张图片：…") and then each
    came again as a message of its own."""
    two_images = '<p>会议指出。</p><figure class="image"><img src="/media/a.jpg"></figure><figure class="image"><img src="/media/b.jpg"></figure>'
    Article.objects.filter(pk=story.pk).update(body=two_images)
    services.submit_for_review(story, reporter_user)
    client.force_login(editor_user)

    response = client.post(reverse("admin:articles_article_workflow", args=[story.pk, "publish"]), follow=True)

    told = [str(message) for message in response.context["messages"]]
    problems = [finding.message for finding in services.publication_findings(Article.objects.get(pk=story.pk))]
    assert len(problems) == 2
    for problem in problems:
        assert sum(problem in message for message in told) == 1, told
    assert len(told) == 3 and told[0].startswith("稿件暂不能发布")
    assert "。；" not in "".join(told)


# --- Corrections move dateModified ------------------------------------------------------------------------------


def test_a_correction_moves_the_articles_date_modified(client):
    published_at = timezone.now() - timedelta(days=2)
    article = ArticleFactory(published=True, published_at=published_at)
    Article.objects.filter(pk=article.pk).update(updated_at=published_at)
    noted_at = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    CorrectionFactory(article=article, noted_at=noted_at)

    html = client.get(article.get_absolute_url()).content.decode()

    expected = timezone.localtime(noted_at).isoformat()
    assert f'"dateModified":"{expected}"' in html
    assert re.search(rf'article:modified_time" content="{re.escape(expected)}"', html)


def test_with_one_level_the_sign_off_is_called_a_review_not_签发(client, story, reporter_user, editor_user):
    """签发 is a newsroom's word for the release itself: a story "已签发" yet not live read as a contradiction."""
    services.submit_for_review(story, reporter_user)
    client.force_login(editor_user)
    change_url = admin_url(story, "change", story.pk)
    before = client.get(change_url).content.decode()

    services.approve(story, editor_user)
    after = client.get(change_url).content.decode()

    assert "通过：审核" in before and "审核已通过，可以发布" in after
    assert "签发" not in before + after


def test_the_workflow_and_version_histories_name_people_as_colleagues_know_them(
    client, story, reporter_user, make_staff_user, django_assert_max_num_queries
):
    """The change page's 流程记录 and the history page showed login names (demo-editor) where its presence notice
    said 郑晓岚: a reporter's byline name, an editor's full name."""
    editor = make_staff_user("desk-editor", "编辑")
    editor.first_name, editor.last_name = "晓岚", "郑"
    editor.save()
    client.force_login(reporter_user)
    services.submit_for_review(story, reporter_user)
    client.force_login(editor)
    client.post(reverse("admin:articles_article_workflow", args=[story.pk, "return"]), {"comment": "请改导语"})
    url = reverse("admin:articles_article_change", args=[story.pk])

    page = client.get(url).content.decode()
    history = page[page.index('id="workflow-history"') :]
    assert "李晓萌" in history and "郑晓岚" in history
    assert "desk-editor" not in history and ">reporter<" not in history
    versions = client.get(reverse("admin:articles_article_history", args=[story.pk])).content.decode()
    assert "郑晓岚" in versions and "desk-editor" not in versions
    client.get(url)
    with django_assert_max_num_queries(60) as before:
        client.get(url)
    for _ in range(3):  # more steps by the same people: no query per row for their names
        services.submit_for_review(story, reporter_user)
        services.return_to_reporter(story, editor, "再改")
    with django_assert_max_num_queries(len(before)):
        client.get(url)


def test_the_change_log_under_the_versions_names_people_as_colleagues_know_them(
    client, make_staff_user, django_assert_max_num_queries
):
    """The history page's lower table (Django's change log) said "demo-editor" where the versions above it said
    郑晓岚; and it names them without a query per row."""
    from tests.test_admin import form_data

    editor = make_staff_user("desk-editor", "编辑")
    editor.first_name, editor.last_name = "晓岚", "郑"
    editor.save()
    story = ArticleFactory(headline="原标题")
    client.force_login(editor)
    url = reverse("admin:articles_article_change", args=[story.pk])
    history_url = reverse("admin:articles_article_history", args=[story.pk])

    def save(headline):
        data = form_data(client.get(url))
        data.update({"headline": headline, "_continue": "1"})
        assert client.post(url, data).status_code == 302

    save("第一次修改")
    save("第二次修改")  # two versions: the page compares them, as it will with more
    client.get(history_url)
    reset_queries()  # the connection keeps at most 9,000 queries: a full log would capture none
    with django_assert_max_num_queries(60) as before:
        page = client.get(history_url).content.decode()
    log = page[page.index('id="change-history"') :]
    assert "郑晓岚" in log and "desk-editor" not in log
    first_count = len(before)  # read now: the count is read from the connection's log, emptied below
    assert first_count > 0
    for number in range(3):
        save(f"第{number + 3}次修改")
    reset_queries()
    with django_assert_max_num_queries(first_count):
        client.get(history_url)


def test_a_returned_story_says_so_at_the_top_with_what_to_change(client, story, reporter_user, editor_user):
    """Its status said only 草稿; the editor's comment was in the workflow history at the foot of a long page."""
    services.submit_for_review(story, reporter_user)
    services.return_to_reporter(story, editor_user, "请改导语，补充数据来源")
    client.force_login(reporter_user)
    url = reverse("admin:articles_article_change", args=[story.pk])

    html = client.get(url).content.decode()

    panel = html[html.index('id="workflow"') : html.index('id="article_form"')]
    returned = re.search(r'<p class="workflow-returned"[^>]*>(.*?)</p>', panel, re.S).group(1)
    assert "退回" in returned and "请改导语，补充数据来源" in returned and "editor" in returned
    services.submit_for_review(story, reporter_user)  # once resubmitted, no longer "returned"
    assert 'class="workflow-returned"' not in client.get(url).content.decode()
