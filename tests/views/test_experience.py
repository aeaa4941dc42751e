"""The experience-sharing index: every published entry, filtered by level, form, year and organisation."""

import re
from datetime import datetime
from html import unescape

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from articles.models import Organization
from tests.factories import ArticleFactory, ExperienceEntryFactory, OrganizationFactory
from tests.views.pages import MENU_QUERIES, UNPUBLISHED, entry_titles_in, main_of, text_of

pytestmark = pytest.mark.django_db

# menu, organisations to pick from, years to pick from, the page's entries with the list's length (a subquery)
EXPERIENCE_INDEX_QUERIES = MENU_QUERIES + 3

URL = "/experience/"


def titles(response):
    return [title.split("：", 1)[1] for title in entry_titles_in(response)]


@pytest.fixture
def entries():
    """Four entries: city/oral/2026, county/written/2026, city/written/2025 (another city), township/oral/2025."""
    city = OrganizationFactory(name="桐溪市妇联", slug="tongxi", level="city")
    county = OrganizationFactory(name="白沙县妇联", slug="baisha", level="county", parent=city)
    other_city = OrganizationFactory(name="岚州市妇联", slug="lanzhou", level="city")
    township = OrganizationFactory(name="石门镇妇联", slug="shimen", level="township", parent=county)
    # 2026-01-01 00:30 in Beijing is still 2025 in UTC: the year is the newsroom's
    this_year = ArticleFactory(published=True, published_at=timezone.make_aware(datetime(2026, 1, 1, 0, 30)))
    last_year = ArticleFactory(published=True, published_at=timezone.make_aware(datetime(2025, 11, 20, 8, 0)))
    ExperienceEntryFactory(article=this_year, organization=city, oral=True, title="市级口头", order=1)
    ExperienceEntryFactory(article=this_year, organization=county, written=True, title="县级书面", order=2)
    ExperienceEntryFactory(article=last_year, organization=other_city, written=True, title="另一市书面", order=1)
    ExperienceEntryFactory(article=last_year, organization=township, oral=True, title="镇级口头", order=2)


def test_index_lists_every_published_entry_newest_first(client, entries):
    response = client.get(URL)
    assert response.status_code == 200
    assert titles(response) == ["市级口头", "县级书面", "另一市书面", "镇级口头"]
    assert reverse("articles:experience_entry_list") == URL


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=city", ["市级口头", "另一市书面"]),
        ("level=township", ["镇级口头"]),
        ("form=oral", ["市级口头", "镇级口头"]),
        ("form=written", ["县级书面", "另一市书面"]),
        ("year=2026", ["市级口头", "县级书面"]),
        ("year=2025", ["另一市书面", "镇级口头"]),
        ("organization=baisha", ["县级书面"]),
        ("level=city&form=written&year=2025", ["另一市书面"]),
        ("level=county&form=oral", []),
    ],
)
def test_index_filters(client, entries, query, expected):
    assert titles(client.get(f"{URL}?{query}")) == expected


@pytest.mark.parametrize(
    "query, named",
    [
        ("level=planet", "层级"),
        ("form=sung", None),  # the page's own form=oral comes after it: the one applied
        ("year=abc", "年份"),
        ("year=1999", "年份"),
        ("organization=nobody", "单位"),
        ("organization=%00", None),  # hostile bytes are dropped before the form sees them
        ("level=%00", None),
    ],
)
def test_invalid_filters_are_ignored_and_named_as_not_applied(client, entries, query, named):
    response = client.get(f"{URL}?{query}&form=oral")
    assert response.status_code == 200
    assert titles(response) == ["市级口头", "镇级口头"]
    notice = re.search(r'<p [^>]*class="search-note" role="status">(.*?)</p>', response.content.decode())
    if named is None:
        assert notice is None
    else:
        assert f"未按其筛选：{named}。" in notice.group(1)  # the valid form=oral is applied and not named


@pytest.mark.parametrize(
    "url", [f"{URL}?year=1999&organization=nobody&form=oral", "/search/?q=妇联&year=1999&section=zz&kind=x"]
)
def test_a_filter_not_applied_points_screen_readers_at_the_notice_naming_it(client, entries, url):
    """Django points an invalid field at its error list (id_year_error), which these pages do not show: a screen
    reader then says nothing of why the field is invalid."""
    html = client.get(url).content.decode()
    described = re.findall(r'<select [^>]*aria-invalid="true"[^>]*>', html)
    assert len(described) >= 2
    for tag in described:
        target = re.search(r'aria-describedby="([^"]+)"', tag).group(1)
        notice = re.search(rf'<p id="{target}"[^>]*>(.*?)</p>', html)
        assert notice is not None, tag
        assert "未按其筛选" in notice.group(1)


