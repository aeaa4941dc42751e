"""The trash: deleting an article hides it everywhere and keeps it with its parts; editors restore, the chief purges."""

import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import (
    Article,
    ArticlePhoto,
    Byline,
    ExperienceEntry,
    FrontPageSlot,
    Status,
    Transition,
    TrashedArticle,
)
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BylineFactory,
    ExperienceEntryFactory,
    FrontPageSlotFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_story(reporter_user):
    article = ArticleFactory(published=True, headline="进了回收站的稿件", created_by=reporter_user)
    BylineFactory(article=article, reporter=reporter_user.reporter)
    ArticlePhotoFactory(article=article, caption="会场")
    ExperienceEntryFactory(article=article, title="经验")
    return article


def trash_changelist():
    return reverse("admin:articles_trashedarticle_changelist")


def test_moving_to_the_trash_keeps_the_story_and_its_parts(full_story, editor_user):
    services.move_to_trash(full_story, editor_user)

    assert not Article.objects.filter(pk=full_story.pk).exists()
    kept = Article.all_objects.get(pk=full_story.pk)
    assert kept.deleted_at is not None and kept.deleted_by == editor_user
    assert Byline.objects.filter(article=kept).count() == 1
    assert ArticlePhoto.objects.filter(article=kept).count() == 1
    assert ExperienceEntry.objects.filter(article=kept).count() == 1
    step = Transition.objects.get(article=kept)
    assert (step.action, step.user) == (Transition.Action.TRASH, editor_user)


def test_a_trashed_story_is_invisible_everywhere(client, full_story, editor_user):
    services.move_to_trash(full_story, editor_user)

    assert client.get(full_story.get_absolute_url()).status_code == 404
    for name in ["articles:home", "articles:article_list", "feeds:latest_rss", "feeds:latest_atom"]:
        assert "进了回收站的稿件" not in client.get(reverse(name)).content.decode(), name
    assert full_story.get_absolute_url() not in client.get(reverse("sitemap_news")).content.decode()
    client.force_login(editor_user)
    assert client.get(full_story.get_absolute_url()).status_code == 404  # no preview either
    changelist = client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "进了回收站的稿件" not in changelist
    change = client.get(reverse("admin:articles_article_change", args=[full_story.pk]))
    assert change.status_code == 302  # "does not exist"


def test_deleting_in_the_admin_moves_to_the_trash(client, full_story, editor_user):
    client.force_login(editor_user)
    confirm = client.get(reverse("admin:articles_article_delete", args=[full_story.pk]))
    assert confirm.status_code == 200

    # The page says where the story goes, not Django's "all of the following related items will be deleted".
    assert "移到回收站" in confirm.content.decode() and "都将被删除" not in confirm.content.decode()

    response = client.post(reverse("admin:articles_article_delete", args=[full_story.pk]), {"post": "yes"}, follow=True)

    assert [str(message) for message in response.context["messages"]] == [f"“{full_story}”已移到回收站。"]
    assert TrashedArticle.objects.get(pk=full_story.pk).deleted_by == editor_user
    assert Byline.objects.filter(article_id=full_story.pk).exists()


def test_the_bulk_action_moves_to_the_trash_once_confirmed(client, editor_user):
    articles = [ArticleFactory(headline="在网站上的稿件", published=True), ArticleFactory(headline="还是草稿")]
    client.force_login(editor_user)
    chosen = {"action": "move_to_trash", "_selected_action": [a.pk for a in articles]}

    confirm = client.post(reverse("admin:articles_article_changelist"), chosen)

    # First a page listing them, saying that a live story leaves the site: nothing is moved yet.
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "在网站上的稿件 <strong>（正在网站上）</strong>" in html and "还是草稿</li>" in html
    assert Article.objects.count() == 2

    response = client.post(reverse("admin:articles_article_changelist"), {**chosen, "post": "yes"})

    assert response.status_code == 302
    assert not Article.objects.exists()
    assert Article.all_objects.filter(deleted_at__isnull=False).count() == 2


def placed_story(headline):
    """A live story on the home page, leading a package, in two topics (the newer one listed first, as on the topic
    list) and on a print page."""
    story = ArticleFactory(
        headline=headline,
        published=True,
        print_issue_on=date(2026, 11, 20),
        print_page_number="A03",
        print_page_name="要闻",
    )
    FrontPageSlotFactory(article=story, position=FrontPageSlot.Position.LEAD)
    ArticleFactory(published=True, package_lead=story)
    ArticleFactory(published=True, package_lead=story)
    ArticleFactory(package_lead=story)  # a draft companion: no page lists anything yet
    story.topics.set(
        [
            TopicFactory(title="乡村振兴", starts_on=date(2026, 3, 1)),
            TopicFactory(title="妇联改革", starts_on=date(2026, 11, 19)),
        ]
    )
    return story


