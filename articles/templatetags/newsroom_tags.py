"""Template tags of the public site: canonical URLs, absolute URLs, ISO dates and the article's JSON-LD.

Load with ``{% load newsroom_tags %}``. The tags only read what the view already loaded: no queries of their own.
"""

import json
import re
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from articles import cards
from articles.cards import format_markup, markup
from articles.services import share_image

register = template.Library()

# The publisher logo in the JSON-LD (a square PNG: Google wants at least 112 × 112 pixels).
LOGO_PATH = "img/logo.png"
LOGO_SIZE = 512


def json_for_script(data):
    """``data`` as JSON that is safe inside a <script> element: no text can close it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # <, > and & could end the <script> element or start an HTML comment or entity inside it. Three replace()
    # calls: str.translate() with a mapping costs a Python-level lookup per character.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# Line breaks, tabs and runs of spaces: in a one-line text (a description shared in a link preview) they are one
# space. Not the ideographic space (U+3000), which Chinese text uses as a character.
_LINE_BREAKS_AND_SPACES = re.compile(r"[ \t\r\n\f\v\u2028\u2029]+")


def one_line(text):
    """``text`` with its line breaks and runs of spaces made one space (markup stays markup: only spaces change)."""
    return _LINE_BREAKS_AND_SPACES.sub(" ", text).strip()


class CaptureNode(template.Node):
    child_nodelists = ("nodelist",)  # so that {% block %} tags inside stay blocks a child template can fill

    def __init__(self, nodelist, name, single_line=False):
        self.nodelist = nodelist
        self.name = name
        self.single_line = single_line

    def render(self, context):
        # What a nodelist renders is already escaped for HTML; making it one line changes only spaces.
        text = self.nodelist.render(context)
        text = one_line(text) if self.single_line else text.strip()
        context[self.name] = mark_safe(text)  # noqa: S308  # nosec B308, B703
        return ""


@register.tag
def capture(parser, token):
    """``{% capture as name %}...{% endcapture %}``: renders its content once into the variable ``name`` instead of
    the page, e.g. a page's title for both <title> and og:title. ``{% capture as name one_line %}`` makes it one
    line (``one_line``), e.g. a description typed over several lines."""
    bits = token.split_contents()
    if len(bits) not in (3, 4) or bits[1] != "as" or bits[3:] not in ([], ["one_line"]):
        raise template.TemplateSyntaxError("Usage: {% capture as name [one_line] %}...{% endcapture %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2], single_line=len(bits) == 4)


# The column rich-text images are shown in (the article's measure), for the browser to pick a rendition.
RICH_TEXT_IMAGE_SIZES = "(max-width: 40em) 100vw, 36em"


# Byline roles that are posts (a person's job title), not contributions to one story (整理, 摄影).
JOB_TITLE_ENDINGS = ("记者", "通讯员", "实习生", "编辑", "主编", "主任")


@register.filter
def responsive_images(html, photos):
    """Rich text, sanitised by services.sanitize_html when it was saved, with our own photos as responsive
    <picture>s (``photos``: what services.rich_text_photos returned for the page). Output is marked safe: use it
    only on rich-text fields."""
    from articles.services import responsive_images as rewrite
    from articles.services import scrollable_tables

    # Sanitised with nh3 when saved; the rewrites only add <picture> markup and table attributes with format_html.
    html = scrollable_tables(rewrite(html or "", photos or {}, RICH_TEXT_IMAGE_SIZES))
    return mark_safe(html)  # noqa: S308  # nosec B308, B703


@register.filter
def local_datetime(value):
    """``|date:"Y年n月j日 H:i"`` in newsroom time, without the date filter's format parser."""

    if not value:
        return ""
    moment = cards.local(value)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment.hour:02d}:{moment.minute:02d}"


@register.filter
def long_date(value):
    """``|date:"Y年n月j日"`` of a date (or of a datetime, in newsroom time)."""
    return cards.long_date(cards.local(value)) if value else ""


@register.filter
def iso_date(value):
    """``|date:"Y-m-d"`` of a date (or of a datetime, in newsroom time)."""
    moment = cards.local(value) if value else None
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}" if moment else ""


@register.filter
def local_iso(value):
    """ISO 8601 in newsroom time with the offset, to the second (``cards.local_iso``)."""
    return cards.local_iso(value)