def test_valid_filters_say_nothing_of_filters_not_applied(client, entries):
    assert 'role="status"' not in client.get(f"{URL}?form=oral&level=city").content.decode()


def test_filter_form_offers_only_organisations_and_years_with_published_entries(client, entries):
    OrganizationFactory(name="只有草稿的妇联", slug="draft-only")
    ExperienceEntryFactory(
        organization=OrganizationFactory(name="定时的妇联"),
        article=ArticleFactory(scheduled=True, published_at=timezone.make_aware(datetime(2031, 1, 1))),
    )
    html = main_of(client.get(URL))
    assert '<option value="baisha">白沙县妇联</option>' in html
    assert "只有草稿的妇联" not in html and "定时的妇联" not in html
    assert '<option value="2026">2026</option>' in html and "2031" not in html


def test_filters_are_kept_in_pagination_links(client):
    organization = OrganizationFactory(level="county")
    ExperienceEntryFactory.create_batch(
        21, organization=organization, article=ArticleFactory(published=True), oral=True
    )
    ExperienceEntryFactory(article=ArticleFactory(published=True), written=True)

    first = client.get(f"{URL}?form=oral&level=county")
    assert len(titles(first)) == 20
    assert f'href="{URL}?form=oral&amp;level=county&amp;page=2"' in first.content.decode()
    assert len(titles(client.get(f"{URL}?form=oral&level=county&page=2"))) == 1


def test_pages_show_the_whole_count_and_refuse_pages_past_the_end(client):
    """The list's length comes with the page's rows: every page shows it, pages past the end are 404."""
    ExperienceEntryFactory.create_batch(21, article=ArticleFactory(published=True), oral=True)
    for page in ("", "?page=2", "?page=last"):
        html = client.get(URL + page).content.decode()
        assert "21" in text_of(html[html.index('class="result-count"') :][:80]), page
        assert "2" in text_of(html[html.index('class="pagination"') :][:400]), page
    assert len(titles(client.get(f"{URL}?page=last"))) == 1
    for page in ("3", "0", "x"):
        assert client.get(f"{URL}?page={page}").status_code == 404, page
    empty = client.get(f"{URL}?form=written")
    assert empty.status_code == 200 and titles(empty) == []
    assert client.get(f"{URL}?form=written&page=2").status_code == 404


def head_of(response):
    """The page's title, description, og:title and canonical links, as a browser reads them."""
    html = response.content.decode()
    return (
        unescape(re.search(r"<title>(.*?)</title>", html).group(1)),
        unescape(re.search(r'<meta name="description" content="([^"]*)">', html).group(1)),
        unescape(re.search(r'<meta property="og:title" content="([^"]*)">', html).group(1)),
        [unescape(url) for url in re.findall(r'<link rel="canonical" href="([^"]+)">', html)],
    )


def test_a_filtered_page_names_its_filters_in_its_title_description_and_canonical(client, entries, settings):
    """Every filtered index had the plain index's title, description and canonical link: browser tabs and search
    results all read 经验交流, and the canonical told search engines each was a copy of /experience/. A filtered page
    is named by its filters (in the form's order), and its canonical keeps them in that order, without any other
    parameter or a filter the form did not apply."""
    site = settings.NEWSROOM_SITE_NAME
    plain_title, plain_description, _og, plain_canonical = head_of(client.get(URL))
    assert (plain_title, plain_canonical) == (f"经验交流 - {site}", [f"http://testserver{URL}"])

    title, description, og_title, canonical = head_of(
        client.get(f"{URL}?utm_source=wechat&year=2026&form=&organization=nobody&level=city")
    )
    assert title == f"经验交流：市州级 · 2026年 - {site}"
    assert og_title == "经验交流：市州级 · 2026年"
    assert "市州级 · 2026年" in description and description != plain_description
    assert canonical == [f"http://testserver{URL}?level=city&year=2026"]

    title, _description, _og, canonical = head_of(client.get(f"{URL}?organization=baisha&form=written"))
    assert title == f"经验交流：书面交流 · 白沙县妇联 - {site}"
    assert canonical == [f"http://testserver{URL}?form=written&organization=baisha"]
    assert titles(client.get(canonical[0].removeprefix("http://testserver"))) == ["县级书面"]


