"""The header's section menu, kept per process under the current content generation (articles/cache.py): pages
read it without a query; and the site's header and footer, rendered once per menu, address and language in each
process and then reused.

Every content change, in any process (a section renamed in another gunicorn worker or by a management command),
starts a new generation, and with it a new menu: read once per process and generation with one small query, on the
primary database (the first request after a change is an anonymous reader's, routed to a read replica that may not
have replayed the change yet: the old menu would be kept for the whole generation). When the generation cannot be
read (the shared cache is away), the sections are read on every request, from wherever the request reads.
"""

import logging

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

MEMO_SIZE = 256  # rendered headers kept per process (one per menu version, address and current page)

_sections_by_token = {}
_rendered = {}


def _menu():
    """(version token, sections in menu order); the token is None when the menu could not be shared."""
    from articles.cache import generation_token
    from articles.models import Section

    try:
        token = generation_token()
    except Exception:  # the cache is away (Redis down): read the sections, as often as it takes
        logger.warning("The content generation could not be read for the section menu", exc_info=True)
        return None, tuple(Section.objects.all())
    sections = _sections_by_token.get(token)
    if sections is None:
        sections = tuple(Section.objects.using(DEFAULT_DB_ALIAS).all())
        _sections_by_token.clear()  # only the current generation is worth keeping
        _sections_by_token[token] = sections
    return token, sections


def menu_sections():
    """Every section, in menu order (whole rows: the section page reads its description from here too). Shared
    by the requests of this process: read them, never change them."""
    return _menu()[1]


def section_by_slug(slug):
    """The section with this slug, from the cached menu; None when there is none."""
    return next((section for section in menu_sections() if section.slug == slug), None)


def _url(name):
    try:
        return reverse(name)
    except NoReverseMatch:  # a URL configuration without that page (the header leaves the link out)
        return ""


NAV_VIEWS = (
    "articles:home",
    "articles:topic_list",
    "articles:experience_entry_list",
    "articles:print_issue_latest",
    "articles:article_archive",
)


def _memo(key, render):
    html = _rendered.get(key)
    if html is None or settings.DEBUG:  # DEBUG: templates may change while the server runs
        html = render()
        if len(_rendered) >= MEMO_SIZE:
            _rendered.clear()
        _rendered[key] = html
    return html


def header_html(request, site_name):
    """includes/_header.html for this request: the same for every page but for the link marked as the current page,
    so rendered once per menu version, script prefix, language and current menu link (every time when the cache
    is away: no version to file it under)."""
    token, sections = _menu()
    prefix, language = get_script_prefix(), get_language()
    nav_key = ("nav", token, prefix)
    nav = _rendered.get(nav_key) if token is not None else None
    if nav is None:  # the menu's addresses and the home page's, resolved once per menu version and prefix
        nav = (
            frozenset(filter(None, [*(_url(name) for name in NAV_VIEWS), *(s.get_absolute_url() for s in sections)])),
            _url("articles:home"),
        )
        if token is not None:
            _rendered[nav_key] = nav
    page, part = current_links(getattr(request, "path", ""), *nav)

    def render():
        context = {"site_name": site_name, "menu_sections": sections, "current_page": page, "current_part": part}
        return render_to_string("includes/_header.html", context)

    if token is None:
        return render()
    return _memo(("header", token, prefix, language, site_name, page, part), render)


def current_links(path, nav_urls, home_url):
    """The menu link of the page itself (marked aria-current="page"), or else of the part of the site the page is
    in (aria-current="true": an issue of the print edition is in 数字报, a topic in 专题, a month in 往期)."""
    if path in nav_urls:
        return path, ""
    within = [url for url in nav_urls if url != home_url and path.startswith(url)]
    return "", max(within, key=len, default="")


def fragment_html(template_name, site_name):
    """A template that depends only on the site's name, its URLs and static files and the language, rendered once
    per script prefix and language."""
    key = ("fragment", template_name, get_script_prefix(), get_language(), site_name)
    return _memo(key, lambda: render_to_string(template_name, {"site_name": site_name}))


def footer_html(site_name):
    """includes/_footer.html, rendered once per script prefix, language and year."""
    year = timezone.localdate().year
    key = ("footer", get_script_prefix(), get_language(), site_name, year)
    return _memo(key, lambda: render_to_string("includes/_footer.html", {"site_name": site_name}))


@receiver(setting_changed)
def _forget_rendered(setting, **_kwargs):
    """Tests change the URLs, templates and languages: rendered headers and footers are made again."""
    _rendered.clear()


class LazySections:
    """The menu for templates, read from the cache only when a template iterates it (the 500 page does not)."""

    def __iter__(self):
        return iter(menu_sections())

    def __len__(self):
        return len(menu_sections())

    def __bool__(self):
        return bool(menu_sections())
