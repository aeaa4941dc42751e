"""The anonymous page cache (articles/cache.py): served with no query, never stale, never for staff or previews;
conditional GET (ETag, Last-Modified, 304) and Cache-Control; Redis when REDIS_URL is set."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from django.core.cache import caches
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from articles import cache as cache_module
from articles import services
from articles.cache import CACHE_HEADER, STATE_KEY, _bump_after_commit
from articles.models import Article, Status
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BylineFactory,
    CorrectionFactory,
    ExperienceEntryFactory,
    FrontPageSlotFactory,
    OrganizationFactory,
    ReporterFactory,
    SectionFactory,
    TopicFactory,
)
from tests.views.pages import main_of

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def page_cache(settings, monkeypatch):
    """The page cache on (tests/conftest.py turns it off for the rest of the suite), with fresh caches, and no
    cache failure remembered from another test."""
    settings.NEWSROOM_PAGE_CACHE = True
    settings.NEWSROOM_CACHE_SECONDS = 45
    monkeypatch.setattr(cache_module, "_unavailable_until", 0.0)
    monkeypatch.setattr(cache_module, "_bump_owed", False)


@pytest.fixture
def frozen(monkeypatch):
    """Set the clock (timezone.now, which the cache and ``published()`` both read) to a given moment."""

    def freeze(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


def hit(client, url, **headers):
    """GET ``url``: the answer must come from the cache, with no query at all."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response[CACHE_HEADER] == "hit", url
    assert len(queries) == 0, [query["sql"] for query in queries]
    return response


def cached(client, url, **headers):
    """GET ``url`` twice: rendered, then served from the cache with no query. Returns the second answer."""
    first = client.get(url, headers=headers)
    assert first.status_code == 200, url
    assert first[CACHE_HEADER] == "miss", url
    second = hit(client, url, **headers)
    assert second.content == first.content
    return second


def fresh(client, url):
    response = client.get(url)
    assert response[CACHE_HEADER] == "miss", url
    return response


def lead_story(response):
    """The home page's lead story card."""
    html = response.content.decode()
    return html[html.index('<section class="home-lead"') :].split("</section>", 1)[0]


def page_text(response):
    return main_of(response) if b'<main id="main"' in response.content else response.content.decode()


# --- served from the cache ----------------------------------------------------------------------------------


def test_a_cached_page_is_served_without_a_query_with_its_own_headers(client):
    article = ArticleFactory(published=True, headline="缓存中的报道")
    first = client.get(article.get_absolute_url())
    assert first[CACHE_HEADER] == "miss"

    second = hit(client, article.get_absolute_url())
    assert second.content == first.content

    assert "缓存中的报道" in second.content.decode()
    # The CSP header is served with the body it was written for: the JSON-LD's nonce is the header's nonce.
    nonce = re.search(r'nonce="([^"]+)"', second.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in second["Content-Security-Policy"]
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert second["Content-Type"] == first["Content-Type"]
    assert second["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/news/",
        "/topics/",
        "/experience/",
        "/archive/",
        "/feeds/latest.rss",
        "/feeds/latest.atom",
        "/sitemap.xml",
        "/sitemap-news.xml",
        "/sitemap-articles.xml",
        "/robots.txt",
    ],
)
def test_public_pages_feeds_and_sitemaps_are_cached(client, url):
    ArticleFactory(published=True)
    response = cached(client, url)
    assert response["Cache-Control"] == "public, max-age=0, s-maxage=45"
    assert response["ETag"]


def test_head_is_answered_from_the_page_a_get_stored(client):
    article = ArticleFactory(published=True)
    client.get(article.get_absolute_url())
    response = client.head(article.get_absolute_url())
    assert response[CACHE_HEADER] == "hit"
    assert response.status_code == 200 and response.content == b""


def test_each_host_has_its_own_copy(client, settings):
    """Pages carry absolute canonical and OpenGraph URLs: a copy made for one host name is not served to another."""
    settings.ALLOWED_HOSTS = ["testserver", "www.example.com"]
    article = ArticleFactory(published=True)
    cached(client, article.get_absolute_url())
    other = client.get(article.get_absolute_url(), HTTP_HOST="www.example.com")
    assert other[CACHE_HEADER] == "miss"
    assert "http://www.example.com/" in other.content.decode()


def test_the_query_string_is_part_of_the_key(client):
    ArticleFactory.create_batch(21, published=True)
    cached(client, "/news/")
    assert fresh(client, "/news/?page=2").content != client.get("/news/").content


def _stored_pages():
    """How many pages the (local memory) page cache holds (it also keeps list lengths and photos)."""
    return sum(":newsroom:page:" in key for key in caches["default"]._cache)