def test_a_later_filtered_page_keeps_its_filters_and_number(client, settings):
    organization = OrganizationFactory(level="county")
    ExperienceEntryFactory.create_batch(21, organization=organization, article=ArticleFactory(published=True))

    title, _description, _og, canonical = head_of(client.get(f"{URL}?page=2&x=1&level=county"))

    assert title == f"经验交流：县市区级（第2页） - {settings.NEWSROOM_SITE_NAME}"
    assert canonical == [f"http://testserver{URL}?level=county&page=2"]


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_index_never_shows_entries_of_unpublished_articles(client, state):
    ExperienceEntryFactory(article=ArticleFactory(**state), title="不该出现")
    ExperienceEntryFactory(article=ArticleFactory(just_published=True), title="刚发布")
    response = client.get(URL)
    assert titles(response) == ["刚发布"]
    assert "不该出现" not in response.content.decode()


def test_a_scheduled_entry_appears_once_its_time_passes(client, clock):
    ExperienceEntryFactory(article=ArticleFactory(scheduled=True), title="定时")
    assert titles(client.get(URL)) == []
    clock.advance(days=2)
    assert titles(client.get(URL)) == ["定时"]


@pytest.mark.parametrize("n", [1, 12])
def test_index_queries_do_not_grow(client, django_assert_num_queries, n):
    for article in ArticleFactory.create_batch(n, published=True):
        ExperienceEntryFactory.create_batch(2, article=article, oral=True)

    assert EXPERIENCE_INDEX_QUERIES <= 4  # issue 8: list pages run 4 queries at most, menu included
    with django_assert_num_queries(EXPERIENCE_INDEX_QUERIES):
        response = client.get(f"{URL}?form=oral&level=city")
    assert len(titles(response)) == min(2 * n, 20)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no pinyin collation (code-point order)")
def test_organisations_to_pick_from_are_in_pinyin_order(client):
    # In code points 北 (U+5317) comes before 安 (U+5B89); a reader looks names up by their pinyin: an, bei, chong.
    for name, slug in [("北川县妇联", "beichuan"), ("重岭县妇联", "chongling"), ("安平县妇联", "anping")]:
        organization = OrganizationFactory(name=name, slug=slug)
        ExperienceEntryFactory(organization=organization, article=ArticleFactory(published=True))
    html = main_of(client.get(URL))
    offered = [html.index(f'<option value="{slug}">') for slug in ("anping", "beichuan", "chongling")]
    assert offered == sorted(offered)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pinyin collation is PostgreSQL's")
def test_a_postgresql_without_the_pinyin_collation_fails_the_database_check(monkeypatch):
    from articles import checks

    assert checks.pinyin_collation(databases=["default"]) == []
    monkeypatch.setattr(checks, "PINYIN_COLLATION", "zh-x-no-such-collation")
    assert [error.id for error in checks.pinyin_collation(databases=["default"])] == ["articles.E001"]


def test_an_old_link_to_a_renamed_organisation_leads_to_its_entries(client, entries):
    """An organisation's slug changed (its page's old address leads to the new one), but an old link to the index
    filtered by it, ?organization=<old slug>, said the filter could not be applied (未按其筛选：单位) and showed every
    entry. It now leads for good (301) to the same filters at the new slug."""
    county = Organization.objects.get(slug="baisha")
    county.slug = "baisha-xian"
    county.save()

    response = client.get(f"{URL}?form=written&organization=baisha&page=1")

    assert response.status_code == 301
    assert response["Location"] == f"{URL}?form=written&organization=baisha-xian&page=1"
    followed = client.get(response["Location"])
    assert titles(followed) == ["县级书面"]
    assert "未按其筛选" not in followed.content.decode()


def test_an_old_link_to_a_renamed_organisation_with_nothing_published_is_not_redirected(client, entries):
    """Its new slug is no filter's choice (and would give away the address of an organisation not public yet)."""
    hidden = OrganizationFactory(slug="qingshan")
    ExperienceEntryFactory(article=ArticleFactory(), organization=hidden)  # a draft only
    hidden.slug = "qingshan-zhen"
    hidden.save()

    response = client.get(f"{URL}?organization=qingshan&form=oral")

    assert response.status_code == 200
    assert titles(response) == ["市级口头", "镇级口头"]
    assert "未按其筛选：单位。" in response.content.decode()
