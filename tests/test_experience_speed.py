"""The experience index and organisation pages stay fast at archive scale (issue 8), showing exactly what they showed.

- Entries carry copies of their article's state (``article_live``, ``article_published_at``), kept by database
  triggers: after any change of an article (a save, a bulk update, raw SQL, the trash, a deletion) or of an entry,
  ``listed()`` (what the lists read, from the entries' own index) is ``published()`` (defined by the articles).
- The lists' page query reads its order from the entries' index, deep pages included (PostgreSQL's EXPLAIN,
  checked as tests/test_list_indexes.py does); the list's length and the filters' organisations and years are kept
  in the cache per content generation, so a warm page runs one query, and they are never stale.
"""

import re
from datetime import datetime, timedelta

import pytest
from django import forms
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import services
from articles.forms import ExperienceEntryFilterForm
from articles.models import Article, ExperienceEntry
from tests.factories import ArticleFactory, ExperienceEntryFactory, OrganizationFactory, SectionFactory
from tests.views.pages import entry_titles_in, main_of, text_of

pytestmark = pytest.mark.django_db

URL = "/experience/"
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are checked on PostgreSQL")


def published_order():
    """The public entries in the lists' order, as defined by their articles (the definition before issue 8)."""
    entries = ExperienceEntry.objects.published().order_by("-article__published_at", "-article_id", "order", "id")
    return list(entries.values_list("pk", flat=True))


def listed_order():
    return list(ExperienceEntry.objects.listed().newest_first().values_list("pk", flat=True))


def assert_copies_right():
    assert listed_order() == published_order()
    for entry in ExperienceEntry.objects.select_related("article"):
        article = Article.all_objects.get(pk=entry.article_id)
        assert entry.article_published_at == article.published_at, entry
        assert entry.article_live == (article.status == "published" and article.deleted_at is None), entry


def test_entries_follow_every_change_of_their_article(admin_user):
    now = timezone.now()
    old = ArticleFactory(published=True, published_at=now - timedelta(days=3))
    new = ArticleFactory(published=True, published_at=now - timedelta(days=1))
    draft = ArticleFactory()
    for article in (old, new, draft):
        ExperienceEntryFactory.create_batch(2, article=article)
    assert len(listed_order()) == 4
    assert_copies_right()

    draft.status, draft.published_at = "published", now - timedelta(hours=1)  # published (a save)
    draft.save()
    assert_copies_right()
    assert len(listed_order()) == 6

    old.published_at = now - timedelta(minutes=5)  # rescheduled: now the newest
    old.save(update_fields=["published_at"])
    assert_copies_right()
    assert listed_order()[:2] == list(old.experience_entries.order_by("order", "id").values_list("pk", flat=True))

    old.published_at = now + timedelta(days=1)  # rescheduled into the future: gone until then
    old.save()
    assert_copies_right()
    assert len(listed_order()) == 4

    Article.objects.filter(pk=new.pk).update(status="draft")  # a bulk update (no signal, no save)
    assert_copies_right()
    with connection.cursor() as cursor:  # raw SQL
        cursor.execute("UPDATE articles_article SET status = 'published' WHERE id = %s", [new.pk])
    assert_copies_right()
    assert len(listed_order()) == 4

    services.move_to_trash(Article.objects.get(pk=new.pk), admin_user)
    assert_copies_right()
    assert len(listed_order()) == 2
    services.restore_from_trash(Article.all_objects.get(pk=new.pk), admin_user)  # back as a draft
    assert_copies_right()

    Article.all_objects.get(pk=draft.pk).delete()  # deleted for good, entries with it
    assert_copies_right()
    assert listed_order() == []


def test_entries_written_take_their_articles_state():
    live = ArticleFactory(published=True)
    draft = ArticleFactory()
    entry = ExperienceEntryFactory(article=draft)
    stale = ExperienceEntry.objects.get(pk=entry.pk)  # loaded while its article is a draft
    assert not stale.article_live

    Article.objects.filter(pk=draft.pk).update(status="published", published_at=timezone.now() - timedelta(hours=1))
    stale.title = "改过的标题"
    stale.save()  # writes its stale copies: the database puts the article's state back
    assert_copies_right()
    assert listed_order() == [entry.pk]

    moved = ExperienceEntryFactory(article=ArticleFactory())
    moved.article = live  # moved to a published article
    moved.save()
    ExperienceEntry.objects.bulk_create([ExperienceEntry(article=live, organization=moved.organization, title="批量")])
    assert_copies_right()
    assert len(listed_order()) == 3


def test_scheduled_entries_are_listed_once_their_time_passes(clock):
    ExperienceEntryFactory(article=ArticleFactory(scheduled=True))
    assert listed_order() == [] == published_order()
    clock.advance(days=2)
    assert len(listed_order()) == 1
    assert listed_order() == published_order()