def test_the_trash_confirmation_names_what_else_the_story_leaves(client, editor_user):
    story = placed_story("放在首页头条的稿件")
    client.force_login(editor_user)
    notes = [
        "它在首页的“头条”位置：移走后由最新稿件补上。",
        "它是一组报道的主稿：另外 2 篇已发布稿件的“本组报道”将不再列出它。",
        "专题“妇联改革”、“乡村振兴”将不再列出它。",
        "网站数字报的2026年11月20日 A03版 要闻将不再列出它。",
    ]

    one = client.get(reverse("admin:articles_article_delete", args=[story.pk])).content.decode()
    chosen = {"action": "move_to_trash", "_selected_action": [story.pk, ArticleFactory(headline="无处安放").pk]}
    bulk = client.post(reverse("admin:articles_article_changelist"), chosen).content.decode()

    for html in (one, bulk):
        assert [note for note in notes if f"<li>{note}</li>" in html] == notes
    assert "无处安放</li>" in bulk  # a story placed nowhere has no list of its own


def test_the_trash_confirmation_of_a_draft_names_nothing_it_leaves(client, reporter_user):
    """A draft is on no public page: the notes said the print edition and the topic "stop listing it"."""
    draft = ArticleFactory(
        created_by=reporter_user, print_issue_on=date(2026, 11, 20), print_page_number="A03", print_page_name="要闻"
    )
    draft.topics.set([TopicFactory(title="妇联改革")])
    client.force_login(reporter_user)

    html = client.get(reverse("admin:articles_article_delete", args=[draft.pk])).content.decode()

    assert "移到回收站" in html and "将不再列出它" not in html


def test_a_reporter_may_not_bulk_trash_their_published_story(client, reporter_user):
    mine = ArticleFactory(published=True, created_by=reporter_user)
    client.force_login(reporter_user)
    client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "move_to_trash", "_selected_action": [mine.pk], "post": "yes"},
    )
    assert Article.objects.filter(pk=mine.pk).exists()


def test_the_trash_lists_who_deleted_what_and_when(client, full_story, editor_user):
    services.move_to_trash(full_story, editor_user)
    client.force_login(editor_user)

    html = client.get(trash_changelist()).content.decode()

    assert "进了回收站的稿件" in html
    assert "editor" in html
    assert timezone.localtime(Article.all_objects.get(pk=full_story.pk).deleted_at).strftime("%Y") in html


def test_the_lists_count_reads_as_chinese(client, full_story, editor_user):
    """Django writes the count and the model's plural name: "0 回收站" for an empty trash, "3 稿件" for stories."""
    client.force_login(editor_user)
    empty = client.get(trash_changelist()).content.decode()
    stories = client.get(reverse("admin:articles_article_changelist")).content.decode()

    assert re.search(r'<p class="paginator">\s*回收站共 0 条\s*</p>', empty)
    assert "0 回收站" not in empty
    assert re.search(r'<p class="paginator">\s*稿件共 1 条\s*</p>', stories)


def test_the_trash_names_people_as_colleagues_know_them(
    client, full_story, make_staff_user, django_assert_max_num_queries
):
    """Who deleted a story and who filed it, by name (郑晓岚, the reporter's byline name), not by login."""
    editor = make_staff_user("desk-editor", "编辑")
    editor.first_name, editor.last_name = "晓岚", "郑"
    editor.save()
    services.move_to_trash(full_story, editor)
    services.move_to_trash(ArticleFactory(headline="另一篇", created_by=full_story.created_by), editor)
    client.force_login(editor)
    client.get(trash_changelist())

    with django_assert_max_num_queries(20) as counted:
        html = client.get(trash_changelist()).content.decode()

    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)
    story_row = next(row for row in rows if "进了回收站的稿件" in row)
    assert "郑晓岚" in story_row and "李晓萌" in story_row
    assert "desk-editor" not in html and ">reporter<" not in html
    services.move_to_trash(ArticleFactory(headline="第三篇", created_by=full_story.created_by), editor)
    with django_assert_max_num_queries(len(counted)):  # no query per row for the names
        client.get(trash_changelist())