def test_a_query_parameter_no_page_reads_is_left_out_of_the_key(client):
    """A flood of ``?x=<random>`` must neither fill the cache nor get past it, and a link shared on WeChat
    (``?from=timeline&isappinstalled=0``) or with ``utm_*`` is the very page the spike wants: served from the
    cache."""
    article = ArticleFactory(published=True, headline="不被刷爆的缓存")
    url = article.get_absolute_url()
    cached(client, url)
    cached(client, "/news/")
    stored = _stored_pages()
    assert stored == 2

    for n in range(3):
        for address in (f"{url}?x={n}", f"{url}?from=timeline&isappinstalled=0", f"/news/?utm_source=wx{n}"):
            response = hit(client, address)
            assert "不被刷爆的缓存" in response.content.decode()
            assert response["ETag"] and response["Cache-Control"].startswith("public")

    assert _stored_pages() == stored


def test_a_parameter_the_page_does_not_take_is_served_but_never_stored(client):
    """A page number on a page that has none, a repeated or oddly written one: rendered and served, never kept."""
    article = ArticleFactory(published=True, headline="页码不对")
    url = article.get_absolute_url()
    cached(client, url)
    stored = _stored_pages()

    for n in range(3):
        for address in (f"{url}?page={n + 2}", "/news/?page=1&page=1", "/news/?page=01"):
            response = client.get(address)
            assert response.status_code == 200, address
            assert response[CACHE_HEADER] == "bypass", address
            assert response["ETag"] and response["Cache-Control"].startswith("public")

    assert _stored_pages() == stored


def test_the_parameters_a_page_reads_are_keyed_in_one_order(client):
    ArticleFactory.create_batch(21, published=True)
    cached(client, "/news/?page=2")
    cached(client, "/sitemap-articles.xml?p=1")
    entry = ExperienceEntryFactory(article=ArticleFactory(published=True), organization=OrganizationFactory())
    level = entry.organization.level
    cached(client, f"/experience/?level={level}&form=&year=&organization=")
    assert hit(client, f"/experience/?organization=&year=&form=&level={level}").status_code == 200
    # A filter value the form refuses is dropped by the view: such a page is not kept under that address.
    assert client.get("/experience/?level=nonsense")[CACHE_HEADER] == "bypass"
    assert client.get("/experience/?level=nonsense")[CACHE_HEADER] == "bypass"


def test_pages_of_another_release_are_never_served(client, monkeypatch, settings, tmp_path):
    """During a rolling deploy old and new servers share Redis: a page rendered by the other version's templates
    (and hashed static names) is not served. The release is the static manifest's hash and NEWSROOM_RELEASE."""
    article = ArticleFactory(published=True)
    cached(client, article.get_absolute_url())

    settings.STATIC_ROOT = str(tmp_path)
    (tmp_path / "staticfiles.json").write_text('{"paths": {"css/site.css": "css/site.1a2b3c.css"}}')
    monkeypatch.setattr(cache_module, "_release", None)
    new_release = cache_module.release_id()
    assert client.get(article.get_absolute_url())[CACHE_HEADER] == "miss"
    assert hit(client, article.get_absolute_url()).status_code == 200

    monkeypatch.setenv("NEWSROOM_RELEASE", "2026.11.2")
    monkeypatch.setattr(cache_module, "_release", None)
    assert cache_module.release_id() != new_release
    assert client.get(article.get_absolute_url())[CACHE_HEADER] == "miss"
    monkeypatch.setattr(cache_module, "_release", new_release)  # the other version's pages are still there
    assert hit(client, article.get_absolute_url()).status_code == 200


# --- never stale: every kind of change shows at once ---------------------------------------------------------


def _publish(editor_user, draft, **_):
    services.submit_for_review(draft, editor_user)
    services.publish(draft, editor_user)


def _unpublish(editor_user, article, **_):
    services.unpublish(article, editor_user, reason="内容需核实")


def _edit_headline(editor_user, article, **_):
    article.headline = "标题已修改"
    article.save()


def _correct(editor_user, article, **_):
    CorrectionFactory(article=article, text="原稿人数有误，现已更正。")


def _rename_reporter(editor_user, article, reporter, **_):
    reporter.name = "改名记者"
    reporter.save()


def _depart(editor_user, article, reporter, **_):
    reporter.is_active = False  # 在职 unticked: she has left the paper
    reporter.save()


def _add_byline(editor_user, article, **_):
    BylineFactory(article=article, reporter=ReporterFactory(name="新增署名"))


def _rename_organization(editor_user, article, organization, **_):
    organization.name = "改名后的妇联"
    organization.save()


def _edit_entry(editor_user, article, entry, **_):
    entry.title = "修改后的经验标题"
    entry.save()


def _rename_section(editor_user, article, **_):
    article.section.name = "改名栏目"
    article.section.save()


def _add_topic(editor_user, article, **_):
    article.topics.add(TopicFactory(title="新加专题"))


def _change_caption(editor_user, article, article_photo, **_):
    article_photo.caption = "修改后的图说"
    article_photo.save()


def _trash(editor_user, article, **_):
    services.move_to_trash(article, editor_user)


def _front_page_slot(editor_user, article, other, **_):
    FrontPageSlotFactory(article=other)


