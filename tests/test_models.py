"""The content model: rules kept by the database, ordering, names, URLs, deletion and stored file names."""

import re
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.urls import resolve
from django.utils import timezone

from articles.models import Article, ArticlePhoto, Byline, ExperienceEntry, Organization, Photo, Reporter, Status
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BylineFactory,
    BylineRoleFactory,
    ExperienceEntryFactory,
    OrganizationFactory,
    PhotoFactory,
    ReporterFactory,
    SectionFactory,
    TopicFactory,
    image_bytes,
)

pytestmark = pytest.mark.django_db

GENERATED_PHOTO_NAME = re.compile(r"^photos/\d{4}/\d{2}/[0-9a-f]{32}\.jpg$")


# --- Rules kept by the database -------------------------------------------------------------------


def test_published_article_without_publishing_time_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(status=Status.PUBLISHED, published_at=None)
    assert not Article.objects.exists()


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_unpublished_article_needs_no_publishing_time(status):
    article = ArticleFactory(status=status, published_at=None)
    assert Article.objects.get(pk=article.pk).status == status


def test_article_without_headline_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(headline="")


def test_photo_without_alt_text_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        PhotoFactory(alt_text="")
    assert not Photo.objects.exists()


def test_same_person_cannot_hold_the_same_role_twice_on_one_article():
    byline = BylineFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        BylineFactory(article=byline.article, reporter=byline.reporter, role=byline.role)
    assert byline.article.bylines.count() == 1


def test_same_person_may_hold_two_roles_on_one_article():
    byline = BylineFactory(role=BylineRoleFactory(name="记者"))
    BylineFactory(article=byline.article, reporter=byline.reporter, role=BylineRoleFactory(name="摄影"))
    assert [b.role.name for b in byline.article.bylines.all()] == ["记者", "摄影"]


def test_organization_cannot_be_its_own_parent():
    organization = OrganizationFactory()
    organization.parent = organization
    with pytest.raises(IntegrityError), transaction.atomic():
        organization.save()


def test_organization_may_have_a_parent():
    province = OrganizationFactory(name="湖南省妇联", level="province")
    city = OrganizationFactory(name="长沙市妇联", parent=province)
    assert list(province.children.all()) == [city]


def test_topic_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        TopicFactory(starts_on=date(2026, 11, 20), ends_on=date(2026, 11, 19))


def test_topic_may_end_on_the_day_it_starts():
    topic = TopicFactory(starts_on=date(2026, 11, 19), ends_on=date(2026, 11, 19))
    assert topic.ends_on == topic.starts_on


# --- Ordering -----------------------------------------------------------------------------------


def test_bylines_keep_the_editors_order_even_when_created_out_of_order():
    article = ArticleFactory()
    BylineFactory(
        article=article, reporter=ReporterFactory(name="周丹"), role=BylineRoleFactory(name="通讯员"), order=3
    )
    BylineFactory(
        article=article, reporter=ReporterFactory(name="李晓萌"), role=BylineRoleFactory(name="首席记者"), order=1
    )
    BylineFactory(
        article=article, reporter=ReporterFactory(name="王芳"), role=BylineRoleFactory(name="见习记者"), order=2
    )

    assert [str(b) for b in article.bylines.all()] == ["首席记者 李晓萌", "见习记者 王芳", "通讯员 周丹"]


def test_articles_come_newest_first():
    now = timezone.now()
    middle = ArticleFactory(published=True, published_at=now - timedelta(hours=2))
    newest = ArticleFactory(published=True, published_at=now - timedelta(minutes=5))
    oldest = ArticleFactory(published=True, published_at=now - timedelta(days=3))

    assert list(Article.objects.all()) == [newest, middle, oldest]