def test_an_editor_restores_a_story_as_a_draft(client, full_story, editor_user):
    services.move_to_trash(full_story, editor_user)
    client.force_login(editor_user)

    response = client.post(trash_changelist(), {"action": "restore_selected", "_selected_action": [full_story.pk]})

    assert response.status_code == 302
    restored = Article.objects.get(pk=full_story.pk)
    assert restored.status == Status.DRAFT and restored.published_at is None
    assert restored.deleted_at is None and restored.bylines.count() == 1
    assert restored.transitions.order_by("id").last().action == Transition.Action.RESTORE
    assert client.get(full_story.get_absolute_url()).status_code == 200  # a preview for the editor
    client.logout()
    assert client.get(full_story.get_absolute_url()).status_code == 404  # it goes through the workflow again


def test_reporters_do_not_see_the_trash(client, full_story, reporter_user, editor_user):
    services.move_to_trash(full_story, editor_user)
    client.force_login(reporter_user)
    assert client.get(trash_changelist()).status_code == 403
    with pytest.raises(services.WorkflowPermissionError):
        services.restore_from_trash(full_story, reporter_user)


def test_only_the_chief_editor_deletes_for_good(client, full_story, editor_user, chief_editor_user):
    services.move_to_trash(full_story, editor_user)
    delete_url = reverse("admin:articles_trashedarticle_delete", args=[full_story.pk])
    client.force_login(editor_user)
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    with pytest.raises(services.WorkflowPermissionError):
        services.purge_from_trash(full_story, editor_user)
    assert Article.all_objects.filter(pk=full_story.pk).exists()

    client.force_login(chief_editor_user)
    assert client.get(delete_url).status_code == 200
    assert client.post(delete_url, {"post": "yes"}).status_code == 302

    assert not Article.all_objects.filter(pk=full_story.pk).exists()
    assert not Byline.objects.filter(article_id=full_story.pk).exists()


def saved_with_history(article, user):
    """A save as the admin makes it: a kept version of the article with its parts."""
    import reversion

    with reversion.create_revision():
        reversion.set_user(user)
        article.save()


def kept_texts():
    from reversion.models import Version

    return " ".join(version.serialized_data for version in Version.objects.all())


@pytest.mark.parametrize("how", ["purge", "empty_trash"])
def test_a_story_deleted_for_good_leaves_nothing_in_the_history(full_story, editor_user, chief_editor_user, how):
    """Its versions held the whole text, bylines and entries: in the database and in every backup."""
    other = ArticleFactory(headline="另一篇留着的稿件")
    full_story.headline = "要彻底删除的稿件"
    saved_with_history(full_story, editor_user)
    saved_with_history(other, editor_user)
    services.move_to_trash(full_story, editor_user)
    assert "要彻底删除的稿件" in kept_texts()

    if how == "purge":
        services.purge_from_trash(full_story, chief_editor_user)
    else:
        Article.all_objects.filter(pk=full_story.pk).update(deleted_at=timezone.now() - timedelta(days=31))
        run_empty_trash()

    assert not Article.all_objects.filter(pk=full_story.pk).exists()
    assert "要彻底删除的稿件" not in kept_texts() and "另一篇留着的稿件" in kept_texts()


def test_a_story_outside_the_trash_is_not_purged(full_story, chief_editor_user):
    with pytest.raises(services.WorkflowError):
        services.purge_from_trash(full_story, chief_editor_user)


def test_reporters_trash_their_drafts_only(reporter_user, other_reporter_user):
    draft = ArticleFactory(created_by=reporter_user)
    with pytest.raises(services.WorkflowPermissionError):
        services.move_to_trash(draft, other_reporter_user)
    services.submit_for_review(draft, reporter_user)
    with pytest.raises(services.WorkflowPermissionError):
        services.move_to_trash(draft, reporter_user)  # in review: read-only to the reporter


# --- empty_trash ---------------------------------------------------------------------------------------


@pytest.fixture
def trash_of_different_ages(editor_user):
    now = timezone.now()
    old = ArticleFactory(deleted_at=now - timedelta(days=31), deleted_by=editor_user)
    BylineFactory(article=old)
    recent = ArticleFactory(deleted_at=now - timedelta(days=29))
    kept = ArticleFactory()
    return old, recent, kept


def run_empty_trash(*args):
    out = StringIO()
    call_command("empty_trash", *args, stdout=out)
    return out.getvalue()