# The column photos of the article page are shown in, for the browser to pick a rendition.
PHOTO_SIZES = "(max-width: 40em) 100vw, 36em"


def photo_figure_html(photo, caption, eager=False, article_id=None):
    """A captioned photo of the article ``article_id``'s page: ``<figure class="photo">`` with its ``<picture>`` and
    a caption and credit line when there is one (the credited reporter's name as that story printed it, else the
    credit text in brackets)."""
    picture = photo_picture(photo, PHOTO_SIZES, eager)
    figcaption = ""
    if caption or photo.credit:
        if photo.credit_reporter_id:
            # As {% blocktranslate %} does: the name escaped, the translated text as it is.
            name = photo.credit_name_in(article_id)
            credit = markup(gettext("Photo: %(credit)s") % {"credit": cards.escape(name)})
            credit = format_markup(' <span class="credit">{}</span>', credit)
        elif photo.credit_text:
            credit = format_markup(' <span class="credit">（{}）</span>', photo.credit_text)
        else:
            credit = ""
        figcaption = format_markup(
            "<figcaption>{}{}</figcaption>",
            format_markup('<span class="caption">{}</span>', caption) if caption else "",
            credit,
        )
    return format_markup('<figure class="photo">\n  {}\n\n  {}\n</figure>\n', picture, figcaption)


@register.simple_tag
def photo_figure(photo, caption, eager=False, article_id=None):
    """``{% photo_figure photo caption eager=True article_id=article.pk %}``: a photo with its caption and credit in
    the story ``article_id`` (``photo_figure_html``); ``eager`` for the first photo on the page (loaded at once, with
    high priority)."""
    return photo_figure_html(photo, caption, eager, article_id)


@register.simple_tag
def article_byline(article, is_preview=False):
    """``{% article_byline article is_preview %}``: what the article page's byline line holds: the source, then each
    byline's role and reporter, the name linked to the reporter's page (not in the preview of an unpublished story,
    where that page may not exist yet). Written as the cards are: a loop of template nodes per byline cost more."""
    parts = [format_markup('<span class="source">{}</span>', article.source)] if article.source else []
    for byline in article.bylines.all():
        reporter = byline.reporter
        if is_preview:
            name = format_markup('<span class="byline-name">{}</span>', byline.shown_name)
        else:
            name = format_markup('<a class="byline-name" href="{}">{}</a>', cards.page_url(reporter), byline.shown_name)
        parts.append(format_markup('<span class="byline-role">{}</span>&nbsp;{}', byline.role.name, name))
    return markup(" ".join(parts))


@register.simple_tag
def experience_entry(entry, body_photos, is_preview=False):
    """``{% experience_entry entry body_photos is_preview %}``: an experience entry of a roundup, loaded with its
    organisation and photo: the organisation (short name, linked to its page, except in the preview of an unpublished
    story, where its page may not exist yet) and the title as a heading, the highlight, the rich text and the photo.
    Its anchor ``#entry-<id>`` is what entry cards link to."""
    organization = entry.organization
    name = entry.shown_name
    return format_markup(
        '<article class="entry" id="entry-{}">\n'
        '  <h3 class="entry-title">{}：{}</h3>\n'
        "  {}\n"
        '  <div class="entry-body">{}</div>\n'
        "  {}\n"
        "</article>\n",
        entry.pk,
        name if is_preview else format_markup('<a href="{}">{}</a>', page_url(organization), name),
        entry.title,
        format_markup('<p class="entry-highlight">{}</p>', entry.highlight) if entry.highlight else "",
        responsive_images(entry.body, body_photos),
        photo_figure_html(entry.photo, entry.caption, article_id=entry.article_id) if entry.photo else "",
    )


@register.simple_tag
def article_cards(story_cards, level=2):
    """``{% article_cards cards level %}``: story cards built by articles/cards.py, their headlines at ``level``
    (the markup is cards.CARD_HTML), in one tag: a tag per card cost more than building the cards."""
    return markup("".join(cards.card_html(card, level) for card in story_cards))