# (change, page to watch, text that appears or disappears, whether it appears)
CHANGES = {
    "publish": (_publish, "news", "刚刚发布的草稿", True),
    "unpublish": (_unpublish, "news", "已发表的报道", False),
    "edit": (_edit_headline, "article", "标题已修改", True),
    "correction": (_correct, "article", "原稿人数有误，现已更正。", True),
    # The reporter's own page: a story that came out keeps the name its byline was printed under.
    "reporter rename": (_rename_reporter, "reporter", "改名记者", True),
    # Her page says she has left, and keeps her stories.
    "reporter departure": (_depart, "reporter", "已离开本报", True),
    "byline": (_add_byline, "article", "新增署名", True),
    # The organisation's own page: a story that came out keeps the name its entry was printed under.
    "organisation rename": (_rename_organization, "organization", "改名后的妇联", True),
    "entry": (_edit_entry, "article", "修改后的经验标题", True),
    "section rename": (_rename_section, "article", "改名栏目", True),
    "topic": (_add_topic, "article", "新加专题", True),
    "caption": (_change_caption, "article", "修改后的图说", True),
    "trash": (_trash, "news", "已发表的报道", False),
    "front page slot": (_front_page_slot, "home lead", "编辑选定的头条", True),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_kind_of_change_shows_at_once(client, editor_user, change):
    make_change, page, text, appears = CHANGES[change]
    section = SectionFactory(name="本地新闻")
    reporter = ReporterFactory(name="原署名记者")
    organization = OrganizationFactory(name="区妇联")
    article = ArticleFactory(published=True, section=section, headline="已发表的报道")
    BylineFactory(article=article, reporter=reporter)
    entry = ExperienceEntryFactory(article=article, organization=organization, title="原经验标题")
    article_photo = ArticlePhotoFactory(article=article, caption="原图说")
    draft = ArticleFactory(section=section, headline="刚刚发布的草稿")
    BylineFactory(article=draft, reporter=reporter)
    other = ArticleFactory(
        published=True, section=section, headline="编辑选定的头条", published_at=timezone.now() - timedelta(days=3)
    )
    url = {
        "news": "/news/",
        "article": article.get_absolute_url(),
        "home lead": "/",
        "organization": organization.get_absolute_url(),
        "reporter": reporter.get_absolute_url(),
    }[page]
    shown = lead_story if page == "home lead" else page_text

    before = cached(client, url)

    make_change(
        editor_user,
        draft=draft,
        article=article,
        reporter=reporter,
        organization=organization,
        entry=entry,
        article_photo=article_photo,
        other=other,
    )
    after = client.get(url)

    assert after[CACHE_HEADER] == "miss"
    assert (text in shown(before)) is not appears
    assert (text in shown(after)) is appears


def test_restoring_from_the_trash_and_publishing_again_shows_at_once(client, editor_user):
    article = ArticleFactory(published=True, headline="从回收站恢复")
    BylineFactory(article=article)
    services.move_to_trash(article, editor_user)
    assert "从回收站恢复" not in main_of(cached(client, "/news/"))

    services.restore_from_trash(article, editor_user)
    services.submit_for_review(article, editor_user)
    services.publish(article, editor_user)

    assert "从回收站恢复" in main_of(fresh(client, "/news/"))


def test_a_published_story_enters_feeds_and_sitemaps_at_once(client, editor_user):
    draft = ArticleFactory(headline="进入订阅源")
    BylineFactory(article=draft)
    for url in ["/feeds/latest.rss", "/sitemap-news.xml", "/sitemap-articles.xml"]:
        cached(client, url)

    services.submit_for_review(draft, editor_user)
    services.publish(draft, editor_user)

    assert "进入订阅源" in fresh(client, "/feeds/latest.rss").content.decode()
    assert "进入订阅源" in fresh(client, "/sitemap-news.xml").content.decode()
    assert draft.get_absolute_url() in fresh(client, "/sitemap-articles.xml").content.decode()


def test_a_page_rendered_before_the_commit_is_retired_by_the_commit(client, django_capture_on_commit_callbacks):
    """The generation changes at the save and again at the commit: a page rendered in between (here from the
    same connection; in production from another one that still sees the old rows) is not served afterwards."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        article = ArticleFactory(published=True, headline="提交前")
        article.headline = "提交后"
        article.save()
        article.save()
        cached(client, article.get_absolute_url())
    assert [callback for callback in callbacks if callback is _bump_after_commit] == [_bump_after_commit]
    assert client.get(article.get_absolute_url())[CACHE_HEADER] == "miss"


def test_saving_a_draft_keeps_the_cached_pages(client, editor_user):
    """Reporters save drafts all day: a story no reader can see (before or after the save), its bylines, photos,
    entries, corrections and topics do not retire a single page."""
    ArticleFactory(published=True, headline="已发表的报道")
    draft = ArticleFactory(headline="草稿")
    reporter, organization, topic = ReporterFactory(), OrganizationFactory(), TopicFactory()
    photo = ArticlePhotoFactory(article=draft).photo
    cached(client, "/news/")

    draft.headline = "改过的草稿"
    draft.save()
    BylineFactory(article=draft, reporter=reporter)
    ArticlePhotoFactory(article=draft, photo=photo, caption="草稿的图说")
    ExperienceEntryFactory(article=draft, organization=organization)
    CorrectionFactory(article=draft)
    draft.topics.add(topic)
    services.submit_for_review(draft, editor_user)  # in review: still unseen
    loaded = type(draft).objects.get(pk=draft.pk)
    loaded.subtitle = "副题"
    loaded.save()

    assert client.get("/news/")[CACHE_HEADER] == "hit"


def test_unpublishing_or_trashing_a_story_retires_the_cached_pages(client, editor_user):
    article = ArticleFactory(published=True, headline="将被撤下的报道")
    assert "将被撤下的报道" in main_of(cached(client, "/news/"))

    loaded = type(article).objects.get(pk=article.pk)
    loaded.status = Status.DRAFT
    loaded.save()

    assert "将被撤下的报道" not in main_of(fresh(client, "/news/"))


def test_many_rows_saved_in_one_transaction_start_one_generation(client, monkeypatch):
    """A photo's renditions or an article's inlines, saved together: the generation changes at the first save
    (and again at the commit), not at every row."""
    article = ArticleFactory(published=True)
    cached(client, article.get_absolute_url())
    bumps = []
    real_bump = cache_module.bump_generation
    monkeypatch.setattr(cache_module, "bump_generation", lambda: bumps.append(1) or real_bump())

    with transaction.atomic():
        for n in range(14):
            BylineFactory(article=article, reporter=ReporterFactory(name=f"记者{n}"))

    assert len(bumps) == 1
    assert client.get(article.get_absolute_url())[CACHE_HEADER] == "miss"


def test_a_database_error_while_checking_the_generation_serves_the_cached_page(client, monkeypatch):
    """The database away is no cache failure: what the cache holds is served (no 5-second pause of the cache)."""
    article = ArticleFactory(published=True, headline="数据库不在时照常提供")
    url = article.get_absolute_url()
    cached(client, url)

    def database_away(started_at):
        raise OperationalError("connection refused")

    monkeypatch.setattr(cache_module, "_compute_next_change", database_away)
    monkeypatch.setattr(cache_module, "_next_change_memo", (None, None))
    token = cache_module.generation_token()
    caches["generation"].delete(cache_module.NEXT_CHANGE_KEY.format(token=token))

    response = hit(client, url)
    assert "数据库不在时照常提供" in response.content.decode()
    assert cache_module._unavailable_until == 0.0


def test_saving_what_no_page_shows_keeps_the_cache(client, editor_user):
    """An open edit form (its presence row), a preview link or a word list do not empty the cache."""
    article = ArticleFactory(published=True)
    cached(client, "/news/")
    services.create_share_link(article, editor_user, note="核对")
    assert client.get("/news/")[CACHE_HEADER] == "hit"


def test_a_lost_generation_means_fresh_pages_not_old_ones(client):
    """Should Redis restart or evict the generation, a new random one is made: nothing stored before is served."""
    article = ArticleFactory(published=True)
    cached(client, article.get_absolute_url())
    caches["generation"].delete(STATE_KEY)
    assert client.get(article.get_absolute_url())[CACHE_HEADER] == "miss"


def test_a_change_made_by_another_process_shows_at_once(client, settings, tmp_path):
    """Pages live in each process's memory; the generation is shared (a file here, Redis in production): a change
    made by another process (a manage.py command, another gunicorn worker) retires this process's pages."""
    cache_dir = tmp_path / "shared-cache"
    settings.CACHES = {**settings.CACHES, "generation": {**settings.CACHES["generation"]}}
    settings.CACHES["generation"]["LOCATION"] = str(cache_dir / "generation")
    article = ArticleFactory(published=True)
    cached(client, article.get_absolute_url())

    env = {**os.environ, "NEWSROOM_CACHE_DIR": str(cache_dir), "DJANGO_SECRET_KEY": "t"}
    env.pop("REDIS_URL", None)
    code = "from articles.cache import content_changed; content_changed()"
    subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", code], cwd=BASE_DIR, env=env, check=True)

    assert client.get(article.get_absolute_url())[CACHE_HEADER] == "miss"


# --- scheduled publication ----------------------------------------------------------------------------------


def test_a_scheduled_story_appears_at_its_time_with_the_cache_on(client, frozen):
    now = timezone.now()
    at = now + timedelta(minutes=10)
    ArticleFactory(status=Status.PUBLISHED, published_at=at, headline="十点准时上线")
    ArticleFactory(published=True, headline="早已发表")
    article = ArticleFactory(status=Status.PUBLISHED, published_at=at + timedelta(hours=1), headline="稍后上线")

    frozen(now)
    assert "十点准时上线" not in main_of(cached(client, "/news/"))
    frozen(at - timedelta(milliseconds=1))
    just_before = client.get("/news/")
    assert just_before[CACHE_HEADER] == "hit"
    assert "十点准时上线" not in main_of(just_before)

    frozen(at)
    at_the_time = client.get("/news/")
    assert at_the_time[CACHE_HEADER] == "miss"
    assert "十点准时上线" in main_of(at_the_time)
    assert "稍后上线" not in main_of(at_the_time)
    assert client.get("/news/")[CACHE_HEADER] == "hit"

    # The article's own page (404 until then: never cached) and the next scheduled story in turn.
    assert client.get(article.get_absolute_url()).status_code == 404
    frozen(at + timedelta(hours=1, milliseconds=500))
    assert client.get(article.get_absolute_url()).status_code == 200
    assert "稍后上线" in main_of(fresh(client, "/news/"))


def test_tomorrows_paper_comes_out_at_its_midnight_with_the_cache_on(client, frozen):
    """Laid out the evening before, tomorrow's print edition was on the site at once: /print/ led to it, the
    issue's page listed it, a story's page said 本报 2026年12月1日 A03版. It comes out at midnight in Beijing, with
    no change made then."""
    evening = frozen(timezone.make_aware(datetime(2026, 11, 30, 21, 0)))
    today, tomorrow = evening.date(), evening.date() + timedelta(days=1)
    ArticleFactory(published=True, published_at=evening - timedelta(days=1), print_issue_on=today, headline="今日见报")
    story = ArticleFactory(
        published=True,
        published_at=evening - timedelta(hours=2),
        headline="明日见报",
        print_issue_on=tomorrow,
        print_page_number="A03",
    )
    issue_url = f"/print/{tomorrow.isoformat()}/"

    assert client.get("/print/")["Location"] == f"/print/{today.isoformat()}/"
    assert client.get(issue_url).status_code == 404
    assert "A03版" not in main_of(cached(client, story.get_absolute_url()))
    assert issue_url not in cached(client, f"/print/{today.isoformat()}/").content.decode()
    assert issue_url not in cached(client, "/sitemap-print.xml").content.decode()

    frozen(timezone.make_aware(datetime(2026, 12, 1, 0, 0, 0, 1000)))

    assert "2026年12月1日 A03版" in main_of(fresh(client, story.get_absolute_url()))
    assert client.get("/print/")["Location"] == issue_url
    assert "明日见报" in main_of(client.get(issue_url))
    assert issue_url in fresh(client, f"/print/{today.isoformat()}/").content.decode()
    assert issue_url in fresh(client, "/sitemap-print.xml").content.decode()


def test_last_years_stories_are_dated_with_their_year_from_new_year_with_the_cache_on(client, frozen):
    """A related story of 12月30日 is this year's until midnight on 31 December, and needs its year from then on,
    with nothing published in between."""
    frozen(timezone.make_aware(datetime(2026, 12, 31, 23, 0)))
    section = SectionFactory()
    ArticleFactory(published=True, section=section, headline="年末稿", published_at=timezone.now() - timedelta(days=1))
    story = ArticleFactory(published=True, section=section, published_at=timezone.now() - timedelta(hours=1))

    assert "12月30日</time>" in main_of(cached(client, story.get_absolute_url()))

    frozen(timezone.make_aware(datetime(2027, 1, 1, 0, 0, 0, 1000)))

    assert "2026年12月30日</time>" in main_of(fresh(client, story.get_absolute_url()))


def test_a_story_scheduled_in_real_time_appears_within_a_second(client, editor_user):
    """The same with the real clock: the story goes live 1.5 s from now; the cached list shows it once its time
    has passed, with no change made in between."""
    draft = ArticleFactory(headline="一秒半后上线")
    BylineFactory(article=draft)
    at = timezone.now() + timedelta(seconds=1.5)
    services.submit_for_review(draft, editor_user)
    services.publish(draft, editor_user, at=at)
    assert "一秒半后上线" not in main_of(cached(client, "/news/"))

    while timezone.now() < at:
        time.sleep(0.05)
    response = client.get("/news/")

    assert response[CACHE_HEADER] == "miss"
    assert "一秒半后上线" in main_of(response)


def test_a_story_leaving_the_news_window_leaves_the_news_sitemap(client, frozen):
    now = timezone.now()
    article = ArticleFactory(published=True, published_at=now - timedelta(hours=47))
    frozen(now)
    assert article.get_absolute_url() in cached(client, "/sitemap-news.xml").content.decode()
    frozen(now + timedelta(hours=1, seconds=1))
    response = client.get("/sitemap-news.xml")
    assert response[CACHE_HEADER] == "miss"
    assert article.get_absolute_url() not in response.content.decode()


# --- conditional GET ------------------------------------------------------------------------------------------


def test_if_none_match_answers_304_from_the_cache_and_200_after_a_change(client):
    article = ArticleFactory(published=True)
    url = article.get_absolute_url()
    etag = client.get(url)["ETag"]

    not_modified = client.get(url, headers={"if-none-match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified[CACHE_HEADER] == "hit"
    assert not_modified["ETag"] == etag
    assert not_modified["Cache-Control"] == "public, max-age=0, s-maxage=45"

    article.headline = "改过的标题"
    article.save()
    changed = client.get(url, headers={"if-none-match": etag})
    assert changed.status_code == 200 and "改过的标题" in changed.content.decode()
    assert changed["ETag"] != etag


def test_the_same_content_rendered_again_keeps_its_etag(client):
    """The ETag leaves the CSP nonce out, so a page rendered afresh after an unrelated change still answers 304."""
    article = ArticleFactory(published=True)
    url = article.get_absolute_url()
    first = client.get(url)
    ReporterFactory(name="无关的记者")  # a change elsewhere (a draft would not be one): a new generation

    again = client.get(url, headers={"if-none-match": first["ETag"]})

    assert again[CACHE_HEADER] == "miss"
    assert again.status_code == 304


def test_if_modified_since_answers_304_until_something_changes(client, frozen):
    # The clock set before the story begins its generation: read after, it could be in the next second already.
    now = frozen(timezone.now().replace(microsecond=300_000))
    article = ArticleFactory(published=True)
    url = article.get_absolute_url()
    fresh(client, url)  # starts the generation
    frozen(now + timedelta(seconds=5))
    response = client.get(url)
    last_modified = response["Last-Modified"]
    assert last_modified == http_date(int(now.timestamp()) + 1)

    assert client.get(url, headers={"if-modified-since": last_modified}).status_code == 304
    # A feed's own Last-Modified (its newest item) is replaced by the generation's.
    feed = client.get("/feeds/latest.rss")
    assert feed["Last-Modified"] == last_modified
    assert client.get("/feeds/latest.rss", headers={"if-modified-since": last_modified}).status_code == 304

    frozen(now + timedelta(seconds=6))
    CorrectionFactory(article=article, text="更正")
    changed = client.get(url, headers={"if-modified-since": last_modified})
    assert changed.status_code == 200 and "更正" in changed.content.decode()


def test_no_last_modified_in_the_first_second_of_a_generation(client, frozen):
    """Dates have whole seconds: a second change in the same second must not look like no change."""
    # The clock set before the story begins its generation: read after, it could be in the next second already.
    now = frozen(timezone.now().replace(microsecond=300_000))
    article = ArticleFactory(published=True)
    response = client.get(article.get_absolute_url())
    assert not response.has_header("Last-Modified")
    assert response["ETag"]
    frozen(now.replace(microsecond=900_000))
    assert not client.get(article.get_absolute_url()).has_header("Last-Modified")
    frozen(now.replace(microsecond=0) + timedelta(seconds=1))
    assert client.get(article.get_absolute_url())["Last-Modified"] == http_date(int(now.timestamp()) + 1)


# --- never cached -------------------------------------------------------------------------------------------


def test_staff_never_get_a_cached_page_and_never_fill_the_cache(client, editor_user):
    article = ArticleFactory(published=True)
    url = article.get_absolute_url()
    cached(client, url)  # a reader's copy exists
    client.force_login(editor_user)

    for _ in range(2):
        staff = client.get(url)
        assert staff[CACHE_HEADER] == "bypass"
        assert "private" in staff["Cache-Control"] and "no-cache" in staff["Cache-Control"]
        assert "public" not in staff["Cache-Control"]

    client.logout()
    caches["default"].clear()
    client.force_login(editor_user)
    client.get(url)
    client.logout()
    assert client.get(url)[CACHE_HEADER] == "miss"


@pytest.mark.parametrize("cookie", ["made-up", "ended"])
def test_a_session_cookie_with_no_login_behind_it_gets_the_readers_cached_page(client, editor_user, cookie):
    """Any client could force every page to be rendered (about ten times a cached page's cost) by sending a made-up
    sessionid; a browser whose login has ended is a reader too."""
    from django.conf import settings

    article = ArticleFactory(published=True)
    url = article.get_absolute_url()
    cached(client, url)
    if cookie == "ended":
        client.force_login(editor_user)
        value = client.cookies[settings.SESSION_COOKIE_NAME].value
        client.logout()
    else:
        value = "x" * 32
    client.cookies[settings.SESSION_COOKIE_NAME] = value

    response = client.get(url)

    assert response[CACHE_HEADER] == "hit" and response.content == client.get(url).content
    # The browser is told to drop the cookie (its next requests read no session and pass nginx's micro-cache), and
    # no shared cache keeps an answer carrying that order.
    dropped = response.cookies[settings.SESSION_COOKIE_NAME]
    assert dropped.value == "" and dropped["max-age"] == 0
    assert response["Cache-Control"] == "private, no-cache"
    client.cookies.pop(settings.SESSION_COOKIE_NAME, None)
    after = client.get(url)
    assert after[CACHE_HEADER] == "hit" and "public" in after["Cache-Control"]  # the reader's answer as ever


def test_the_site_name_in_other_letters_is_the_same_page_not_a_render_of_its_own(client):
    """Django accepts any letter case of an allowed host name: each form was a page (and a render) of its own."""
    article = ArticleFactory(published=True)
    url = article.get_absolute_url()

    shouted = client.get(url, HTTP_HOST="TESTSERVER")
    assert shouted[CACHE_HEADER] == "miss" and "http://TESTSERVER/" in shouted.content.decode()
    first = client.get(url)
    assert first[CACHE_HEADER] == "miss"  # the page made for "TESTSERVER" was not stored for every reader

    for host in ("testserver", "TestServer", "TESTSERVER"):
        again = client.get(url, HTTP_HOST=host)
        assert again[CACHE_HEADER] == "hit" and "http://testserver/" in again.content.decode(), host


def test_a_logged_in_editor_reads_the_session_once_on_a_public_page(client, editor_user, django_assert_num_queries):
    article = ArticleFactory(published=True)
    client.force_login(editor_user)
    client.get(article.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        assert client.get(article.get_absolute_url())[CACHE_HEADER] == "bypass"
    assert sum("django_session" in query["sql"] for query in queries.captured_queries) == 1


def test_the_preview_of_an_unpublished_story_is_never_cached(client, editor_user):
    draft = ArticleFactory(headline="未发表的预览")
    client.force_login(editor_user)
    preview = client.get(draft.get_absolute_url())
    assert preview.status_code == 200 and "未发表的预览" in preview.content.decode()
    assert "no-cache" in preview["Cache-Control"]
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_preview_links_are_never_cached(client, editor_user):
    draft = ArticleFactory(headline="外部核对的预览")
    link = services.create_share_link(draft, editor_user, note="受访者")
    url = services.share_link_url(link)

    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200
        assert not response.has_header(CACHE_HEADER)
        assert "no-cache" in response["Cache-Control"] and "public" not in response["Cache-Control"]

    services.revoke_share_link(link, editor_user)  # revoking changes no public page: the generation stays
    assert client.get(url).status_code == 410


def test_the_admin_posts_errors_and_search_are_not_stored(client):
    assert not client.get(reverse("admin:login")).has_header(CACHE_HEADER)
    assert client.get("/articles/999999/").status_code == 404
    assert not client.get("/articles/999999/").has_header(CACHE_HEADER)
    ArticleFactory(published=True)
    assert client.post("/news/").status_code == 405
    search = client.get("/search/?q=妇联")
    again = client.get("/search/?q=妇联")
    assert search[CACHE_HEADER] == again[CACHE_HEADER] == "miss"
    assert again["ETag"] == search["ETag"]
    assert client.get("/search/?q=妇联", headers={"if-none-match": search["ETag"]}).status_code == 304


def test_answers_never_vary_on_cookies(client):
    """The server reads no reader cookie (the large-text mode is applied in the browser), and a proxy keeping a copy
    per cookie would cache nothing for visitors with analytics cookies: no Vary: Cookie."""
    article = ArticleFactory(published=True)
    client.cookies["newsroom_large_text"] = "1"
    client.cookies["_ga"] = "GA1.2.3"
    response = client.get(article.get_absolute_url())
    assert "cookie" not in response.get("Vary", "").lower()
    assert 'class="large-text"' not in response.content.decode()
    del client.cookies["newsroom_large_text"]
    assert client.get(article.get_absolute_url())[CACHE_HEADER] == "hit"


def test_the_cache_can_be_turned_off(client, settings):
    settings.NEWSROOM_PAGE_CACHE = False
    article = ArticleFactory(published=True)
    client.get(article.get_absolute_url())
    assert not client.get(article.get_absolute_url()).has_header(CACHE_HEADER)


# --- Redis --------------------------------------------------------------------------------------------------


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on a free port of 127.0.0.1, its files in a temporary folder; stopped afterwards."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (make test installs Debian's redis-server)")
    port = _free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(tmp_path),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start")
        yield SimpleNamespace(url=url, process=process)
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server):
    return redis_server.url


def test_redis_url_selects_djangos_redis_backend(redis_url):
    """Settings read REDIS_URL: both caches are Django's RedisCache on that server (checked in a fresh process)."""
    env = {**os.environ, "REDIS_URL": redis_url, "DJANGO_SECRET_KEY": "t"}
    code = (
        "from django.core.cache import caches; "
        "[caches[a].set('probe-' + a, 1) for a in ('default', 'generation')]; "
        "print(type(caches['default']).__name__, type(caches['generation']).__name__)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["RedisCache", "RedisCache"]
    keys = {key.decode() for key in redis.Redis.from_url(redis_url).keys("*")}
    assert {"newsroom:1:probe-default", "newsroom:1:probe-generation"} <= keys


@pytest.fixture
def redis_caches(settings, redis_url):
    """Both caches in the real Redis, configured as newsroom/settings.py does with REDIS_URL."""
    backend = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_url,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    settings.CACHES = {
        "default": {**backend, "KEY_PREFIX": "newsroom", "TIMEOUT": 600},
        "generation": {**backend, "KEY_PREFIX": "newsroom", "TIMEOUT": None},
    }
    return redis_url


def test_pages_are_cached_in_redis_and_retired_by_a_change(client, redis_caches):
    redis_url = redis_caches
    article = ArticleFactory(published=True, headline="存进 Redis 的报道")
    cached(client, article.get_absolute_url())
    keys = {key.decode() for key in redis.Redis.from_url(redis_url).keys("*")}
    assert any(key.startswith("newsroom:1:newsroom:page:") for key in keys)
    assert "newsroom:1:newsroom:generation" in keys

    article.headline = "Redis 里已更新"
    article.save()
    response = client.get(article.get_absolute_url())
    assert response[CACHE_HEADER] == "miss" and "Redis 里已更新" in response.content.decode()


def test_a_change_redis_could_not_record_is_never_served_stale(client, redis_caches, monkeypatch):
    """Redis refuses writes for a while (here: CLIENT PAUSE ... WRITE) but still answers reads: the change's new
    generation could not be stored, so the old pages are still reachable in Redis. This process must not serve
    them: it renders pages until it has recorded the change, then caches again."""
    monkeypatch.setattr(cache_module, "RETRY_SECONDS", 0)
    article = ArticleFactory(published=True, headline="暂停写入之前")
    url = article.get_absolute_url()
    cached(client, url)
    server = redis.Redis.from_url(redis_caches)
    server.execute_command("CLIENT", "PAUSE", 60_000, "WRITE")
    try:
        article.headline = "暂停写入期间的修改"
        article.save()  # the new generation cannot be stored: logged, owed
        during = client.get(url)
        assert during.status_code == 200
        assert "暂停写入期间的修改" in during.content.decode()
    finally:
        server.execute_command("CLIENT", "UNPAUSE")
        server.close()

    after = client.get(url)
    assert after[CACHE_HEADER] == "miss" and "暂停写入期间的修改" in after.content.decode()
    assert hit(client, url).content == after.content


def test_pages_are_served_when_redis_is_away(client, redis_caches, redis_server):
    article = ArticleFactory(published=True, headline="缓存服务器停了")
    cached(client, article.get_absolute_url())
    redis_server.process.terminate()
    redis_server.process.wait(timeout=10)

    response = client.get(article.get_absolute_url())

    assert response.status_code == 200 and "缓存服务器停了" in response.content.decode()
    assert response[CACHE_HEADER] == "miss"


def test_list_lengths_and_filters_are_computed_when_redis_is_away(client, redis_caches, redis_server):
    # A list's length and the experience index's filters are kept under the content generation in the cache;
    # with Redis away they are computed every time, and the pages still show the right stories and pages.
    section = SectionFactory()
    stories = ArticleFactory.create_batch(21, published=True, section=section)
    ExperienceEntryFactory(article=stories[0], title="雷迪斯停了也能看到")
    redis_server.process.terminate()
    redis_server.process.wait(timeout=10)

    for url in (reverse("articles:article_list"), section.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 200 and "共 2 页" in main_of(response)
    response = client.get(reverse("articles:experience_entry_list"))
    assert response.status_code == 200 and "雷迪斯停了也能看到" in response.content.decode()


def test_search_is_ranked_when_redis_is_away(client, redis_caches, redis_server):
    # A search's ranking and the filter's years are kept in the cache; with Redis away they are computed every time.
    story = ArticleFactory(published=True, headline="缓存停了照样能搜")
    services.reindex_article(story)
    redis_server.process.terminate()
    redis_server.process.wait(timeout=10)

    for _ in range(2):
        response = client.get(reverse("articles:search"), {"q": "缓存"})
        assert response.status_code == 200
        assert [result.document["headline"] for result in response.context["results"]] == ["缓存停了照样能搜"]
        assert f'<option value="{timezone.localtime(story.published_at).year}">' in response.content.decode()


@pytest.mark.django_db
def test_retire_cached_pages_makes_every_stored_page_fresh(client):
    """After a Redis outage during which a short-lived command changed a story (its change could not retire the
    stored pages), the operator retires them all by hand."""
    from io import StringIO

    from django.core.management import call_command

    article = ArticleFactory(published=True, headline="停电前的标题")
    cached(client, article.get_absolute_url())
    Article.objects.filter(pk=article.pk).update(headline="恢复后才看得到的标题")  # no signal: as if the bump failed
    hit(client, article.get_absolute_url())

    out = StringIO()
    call_command("retire_cached_pages", stdout=out)

    response = client.get(article.get_absolute_url())
    assert response[CACHE_HEADER] == "miss"
    assert "恢复后才看得到的标题" in response.content.decode()
    assert "retired" in out.getvalue()


@pytest.mark.django_db
def test_a_restore_empties_the_sites_own_cache_entries_only(redis_caches, redis_url):
    """restore_site empties the page cache: in a Redis database shared with something else, only the site's keys
    go (Django's clear() is a FLUSHDB)."""
    from articles.backups import clear_own_entries

    other = redis.Redis.from_url(redis_url)
    other.set("another-app:session:42", "keep me")
    caches["default"].set("page:probe", "stored page")

    clear_own_entries(caches["default"])  # was caches["default"].clear(): a FLUSHDB

    assert caches["default"].get("page:probe") is None
    assert other.get("another-app:session:42") == b"keep me"


def test_a_kept_value_is_not_answered_to_another_release(db, monkeypatch):
    """A rolling deploy shares Redis: the new release's rules (a reporter page now a 404) must not be answered
    from what the old release kept for the same content generation."""
    from articles import cache as page_cache

    computed = []

    def compute():
        computed.append(1)
        return len(computed), None

    monkeypatch.setattr(page_cache, "_release", "old-release")
    assert page_cache.kept_for_generation("test-release-value", compute) == 1
    assert page_cache.kept_for_generation("test-release-value", compute) == 1  # kept
    monkeypatch.setattr(page_cache, "_release", "new-release")
    assert page_cache.kept_for_generation("test-release-value", compute) == 2
