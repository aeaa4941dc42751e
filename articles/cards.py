"""What list pages show of each story, built once in Python with final strings: the templates only print them.

A card is a plain dict (the template engine reads a dict key at the first try, an attribute after a failed one):
URLs come from a prefix reversed once per process, dates are formatted in newsroom time here, the bylines are one
line of text, and the lead photo's ``<picture>`` markup is made once per photo and size and then reused. The rows
come from ``ArticleQuerySet.for_cards()`` (a ``values()`` query with the bylines as JSON): no model instance is
built for a card.

The markup of the items lists print many times (a story card, an entry card, a line of a headline list) is here
too, as format strings (``CARD_HTML``, ``ENTRY_CARD_HTML``, ``HEADLINE_ITEM_HTML``) that the templates print with a
tag of articles/templatetags/newsroom_tags.py: a template would cost about five times as much per item. Edit the
markup there; the page around the items stays in the templates, but for the article page's head and story, the
site's most read markup (``ARTICLE_HEAD_HTML``, ``ARTICLE_STORY_HTML`` in newsroom_tags.py).

Escaping: every string of a card is plain text, except ``picture`` (markup built with ``format_html``, so escaped
here); the ``*_html`` functions escape every value they put in their markup (``escape``, ``format_markup``).
"""

import datetime
from html import escape as escape_text

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

# --- markup -------------------------------------------------------------------------------------------------------


