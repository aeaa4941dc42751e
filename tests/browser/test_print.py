"""Printing an article (static/css/print.css): the story alone, without the site's search box and related links."""

import datetime

import pytest
from django.utils import timezone

from tests.browser.test_accessibility import public_site  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def test_a_printed_article_leaves_out_the_search_box_and_the_related_stories(page, public_site):  # noqa: F811
    from articles.models import Article, Status

    Article.objects.create(  # a related story: same section
        headline="基层妇联组织建设观察",
        section=public_site["section"],
        status=Status.PUBLISHED,
        published_at=timezone.now() - datetime.timedelta(hours=3),
    )
    page.goto(public_site["article"].get_absolute_url())
    assert page.locator(".site-search").is_visible() and page.locator("aside.related").is_visible()

    page.emulate_media(media="print")

    assert not page.locator(".site-search").is_visible()
    assert not page.locator("aside.related").is_visible()
    assert page.locator("h1.headline").is_visible() and page.locator(".article .body").is_visible()
