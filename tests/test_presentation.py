"""The shared layout: landmarks, navigation, large-text mode, print style, fonts, colours, dates, 404 and 500 pages.

This module is also the URLconf of the 500 test (``settings.ROOT_URLCONF = __name__``): a view that fails.
"""

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import NoReverseMatch, include, path, reverse
from django.utils import formats
from django.views.defaults import server_error

from tests.factories import ArticleFactory, SectionFactory

BASE_DIR = Path(django_settings.BASE_DIR)
SITE = "今日女报 · 凤网"


def failing_view(request):
    raise RuntimeError("the database is on fire")


urlpatterns = [path("boom/", failing_view), path("", include("articles.urls"))]


class Elements(HTMLParser):
    """Every start tag of a page, in document order, as (tag, attributes)."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.script_texts = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.script_texts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_texts[-1] += data

    def find(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def elements(html):
    parser = Elements()
    parser.feed(html)
    return parser


@pytest.fixture
def article(db):
    return ArticleFactory(
        published=True,
        published_at=datetime(2026, 11, 20, 1, 30, tzinfo=UTC),
        summary="11月19日，全省妇联系统改革工作现场推进会在郴州召开。",
        section=SectionFactory(name="要闻"),
    )


@pytest.fixture
def article_html(client, article):
    return client.get(article.get_absolute_url()).content.decode()


# --- Landmarks, skip link, navigation -------------------------------------------------------------------------


def test_layout_has_landmarks_and_a_skip_link_first(article_html):
    page = elements(article_html)
    first_in_body = page.tags[[tag for tag, _attrs in page.tags].index("body") + 1]

    assert first_in_body == ("a", {"class": "skip-link", "href": "#main"})
    assert len(page.find("header", **{"class": "site-header"})) == 1
    assert len(page.find("main", id="main")) == 1
    assert len(page.find("footer", **{"class": "site-footer"})) == 1
    navs = page.find("nav")
    assert navs and all(nav.get("aria-label") for nav in navs)
    assert len({nav["aria-label"] for nav in navs}) == len(navs)  # landmarks of one kind are told apart
    assert '<a class="skip-link" href="#main">跳到正文</a>' in article_html


def test_header_links_the_site_name_home_and_lists_the_sections(client, article):
    SectionFactory(name="基层动态", slug="jiceng")
    html = client.get(article.get_absolute_url()).content.decode()
    header = html[html.index('<header class="site-header">') : html.index("</header>")]

    assert '<a class="site-name" href="/">' in header and SITE in header
    assert 'href="/sections/jiceng/">基层动态</a>' in header
    assert ">要闻</a>" in header


def test_header_marks_the_current_section(client, article):
    html = client.get(article.section.get_absolute_url()).content.decode()

    assert f'<a href="{article.section.get_absolute_url()}" aria-current="page">' in html


def test_header_marks_the_part_of_the_site_a_page_is_in(client, article):
    """An issue of the print edition, a topic, a year of the archive: the menu said nothing of where the reader
    was (only the exact address of a menu link was marked)."""
    from django.urls import reverse

    from tests.factories import TopicFactory

    article.print_issue_on, article.print_page_number = date(2026, 11, 20), "A01"
    article.save()
    topic = TopicFactory(title="巾帼建功", slug="jinguo")
    article.topics.add(topic)
    pages = {
        reverse("articles:print_issue", args=[date(2026, 11, 20)]): "/print/",
        topic.get_absolute_url(): reverse("articles:topic_list"),
        reverse("articles:article_archive_year", args=["2026"]): reverse("articles:article_archive"),
    }
    for address, menu_link in pages.items():
        response = client.get(address)
        assert response.status_code == 200, address
        header = response.content.decode().split("</header>")[0]
        assert re.findall(r'<a href="([^"]*)" aria-current="(\w+)"', header) == [(menu_link, "true")], address


@pytest.mark.parametrize(
    ("url_name", "label"),
    [
        ("articles:topic_list", "专题"),
        ("articles:experience_entry_list", "经验交流"),
        ("articles:print_issue_latest", "数字报"),
        ("articles:article_archive", "往期"),
    ],
)
def test_header_links_the_site_wide_pages_that_exist(client, db, url_name, label):
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        pytest.skip(f"{url_name} is not there yet")
    html = client.get("/no-such-page/").content.decode()

    assert f'<a href="{url}">{label}</a>' in html


@pytest.fixture
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_section_menu_is_one_query_whatever_the_number_of_sections(client, db, empty_cache, django_assert_num_queries):
    SectionFactory.create_batch(6)
    with django_assert_num_queries(1):  # the 404 page runs nothing but the menu
        html = client.get("/no-such-page/").content.decode()
    assert html.count('href="/sections/') == 6
    with django_assert_num_queries(0):  # then the menu comes from the cache
        assert client.get("/no-such-page/").content.decode() == html


def test_cached_section_menu_changes_at_once_when_a_section_does(client, db, empty_cache):
    news = SectionFactory(name="要闻", slug="news")
    client.get("/no-such-page/")  # the menu is now cached
    news.name = "本地要闻"
    news.save()
    SectionFactory(name="法治", slug="law")
    html = client.get("/no-such-page/").content.decode()
    assert ">本地要闻</a>" in html and ">法治</a>" in html and ">要闻</a>" not in html
    news.delete()
    html = client.get("/no-such-page/").content.decode()
    assert 'href="/sections/news/"' not in html and ">法治</a>" in html
    assert client.get("/sections/news/").status_code == 404  # the section page reads the same cached menu


def test_section_menu_follows_a_rename_made_in_another_process(client, db, empty_cache):
    """Another gunicorn worker or a management command renames a section: its signal starts a new content generation
    in the shared generation cache, and nothing in this process's memory; the menu here must follow all the same."""
    from articles import cache as page_cache
    from articles.models import Section

    news = SectionFactory(name="要闻", slug="news")
    client.get("/no-such-page/")  # this process now holds the menu
    Section.objects.filter(pk=news.pk).update(name="本地要闻")  # the row, as the other process left it
    page_cache.bump_generation()  # what the other process's signal did to the shared cache

    assert ">本地要闻</a>" in client.get("/no-such-page/").content.decode()


