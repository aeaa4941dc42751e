import re
from io import StringIO

import pytest
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import timezone

from articles import demo_content
from articles.models import (
    Article,
    ArticlePhoto,
    Byline,
    Correction,
    ExperienceEntry,
    FrontPageSlot,
    Organization,
    Photo,
    Reporter,
    Section,
    Status,
    Topic,
)
from articles.services import EDITOR_GROUP, REPORTER_GROUP


def authenticate(**credentials):
    """Authenticate as the admin login does: django-axes refuses a call without the request."""
    return auth.authenticate(RequestFactory().post("/admin/login/"), **credentials)


@pytest.fixture
def seed_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEBUG = True  # the command refuses to create its demo logins otherwise
    return settings.MEDIA_ROOT


def seed(**options):
    out = StringIO()
    call_command("seed_demo_content", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded(seed_media):
    return seed()


def meeting_report():
    return Article.objects.get(headline=demo_content.MEETING_REPORT.headline)


def meeting_roundup():
    return Article.objects.get(headline=demo_content.MEETING_ROUNDUP.headline)


def byline_list(article):
    return [(b.reporter, b.role.name) for b in article.bylines.select_related("reporter", "role").order_by("order")]


def snapshot():
    """Every row the seed touches, with the fields a second run could change."""
    return {
        "articles": sorted(Article.objects.values_list("pk", "headline", "status", "published_at", "updated_at")),
        "bylines": sorted(Byline.objects.values_list("pk", "article", "reporter", "role", "order")),
        "article_photos": sorted(ArticlePhoto.objects.values_list("pk", "article", "photo", "caption", "order")),
        "entries": sorted(ExperienceEntry.objects.values_list("pk", "article", "organization", "order")),
        "photos": sorted(Photo.objects.values_list("pk", "image", "width", "height")),
        "reporters": sorted(Reporter.objects.values_list("pk", "slug", "user")),
        "organizations": sorted(Organization.objects.values_list("pk", "slug", "parent")),
        "sections": sorted(Section.objects.values_list("pk", "slug")),
        "topics": sorted(Topic.objects.values_list("pk", "slug", "starts_on", "ends_on")),
        "topic_links": sorted(Article.topics.through.objects.values_list("article", "topic")),
        "front_page": sorted(FrontPageSlot.objects.values_list("pk", "position", "article")),
        "corrections": sorted(Correction.objects.values_list("pk", "article", "kind", "text", "noted_at")),
        "users": sorted(get_user_model().objects.values_list("pk", "username", "password", "is_staff", "last_login")),
    }


@pytest.mark.django_db
def test_meeting_report_has_three_bylines_in_order_with_their_roles(seeded):
    report = meeting_report()

    bylines = byline_list(report)
    assert [role for _reporter, role in bylines] == ["首席记者", "见习记者", "通讯员"]
    assert len({reporter.pk for reporter, _role in bylines}) == 3
    correspondent = bylines[2][0]
    assert correspondent.user is None
    assert correspondent.affiliation


@pytest.mark.django_db
def test_meeting_report_carries_every_part_of_the_printed_page(seeded):
    report = meeting_report()

    assert report.kicker and report.subtitle and report.summary
    speaker, message = report.subtitle.split("：", 1)
    assert speaker and message
    assert report.source == "今日女报 / 凤网"
    assert report.pull_quote and report.pull_quote in report.body
    assert (
        report.body.count("<p>") >= 5 and "<h2>" in report.body and "<h3>" not in report.body
    )  # the h1 is the headline
    published_on = timezone.localdate(report.published_at)
    assert report.dateline_place and report.dateline_on < published_on
    assert (report.print_page_number, report.print_page_name) == ("A01", "要闻")
    assert report.print_issue_on == published_on
    assert report.lead_photo is not None
    captions = [link.caption for link in report.article_photos.all()]
    assert len(captions) >= 2 and all(captions)
    assert report.is_published()


@pytest.mark.django_db
def test_roundup_is_compiled_by_the_chief_reporter_of_the_report(seeded):
    chief_reporter = byline_list(meeting_report())[0][0]

    assert byline_list(meeting_roundup()) == [(chief_reporter, "整理")]


@pytest.mark.django_db
def test_the_roundup_goes_out_in_the_reports_package_and_each_page_names_the_other(seeded, client):
    report, roundup = meeting_report(), meeting_roundup()
    assert roundup.package_lead == report

    for story, other in ((report, roundup), (roundup, report)):
        html = client.get(story.get_absolute_url()).content.decode()
        box = html[html.index('id="package-heading"') :]
        assert f'href="{other.get_absolute_url()}">{other.headline}</a>' in box[: box.index("</aside>")]


@pytest.mark.django_db
def test_roundup_entries_span_the_organisation_tree_in_both_forms(seeded):
    roundup = meeting_roundup()
    entries = list(roundup.experience_entries.select_related("organization", "organization__parent"))

    assert len(entries) >= 8
    assert len({entry.organization.level for entry in entries}) >= 4
    assert {entry.form for entry in entries} == {ExperienceEntry.Form.ORAL, ExperienceEntry.Form.WRITTEN}
    assert sorted(entry.order for entry in entries) == list(range(1, len(entries) + 1))
    assert all(entry.title and entry.body for entry in entries)
    assert any(entry.photo and entry.caption for entry in entries)
    for entry in entries:  # every organisation reaches the province by its parents
        organization = entry.organization
        while organization.parent_id:
            organization = organization.parent
        assert organization.level == Organization.Level.PROVINCE
    oral = sum(entry.form == ExperienceEntry.Form.ORAL for entry in entries)
    assert f"{len(entries)}个地方妇联" in roundup.body
    assert f"{oral}个单位作大会交流发言" in roundup.body


@pytest.mark.django_db
def test_meeting_package_shares_a_topic(seeded):
    shared = set(meeting_report().topics.all()) & set(meeting_roundup().topics.all())

    assert len(shared) == 1


@pytest.mark.django_db
def test_further_articles_cover_sections_topics_and_every_status(seeded):
    further = Article.objects.exclude(pk__in=[meeting_report().pk, meeting_roundup().pk])

    assert further.count() >= 30
    assert further.values("section").distinct().count() >= 5
    assert Topic.objects.filter(articles__in=further).distinct().count() >= 2
    assert further.filter(status=Status.DRAFT).exists()
    assert further.filter(status=Status.IN_REVIEW).exists()
    assert further.scheduled().exists()
    assert further.published().count() > further.count() / 2
    assert further.filter(lead_photo__isnull=False).exists()
    roles = set(Byline.objects.filter(article__in=further).values_list("role__name", flat=True))
    assert {"记者", "摄影", "实习生", "编辑", "通讯员"} <= roles
    assert not further.filter(bylines__isnull=True).exists()


@pytest.mark.django_db
def test_published_demo_stories_have_their_first_publishing_time(seeded):
    """As the workflow's publish step sets it: taken offline and published again, they keep their date."""
    published = Article.objects.filter(status=Status.PUBLISHED)
    assert published.exists()
    assert all(article.first_published_at == article.published_at for article in published)


@pytest.mark.django_db
def test_demo_stories_last_changed_when_they_went_out_or_were_corrected_not_when_the_demo_was_seeded(seeded):
    """Their dateModified (the page's metadata, the sitemap's lastmod, the Atom feed's updated) said every story was
    edited at the moment the seed ran."""
    now = timezone.now()
    gone_out = Article.objects.filter(status=Status.PUBLISHED, published_at__lte=now).prefetch_related("corrections")
    assert gone_out.count() > 10
    for article in gone_out:
        noted = [correction.noted_at for correction in article.corrections.all()]
        assert article.updated_at == max([article.published_at, *noted]), article.headline
        assert article.created_at < article.published_at, article.headline
    assert any(article.corrections.all() for article in gone_out)


@pytest.mark.django_db
def test_the_search_pages_example_finds_demo_stories(seeded, client):
    html = client.get("/search/").content.decode()
    example = re.search(r'placeholder="如：([^"]+)"', html).group(1)
    found = client.get("/search/", {"q": example}).content.decode()
    assert "共 0 条结果" not in found
    assert re.search(r"共 [1-9]\d* 条结果", found), example


@pytest.mark.django_db
def test_home_page_leads_with_the_meeting_report_and_its_roundup(seeded, client):
    slots = dict(FrontPageSlot.objects.values_list("position", "article"))

    assert slots[FrontPageSlot.Position.LEAD] == meeting_report().pk
    assert slots[FrontPageSlot.Position.SECOND] == meeting_roundup().pk
    assert len(slots) < len(FrontPageSlot.Position)  # the other slots fall back to the latest stories
    html = client.get("/").content.decode()
    lead = html[html.index('class="card card-lead"') :]
    assert lead.index(meeting_report().headline) < lead.index(meeting_roundup().headline)


@pytest.mark.django_db
def test_a_published_article_carries_a_correction_noted_after_it_went_live(seeded):
    correction = Correction.objects.select_related("article").get()

    assert correction.article.is_published()
    assert correction.kind == Correction.Kind.CORRECTION and correction.text
    assert correction.article.published_at < correction.noted_at <= timezone.now()


@pytest.mark.django_db
def test_print_edition_has_several_issues_with_several_pages(seeded):
    published = Article.objects.published().exclude(print_issue_on=None)
    pages_per_issue = {}
    for issue_on, page, name in published.values_list("print_issue_on", "print_page_number", "print_page_name"):
        assert page.startswith("A") and name
        pages_per_issue.setdefault(issue_on, set()).add(page)

    assert len(pages_per_issue) >= 5
    assert sum(len(pages) >= 2 for pages in pages_per_issue.values()) >= 3
    assert not Article.objects.exclude(status=Status.PUBLISHED).exclude(print_issue_on=None).exists()


@pytest.mark.django_db
def test_one_or_two_topics_are_featured(seeded):
    assert 1 <= Topic.objects.filter(is_featured=True).count() <= 2


@pytest.mark.django_db
def test_reporters_include_correspondents_without_login(seeded):
    assert Reporter.objects.count() >= 8
    correspondents = Reporter.objects.filter(user__isnull=True, bylines__role__name="通讯员").distinct()
    assert correspondents.count() >= 2
    assert all(reporter.affiliation for reporter in correspondents)


@pytest.mark.django_db
def test_photos_are_generated_jpegs_under_media_root_with_alt_text_and_credit(seeded, seed_media):
    photos = list(Photo.objects.all())

    assert len(photos) >= 8
    for photo in photos:
        assert (photo.width, photo.height) == (1200, 800)
        assert photo.alt_text
        assert photo.credit_reporter_id or photo.credit_text
        assert photo.image.path.startswith(str(seed_media))
        assert photo.image.name.endswith(".jpg") and "demo" not in photo.image.name  # generated names
    assert len({photo.image.open("rb").read() for photo in photos}) == len(photos)


@pytest.mark.django_db
def test_second_run_creates_and_changes_nothing(seeded, seed_media):
    before = snapshot()
    files_before = sorted(seed_media.rglob("*.jpg"))

    output = seed()

    assert snapshot() == before
    assert sorted(seed_media.rglob("*.jpg")) == files_before
    assert "Created this run: nothing." in output


@pytest.mark.django_db
def test_demo_logins_authenticate_and_belong_to_their_groups(seeded):
    editor = authenticate(username=demo_content.DEMO_EDITOR_USERNAME, password=demo_content.DEMO_PASSWORD)
    reporter = authenticate(username=demo_content.DEMO_REPORTER_USERNAME, password=demo_content.DEMO_PASSWORD)

    assert editor is not None and editor.is_staff
    assert reporter is not None and reporter.is_staff
    assert list(editor.groups.values_list("name", flat=True)) == [EDITOR_GROUP]
    assert list(reporter.groups.values_list("name", flat=True)) == [REPORTER_GROUP]
    assert editor.has_perm("articles.publish_article")
    assert not reporter.has_perm("articles.publish_article")
    chief = authenticate(username=demo_content.DEMO_CHIEF_EDITOR_USERNAME, password=demo_content.DEMO_PASSWORD)
    assert list(chief.groups.values_list("name", flat=True)) == ["主编"]
    assert chief.has_perm("articles.override_checks") and not editor.has_perm("articles.override_checks")


@pytest.mark.django_db
def test_word_lists_are_seeded_for_the_checks_before_publishing(seeded):
    from articles.models import WatchWord

    assert WatchWord.objects.filter(word="做为", kind="miswritten", correction="作为").exists()
    assert WatchWord.objects.filter(kind="sensitive").exists()


@pytest.mark.django_db
def test_demo_reporter_is_a_bylined_staff_reporter_with_stories_in_several_states(seeded):
    user = authenticate(username=demo_content.DEMO_REPORTER_USERNAME, password=demo_content.DEMO_PASSWORD)

    assert user.reporter.affiliation == demo_content.STAFF
    own = Article.objects.editable_by(user)
    assert own.filter(pk=meeting_report().pk).exists()
    assert {Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED} <= set(own.values_list("status", flat=True))
    assert own.count() < Article.objects.count()


@pytest.mark.django_db
def test_output_names_every_login_for_local_use(seeded):
    assert demo_content.DEMO_EDITOR_USERNAME in seeded
    assert demo_content.DEMO_REPORTER_USERNAME in seeded
    assert demo_content.DEMO_CHIEF_EDITOR_USERNAME in seeded
    assert demo_content.DEMO_PASSWORD in seeded
    assert "local use only" in seeded


@pytest.mark.django_db
def test_refuses_to_run_without_debug_unless_forced(settings, seed_media):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        seed()
    assert not Article.objects.exists()

    seed(force=True)
    assert Article.objects.exists()


@pytest.mark.django_db
def test_failure_rolls_back_everything_and_removes_written_photos(seed_media, monkeypatch):
    real_save = FileSystemStorage._save
    calls = []

    def save_then_fail(storage, name, content):
        calls.append(name)
        if len(calls) > 3:
            raise OSError("No space left on device")
        return real_save(storage, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", save_then_fail)

    with pytest.raises(CommandError, match="MEDIA_ROOT"):
        seed()
    assert len(calls) == 4
    assert not Photo.objects.exists()
    assert not Reporter.objects.exists()
    assert not list(seed_media.rglob("*.jpg"))
