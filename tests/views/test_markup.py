"""Parts of pages built in Python rather than in a template (articles/cards.py and the newsroom_tags simple tags:
story and entry cards, headline lists, experience entries, captioned photos, the article's sharing metadata):
everything the newsroom typed is escaped there as the template engine would, and the shortcuts they take
(dates, absolute URLs) give what Django's own filters and ``build_absolute_uri`` give."""

import datetime
import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from articles.templatetags.newsroom_tags import (
    AbsoluteURLs,
    iso_date,
    local_datetime,
    local_iso,
    long_date,
    print_url,
)
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
)

pytestmark = pytest.mark.django_db

# Text that would be markup if it were not escaped, with the characters escaping changes.
HOSTILE = "<i>x</i>&\"'"


def hostile(label):
    return f"{label}{HOSTILE}"


def assert_escaped(html, *labels):
    assert "<i>x</i>" not in html  # no text of the newsroom became markup
    for label in labels:
        assert f"{label}&lt;i&gt;x&lt;/i&gt;&amp;&quot;&#x27;" in html, f"{label} is not shown escaped"


@pytest.fixture
def story():
    """A published roundup whose every field, and its section, reporter, role, organisation, topic and photo
    credit, holds markup characters."""
    section = SectionFactory(name=hostile("栏目"))
    article = ArticleFactory(
        published=True,
        section=section,
        headline=hostile("标题"),
        kicker=hostile("引题"),
        summary=hostile("摘要"),
    )
    reporter = ReporterFactory(name=hostile("记者"))
    BylineFactory(article=article, reporter=reporter, role=BylineRoleFactory(name=hostile("角色")))
    organization = OrganizationFactory(name=hostile("妇联"), short_name="")
    entry_photo = PhotoFactory(credit_text=hostile("供图"), alt_text=hostile("替代"))
    ExperienceEntryFactory(
        article=article,
        organization=organization,
        oral=True,
        title=hostile("经验"),
        highlight=hostile("亮点"),
        photo=entry_photo,
        caption=hostile("图说"),
    )
    ArticlePhotoFactory(article=article, photo=PhotoFactory(credit_reporter=reporter), caption=hostile("配图"))
    TopicFactory(featured=True, title="专题").articles.add(article)
    return article


def test_the_article_page_escapes_entries_photos_bylines_and_sharing_metadata(client, story):
    html = client.get(story.get_absolute_url()).content.decode()

    assert_escaped(html, "标题", "引题", "摘要", "记者", "角色", "妇联", "经验", "亮点", "供图", "替代", "图说", "配图")
    head = html[: html.index("</head>")]
    assert_escaped(head, "标题", "摘要", "栏目")  # og:title, og:description, article:section
    # The photo credited to a reporter says so in the translated words, the name escaped.
    assert "摄影：记者&lt;i&gt;" in html


def test_lists_escape_cards_and_headline_lists(client, story):
    reporter = story.bylines.get().reporter
    pages = {
        "latest": reverse("articles:article_list"),
        "section": story.section.get_absolute_url(),
        "reporter": reporter.get_absolute_url(),
    }
    for url in pages.values():
        html = client.get(url).content.decode()
        assert_escaped(html, "标题", "引题", "摘要", "栏目", "记者", "角色")
    home = client.get(reverse("articles:home")).content.decode()
    assert_escaped(home, "标题", "经验", "亮点")  # cards, each section's headline list, entry cards
    assert_escaped(home[home.index('class="home-sections"') :], "标题")  # the headline list itself


def test_entry_cards_name_the_organisation_escaped_where_they_show_it(client, story):
    topic = story.topics.get()
    html = client.get(topic.get_absolute_url()).content.decode()

    assert_escaped(html, "经验", "亮点", "妇联", "标题")
    card = re.search(r'<article class="entry-card">.*?</article>', html, re.S).group(0)
    assert re.search(r'<p class="card-meta"><a href="/organizations/[^"]+/">妇联&lt;i&gt;', card)


@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2026, 11, 19, 16, 5, 7, 123456, tzinfo=datetime.UTC),  # the next day in Beijing
        datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        datetime.datetime(999, 12, 31, 23, 59, tzinfo=datetime.UTC),  # a year of three digits
    ],
)
def test_date_filters_print_what_the_date_filter_prints(moment):
    # |local_iso is |date:"c" to the second: HTML's <time datetime> allows three digits of a fraction at most.
    expected = Template('{{ s|date:"c" }}|{{ m|date:"Y年n月j日 H:i" }}|{{ d|date:"Y-m-d" }}|{{ d|date:"Y年n月j日" }}')
    context = Context({"m": moment, "s": moment.replace(microsecond=0), "d": timezone.localtime(moment).date()})
    day = timezone.localtime(moment).date()

    assert f"{local_iso(moment)}|{local_datetime(moment)}|{iso_date(day)}|{long_date(day)}" == expected.render(context)
    assert local_iso(None) == local_datetime(None) == iso_date(None) == long_date(None) == ""


def test_dates_are_in_newsroom_time_whatever_zone_is_active():
    """Publishing time is newsroom time (Asia/Shanghai): a date on a page or in a feed is Beijing's even in code
    that runs with another zone active (a command, a library that activated UTC)."""
    moment = datetime.datetime(2026, 11, 19, 23, 30, tzinfo=datetime.UTC)  # 07:30 the next morning in Beijing
    with timezone.override(datetime.UTC):
        shown = (local_iso(moment), local_datetime(moment), iso_date(moment), long_date(moment))

    assert shown == ("2026-11-20T07:30:00+08:00", "2026年11月20日 07:30", "2026-11-20", "2026年11月20日")


@pytest.mark.parametrize(
    "location",
    [
        "/articles/12/",
        "/media/photos/2026/11/会场照片.jpg",  # quoted by Django's way
        "/media/photos/a%20b.jpg",
        "/static/img/logo.1234abcd.png",
        "/a/./b/",
        "/a/../b/",
        "//evil.example/x",
        "/search/?q=妇联#top",
        "relative/path",
        "https://cdn.example.com/x.jpg",
        "/.well-known/x",
    ],
)
def test_absolute_urls_are_what_build_absolute_uri_gives(location, settings):
    settings.ALLOWED_HOSTS = ["news.example.com"]
    request = RequestFactory().get("/articles/1/", HTTP_HOST="news.example.com", secure=True)

    assert AbsoluteURLs(request)(location) == request.build_absolute_uri(location)


@pytest.mark.parametrize("page_number", ["A03", "", "b 12"])
def test_the_print_link_is_the_print_url_of_the_article(client, page_number):
    article = ArticleFactory(published=True, in_print=True, print_page_number=page_number)
    html = client.get(article.get_absolute_url()).content.decode()

    assert article.get_print_url().startswith("/print/")
    assert f'<a class="print-reference" href="{article.get_print_url()}">' in html
    assert print_url(article) == article.get_print_url()
    assert print_url(ArticleFactory(published=True)) == ""