# --- Large-text reading mode ----------------------------------------------------------------------------------


def test_large_text_toggle_is_a_hidden_pressed_state_button_until_script_shows_it(article_html):
    page = elements(article_html)
    (button,) = page.find("button", **{"data-reading-mode-toggle": None})

    assert "hidden" in button
    assert button["type"] == "button"
    assert button["aria-pressed"] == "false"
    assert re.search(r"<button [^>]*data-reading-mode-toggle[^>]*>大字模式</button>", article_html)


def test_reading_mode_scripts_are_static_files_the_first_runs_before_paint(article_html):
    head = article_html[: article_html.index("</head>")]
    page = elements(head)
    init = page.find("script", src="/static/js/reading-mode-init.js")
    wire = page.find("script", src="/static/js/reading-mode.js")

    assert len(init) == 1 and "defer" not in init[0] and "async" not in init[0]
    assert len(wire) == 1 and "defer" in wire[0]
    assert head.index("reading-mode-init.js") < head.index("css/site.css")
    for name in ["js/reading-mode-init.js", "js/reading-mode.js"]:
        assert finders.find(name), name


def test_reading_mode_script_keeps_the_choice_in_local_storage_and_a_cookie():
    init = Path(finders.find("js/reading-mode-init.js")).read_text()
    wire = Path(finders.find("js/reading-mode.js")).read_text()

    assert 'classList.add("large-text")' in init and "newsroom_large_text=1" in init
    assert "localStorage" in init and "localStorage" in wire
    assert 'KEY = "newsroom_large_text"' in wire and "document.cookie" in wire and "path=/" in wire
    assert "aria-pressed" in wire and ".hidden = false" in wire


@pytest.mark.parametrize("url", ["article", "/no-such-page/"])
def test_no_inline_script_but_the_json_ld(client, article, url):
    url = article.get_absolute_url() if url == "article" else url
    page = elements(client.get(url).content.decode())
    scripts = page.find("script")

    assert scripts
    for attrs, text in zip(scripts, page.script_texts, strict=True):
        if attrs.get("type") == "application/ld+json":
            continue
        assert attrs.get("src", "").startswith("/static/"), attrs
        assert text.strip() == ""
    assert not re.search(r"\son[a-z]+=", client.get(url).content.decode())  # no inline event handlers


def test_large_text_mode_makes_type_bigger_and_contrast_higher():
    css = Path(finders.find("css/site.css")).read_text()
    block = re.search(r"html\.large-text\s*\{([^}]*)\}", css).group(1)

    assert int(re.search(r"font-size:\s*(\d+)%", block).group(1)) >= 125
    assert "--tap:" in block  # bigger tap targets


# --- Stylesheets, fonts, colours ----------------------------------------------------------------------------


def test_print_stylesheet_is_linked_for_print_only(article_html):
    page = elements(article_html)

    assert page.find("link", rel="stylesheet", href="/static/css/print.css", media="print")
    assert page.find("link", rel="stylesheet", href="/static/css/site.css")
    print_css = Path(finders.find("css/print.css")).read_text()
    assert ".site-nav" in print_css and ".site-footer" in print_css and ".reading-mode-toggle" in print_css
    assert "background: #fff" in print_css and "color: #000" in print_css


EXTERNAL = re.compile(
    r"@font-face|@import|fonts\.googleapis|fonts\.gstatic|fonts\.loli|cdn\.|jsdelivr|unpkg|cdnjs|bootcdn|staticfile\.org"
    r"|url\(\s*['\"]?(?:https?:)?//|(?:src|href)=\"(?:https?:)?//",
    re.I,
)