# --- queries and their plans -------------------------------------------------------------------------------


def page_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200, url
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("n", [1, 12])
def test_a_warm_experience_index_runs_one_query(client, n):
    """Cold: the menu, the filters' organisations and years (one query), the list's length, the page. Warm (the
    same content generation): the page only, filtered or not, however deep."""
    for article in ArticleFactory.create_batch(n, published=True):
        ExperienceEntryFactory.create_batch(3, article=article, oral=True)
    for url in (URL, f"{URL}?form=oral&level=city", f"{URL}?page=2" if n > 6 else f"{URL}?page=1"):
        assert len(page_queries(client, url)) <= 4  # issue 8: 4 queries at most, menu included
        warm = page_queries(client, url)
        assert len(warm) == 1, warm
        assert "articles_experienceentry" in warm[0]


@pytest.mark.parametrize("n", [1, 12])
def test_organization_page_budget(client, n):
    organization = OrganizationFactory()
    for article in ArticleFactory.create_batch(n, published=True):
        ExperienceEntryFactory(article=article, organization=organization)
        ExperienceEntryFactory(article=article, organization=OrganizationFactory(parent=organization))
    page_queries(client, organization.get_absolute_url())
    # the organisation with its parent, the entries with their number, the children (the menu is kept)
    assert len(page_queries(client, organization.get_absolute_url())) <= 3


@pytest.fixture
def roundups(db):
    cache.clear()
    now = timezone.now()
    organizations = [OrganizationFactory(level=("city", "county", "village")[i % 3]) for i in range(12)]
    section = SectionFactory()
    articles = Article.objects.bulk_create(
        Article(
            headline=f"第{number}条",
            section=section,
            status="published" if number % 7 else "draft",
            published_at=now - timedelta(hours=number) if number % 7 else None,
        )
        for number in range(1, 300)
    )
    ExperienceEntry.objects.bulk_create(
        ExperienceEntry(
            article=article,
            organization=organizations[(article.pk + i) % 12],
            title=f"经验{i}",
            form="oral" if i % 3 == 0 else "written",
            order=i,
        )
        for article in articles[::3]
        for i in range(5)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    yield organizations
    cache.clear()


def plan(sql, *, options=""):
    """EXPLAIN with sequential scans and sorts made to look prohibitively expensive (see test_list_indexes.py):
    the planner then reads the order from an index whenever one matches its filter and order (on a table of
    35,000 entries it chooses the same by cost: bench/inprocess.py)."""
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_sort = off")
        try:
            cursor.execute(f"EXPLAIN {options} {sql}")
            if "JSON" in options:
                return cursor.fetchone()[0][0]["Plan"]
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")


def page_query(client, url):
    """The page's query, once the list's length and the filters are in the cache (a warm page runs no other)."""
    page_queries(client, url)
    (page,) = page_queries(client, url)
    return page


@on_postgresql
@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("", "articles_entry_live_idx"),
        ("?page=4", "articles_entry_live_idx"),
        ("?form=oral&page=2", "articles_entry_live_idx"),
        ("?year={year}", "articles_entry_live_idx"),
        ("?level=village&page=2", "articles_entry_live_idx"),
        ("?organization={slug}", "articles_entry_live_org_idx"),
    ],
)
def test_experience_index_reads_its_order_from_an_index(client, roundups, query, index):
    year = timezone.localtime().year
    url = URL + query.format(year=year, slug=roundups[0].slug)
    explained = plan(page_query(client, url))
    assert re.search(rf"Index (Only )?Scan using {index}", explained), explained
    assert "Seq Scan on articles_experienceentry" not in explained, explained
    # The entries' own copies: no article is read but the page's 20, by id (an index scan of the primary key, or a
    # bitmap of it: which one depends on the table's size and layout, which earlier tests' rows change).
    by_id = re.sub(r"Bitmap Heap Scan on articles_article (?=.*\n.*\n\s*->  Bitmap Index Scan on articles_article_pkey)",
                   "Scan using articles_article_pkey on articles_article ", explained)  # fmt: skip
    assert not re.search(r"Scan (?!using articles_article_pkey)(using \w+ )?on articles_article ", by_id), explained


@on_postgresql
def test_deep_pages_read_the_index_not_every_entry(client, roundups):
    """A page's ids come from the index in order: the rows read are the skipped index entries and the page, and
    only the page's 20 rows are sorted for display (not every entry, as before issue 8). The last page is read
    from the list's end (the index backwards)."""
    count = ExperienceEntry.objects.listed().count()
    deep = (count - 1) // 20 + 1
    page = page_query(client, f"{URL}?page={deep}")
    explained = plan(page, options="(ANALYZE)")
    assert re.search(r"Index Only Scan (Backward )?using articles_entry_live_idx", explained), explained
    assert max(sort_rows(plan(page, options="(ANALYZE, FORMAT JSON)")), default=0) <= 20