def test_experience_entries_and_article_photos_keep_their_order():
    article = ArticleFactory()
    second = ExperienceEntryFactory(article=article, order=2)
    first = ExperienceEntryFactory(article=article, order=1)
    photo_b = ArticlePhotoFactory(article=article, order=2, caption="图二")
    photo_a = ArticlePhotoFactory(article=article, order=1, caption="图一")

    assert list(article.experience_entries.all()) == [first, second]
    assert list(article.article_photos.all()) == [photo_a, photo_b]


# --- Names and addresses ------------------------------------------------------------------------


def test_names_shown_in_the_admin_and_in_lists():
    organization = OrganizationFactory(name="长沙市妇联")
    entry = ExperienceEntryFactory(organization=organization, title="让妇联组织“活”起来")
    byline = BylineFactory(reporter=ReporterFactory(name="李晓萌"), role=BylineRoleFactory(name="首席记者"))
    photo = PhotoFactory(alt_text="会场全景")

    assert str(ArticleFactory(headline="全省妇联改革现场会在郴州召开")) == "全省妇联改革现场会在郴州召开"
    assert str(byline) == "首席记者 李晓萌"
    assert str(entry) == "长沙市妇联：让妇联组织“活”起来"
    assert str(photo) == "会场全景"
    assert str(ArticlePhotoFactory(photo=photo, caption="")) == "会场全景"
    assert str(ArticlePhotoFactory(photo=photo, caption="会议现场。")) == "会议现场。"
    assert str(organization) == "长沙市妇联"
    assert str(ReporterFactory(name="王芳")) == "王芳"
    assert str(SectionFactory(name="要闻")) == "要闻"
    assert str(TopicFactory(title="妇联改革")) == "妇联改革"
    assert str(BylineRoleFactory(name="通讯员")) == "通讯员"


def test_every_public_object_has_its_page_address():
    article = ArticleFactory()
    section = SectionFactory(slug="yaowen")
    topic = TopicFactory(slug="fulian-gaige")
    reporter = ReporterFactory(slug="li-xiaomeng")
    organization = OrganizationFactory(slug="changsha")

    assert article.get_absolute_url() == f"/articles/{article.pk}/"
    assert section.get_absolute_url() == "/sections/yaowen/"
    assert topic.get_absolute_url() == "/topics/fulian-gaige/"
    assert reporter.get_absolute_url() == "/reporters/li-xiaomeng/"
    assert organization.get_absolute_url() == "/organizations/changsha/"
    expected_views = {
        article: "article_detail",
        section: "section_detail",
        topic: "topic_detail",
        reporter: "reporter_detail",
        organization: "organization_detail",
    }
    for obj, url_name in expected_views.items():
        assert resolve(obj.get_absolute_url()).view_name == f"articles:{url_name}"


def test_experience_entry_address_points_into_its_article():
    entry = ExperienceEntryFactory()
    assert entry.get_absolute_url() == f"/articles/{entry.article_id}/#entry-{entry.pk}"


def test_same_reporter_carries_different_roles_on_different_articles():
    reporter = ReporterFactory(name="李晓萌", title="首席记者")
    report = BylineFactory(reporter=reporter, role=BylineRoleFactory(name="首席记者")).article
    roundup = BylineFactory(reporter=reporter, role=BylineRoleFactory(name="整理")).article

    assert [str(b) for b in report.bylines.all()] == ["首席记者 李晓萌"]
    assert [str(b) for b in roundup.bylines.all()] == ["整理 李晓萌"]
    assert reporter.bylines.count() == 2


def test_print_reference_reads_like_the_printed_page():
    article = ArticleFactory(print_issue_on=date(2026, 11, 20), print_page_number="A03", print_page_name="要闻")
    assert article.print_reference == "2026年11月20日 A03版 要闻"


def test_print_reference_is_empty_for_web_only_stories():
    assert ArticleFactory(print_page_number="A03").print_reference == ""