def test_empty_trash_deletes_what_is_older_than_the_setting(trash_of_different_ages):
    old, recent, kept = trash_of_different_ages

    output = run_empty_trash()

    assert "1" in output
    assert not Article.all_objects.filter(pk=old.pk).exists()
    assert not Byline.objects.filter(article_id=old.pk).exists()
    assert Article.all_objects.filter(pk=recent.pk).exists() and Article.objects.filter(pk=kept.pk).exists()
    assert "0" in run_empty_trash()  # safe to run twice


def test_empty_trash_dry_run_deletes_nothing(trash_of_different_ages):
    output = run_empty_trash("--days", "7", "--dry-run")
    assert "2" in output
    assert Article.all_objects.count() == 3


def test_empty_trash_days_option(trash_of_different_ages, settings):
    settings.NEWSROOM_TRASH_DAYS = 60
    run_empty_trash()
    assert Article.all_objects.count() == 3
    run_empty_trash("--days", "7")
    assert Article.all_objects.count() == 1


def test_the_trash_calls_a_story_that_was_only_scheduled_scheduled(admin_client, editor_user):
    article = ArticleFactory(scheduled=True, headline="定时的稿件")
    services.move_to_trash(article, editor_user)

    html = admin_client.get(trash_changelist()).content.decode()

    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*定时的稿件.*?</tr>", html, re.S).group(0)
    assert "定时发布" in row and "已发布" not in row


@pytest.mark.parametrize("holder", ["section", "reporter", "organisation"])
def test_the_delete_page_of_what_a_story_in_the_trash_holds_names_that_story(client, chief_editor_user, holder):
    """Deleting a section whose only story was in the trash told even the chief editor "你的帐号无权删除下列类型的
    对象：稿件", naming no story."""
    from articles.models import Organization, Reporter, Section
    from tests.factories import OrganizationFactory, ReporterFactory
    from tests.test_admin import admin_url

    story = ArticleFactory(headline="回收站里的稿件")
    kept = {
        "section": lambda: story.section,
        "reporter": lambda: BylineFactory(article=story, reporter=ReporterFactory(name="离职记者")).reporter,
        "organisation": lambda: (
            ExperienceEntryFactory(article=story, organization=OrganizationFactory(name="旧单位")).organization
        ),
    }[holder]()
    services.move_to_trash(story, chief_editor_user)
    client.force_login(chief_editor_user)

    html = client.get(admin_url(kept, "delete", kept.pk)).content.decode()

    assert "无权删除" not in html
    assert f'<a href="/admin/articles/trashedarticle/{story.pk}/change/">回收站里的稿件</a>' in html
    client.post(admin_url(kept, "delete", kept.pk), {"post": "yes"})
    model = {"section": Section, "reporter": Reporter, "organisation": Organization}[holder]
    assert model.objects.filter(pk=kept.pk).exists()


def test_the_delete_page_of_a_reporter_reads_the_stories_holding_it_at_once(
    client, chief_editor_user, django_assert_max_num_queries
):
    """It read each byline's story on its own: a query per byline on the page of a reporter of 500 stories."""
    from tests.factories import ReporterFactory
    from tests.test_admin import admin_url

    reporter = ReporterFactory()
    client.force_login(chief_editor_user)
    url = admin_url(reporter, "delete", reporter.pk)
    counts = []
    for stories in (2, 12):
        while reporter.bylines.count() < stories:
            BylineFactory(reporter=reporter, article=ArticleFactory(published=True))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        counts.append(len(queries))
        assert html.count("/admin/articles/article/") >= stories
    assert counts[1] - counts[0] <= 2, counts


def test_the_delete_page_of_an_organisation_names_its_stories_and_its_member_organisations(client, chief_editor_user):
    """It named the stories only: once their entries were moved, a second try showed the member organisation."""
    from tests.factories import OrganizationFactory
    from tests.test_admin import admin_url

    town = OrganizationFactory(name="石门镇妇女联合会")
    village = OrganizationFactory(name="柳塘村妇联", parent=town)
    ExperienceEntryFactory(article=ArticleFactory(headline="石门镇的经验"), organization=town)
    client.force_login(chief_editor_user)

    html = client.get(admin_url(town, "delete", town.pk)).content.decode()

    assert "石门镇的经验</a>" in html
    assert f'<a href="/admin/articles/organization/{village.pk}/change/">柳塘村妇联</a>' in html