@register.simple_tag
def entry_card(entry, level=None, show_organization=False):
    """``{% entry_card entry level show_organization %}``: an experience entry's card built by articles/cards.py,
    its title at ``level`` (3 when not given); the markup is cards.ENTRY_CARD_HTML."""
    return cards.entry_card_html(entry, level or "3", show_organization)


@register.simple_tag
def entry_cards(entries, show_organization=False):
    """``{% entry_cards entries show_organization %}``: the cards of a list of entries (``entry_card``'s, titles at
    level 3) in one tag: an include or a tag per entry cost more than building the cards."""
    return markup("\n".join(cards.entry_card_html(entry, "3", show_organization) for entry in entries))


@register.simple_tag
def headline_items(items):
    """``{% headline_items cards %}``: the lines of a headline list (headline cards built by articles/cards.py);
    the markup of a line is cards.HEADLINE_ITEM_HTML."""
    return cards.headline_items_html(items)


@register.filter
def page_url(obj):
    """The public URL of an article, section, topic, reporter or organisation (what ``get_absolute_url()`` gives),
    without resolving the URL configuration again (articles/cards.py)."""
    return cards.page_url(obj)


@register.filter
def print_url(article):
    """``article.get_print_url()`` (the print-edition page the story was on; "" when it was not in print), without
    resolving the URL configuration again (articles/cards.py)."""
    return cards.print_issue_url(article.print_issue_on, article.print_page_number)


@register.simple_tag
def photo_picture(photo, sizes, eager=False):
    """includes/_picture.html for the whole photo (its renditions are kept on it), made once per photo and size."""

    rows = photo.__dict__.get("rendition_set")  # not read when deferred: that would be a query
    if not rows:  # renditions prefetched the older way, or none (the original is shown)
        context = {"picture": photo.full_picture, "alt": photo.alt_text, "sizes": sizes, "eager": eager}
        markup = render_to_string("includes/_picture.html", context)  # escaped by the template
        return mark_safe(markup.removesuffix("\n"))  # noqa: S308  # nosec B308, B703
    return cards.picture_html(
        rows, photo.image.name, photo.width, photo.height, photo.alt_text, sizes, kind="full", eager=eager
    )


@register.filter
def iso8601(value):
    """A datetime in newsroom time with its offset, to the second: ``2026-11-20T09:30:00+08:00`` (``cards.local_iso``)."""
    return cards.local_iso(value)


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
    """The page number of a paginated list (the paginator's), 1 for a page that is not one: a ``page`` parameter
    on a page without pages (/?page=2) changes nothing on it, so it names no other page."""
    page_obj = context.get("page_obj")
    return page_obj.number if page_obj is not None else 1


@register.simple_tag(takes_context=True)
def page_link(context, number):
    """The address of page ``number`` of this list, the other parameters kept: page 1 without a ``page`` parameter,
    as its canonical link names it."""
    request = context["request"]
    params = request.GET.copy()
    if number > 1:
        params["page"] = number
    else:
        params.pop("page", None)
    return f"{request.path}?{params.urlencode()}" if params else request.path


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """This page's one canonical URL: scheme, host and path, plus ``?page=N`` past the first page, after the
    parameters that make the page what it is when the view names them (``canonical_params``: the search's words
    and filters), in a fixed order.

    Every other query parameter (tracking codes, filters in another order) is dropped.
    """
    request = context.get("request")
    if request is None:
        return ""
    params = {name: value for name, value in (context.get("canonical_params") or {}).items() if value not in ("", None)}
    number = page_number(context)
    if number > 1:
        params["page"] = number
    url = request.build_absolute_uri(request.path)
    return f"{url}?{urlencode(params)}" if params else url


@register.simple_tag(takes_context=True)
def site_logo(context):
    """The paper's logo (a PNG, ``LOGO_SIZE`` pixels square) as {"url": its absolute URL, "size": LOGO_SIZE}: the
    picture a shared link of a page other than an article shows."""
    request = context.get("request")
    path = static_url(LOGO_PATH)
    return {"url": request.build_absolute_uri(path) if request is not None else path, "size": LOGO_SIZE}


# A path that request.build_absolute_uri() would only append to the scheme and host: nothing to quote (the
# characters iri_to_uri leaves as they are), no "//" authority, no "." or ".." segment to resolve.
_PLAIN_PATH = re.compile(r"/(?![/.])(?:[A-Za-z0-9_~\-%#=:;$&()+,!?*@'\[\]]|/(?![/.])|\.(?![./]))*\Z")