def test_photo_credit_prefers_the_photographer():
    assert PhotoFactory(credit_reporter=ReporterFactory(name="张艳"), credit_text="受访者供图").credit == "张艳"
    assert PhotoFactory(credit_text="受访者供图").credit == "受访者供图"


# --- Deleting -----------------------------------------------------------------------------------


def test_reporter_with_bylines_cannot_be_deleted():
    byline = BylineFactory()
    with pytest.raises(ProtectedError):
        byline.reporter.delete()
    assert Byline.objects.filter(pk=byline.pk).exists()


def test_section_with_articles_cannot_be_deleted():
    article = ArticleFactory(published=True)
    with pytest.raises(ProtectedError):
        article.section.delete()
    assert Article.objects.filter(pk=article.pk).exists()


def test_organization_with_entries_cannot_be_deleted():
    entry = ExperienceEntryFactory()
    with pytest.raises(ProtectedError):
        entry.organization.delete()
    assert ExperienceEntry.objects.filter(pk=entry.pk).exists()


def test_parent_organization_cannot_be_deleted_under_its_children():
    province = OrganizationFactory(level="province")
    OrganizationFactory(parent=province)
    with pytest.raises(ProtectedError):
        province.delete()


def test_deleting_an_article_removes_its_bylines_photo_links_and_entries_but_not_people_or_photos():
    article = ArticleFactory(published=True)
    byline = BylineFactory(article=article)
    link = ArticlePhotoFactory(article=article)
    entry = ExperienceEntryFactory(article=article)

    article.delete()

    assert not Byline.objects.exists()
    assert not ArticlePhoto.objects.exists()
    assert not ExperienceEntry.objects.exists()
    assert Reporter.objects.filter(pk=byline.reporter_id).exists()
    assert Photo.objects.filter(pk=link.photo_id).exists()
    assert Organization.objects.filter(pk=entry.organization_id).exists()


def test_a_lead_photo_is_not_deleted_from_under_its_article():
    """It vanished from live stories without a trace; the admin now names the stories instead (test_photos.py)."""
    from django.db.models import ProtectedError

    photo = PhotoFactory()
    article = ArticleFactory(lead_photo=photo)
    with pytest.raises(ProtectedError):
        photo.delete()
    article.refresh_from_db()
    assert article.lead_photo == photo


# --- Stored files ---------------------------------------------------------------------------------


def test_photo_is_stored_under_a_generated_name(media_root):
    photo = PhotoFactory(image=ContentFile(image_bytes(size=(12, 9)), name="郴州会场.jpg"))

    assert GENERATED_PHOTO_NAME.match(photo.image.name), photo.image.name
    assert "郴州" not in photo.image.name
    assert (media_root / photo.image.name).is_file()
    assert (photo.width, photo.height) == (12, 9)


def test_photo_with_a_long_chinese_file_name_is_stored(media_root):
    long_name = "全省妇联系统改革工作现场推进会会场全景照片" * 15 + ".JPG"  # 300 characters, 900 bytes in UTF-8
    assert len(long_name.encode()) > 255

    photo = PhotoFactory(image=ContentFile(image_bytes(), name=long_name))

    assert GENERATED_PHOTO_NAME.match(photo.image.name), photo.image.name
    assert (media_root / photo.image.name).is_file()
    assert Photo.objects.get(pk=photo.pk).image.name == photo.image.name


@pytest.mark.django_db
def test_a_workflow_step_names_its_time_in_newsroom_time():
    """Shown in the chief editor's confirmation before a story is deleted for good (with its steps)."""
    from datetime import UTC, datetime

    from articles.models import Transition

    step = Transition.objects.create(
        article=ArticleFactory(), action=Transition.Action.SUBMIT, to_status=Status.IN_REVIEW
    )
    Transition.objects.filter(pk=step.pk).update(created_at=datetime(2026, 11, 29, 18, 39, tzinfo=UTC))
    step.refresh_from_db()

    assert str(step).endswith("(2026-11-30 02:39)")