def escape(value):
    """``conditional_escape(value)`` (markup as it is, anything else as escaped text) without the lazy-string
    checks around Django's: for markup built many times a page."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape_text(str(value))  # what django.utils.html.escape does


def markup(text):
    """``text`` marked safe: only for a template of this module filled with values that went through ``escape``
    (as ``format_html`` does)."""
    return SafeString(text)  # nosec B703: every value in it was escaped by escape()


def format_markup(template, *args):
    """``format_html(template, *args)``: the arguments escaped (``escape``), the template taken as it is."""
    return markup(template.format(*map(escape, args)))


# --- URLs without a reverse() per row -----------------------------------------------------------------------

_SENTINEL = "zq9sentinel9qz"  # stands for a slug while reversing a prefix
_INT_SENTINEL = 987654321  # stands for an id
_prefixes = {}


def _split(viewname, sentinel, name=None):
    key = (get_script_prefix(), viewname)
    parts = _prefixes.get(key)
    if parts is None:
        name = name or ("slug" if isinstance(sentinel, str) else "pk")
        url = reverse(viewname, kwargs={name: sentinel})
        head, _sep, tail = url.partition(str(sentinel))
        parts = _prefixes[key] = (head, tail)
    return parts


def plain_url(viewname):
    """``reverse(viewname)`` for a page without arguments (e.g. ``articles:home``), once per script prefix."""
    key = ("plain", get_script_prefix(), viewname)
    url = _prefixes.get(key)
    if url is None:
        url = _prefixes[key] = reverse(viewname)
    return url


def article_url(pk):
    """``Article.get_absolute_url()`` for an article id, without resolving the URL again."""
    head, tail = _split("articles:article_detail", _INT_SENTINEL)
    return f"{head}{pk}{tail}"


def slug_url(viewname, slug):
    """The URL of a page addressed by slug (section, topic, reporter, organisation), e.g. ``articles:section_detail``.

    Slugs are ASCII letters, digits, hyphens and underscores: nothing in them needs quoting.
    """
    head, tail = _split(viewname, _SENTINEL)
    return f"{head}{slug}{tail}"


_DATE_SENTINEL = "1901-02-03"  # stands for an issue date


def print_issue_url(issue_on, page_number=""):
    """``Article.get_print_url()`` for a story in the issue of ``issue_on`` (a date; "" without) on the page
    numbered ``page_number``: the print-edition view of that issue at its page."""
    from articles.models import print_page_anchor

    if not issue_on:
        return ""
    head, tail = _split("articles:print_issue", _DATE_SENTINEL, "issue_on")
    url = f"{head}{issue_on.isoformat()}{tail}"
    anchor = print_page_anchor(page_number)
    return f"{url}#{anchor}" if anchor else url


SLUG_VIEWS = {
    "section": "articles:section_detail",
    "topic": "articles:topic_detail",
    "reporter": "articles:reporter_detail",
    "organization": "articles:organization_detail",
}


def page_url(obj):
    """``obj.get_absolute_url()`` for an article, section, topic, reporter or organisation, from the prefixes."""
    name = obj._meta.model_name
    if name == "article":
        return article_url(obj.pk)
    return slug_url(SLUG_VIEWS[name], obj.slug)


# --- dates in newsroom time -----------------------------------------------------------------------------------


def local(moment, zone=None):
    """A datetime in newsroom time (the site's TIME_ZONE, which every request has active: SiteLocaleMiddleware) or
    in ``zone``, as the ``date`` filter shows it. The zone is the settings' (kept by Django), not the active one
    looked up again for each date: a context-local lookup per date cost more than the conversion."""
    if isinstance(moment, datetime.datetime) and moment.utcoffset() is not None:  # aware
        return moment.astimezone(timezone.get_default_timezone() if zone is None else zone)  # as localtime() does
    return moment


def local_iso(moment):
    """ISO 8601 in newsroom time with its offset, to the second (``2026-11-20T09:30:00+08:00``): HTML's
    <time datetime> allows at most three digits of a fraction, and ``isoformat()`` gives six when there are
    microseconds. "" for nothing; a date as it is."""
    if not moment:
        return ""
    moment = local(moment)
    return moment.isoformat(timespec="seconds") if isinstance(moment, datetime.datetime) else moment.isoformat()


def long_date(moment):
    """``|date:"Y年n月j日"``."""
    return f"{moment.year}年{moment.month}月{moment.day}日"


def short_date(moment, this_year):
    """``|date:"n月j日"`` for a day of ``this_year``, ``|date:"Y年n月j日"`` for any other: a story of last
    November listed as 11月20日 reads as this year's."""
    if moment.year != this_year:
        return long_date(moment)
    return f"{moment.month}月{moment.day}日"


# --- photos -----------------------------------------------------------------------------------------------------

_picture_markup = {}
PICTURE_MEMO_SIZE = 4096  # distinct (photo, size) pairs kept; the memo starts again when full


def memo_markup(key, make):
    """``make()``'s markup, made once per ``key`` in this process: for markup that depends on nothing but the values
    in ``key`` and the URL configuration and media storage (forgotten when a test changes them)."""
    markup = _picture_markup.get(key)
    if markup is None:
        markup = make()
        if len(_picture_markup) >= PICTURE_MEMO_SIZE:
            _picture_markup.clear()
        _picture_markup[key] = markup
    return markup


def picture_html(rows, image_name, width, height, alt, sizes, *, kind="card", css_class="", eager=False):
    """The ``<picture>`` of includes/_picture.html for a photo with these renditions (``rendition_set`` rows), made
    once per photo, kind and size in this process (the markup depends on nothing else)."""
    from articles.services import Picture

    def make():
        picture = Picture.of_rows(rows or [], image_name, width, height, kind)
        return format_html(
            '<picture{}>{}{}<img src="{}"{} sizes="{}" alt="{}" width="{}" height="{}" loading="{}"{}'
            ' decoding="async"></picture>',
            format_html(' class="{}"', css_class) if css_class else "",
            format_html('<source type="image/avif" srcset="{}" sizes="{}">', picture.avif_srcset, sizes)
            if picture.avif_srcset
            else "",
            format_html('<source type="image/webp" srcset="{}" sizes="{}">', picture.webp_srcset, sizes)
            if picture.webp_srcset
            else "",
            picture.src,
            format_html(' srcset="{}"', picture.jpeg_srcset) if picture.jpeg_srcset else "",
            sizes,
            alt,
            picture.width,
            picture.height,
            "eager" if eager else "lazy",
            format_html(' fetchpriority="{}"', "high") if eager else "",
        )

    key = (image_name, width, height, tuple(map(tuple, rows or ())), alt, sizes, kind, css_class, eager)
    return memo_markup(key, make)


@receiver(setting_changed)
def _forget(setting, **_kwargs):
    """URLs and markup depend on the URL configuration and the media storage (tests change them)."""
    if setting in {"ROOT_URLCONF", "MEDIA_URL", "STORAGES", "FORCE_SCRIPT_NAME", "TIME_ZONE", "USE_TZ"}:
        _prefixes.clear()
        _picture_markup.clear()


# --- cards ------------------------------------------------------------------------------------------------------

LEAD_SIZES = "(min-width: 48rem) 32rem, 100vw"
CARD_SIZES = "(min-width: 48rem) 14rem, 100vw"


def byline_rows(row):
    """The card's bylines (dicts with reporter and role), in byline order."""
    from articles.querysets import _nested

    return sorted(_nested(row.get("bylines_json")) or (), key=lambda b: (b["order"], b["id"]))


class Shared:
    """What every card of a list needs and reads from the request's state: the URL prefixes of articles and
    sections, newsroom time's zone and its current year. Read once per list (the prefixes are context-local
    lookups)."""

    __slots__ = ("article_head", "article_tail", "section_head", "section_tail", "zone", "this_year")

    def __init__(self):
        self.article_head, self.article_tail = _split("articles:article_detail", _INT_SENTINEL)
        self.section_head, self.section_tail = _split("articles:section_detail", _SENTINEL)
        self.zone = timezone.get_default_timezone()  # newsroom time (``local``)
        self.this_year = timezone.localdate(timezone=self.zone).year


def article_card(row, *, lead=False, reporter_id=None, shared=None):
    """One card from a ``for_cards()`` row: what includes/_article_cards.html prints.

    ``lead``: the home page's lead story (a larger, eagerly loaded photo); ``reporter_id``: on a reporter's page,
    the roles that reporter had in the story (``roles``); ``shared``: the list's ``Shared`` (read here without).
    """
    shared = shared or Shared()
    published = local(row["published_at"], shared.zone)
    bylines = byline_rows(row)
    card = {
        "url": f"{shared.article_head}{row['id']}{shared.article_tail}",
        "headline": row["headline"],
        "kicker": row["kicker"],
        "summary": row["summary"],
        "section_url": f"{shared.section_head}{row['section__slug']}{shared.section_tail}",
        "section_name": row["section__name"],
        "iso": local_iso(published),
        "date": long_date(published) if published else "",
        "short_date": short_date(published, shared.this_year) if published else "",
        "bylines": "".join(f" · {b['role_name']} {b.get('printed_name') or b['reporter_name']}" for b in bylines),
        "picture": "",
        "lead": lead,
        "print_page_number": row.get("print_page_number"),
        "print_page_name": row.get("print_page_name"),
    }
    if row["lead_photo_id"] is not None:
        card["picture"] = picture_html(
            row["lead_photo__rendition_set"],
            row["lead_photo__image"],
            row["lead_photo__width"],
            row["lead_photo__height"],
            row["lead_photo__alt_text"],
            LEAD_SIZES if lead else CARD_SIZES,
            kind="card",
            css_class="card-photo",
            eager=lead,
        )
    if reporter_id is not None:
        card["roles"] = "、".join(b["role_name"] for b in bylines if b["reporter_id"] == reporter_id)
    return card


# A story card (what includes/_article_cards.html shows for each card), filled by card_html().
CARD_HTML = """<article class="card{lead}">
  {picture}
  <div class="card-text">
    {kicker}
    <h{level} class="card-headline"><a href="{url}">{headline}</a></h{level}>
    {summary}
    <p class="card-meta"><a href="{section_url}">{section_name}</a> · <time datetime="{iso}">{date}</time>{bylines}</p>
    {roles}
  </div>
</article>
"""


def card_html(card, level=2):
    """A card's markup (``CARD_HTML``) with ``level`` the level of its headline: every value escaped but the
    picture, markup already."""
    roles = card.get("roles")
    return markup(
        CARD_HTML.format(
            lead=" card-lead" if card["lead"] else "",
            picture=card["picture"] + "\n" if card["picture"] else "",
            kicker=format_markup('<p class="kicker">{}</p>', card["kicker"]) if card["kicker"] else "",
            level=escape(level),
            url=escape(card["url"]),
            headline=escape(card["headline"]),
            summary=format_markup('<p class="card-summary">{}</p>', card["summary"]) if card["summary"] else "",
            section_url=escape(card["section_url"]),
            section_name=escape(card["section_name"]),
            iso=escape(card["iso"]),
            date=escape(card["date"]),
            bylines=escape(card["bylines"]),
            roles=format_markup('<p class="card-roles">{}：{}</p>', gettext("Role in this story"), roles)
            if roles
            else "",
        )
    )


def headline_card(row, shared=None):
    """A line of a headline list (includes/_headline_list.html) from a row with id, headline and published_at."""
    shared = shared or Shared()
    published = local(row["published_at"], shared.zone)
    return {
        "url": f"{shared.article_head}{row['id']}{shared.article_tail}",
        "headline": row["headline"],
        "iso": local_iso(published),
        "short_date": short_date(published, shared.this_year) if published else "",
    }


# A line of a headline list (includes/_headline_list.html), filled by headline_items_html().
HEADLINE_ITEM_HTML = '<li><a href="{url}">{headline}</a> <time datetime="{iso}">{short_date}</time></li>'


def headline_items_html(cards):
    """The ``<li>`` of each headline card (``HEADLINE_ITEM_HTML``), one after the other. Every value escaped."""
    return markup(
        "".join(
            HEADLINE_ITEM_HTML.format(
                url=escape(card["url"]),
                headline=escape(card["headline"]),
                iso=escape(card["iso"]),
                short_date=escape(card["short_date"]),
            )
            for card in cards
        )
    )


def article_cards(rows, **options):
    shared = Shared()
    return [article_card(row, shared=shared, **options) for row in rows]


def headline_cards(rows):
    """The headline cards of ``rows`` (``headline_card``), what they share read once; none read for no rows (an
    article page's package is most often empty)."""
    rows = list(rows)
    if not rows:
        return []
    shared = Shared()
    return [headline_card(row, shared) for row in rows]


def entry_card(entry):
    """An experience entry's card (the entry_card and entry_cards tags) from an entry loaded with ``for_listing()``
    (organisation and article joined)."""
    organization, article = entry.organization, entry.article
    published = local(article.published_at)
    url = article_url(article.pk)
    return {
        "url": f"{url}#entry-{entry.pk}",
        "label": entry.shown_name,
        "title": entry.title,
        "highlight": entry.highlight,
        "organization_url": slug_url("articles:organization_detail", organization.slug),
        "organization_name": organization.name,
        "form": entry.get_form_display(),
        "article_url": url,
        "article_headline": article.headline,
        "iso": local_iso(published),
        "date": long_date(published) if published else "",
        "year": f"{published.year}年" if published else "",
    }


# An experience entry's card (what the entry_card and entry_cards tags show), filled by entry_card_html(): lists of
# entries print dozens of them.
ENTRY_CARD_HTML = """<article class="entry-card">
  <h{level} class="entry-card-title"><a href="{url}">{label}：{title}</a></h{level}>
  {highlight}
  <p class="card-meta">{organization}{form} · <a href="{article_url}">{article_headline}</a> · <time datetime="{iso}">{date}</time></p>
</article>"""


def entry_card_html(entry, level=3, show_organization=False):
    """An entry card's markup (``ENTRY_CARD_HTML``): its title at ``level``, the organisation linked in the meta
    line when ``show_organization`` (on pages not about that organisation). Every value escaped."""
    return markup(
        ENTRY_CARD_HTML.format(
            level=escape(level),
            url=escape(entry["url"]),
            label=escape(entry["label"]),
            title=escape(entry["title"]),
            highlight=format_markup('<p class="entry-highlight">{}</p>', entry["highlight"])
            if entry["highlight"]
            else "",
            organization=format_markup('<a href="{}">{}</a> · ', entry["organization_url"], entry["organization_name"])
            if show_organization
            else "",
            form=escape(entry["form"]),
            article_url=escape(entry["article_url"]),
            article_headline=escape(entry["article_headline"]),
            iso=escape(entry["iso"]),
            date=escape(entry["date"]),
        )
    )


def entry_cards(entries):
    return [entry_card(entry) for entry in entries]


# One result of the search page, filled by search_result_html(): twenty a page.
SEARCH_RESULT_HTML = """
<article class="card search-result">
  <div class="card-text">
    {kicker}<h3 class="card-headline"><a href="{url}">{heading}</a></h3>{deck}
    <p class="card-summary">{snippet}</p>
    <p class="card-meta">{entry_of}<a href="{section_url}">{section}</a> · <time datetime="{iso}">{date}</time></p>
  </div>
</article>
"""


def search_result_html(row, heading_html, snippet_html, kicker_html="", deck_html=""):
    """A search result's markup (``SEARCH_RESULT_HTML``) from a row of ``services.load_search_page`` and its
    highlighted heading and snippet (safe markup, articles/search.highlight), with the story's kicker and deck when
    a word was found there (highlighted too; empty otherwise). Every other value escaped."""
    url = article_url(row["article_id"])
    entry_of = ""
    if row["entry_id"] is not None:
        url = f"{url}#entry-{row['entry_id']}"
        entry_of = f"{escape(gettext('Experience sharing'))} · {escape(row['headline'])} · "
    published = local(row["article_published_at"])
    return markup(
        SEARCH_RESULT_HTML.format(
            url=escape(url),
            heading=escape(heading_html),
            kicker=format_markup('<p class="kicker">{}</p>', kicker_html) if kicker_html else "",
            deck=format_markup('<p class="card-deck">{}</p>', deck_html) if deck_html else "",
            snippet=escape(snippet_html),
            entry_of=entry_of,
            section_url=escape(slug_url("articles:section_detail", row["section_slug"])),
            section=escape(row["section_name"]),
            iso=escape(local_iso(published)),
            date=escape(long_date(published)),
        )
    )