class AbsoluteURLs:
    """``request.build_absolute_uri`` for the many paths of one page: the scheme and host (which reading checks
    against ALLOWED_HOSTS) read once; a path with anything to quote or resolve goes through Django's way."""

    def __init__(self, request):
        self.request = request
        self.origin = request.build_absolute_uri("/")[:-1]

    def __call__(self, location):
        if _PLAIN_PATH.match(location):
            return self.origin + location
        return self.request.build_absolute_uri(location)


_static_urls = {}


def static_url(path):
    """``{% static path %}``, looked up once per process (the manifest does not change while it runs)."""
    url = _static_urls.get(path)
    if url is None:
        url = _static_urls[path] = static(path)
    return url


@receiver(setting_changed)
def _forget_static(setting, **_kwargs):
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES", "FORCE_SCRIPT_NAME"}:
        _static_urls.clear()


# The article page's head (canonical link, sharing metadata, JSON-LD): its one place. Written here rather than in a
# template, as the cards' markup is (articles/cards.py): about thirty values, each printed by a template node of its
# own, cost the page a tenth of its time. Every value goes through ``escape``.
ARTICLE_HEAD_HTML = """<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{site_name}">
<meta property="og:locale" content="zh_CN">
<meta property="og:title" content="{headline}">
<meta property="og:description" content="{description}">
<meta property="og:url" content="{url}">
{og_image}{published}<meta property="article:modified_time" content="{modified}">
<meta property="article:section" content="{section}">
<meta name="twitter:card" content="{twitter_card}">
<meta name="twitter:title" content="{headline}">
<meta name="twitter:description" content="{description}">
{twitter_image}{feeds}{json_ld}"""
# A feed of a section, reporter, topic or organisation, for feed readers (feed_links_html): on its own page and on
# the pages of the articles in it.
FEED_LINKS_HTML = """<link rel="alternate" type="application/rss+xml" title="{rss_title}" href="{rss}">
<link rel="alternate" type="application/atom+xml" title="{atom_title}" href="{atom}">
"""
ARTICLE_HEAD_OG_IMAGE_HTML = """<meta property="og:image" content="{image}">
<meta property="og:image:width" content="{width}">
<meta property="og:image:height" content="{height}">
<meta property="og:image:alt" content="{alt}">
"""
ARTICLE_HEAD_PUBLISHED_HTML = """<meta property="article:published_time" content="{}">
"""
ARTICLE_HEAD_TWITTER_IMAGE_HTML = """<meta name="twitter:image" content="{image}">
<meta name="twitter:image:alt" content="{alt}">
"""


def shared_photo(article):
    """The photo a shared link of the article shows: its lead photo (题图), else its first captioned photo, else the
    first photo of its experience entries in the page's order, the oral ones first (a roundup's photos are often
    all in its entries). Read from what the page loaded (``for_detail``; a feed's ``for_feed``): no query. None for a
    story without any."""
    if article.lead_photo:
        return article.lead_photo
    photo = next((item.photo for item in article.article_photos.all() if item.photo_id), None)
    if photo is not None:
        return photo
    entries = getattr(article, "_prefetched_objects_cache", {}).get("experience_entries", ())
    with_photo = [entry for entry in entries if entry.photo_id]
    oral = [entry for entry in with_photo if entry.form == entry.Form.ORAL]
    return next((entry.photo for entry in oral or with_photo), None)


def absolute_share_image(photo, absolute):
    """(absolute URL, width, height) of ``services.share_image``; None without a photo or file."""
    if not photo or not photo.image:
        return None
    path, width, height = share_image(photo)
    return absolute(path), width, height


def feed_links_html(owners):
    """``<link rel="alternate">`` to the RSS and Atom feeds of ``owners`` ((kind, slug, title): a section, reporter,
    topic or organisation, the kind as the feeds' URL names go), titled as feed readers list them: 要闻（RSS）."""
    escape = cards.escape
    rss_title, atom_title = gettext("%(title)s (RSS)"), gettext("%(title)s (Atom)")  # looked up once a page
    return markup(
        "".join(
            FEED_LINKS_HTML.format(
                rss=escape(cards.slug_url(f"feeds:{kind}_rss", slug)),
                atom=escape(cards.slug_url(f"feeds:{kind}_atom", slug)),
                rss_title=escape(rss_title % {"title": title}),
                atom_title=escape(atom_title % {"title": title}),
            )
            for kind, slug, title in owners
        )
    )


