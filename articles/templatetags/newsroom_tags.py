"""Template tags of the public site: canonical URLs, absolute URLs, ISO dates and the article's JSON-LD.

Load with ``{% load newsroom_tags %}``. The tags only read what the view already loaded: no queries of their own.
"""

import json

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# The publisher logo in the JSON-LD (a square PNG: Google wants at least 112 × 112 pixels).
LOGO_PATH = "img/logo.png"
LOGO_SIZE = 512

# Characters that could end the <script> element or start an HTML comment or entity inside it.
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def json_for_script(data):
    """``data`` as JSON that is safe inside a <script> element: no text can close it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_SCRIPT_ESCAPES)


# The column rich-text images are shown in (the article's measure), for the browser to pick a rendition.
RICH_TEXT_IMAGE_SIZES = "(max-width: 40em) 100vw, 36em"


@register.filter
def responsive_images(html, photos):
    """Rich text, sanitised by services.sanitize_html when it was saved, with our own photos as responsive
    <picture>s (``photos``: what services.rich_text_photos returned for the page). Output is marked safe: use it
    only on rich-text fields."""
    from articles.services import responsive_images as rewrite

    # Sanitised with nh3 when saved; the rewrite only adds <picture> markup built with format_html.
    return mark_safe(rewrite(html or "", photos or {}, RICH_TEXT_IMAGE_SIZES))  # noqa: S308  # nosec B308, B703


@register.filter
def page_url(obj):
    """The public URL of an article, section, topic, reporter or organisation (what ``get_absolute_url()`` gives),
    without resolving the URL configuration again (articles/cards.py)."""
    from articles.cards import page_url as url_of

    return url_of(obj)


@register.simple_tag
def photo_picture(photo, sizes, eager=False):
    """includes/_picture.html for the whole photo (its renditions are kept on it), made once per photo and size."""
    from articles.cards import picture_html

    rows = photo.__dict__.get("rendition_set")  # not read when deferred: that would be a query
    if not rows:  # renditions prefetched the older way, or none (the original is shown)
        context = {"picture": photo.full_picture, "alt": photo.alt_text, "sizes": sizes, "eager": eager}
        markup = render_to_string("includes/_picture.html", context)  # escaped by the template
        return mark_safe(markup.removesuffix("\n"))  # noqa: S308  # nosec B308, B703
    return picture_html(
        rows, photo.image.name, photo.width, photo.height, photo.alt_text, sizes, kind="full", eager=eager
    )


@register.filter
def iso8601(value):
    """A datetime in newsroom time with its offset, to the second: ``2026-11-20T09:30:00+08:00``."""
    if not value:
        return ""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


@register.filter
def modified_at(article):
    """When the article last changed as readers see it: never before its publishing time, nor its latest
    correction (read from the prefetched corrections only: no query)."""
    corrections = getattr(article, "_prefetched_objects_cache", {}).get("corrections", ())
    times = [article.updated_at, article.published_at, *(correction.noted_at for correction in corrections)]
    times = [moment for moment in times if moment]
    return max(times) if times else None


@register.filter
def total_minutes(duration):
    """A timedelta in whole minutes, rounded up (the lockout page's cool-off)."""
    if not duration:
        return 0
    return -(-int(duration.total_seconds()) // 60)


@register.simple_tag
def absolute_uri(request, location):
    """``location`` (a path or URL) made absolute against the request; unchanged when there is no request."""
    if not location:
        return ""
    if request is None:
        return location
    return request.build_absolute_uri(location)


@register.simple_tag(takes_context=True)
def site_header(context):
    """The site's header (includes/_header.html with the section menu), rendered once and reused (articles/menu.py)."""
    from articles.menu import header_html

    return header_html(context.get("request"), context.get("site_name") or settings.NEWSROOM_SITE_NAME)


@register.simple_tag(takes_context=True)
def site_footer(context):
    """The site's footer (includes/_footer.html), rendered once and reused (articles/menu.py)."""
    from articles.menu import footer_html

    return footer_html(context.get("site_name") or settings.NEWSROOM_SITE_NAME)


@register.simple_tag(takes_context=True)
def site_fragment(context, template_name):
    """A part of every page that depends on nothing but the site's name, its addresses and the language (the
    stylesheets and scripts, the feed links), rendered once and reused (articles/menu.py)."""
    from articles.menu import fragment_html

    return fragment_html(template_name, context.get("site_name") or settings.NEWSROOM_SITE_NAME)


@register.simple_tag
def site_name():
    """The paper's name from the settings, for templates rendered without context processors (500.html)."""
    return settings.NEWSROOM_SITE_NAME


def page_number(context):
    """The page number of a paginated list: the paginator's when the view made one, else the ``page`` parameter."""
    page_obj = context.get("page_obj")
    if page_obj is not None:
        return page_obj.number
    request = context.get("request")
    try:
        return int(request.GET.get("page", 1)) if request is not None else 1
    except ValueError:
        return 1


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """This page's one canonical URL: scheme, host and path, plus ``?page=N`` past the first page.

    Every other query parameter (tracking codes, filters in another order) is dropped.
    """
    request = context.get("request")
    if request is None:
        return ""
    url = request.build_absolute_uri(request.path)
    number = page_number(context)
    if number > 1:
        url += f"?page={number}"
    return url


def article_json_ld_data(article, request):
    """schema.org NewsArticle and BreadcrumbList of an article, as Python data (see ``article_json_ld``)."""
    url = request.build_absolute_uri(page_url(article))
    home = request.build_absolute_uri(reverse("articles:home"))
    site = settings.NEWSROOM_SITE_NAME
    news_article = {
        "@type": "NewsArticle",
        "@id": f"{url}#article",
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": article.headline,
        "inLanguage": "zh-CN",
    }
    if article.subtitle:
        news_article["alternativeHeadline"] = article.subtitle
    if article.summary:
        news_article["description"] = article.summary
    if article.published_at:  # a preview of an unscheduled draft has no time yet
        news_article["datePublished"] = iso8601(article.published_at)
    if article.updated_at:
        news_article["dateModified"] = iso8601(modified_at(article))
    # bylines.all() reads the prefetched bylines (reporter and role joined) in byline order: no query.
    news_article["author"] = [
        {
            "@type": "Person",
            "name": byline.reporter.name,
            "jobTitle": byline.role.name,
            "url": request.build_absolute_uri(page_url(byline.reporter)),
        }
        for byline in article.bylines.all()
    ]
    news_article["publisher"] = {
        "@type": "NewsMediaOrganization",
        "name": site,
        "url": home,
        "logo": {
            "@type": "ImageObject",
            "url": request.build_absolute_uri(static(LOGO_PATH)),
            "width": LOGO_SIZE,
            "height": LOGO_SIZE,
        },
    }
    photo = article.lead_photo
    if photo:
        news_article["image"] = {
            "@type": "ImageObject",
            "url": request.build_absolute_uri(photo.image.url),
            "width": photo.width,
            "height": photo.height,
            "description": photo.alt_text,
        }
    news_article["articleSection"] = article.section.name
    breadcrumbs = {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": site, "item": home},
            {
                "@type": "ListItem",
                "position": 2,
                "name": article.section.name,
                "item": request.build_absolute_uri(page_url(article.section)),
            },
            {"@type": "ListItem", "position": 3, "name": article.headline, "item": url},
        ],
    }
    return {"@context": "https://schema.org", "@graph": [news_article, breadcrumbs]}


@register.simple_tag
def article_json_ld(article, request):
    """``<script type="application/ld+json">`` with the article's NewsArticle and BreadcrumbList.

    Uses only what ``ArticleQuerySet.for_detail()`` loaded (section, lead photo, bylines with reporter and role).
    """
    # json_for_script escapes <, > and & (no </script> can be closed from the data).
    data = mark_safe(json_for_script(article_json_ld_data(article, request)))  # noqa: S308  # nosec B308, B703
    # The Content-Security-Policy allows no inline script without the request's nonce (set by django-csp's
    # middleware; reading it is what adds it to the header).
    nonce = getattr(request, "csp_nonce", None)  # a lazy object: false until read, so test it against None
    if nonce is not None:
        return format_html('<script type="application/ld+json" nonce="{}">{}</script>', str(nonce), data)
    return format_html('<script type="application/ld+json">{}</script>', data)