def sort_rows(node):
    if node.get("Node Type") == "Sort":
        yield node["Actual Rows"]
    for child in node.get("Plans", []):
        yield from sort_rows(child)


@on_postgresql
def test_organization_page_reads_its_entries_from_its_index(client, roundups):
    for sql in page_queries(client, roundups[0].get_absolute_url()):
        if "articles_experienceentry" in sql:
            explained = plan(sql)
            assert "Seq Scan on articles_experienceentry" not in explained, explained
            assert "articles_article " not in explained or "articles_article_pkey" in explained, explained


# --- never stale --------------------------------------------------------------------------------------------


def count_on(html):
    return int(re.search(r"\d+", text_of(html[html.index('class="result-count"') :][:80])).group(0))


def test_a_new_roundup_appears_at_once_in_the_list_its_count_and_filters(client):
    organization = OrganizationFactory(name="桐溪市妇联", slug="tongxi")
    ExperienceEntryFactory(article=ArticleFactory(published=True), organization=organization, title="旧的")
    first = main_of(client.get(URL))  # the count and the filters are now kept in the cache
    assert count_on(first) == 1 and "新单位" not in first
    client.get(f"{URL}?form=oral")

    article = ArticleFactory(status="draft")
    newcomer = OrganizationFactory(name="新单位", slug="newcomer")
    ExperienceEntryFactory(article=article, organization=newcomer, title="新的", oral=True)
    article.status, article.published_at = "published", timezone.make_aware(datetime(2020, 5, 4, 9))
    article.save()  # published, dated in a year no entry had

    html = main_of(client.get(URL))
    assert count_on(html) == 2
    assert [title.split("：", 1)[1] for title in entry_titles_in(client.get(URL))] == ["旧的", "新的"]
    assert '<option value="newcomer">新单位</option>' in html and '<option value="2020">2020</option>' in html
    assert count_on(main_of(client.get(f"{URL}?form=oral"))) == 1
    assert [title.split("：", 1)[1] for title in entry_titles_in(client.get(f"{URL}?year=2020"))] == ["新的"]

    article.status = "draft"  # withdrawn: gone from the list, its count and its filters at once
    article.save()
    html = main_of(client.get(URL))
    assert count_on(html) == 1 and "新单位" not in html and '"2020"' not in html


def test_a_scheduled_roundup_appears_in_the_count_and_filters_when_its_time_comes(client, clock):
    ExperienceEntryFactory(article=ArticleFactory(published=True), title="旧的")
    scheduled = ArticleFactory(scheduled=True)
    ExperienceEntryFactory(article=scheduled, organization=OrganizationFactory(slug="later"), title="定时的")
    html = main_of(client.get(URL))
    assert count_on(html) == 1 and 'value="later"' not in html

    clock.advance(days=2)  # no content change, no new generation: the kept values end at that moment
    html = main_of(client.get(URL))
    assert count_on(html) == 2 and 'value="later"' in html


# --- the filters' form --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "b", "a&b", "nobody"])
def test_long_select_renders_what_djangos_select_renders(value):
    """The filters' selects are written without a template per option (3,000 organisations) yet read the same."""
    organizations = [("a&b", "<甲>"), ("b", "乙"), ("c", '"丙"')]
    data = {} if value is None else {"organization": value, "year": "2024", "level": "city"}
    fast = ExperienceEntryFilterForm(data, organizations=organizations, years=[2026, 2024])
    fast.filters()

    class Plain(forms.Form):
        level = forms.ChoiceField(label="Level", required=False)
        form = forms.ChoiceField(label="Form", required=False)
        year = forms.ChoiceField(label="Year", required=False)
        organization = forms.ChoiceField(label="Organisation", required=False)

    plain = Plain(data)
    for name in ("level", "form", "year", "organization"):
        plain.fields[name].choices = list(fast.fields[name].choices)
    plain.is_valid()
    for name in plain.errors:  # both point an invalid field at the page's notice naming it (FilterForm.full_clean)
        plain.fields[name].widget.attrs["aria-describedby"] = fast.notice_id
    for name in ("level", "form", "year", "organization"):
        assert str(fast[name]) == str(plain[name]), name
    if value is None:
        assert fast.filters() == {}
    else:
        expected = {"year": 2024, "level": "city"} | ({"organization": value} if value in ("b", "a&b") else {})
        assert fast.filters() == expected
