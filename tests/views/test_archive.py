"""The date archive: by year, month and day in newsroom time (Beijing), published stories only."""

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ArticleFactory, BylineFactory
from tests.views.pages import MENU_QUERIES, UNPUBLISHED, headlines_in, links_in, main_of

pytestmark = pytest.mark.django_db


def beijing(*args):
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def stories():
    ArticleFactory(headline="十一月二十日", published=True, published_at=beijing(2026, 11, 20, 8, 0))
    # 00:30 on 21 November in Beijing is still 20 November in UTC: the archive follows newsroom time
    ArticleFactory(headline="十一月二十一日凌晨", published=True, published_at=beijing(2026, 11, 21, 0, 30))
    ArticleFactory(headline="十月", published=True, published_at=beijing(2026, 10, 2, 9, 0))
    ArticleFactory(headline="去年", published=True, published_at=beijing(2025, 3, 5, 9, 0))


def test_archive_urls_are_readable():
    assert reverse("articles:article_archive") == "/archive/"
    assert reverse("articles:article_archive_year", kwargs={"year": 2026}) == "/archive/2026/"
    assert reverse("articles:article_archive_month", kwargs={"year": 2026, "month": 3}) == "/archive/2026/03/"
    assert (
        reverse("articles:article_archive_day", kwargs={"year": 2026, "month": 3, "day": 5}) == "/archive/2026/03/05/"
    )


def test_archive_index_lists_the_latest_and_links_each_year(client, stories):
    response = client.get("/archive/")
    assert response.status_code == 200
    assert headlines_in(response)[0] == "十一月二十一日凌晨"
    links = links_in(main_of(response))
    assert "/archive/2026/" in links and "/archive/2025/" in links


def test_year_archive_lists_the_years_stories_and_links_its_months(client, stories):
    response = client.get("/archive/2026/")
    assert headlines_in(response) == ["十一月二十一日凌晨", "十一月二十日", "十月"]
    links = links_in(main_of(response))
    assert "/archive/2026/10/" in links and "/archive/2026/11/" in links
    assert "/archive/2025/" in links  # the previous year


def test_month_archive_lists_the_months_stories_and_links_its_days(client, stories):
    response = client.get("/archive/2026/11/")
    assert headlines_in(response) == ["十一月二十一日凌晨", "十一月二十日"]
    links = links_in(main_of(response))
    assert "/archive/2026/11/20/" in links and "/archive/2026/11/21/" in links
    assert "/archive/2026/10/" in links


def test_day_archive_follows_beijing_time(client, stories):
    assert headlines_in(client.get("/archive/2026/11/20/")) == ["十一月二十日"]
    assert headlines_in(client.get("/archive/2026/11/21/")) == ["十一月二十一日凌晨"]


