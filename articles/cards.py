"""What list pages show of each story, built once in Python with final strings: the templates only print them.

A card is a plain dict (the template engine reads a dict key at the first try, an attribute after a failed one):
URLs come from a prefix reversed once per process, dates are formatted in newsroom time here, the bylines are one
line of text, and the lead photo's ``<picture>`` markup is made once per photo and size and then reused. The rows
come from ``ArticleQuerySet.for_cards()`` (a ``values()`` query with the bylines as JSON): no model instance is
built for a card.

Escaping: every string here is plain text that the template escapes on output, except ``picture`` (markup built
with ``format_html``, so escaped here).
"""

import datetime

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import format_html

# --- URLs without a reverse() per row -----------------------------------------------------------------------

_SENTINEL = "zq9sentinel9qz"  # stands for a slug while reversing a prefix
_INT_SENTINEL = 987654321  # stands for an id
_prefixes = {}


def _split(viewname, sentinel):
    key = (get_script_prefix(), viewname)
    parts = _prefixes.get(key)
    if parts is None:
        name = "slug" if isinstance(sentinel, str) else "pk"
        url = reverse(viewname, kwargs={name: sentinel})
        head, _sep, tail = url.partition(str(sentinel))
        parts = _prefixes[key] = (head, tail)
    return parts


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


def local(moment):
    """A datetime in the current (newsroom) time zone, as the ``date`` filter shows it."""
    if isinstance(moment, datetime.datetime) and timezone.is_aware(moment):
        return timezone.localtime(moment)
    return moment


def long_date(moment):
    """``|date:"Y年n月j日"``."""
    return f"{moment.year}年{moment.month}月{moment.day}日"


def short_date(moment):
    """``|date:"n月j日"``."""
    return f"{moment.month}月{moment.day}日"


# --- photos -----------------------------------------------------------------------------------------------------

_picture_markup = {}
PICTURE_MEMO_SIZE = 4096  # distinct (photo, size) pairs kept; the memo starts again when full


def picture_html(rows, image_name, width, height, alt, sizes, *, kind="card", css_class="", eager=False):
    """The ``<picture>`` of includes/_picture.html for a photo with these renditions (``rendition_set`` rows), made
    once per photo, kind and size in this process (the markup depends on nothing else)."""
    from articles.services import Picture

    key = (image_name, width, height, tuple(map(tuple, rows or ())), alt, sizes, kind, css_class, eager)
    markup = _picture_markup.get(key)
    if markup is None:
        picture = Picture.of_rows(rows or [], image_name, width, height, kind)
        markup = format_html(
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
        if len(_picture_markup) >= PICTURE_MEMO_SIZE:
            _picture_markup.clear()
        _picture_markup[key] = markup
    return markup


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


def article_card(row, *, lead=False, reporter_id=None):
    """One card from a ``for_cards()`` row: what includes/_article_cards.html prints.

    ``lead``: the home page's lead story (a larger, eagerly loaded photo); ``reporter_id``: on a reporter's page,
    the roles that reporter had in the story (``roles``).
    """
    published = local(row["published_at"])
    bylines = byline_rows(row)
    card = {
        "url": article_url(row["id"]),
        "headline": row["headline"],
        "kicker": row["kicker"],
        "summary": row["summary"],
        "section_url": slug_url("articles:section_detail", row["section__slug"]),
        "section_name": row["section__name"],
        "iso": published.isoformat() if published else "",
        "date": long_date(published) if published else "",
        "short_date": short_date(published) if published else "",
        "bylines": "".join(f" · {b['role_name']} {b['reporter_name']}" for b in bylines),
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


def headline_card(row):
    """A line of a headline list (includes/_headline_list.html) from a row with id, headline and published_at."""
    published = local(row["published_at"])
    return {
        "url": article_url(row["id"]),
        "headline": row["headline"],
        "iso": published.isoformat() if published else "",
        "short_date": short_date(published) if published else "",
    }


def article_cards(rows, **options):
    return [article_card(row, **options) for row in rows]


def entry_card(entry):
    """An experience entry's card (includes/_entry_card.html) from an entry loaded with ``for_listing()``
    (organisation and article joined)."""
    organization, article = entry.organization, entry.article
    published = local(article.published_at)
    url = article_url(article.pk)
    return {
        "url": f"{url}#entry-{entry.pk}",
        "label": organization.short_name or organization.name,
        "title": entry.title,
        "highlight": entry.highlight,
        "organization_url": slug_url("articles:organization_detail", organization.slug),
        "organization_name": organization.name,
        "form": entry.get_form_display(),
        "article_url": url,
        "article_headline": article.headline,
        "iso": published.isoformat() if published else "",
        "date": long_date(published) if published else "",
        "year": f"{published.year}年" if published else "",
    }


def entry_cards(entries):
    return [entry_card(entry) for entry in entries]