@register.simple_tag
def feed_links(kind, slug, title):
    """``{% feed_links "section" section.slug section.name %}``: a page's own feeds, for feed readers (<head>)."""
    return feed_links_html([(kind, slug, title)])


def article_feeds(article, is_preview=False):
    """The links to the feeds of the article's section and topics (RSS and Atom), for a feed reader given the
    article. Not the topics' in a preview: a topic with no published story has no feed yet."""
    owners = [("section", article.section.slug, article.section.name)]
    if not is_preview:
        owners += [("topic", topic.slug, topic.title) for topic in article.topics.all()]  # read with the article
    return feed_links_html(owners)


@register.simple_tag
def article_head(article, request, is_preview=False):
    """``{% article_head article request is_preview %}``: the article page's canonical link, sharing metadata (Open
    Graph, Twitter card), its section's and topics' feeds (``article_feeds``) and JSON-LD (``ARTICLE_HEAD_HTML``),
    each value read or made once."""
    escape = cards.escape
    absolute = AbsoluteURLs(request)
    url = absolute(page_url(article))
    photo = shared_photo(article)
    image = absolute_share_image(photo, absolute)
    headline = escape(article.headline)
    description = escape(one_line(article.summary or article.headline))
    if image:
        image_values = {"image": escape(image[0]), "alt": escape(photo.alt_text)}
        og_image = ARTICLE_HEAD_OG_IMAGE_HTML.format(width=image[1], height=image[2], **image_values)
        twitter_image = ARTICLE_HEAD_TWITTER_IMAGE_HTML.format(**image_values)
    else:
        og_image = twitter_image = ""
    published = iso8601(article.published_at)
    return markup(
        ARTICLE_HEAD_HTML.format(
            url=escape(url),
            site_name=escape(settings.NEWSROOM_SITE_NAME),
            headline=headline,
            description=description,
            og_image=og_image,
            published=ARTICLE_HEAD_PUBLISHED_HTML.format(escape(published)) if published else "",
            modified=escape(iso8601(modified_at(article))),
            section=escape(article.section.name),
            twitter_card="summary_large_image" if image else "summary",
            twitter_image=twitter_image,
            feeds=article_feeds(article, is_preview),
            json_ld=article_json_ld(article, request, absolute=absolute, url=url, image=image),
        )
    )


def article_json_ld_data(article, request, *, absolute=None, url=None, image=None):
    """schema.org NewsArticle and BreadcrumbList of an article, as Python data (see ``article_json_ld``);
    ``absolute``, ``url`` and ``image``: the page's AbsoluteURLs, the article's absolute URL and its shared photo's
    (``absolute_share_image``) when the caller has them already."""

    absolute = absolute or AbsoluteURLs(request)
    url = url or absolute(page_url(article))
    home = absolute(cards.plain_url("articles:home"))
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
            "name": byline.shown_name,
            # A role that is a post (首席记者, 通讯员) is the person's job title; one that is a contribution to this
            # story (整理, 摄影) is not.
            **({"jobTitle": byline.role.name} if byline.role.name.endswith(JOB_TITLE_ENDINGS) else {}),
            "url": absolute(page_url(byline.reporter)),
        }
        for byline in article.bylines.all()
    ]
    news_article["publisher"] = {
        "@type": "NewsMediaOrganization",
        "name": site,
        "url": home,
        "logo": {
            "@type": "ImageObject",
            "url": absolute(static_url(LOGO_PATH)),
            "width": LOGO_SIZE,
            "height": LOGO_SIZE,
        },
    }
    photo = shared_photo(article)
    image = image or absolute_share_image(photo, absolute)
    if image:
        news_article["image"] = {
            "@type": "ImageObject",
            "url": image[0],
            "width": image[1],
            "height": image[2],
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
                "item": absolute(page_url(article.section)),
            },
            {"@type": "ListItem", "position": 3, "name": article.headline, "item": url},
        ],
    }
    return {"@context": "https://schema.org", "@graph": [news_article, breadcrumbs]}


