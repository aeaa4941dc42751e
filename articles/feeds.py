"""RSS 2.0 and Atom feeds: the latest articles, those of one section, reporter or topic, and the experience entries
of one organisation.

Items come from ``published()`` only. Every text is passed through ``clean_text`` before it reaches the
feed generator, which refuses control characters: one headline pasted from a word processor must not
break the whole feed. Each item carries all its bylined people, in byline order.
"""

import contextvars
import mimetypes

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db import connections
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import feedgenerator, timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from articles import cards
from articles.models import Article, Byline, ExperienceEntry, Organization, Reporter, Section, Topic
from articles.services import clean_text
from articles.templatetags.newsroom_tags import AbsoluteURLs, absolute_share_image, shared_photo

FEED_ITEMS = 30
DUBLIN_CORE = "http://purl.org/dc/elements/1.1/"
# The request's absolute URLs while one feed is written: the feed objects are shared by every thread of a worker.
_absolute_urls = contextvars.ContextVar("feed_absolute_urls")


def plain(value):
    """Text safe for an XML feed: no control characters or lone surrogates."""
    return clean_text(str(value or ""))


class RssWithAuthors(feedgenerator.Rss201rev2Feed):
    """RSS 2.0 with one ``<dc:creator>`` per bylined person (RSS's ``<author>`` wants an e-mail address)."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:dc": DUBLIN_CORE}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name in item["authors"]:
            handler.addQuickElement("dc:creator", name)


class AtomWithAuthors(feedgenerator.Atom1Feed):
    """Atom with one ``<author>`` per bylined person."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name in item["authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.endElement("author")


def photo_enclosures(photo):
    """The enclosure of ``photo`` as the pages share it (``absolute_share_image``), [] without one: read from the photo
    loaded with the item, no query."""
    image = absolute_share_image(photo, _absolute_urls.get())
    if image is None:
        return []
    url = image[0]
    mime_type = mimetypes.guess_type(url)[0] or "image/jpeg"
    return [feedgenerator.Enclosure(url, "0", mime_type)]


class ArticleFeed(Feed):
    """The latest published articles. Subclasses narrow the articles to one object's."""

    feed_type = RssWithAuthors
    language = "zh-cn"

    # --- the feed -----------------------------------------------------------------------------------

    def articles(self, obj):
        return Article.objects.published()

    def items(self, obj):
        return self.articles(obj).for_feed()[:FEED_ITEMS]

    def title(self, obj):
        return plain(_("%(site)s: latest articles") % {"site": settings.NEWSROOM_SITE_NAME})

    def description(self, obj):
        return plain(_("The latest articles of %(site)s.") % {"site": settings.NEWSROOM_SITE_NAME})

    def subtitle(self, obj):
        return self.description(obj)

    def link(self, obj):
        return reverse("articles:article_list")

    def author_name(self, obj):
        # Atom wants an author for the feed when an entry has none (a story without bylines).
        return plain(settings.NEWSROOM_SITE_NAME)

    def feed_copyright(self, obj):
        return plain(settings.NEWSROOM_SITE_NAME)

    # --- each article -------------------------------------------------------------------------------

    def item_title(self, article):
        headline = plain(article.headline)
        # RSS readers treat a title as HTML (Django escapes it too, see #6533); Atom's is declared as text.
        return headline if issubclass(self.feed_type, feedgenerator.Atom1Feed) else escape(headline)

    def item_description(self, article):
        # Both formats declare the description as HTML; the summary is plain text.
        return escape(plain(article.summary or article.subtitle))

    # Whole seconds, as in the sitemaps and the JSON-LD: a time saved through the admin has microseconds.

    def item_pubdate(self, article):
        return timezone.localtime(article.published_at).replace(microsecond=0)

    def item_updateddate(self, article):
        # A story saved before its publishing time was not updated before it appeared.
        return timezone.localtime(max(article.updated_at, article.published_at)).replace(microsecond=0)

    def item_categories(self, article):
        return [plain(article.section.name)]

    def get_feed(self, obj, request):
        token = _absolute_urls.set(AbsoluteURLs(request))
        try:
            return super().get_feed(obj, request)
        finally:
            _absolute_urls.reset(token)

    def item_enclosures(self, article):
        """The photo the story's shared link shows (``shared_photo``: its lead photo, else its first captioned photo,
        else its entries' first), as the pages share it (the 1,200-pixel rendition), for feed readers that show a
        picture with each item; read from the row (``for_feed``). Its size in bytes is not stored: 0, as RSS
        practice asks when it is unknown."""
        return photo_enclosures(shared_photo(article))

    def item_extra_kwargs(self, article):
        # The bylines were prefetched in byline order by for_listing(); .all() runs no query.
        return {"authors": [plain(byline.shown_name) for byline in article.bylines.all()]}


