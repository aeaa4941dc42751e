"""Reading public pages in tests: the text a reader sees, headlines of cards, parts in order."""

import re
from datetime import timedelta

from django.utils import timezone

from tests.factories import ArticleFactory

# The states a story can be in that the public must never see, as ArticleFactory traits.
UNPUBLISHED = {"draft": {}, "in review": {"in_review": True}, "scheduled": {"scheduled": True}}

# Queries every page runs before its own: the section menu of the header.
MENU_QUERIES = 1


def text_of(html):
    """The text a reader sees in an HTML fragment, with runs of white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def main_of(response):
    """The page's main content, without <title>, meta tags and the menu."""
    html = response.content.decode()
    return html[html.index('<main id="main"') :]


def assert_in_order(html, parts):
    positions = []
    for part in parts:
        assert part in html, f"{part!r} is missing"
        positions.append(html.index(part))
    assert positions == sorted(positions), [p for _pos, p in sorted(zip(positions, parts, strict=True))]


def headlines_in(response):
    """Headlines of the article cards, in page order."""
    return [text_of(h) for h in re.findall(r'<h[23] class="card-headline">.*?</h[23]>', main_of(response), re.S)]


def entry_titles_in(response):
    return [text_of(h) for h in re.findall(r'<h[23] class="entry-card-title">.*?</h[23]>', main_of(response), re.S)]


def links_in(html):
    return re.findall(r'href="([^"]+)"', html)


def make_one_in_each_state(**kwargs):
    """A draft, one in review, a scheduled one, an old one and one published a second ago; returns the last two."""
    ArticleFactory(headline="草稿", **kwargs)
    ArticleFactory(headline="待审", in_review=True, **kwargs)
    ArticleFactory(headline="定时", scheduled=True, **kwargs)
    old = ArticleFactory(headline="旧闻", published=True, published_at=timezone.now() - timedelta(days=2), **kwargs)
    fresh = ArticleFactory(headline="刚发布", just_published=True, **kwargs)
    return fresh, old
