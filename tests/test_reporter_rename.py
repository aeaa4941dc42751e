"""A reporter renamed (she changed her byline name): what was printed keeps the name it was printed under."""

import re

import pytest
from django.urls import reverse

from articles import services
from articles.models import Byline, Photo
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BylineFactory,
    BylineRoleFactory,
    ExperienceEntryFactory,
    PhotoFactory,
    ReporterFactory,
)
from tests.views.pages import main_of, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def renamed():
    """A story that came out bylined 王敏, and a draft of hers; then she writes as 王慧敏."""
    reporter = ReporterFactory(name="王敏", slug="wang-min")
    printed = ArticleFactory(headline="全省妇联改革现场会召开", published=True)
    BylineFactory(article=printed, reporter=reporter, role=BylineRoleFactory(name="首席记者"))
    services.reindex_article(printed)
    draft = ArticleFactory(headline="下周的稿件")
    BylineFactory(article=draft, reporter=reporter)
    reporter.name = "王慧敏"
    reporter.save()
    return reporter, printed, draft


def test_a_published_story_keeps_the_byline_it_was_printed_under(client, renamed):
    """The byline of every story that had come out, its card on her page, its feed and its JSON-LD showed her
    new name: the paper printed 首席记者 王敏."""
    reporter, printed, _draft = renamed

    page = client.get(printed.get_absolute_url()).content.decode()
    assert "首席记者&nbsp;王敏" in text_of(page)
    assert '"name": "王敏"' in page or '"name":"王敏"' in page
    assert "王慧敏" not in text_of(page[page.index('<main id="main"') :])
    listing = text_of(client.get(reverse("articles:article_list")).content.decode())
    assert "首席记者 王敏" in listing
    assert "王敏" in client.get(reverse("feeds:reporter_rss", args=[reporter.slug])).content.decode()
    # Her own page has her name of today, and lists the story.
    assert "王慧敏" in text_of(client.get(reporter.get_absolute_url()).content.decode())


def test_search_finds_the_story_under_both_names(client, renamed):
    _reporter, printed, _draft = renamed
    services.reindex_article(printed)  # as the rename's background job does
    for name in ["王敏", "王慧敏"]:
        found = client.get(reverse("articles:search"), {"q": name}).context["results"]
        assert [result.document["heading"] for result in found] == ["全省妇联改革现场会召开"], name


def test_a_draft_s_byline_takes_the_new_name(renamed):
    _reporter, _printed, draft = renamed
    assert draft.bylines.get().shown_name == "王慧敏"


def test_a_byline_given_to_another_reporter_takes_that_one_s_name(renamed):
    """Changing the byline's reporter corrects a mistake: the first reporter's printed name was never this one's."""
    _reporter, printed, _draft = renamed
    byline = printed.bylines.get()
    byline.reporter = ReporterFactory(name="李娜")
    byline.save()

    byline = Byline.objects.get(pk=byline.pk)
    assert (byline.printed_name, byline.shown_name) == ("", "李娜")


def test_renaming_again_keeps_the_first_printed_name(renamed):
    reporter, printed, _draft = renamed
    reporter.name = "王慧"
    reporter.save()

    assert printed.bylines.get().shown_name == "王敏"


def test_restoring_a_version_of_before_the_rename_keeps_the_printed_name(editor_user):
    """A version saved before the rename holds no printed name: the restore keeps the byline's."""
    import reversion

    reporter = ReporterFactory(name="王敏")
    printed = ArticleFactory(published=True)
    BylineFactory(article=printed, reporter=reporter)
    with reversion.create_revision():
        printed.save()
    reporter.name = "王慧敏"
    reporter.save()

    services.restore_version(printed, services.article_versions(printed).first(), editor_user)

    assert printed.bylines.get().shown_name == "王敏"


@pytest.fixture
def renamed_photographer(editor_user):
    """孙丽's photo of the meeting hall came out as the lead photo of one story, among the photos of another and in
    an experience entry of a third; a draft shows it too. Then she writes as 孙丽娟."""
    reporter = ReporterFactory(name="孙丽", slug="sun-li")
    photo = PhotoFactory(credit_reporter=reporter)
    lead = ArticleFactory(headline="全省妇联改革现场会召开", published=True, lead_photo=photo)
    among = ArticleFactory(headline="会场内外", published=True)
    ArticlePhotoFactory(article=among, photo=photo, caption="会场")
    roundup = ArticleFactory(headline="经验交流", published=True)
    ExperienceEntryFactory(article=roundup, photo=photo, caption="交流现场")
    draft = ArticleFactory(headline="一年之后")
    ArticlePhotoFactory(article=draft, photo=photo, caption="一年前的会场")
    BylineFactory(article=draft, reporter=reporter)
    reporter.name = "孙丽娟"
    reporter.save()
    return {"reporter": reporter, "photo": photo, "out": [lead, among, roundup], "draft": draft}


def credits_on(client, article):
    return [
        text_of(credit)
        for credit in re.findall(r'<span class="credit">.*?</span>', main_of(client.get(article.get_absolute_url())))
    ]


def test_a_published_story_keeps_the_photo_credit_it_was_printed_under(client, editor_user, renamed_photographer):
    """The credit under a photo of every story that had come out showed her new name: the paper printed 摄影：孙丽."""
    for article in renamed_photographer["out"]:
        assert credits_on(client, article) == ["摄影：孙丽"], article.headline
    # The draft comes out after the rename: its credit is her name of today.
    draft = renamed_photographer["draft"]
    services.submit_for_review(draft, editor_user)
    services.publish(draft, editor_user)
    assert credits_on(client, draft) == ["摄影：孙丽娟"]


def test_a_photo_credited_to_another_reporter_takes_that_one_s_name(client, renamed_photographer):
    """Changing the photographer corrects a mistake: the name printed was never this one's."""
    photo = Photo.objects.get(pk=renamed_photographer["photo"].pk)
    photo.credit_reporter = ReporterFactory(name="李娜")
    photo.save()

    for article in renamed_photographer["out"]:
        assert credits_on(client, article) == ["摄影：李娜"], article.headline


def test_renaming_again_keeps_the_first_printed_credit(client, renamed_photographer):
    reporter = renamed_photographer["reporter"]
    reporter.name = "孙丽华"
    reporter.save()

    assert credits_on(client, renamed_photographer["out"][0]) == ["摄影：孙丽"]