class AtomArticleFeed(ArticleFeed):
    feed_type = AtomWithAuthors


class SectionFeed(ArticleFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Section, slug=slug)

    def articles(self, section):
        return Article.objects.published().in_section(section)

    def title(self, section):
        return plain(_("%(site)s: %(section)s") % {"site": settings.NEWSROOM_SITE_NAME, "section": section.name})

    def description(self, section):
        return plain(section.description) or plain(
            _("The latest articles in the section %(section)s.") % {"section": section.name}
        )

    def link(self, section):
        return section.get_absolute_url()


class AtomSectionFeed(SectionFeed):
    feed_type = AtomWithAuthors


class ReporterFeed(ArticleFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Reporter.objects.with_published_stories(), slug=slug)  # as the reporter's page

    def articles(self, reporter):
        articles = Article.objects.published()
        if connections[articles.db].features.can_distinct_on_fields:  # the newest from the bylines' own index
            return articles.filter(pk__among=Byline.objects.live_ids_of(reporter)[:FEED_ITEMS])
        return articles.bylined(reporter)

    def title(self, reporter):
        return plain(_("%(site)s: articles by %(name)s") % {"site": settings.NEWSROOM_SITE_NAME, "name": reporter.name})

    def description(self, reporter):
        return plain(_("The latest articles bylined %(name)s.") % {"name": reporter.name})

    def link(self, reporter):
        return reporter.get_absolute_url()


class AtomReporterFeed(ReporterFeed):
    feed_type = AtomWithAuthors


class TopicFeed(ArticleFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Topic.objects.with_published_stories(), slug=slug)  # as the topic's page

    def articles(self, topic):
        return Article.objects.published().in_topic(topic)

    def title(self, topic):
        return plain(_("%(site)s: %(topic)s") % {"site": settings.NEWSROOM_SITE_NAME, "topic": topic.title})

    def description(self, topic):
        return plain(topic.summary) or plain(_("The latest articles on %(topic)s.") % {"topic": topic.title})

    def link(self, topic):
        return topic.get_absolute_url()


class AtomTopicFeed(TopicFeed):
    feed_type = AtomWithAuthors


class OrganizationFeed(ArticleFeed):
    """An organisation's experience entries, as its page lists them (newest story first): one item per entry, its
    title as the entry's heading (``<organisation>：<title>``), leading to the entry in its story."""

    def get_object(self, request, slug):
        return get_object_or_404(Organization.objects.with_published_entries(), slug=slug)  # as its page

    def items(self, organization):
        entries = ExperienceEntry.objects.listed().of_organization(organization).for_listing()
        return entries.select_related("photo")[:FEED_ITEMS]  # the photo with its renditions, for the enclosure

    def title(self, organization):
        return plain(
            _("%(site)s: %(organization)s") % {"site": settings.NEWSROOM_SITE_NAME, "organization": organization.name}
        )

    def description(self, organization):
        return plain(_("The latest experience shared by %(name)s.") % {"name": organization.name})

    def link(self, organization):
        return organization.get_absolute_url()

    def item_title(self, entry):
        heading = plain(f"{entry.shown_name}：{entry.title}")
        return heading if issubclass(self.feed_type, feedgenerator.Atom1Feed) else escape(heading)

    def item_link(self, entry):
        return f"{cards.article_url(entry.article_id)}#entry-{entry.pk}"

    def item_description(self, entry):
        return escape(plain(entry.highlight or entry.article.headline))

    def item_pubdate(self, entry):
        return super().item_pubdate(entry.article)

    def item_updateddate(self, entry):
        return super().item_updateddate(entry.article)

    def item_categories(self, entry):
        return [plain(entry.get_form_display())]

    def item_enclosures(self, entry):
        """The entry's own photo, as an article's item carries its shared photo (the 1,200-pixel rendition)."""
        return photo_enclosures(entry.photo)

    def item_extra_kwargs(self, entry):
        return {"authors": []}


class AtomOrganizationFeed(OrganizationFeed):
    feed_type = AtomWithAuthors