@register.simple_tag
def article_json_ld(article, request, **known):
    """``<script type="application/ld+json">`` with the article's NewsArticle and BreadcrumbList (``known``: see
    ``article_json_ld_data``).

    Uses only what ``ArticleQuerySet.for_detail()`` loaded (section, lead photo, bylines with reporter and role).
    """
    # json_for_script escapes <, > and & (no </script> can be closed from the data).
    data = mark_safe(json_for_script(article_json_ld_data(article, request, **known)))  # noqa: S308  # nosec B308, B703
    # The Content-Security-Policy allows no inline script without the request's nonce (set by django-csp's
    # middleware; reading it is what adds it to the header).
    nonce = getattr(request, "csp_nonce", None)  # a lazy object: false until read, so test it against None
    if nonce is not None:
        return format_markup('<script type="application/ld+json" nonce="{}">{}</script>', str(nonce), data)
    return format_markup('<script type="application/ld+json">{}</script>', data)


# The article page's story, from its header to its corrections, and the lists after it: their one place, written
# here as the article's head is. Printed by about seventy template nodes (a value, a condition or a loop each), they
# cost the page more than building them here does (6,400 Python calls a request against 5,400, measured over the
# bench's articles). Every value goes through ``escape``; the body's and the entries' rich text was sanitised when
# saved (``responsive_images``); the photos and the byline line are built by the functions above.
ARTICLE_STORY_HTML = """<header class="article-header">
    {kicker}
    <h1 id="headline" class="headline">{headline}</h1>
    {subtitle}
    <p class="byline">{byline}</p>

    <p class="article-meta">
      <a href="{section_url}">{section}</a>
      {published}
      {print_reference}
    </p>
  </header>
  {lead_photo}
  {dateline}
  {pull_quote}
  <div class="body">{body}</div>
  {photos}
  {entries}
  {topics}
  {corrections}
"""
ARTICLE_ENTRIES_HTML = """
  <section class="entries" aria-label="{label}">
    {oral}
    {written}
  </section>
  """
ARTICLE_ENTRY_GROUP_HTML = """<h2 class="entries-heading">{}</h2>
    {}"""
ARTICLE_CORRECTIONS_HTML = """
  <section class="corrections" aria-labelledby="corrections-heading">
    <h2 id="corrections-heading">{}</h2>
    <ul>
      {}
    </ul>
  </section>
  """
ARTICLE_CORRECTION_HTML = (
    '<li class="correction"><strong class="correction-kind">{}</strong> <time datetime="{}">{}</time> '
    '<span class="correction-text">{}</span></li>'
)
# The package's and the related stories' lists (the markup of includes/_headline_list.html around their lines).
ARTICLE_ASIDE_HTML = """
<aside class="{css_class}" aria-labelledby="{heading_id}">
  <h2 id="{heading_id}">{heading}</h2>
  <ul class="headline-list">
  {items}
</ul>

</aside>
"""