def test_no_web_fonts_or_cdn_anywhere():
    files = [
        *BASE_DIR.joinpath("templates").rglob("*.html"),
        *BASE_DIR.joinpath("static", "css").rglob("*.css"),
        *BASE_DIR.joinpath("static", "js").rglob("*.js"),
    ]
    assert len(files) > 5
    offenders = {str(f.relative_to(BASE_DIR)): EXTERNAL.findall(f.read_text()) for f in files}

    assert {name: found for name, found in offenders.items() if found} == {}


def test_fonts_are_a_cjk_system_stack():
    css = Path(finders.find("css/site.css")).read_text()
    stack = re.search(r"font-family:([^;]+);", css).group(1)

    for font in ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"]:
        assert font in stack


def test_chinese_text_has_a_comfortable_line_height_and_measure():
    css = Path(finders.find("css/site.css")).read_text()

    assert float(re.search(r"body\s*\{[^}]*line-height:\s*([\d.]+)", css).group(1)) >= 1.7
    assert 30 <= float(re.search(r"--measure:\s*([\d.]+)em", css).group(1)) <= 40
    assert re.search(r"\.article\s*\{[^}]*max-width:\s*var\(--measure\)", css)


def test_photos_keep_their_aspect_ratio_and_focus_is_visible():
    css = Path(finders.find("css/site.css")).read_text()

    assert re.search(r"(^|\n)img[^{]*\{[^}]*max-width:\s*100%;[^}]*height:\s*auto", css)
    assert re.search(r":focus-visible\s*\{[^}]*outline:\s*3px solid", css)
    assert not re.search(r"outline:\s*(none|0)", css.replace("main:focus { outline: none; }", ""))


def relative_luminance(hex_colour):
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    light, dark = sorted([relative_luminance(a), relative_luminance(b)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def colour_variables(css, selector):
    block = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css).group(1)
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\b", block))


def test_text_colours_meet_wcag_aa_in_normal_and_large_text_mode():
    css = Path(finders.find("css/site.css")).read_text()
    normal = colour_variables(css, ":root")
    large = {**normal, **colour_variables(css, "html.large-text")}

    for colours in (normal, large):
        for text in ["text", "muted", "accent"]:
            for background in ["bg", "quote-bg", "soft-bg"]:
                ratio = contrast(colours[text], colours[background])
                assert ratio >= 4.5, f"--{text} {colours[text]} on --{background}: {ratio:.2f}"
        assert contrast(colours["focus"], colours["bg"]) >= 3  # non-text contrast of the focus ring
        assert contrast("#ffffff", colours["accent"]) >= 4.5  # the pressed toggle: white on accent
    assert contrast(large["text"], large["bg"]) > contrast(normal["text"], normal["bg"])
    assert contrast(large["muted"], large["bg"]) > contrast(normal["muted"], normal["bg"])


def test_contrast_formula_matches_known_values():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#767676", "#ffffff"), 2) == 4.54


# --- Dates ------------------------------------------------------------------------------------------------------


def test_dates_read_the_chinese_way(article_html):
    assert formats.date_format(date(2026, 11, 20)) == "2026年11月20日"
    assert formats.date_format(datetime(2026, 11, 20, 9, 30), "DATETIME_FORMAT") == "2026年11月20日 09:30"
    assert "2026年11月20日" in article_html


# --- 404 and 500 --------------------------------------------------------------------------------------------


def test_404_page_is_chinese_and_keeps_the_navigation(client, db):
    SectionFactory(name="基层动态", slug="jiceng")
    response = client.get("/no-such-page/")
    html = response.content.decode()

    assert response.status_code == 404
    assert '<html lang="zh-hans">' in html
    assert f"<title>页面不存在 - {SITE}</title>" in html
    assert "页面不存在或尚未发布" in html
    assert 'href="/sections/jiceng/">基层动态</a>' in html
    assert 'href="/">返回首页</a>' in html
    assert 'class="reading-mode-toggle"' in html


def test_a_host_the_site_does_not_answer_gets_a_chinese_400_page(client, db):
    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    html = response.content.decode()
    assert "无法处理这个请求" in html and 'lang="zh-hans"' in html and "Bad Request" not in html


def test_500_page_renders_without_request_or_context_processors_and_keeps_the_navigation(db):
    html = render_to_string("500.html")

    assert '<html lang="zh-hans">' in html
    assert f"<title>服务器出错了 - {SITE}</title>" in html
    assert "抱歉" in html
    assert '<a class="site-name" href="/">' in html and SITE in html
    assert 'href="/">返回首页</a>' in html
    assert '<main id="main"' in html and '<nav class="site-nav"' in html and '<footer class="site-footer">' in html
    assert "/static/css/site.css" in html
    assert "{{" not in html and "None" not in html


def test_500_page_needs_no_database(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        render_to_string("500.html")


def test_django_default_500_handler_serves_our_page(db):
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "服务器出错了" in response.content.decode()


def test_failing_view_answers_with_the_chinese_500_page(client, settings, db):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    client.raise_request_exception = False
    response = client.get("/boom/")

    assert response.status_code == 500
    assert "服务器出错了" in response.content.decode()
    assert 'href="/">返回首页</a>' in response.content.decode()