@pytest.mark.parametrize(
    "path", ["/archive/2024/", "/archive/2026/12/", "/archive/2026/13/", "/archive/2026/11/31/", "/archive/2026/1/"]
)
def test_empty_or_impossible_dates_are_404(client, stories, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_archive_never_shows_an_unpublished_story(client, state):
    now = timezone.localtime()
    ArticleFactory(headline="不该出现", **state)
    ArticleFactory(headline="刚发布", just_published=True)
    paths = ["/archive/", f"/archive/{now:%Y}/", f"/archive/{now:%Y/%m}/", f"/archive/{now:%Y/%m/%d}/"]
    for path in paths:
        response = client.get(path)
        assert headlines_in(response) == ["刚发布"], path
        assert "不该出现" not in response.content.decode()


def test_a_day_with_only_a_scheduled_story_opens_once_its_time_passes(client, clock):
    story = ArticleFactory(headline="定时", scheduled=True)
    day = timezone.localtime(story.published_at)
    path = f"/archive/{day:%Y/%m/%d}/"
    assert client.get(path).status_code == 404
    clock.advance(days=2)
    assert headlines_in(client.get(path)) == ["定时"]


def test_archive_is_paginated(client):
    ArticleFactory.create_batch(21, published=True, published_at=beijing(2026, 5, 4, 8, 0))
    assert len(headlines_in(client.get("/archive/2026/05/04/"))) == 20
    assert len(headlines_in(client.get("/archive/2026/05/04/?page=2"))) == 1


# Every archive page: the menu and the page's cards; a dated page also its count with its neighbouring periods (one
# query, which tells an empty period too); the index counts like the latest list.
ARCHIVE_QUERIES = {
    "/archive/": MENU_QUERIES + 3,  # the years, the count, the cards
    "/archive/2026/": MENU_QUERIES + 3,  # count with previous and next year, the months, the cards
    "/archive/2026/05/": MENU_QUERIES + 3,  # count with previous and next month, the days, the cards
    "/archive/2026/05/04/": MENU_QUERIES + 2,  # count with previous and next day and month, the cards
}


@pytest.mark.parametrize("n", [1, 12])
@pytest.mark.parametrize("path", ARCHIVE_QUERIES)
def test_archive_queries_do_not_grow(client, django_assert_num_queries, path, n):
    for index in range(n):
        article = ArticleFactory(published=True, published_at=beijing(2026, 5, 4, 8, index))
        BylineFactory.create_batch(index % 3 + 1, article=article)
        ArticleFactory(published=True, published_at=beijing(2026, 5 - index % 4, 1 + index, 8, 0))
        ArticleFactory(published=True, published_at=beijing(2025 - index, 1, 1, 8, 0))

    with django_assert_num_queries(ARCHIVE_QUERIES[path]):
        response = client.get(path)
    assert ARCHIVE_QUERIES[path] <= 4  # issue 8: list pages run 4 queries at most, menu included
    assert response.status_code == 200
    assert re.search(r'<h2 class="card-headline">', response.content.decode())


def test_the_lists_of_dates_are_kept_until_content_changes(client, django_assert_num_queries, stories):
    """The years (or months, or days) with a story are a query over every story of the period, the whole archive for
    the index: it is kept under the content generation, so the next reader's page runs one query less, and a story
    of a new year shows in the list at once."""
    first = client.get("/archive/")
    assert "2025年" in main_of(first) and "2024年" not in main_of(first)
    with django_assert_num_queries(ARCHIVE_QUERIES["/archive/"] - MENU_QUERIES - 2):  # the cards (the count is kept)
        again = client.get("/archive/")
    assert main_of(again) == main_of(first)
    client.get("/archive/2026/")
    with django_assert_num_queries(ARCHIVE_QUERIES["/archive/2026/"] - MENU_QUERIES - 1):  # no months query
        client.get("/archive/2026/")  # the count with the neighbouring years, and the cards
    ArticleFactory(headline="前年", published=True, published_at=beijing(2024, 6, 1, 9, 0))
    assert "2024年" in main_of(client.get("/archive/"))


def test_a_kept_list_of_dates_opens_a_scheduled_storys_year_when_it_goes_live(client, clock, stories):
    scheduled = ArticleFactory(headline="后年定时", scheduled=True, published_at=timezone.now() + timedelta(days=800))
    year_page = f"/archive/{timezone.localtime(scheduled.published_at):%Y}/"
    assert year_page not in links_in(main_of(client.get("/archive/")))  # the list of years is kept from here on
    clock.advance(days=801)
    assert year_page in links_in(main_of(client.get("/archive/")))


@pytest.mark.parametrize("path", ["/archive/", "/archive/2026/", "/archive/2026/05/", "/archive/2026/05/04/"])
def test_a_later_page_of_the_archive_is_titled_without_a_stray_space(client, path):
    """A browser shows a line break inside <title> as a space: 往期 （第2页）."""
    ArticleFactory.create_batch(21, published=True, published_at=beijing(2026, 5, 4, 8, 0))
    html = client.get(f"{path}?page=2").content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    heading = re.search(r'<h1 class="page-title">(.*?)</h1>', html, re.S).group(1)
    assert re.search(r"\S（第2页） - ", title), title
    assert not re.search(r"\s", title.split(" - ")[0]), title
    assert heading == heading.strip()