@register.simple_tag
def article_story(article, is_preview, body_photos, oral_entries, written_entries):
    """``{% article_story article is_preview body_photos oral_entries written_entries %}``: the article page's
    story (``ARTICLE_STORY_HTML``) from the view's context: its header (kicker, headline, deck, byline line, section,
    time and print page; the print page once the paper is out, unlinked in a preview), lead photo, dateline, pull
    quote, body, captioned photos, experience entries, topics and corrections. Reads only what the view loaded."""
    escape = cards.escape
    published_at = article.published_at
    published = ""
    if published_at:
        published = format_markup(
            ' · <time datetime="{}">{}</time>', local_iso(published_at), local_datetime(published_at)
        )
    reference = article.print_reference
    print_reference = ""
    if reference and (is_preview or article.print_is_out):
        text = markup(gettext("In the paper: %(ref)s") % {"ref": escape(reference)})
        if is_preview:
            print_reference = format_markup(' · <span class="print-reference">{}</span>', text)
        else:
            print_reference = format_markup(' · <a class="print-reference" href="{}">{}</a>', print_url(article), text)
    lead_photo = article.lead_photo
    dateline = ""
    if article.dateline_on or article.dateline_place:
        dateline = format_markup(
            '<p class="dateline">{}{}</p>',
            format_markup("{} ", article.dateline_place) if article.dateline_place else "",
            format_markup(
                '<time datetime="{}">{}</time>', iso_date(article.dateline_on), long_date(article.dateline_on)
            )
            if article.dateline_on
            else "",
        )
    photos = []
    for index, item in enumerate(article.article_photos.all()):
        # A caption still waiting for its photo is left out, as is the lead photo (shown above already); the first
        # photo of a story without a lead photo is loaded at once.
        if item.photo_id and item.photo_id != article.lead_photo_id:
            photos.append(
                photo_figure_html(item.photo, item.caption, eager=index == 0 and not lead_photo, article_id=article.pk)
            )
    return markup(
        ARTICLE_STORY_HTML.format(
            kicker=format_markup('<p class="kicker">{}</p>', article.kicker) if article.kicker else "",
            headline=escape(article.headline),
            subtitle=format_markup('<p class="subtitle">{}</p>', article.subtitle) if article.subtitle else "",
            byline=article_byline(article, is_preview),
            section_url=escape(page_url(article.section)),
            section=escape(article.section.name),
            published=published,
            print_reference=print_reference,
            lead_photo=photo_figure_html(lead_photo, article.lead_photo_caption, eager=True, article_id=article.pk)
            if lead_photo
            else "",
            dateline=dateline,
            pull_quote=format_markup('<blockquote class="pull-quote"><p>{}</p></blockquote>', article.pull_quote)
            if article.pull_quote
            else "",
            body=responsive_images(article.body, body_photos),
            photos="".join(photos),
            entries=_story_entries(oral_entries, written_entries, body_photos, is_preview),
            topics=_story_topics(article.topics.all(), is_preview),
            corrections=_story_corrections(article.corrections.all()),
        )
    )


def _story_entries(oral_entries, written_entries, body_photos, is_preview):
    """The entries of a roundup, those shared orally at the meeting first, each group under its heading."""
    if not (oral_entries or written_entries):
        return ""

    def group(heading, entries):
        if not entries:
            return ""
        html = "".join(experience_entry(entry, body_photos, is_preview) for entry in entries)
        return ARTICLE_ENTRY_GROUP_HTML.format(cards.escape(heading), html)

    return ARTICLE_ENTRIES_HTML.format(
        label=cards.escape(gettext("Experience sharing")),
        oral=group(gettext("Shared orally at the meeting"), oral_entries),
        written=group(gettext("Shared in writing"), written_entries),
    )


def _story_topics(topics, is_preview):
    """The story's special topics, linked to their pages (not in a preview: a topic's page may not show it)."""
    if not topics:
        return ""
    if is_preview:
        names = [cards.escape(topic.title) for topic in topics]
    else:
        names = [format_markup('<a href="{}">{}</a>', page_url(topic), topic.title) for topic in topics]
    return format_markup('<p class="topics">{}{}</p>', gettext("Topics:"), markup("、".join(names)))


def _story_corrections(corrections):
    """The story's corrections and updates, in the order they were made, each with its kind and time."""
    if not corrections:
        return ""
    items = "".join(
        format_markup(
            ARTICLE_CORRECTION_HTML,
            correction.get_kind_display(),
            local_iso(correction.noted_at),
            local_datetime(correction.noted_at),
            correction.text,
        )
        for correction in corrections
    )
    return ARTICLE_CORRECTIONS_HTML.format(cards.escape(gettext("Corrections and updates")), items)


@register.simple_tag
def article_asides(package_articles, related_articles):
    """``{% article_asides package_articles related_articles %}``: after the story, the other stories of its
    package (本组报道), then the related stories, as headline lists (headline cards of articles/cards.py)."""
    asides = []
    for cards_of_list, css_class, heading_id, heading in (
        (package_articles, "related package", "package-heading", gettext("Stories in this package")),
        (related_articles, "related", "related-heading", gettext("Related stories")),
    ):
        if cards_of_list:
            asides.append(
                ARTICLE_ASIDE_HTML.format(
                    css_class=css_class,
                    heading_id=heading_id,
                    heading=cards.escape(heading),
                    items=cards.headline_items_html(cards_of_list),
                )
            )
        asides.append("\n")
    return markup("".join(asides))
