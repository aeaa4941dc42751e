"""Sitemaps for search engines: articles, the list pages, sections, topics, reporters, organisations, the print
edition's issues, and Google News.

Only what a reader can open is listed: published articles (from ``published()``), reporters with a
published byline, organisations with a published experience entry. Every sitemap runs a fixed number
of queries whatever the number of rows; the article sitemap is paginated.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, Max, OuterRef
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone

from articles import cards
from articles.models import Article, ExperienceEntry, Organization, Reporter, Section, Topic
from articles.services import clean_text

NEWS_WINDOW = timedelta(hours=48)


def _w3c(moment):
    """A datetime for a sitemap: whole seconds, so its text (``NewsroomSitemap``) is e.g. 2026-11-20T10:00:00+08:00."""
    return moment.replace(microsecond=0) if moment else None


class NewsroomSitemap(Sitemap):
    """A sitemap of templates/sitemaps/sitemap.xml: each URL's lastmod also as the text it prints
    (``lastmod_text``, ISO 8601 in newsroom time, as ``|date:"c"`` gives it), made here rather than by a filter in
    the template's loop over up to 5,000 URLs."""

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            url["lastmod_text"] = cards.local_iso(url["lastmod"])
        return urls


class ArticleSitemap(NewsroomSitemap):
    """Every published article, 5,000 a page. Its rows are (id, changed) tuples, and their URLs are made
    without a reverse() each (``cards.article_url``): model instances and ``get_absolute_url`` cost as much again
    as the rest of the page."""

    limit = 5000

    def items(self):
        return (
            Article.objects.published()
            .order_by("-published_at", "-id")
            # A story saved before its publishing time changed for readers when it appeared.
            .annotate(changed=Greatest("updated_at", "published_at"))
            .values_list("id", "changed", named=True)
        )

    def location(self, article):
        return cards.article_url(article.id)

    def lastmod(self, article):
        return _w3c(article.changed)

    def get_latest_lastmod(self):
        # The default walks every item; the index needs only the newest change.
        latest = Article.objects.published().aggregate(updated=Max("updated_at"), published=Max("published_at"))
        moments = [moment for moment in latest.values() if moment]
        return _w3c(max(moments)) if moments else None


class SectionSitemap(NewsroomSitemap):
    """Sections with at least one published story: a new, still empty section's page says there is nothing yet
    (and asks not to be indexed)."""

    def items(self):
        published = Article.objects.published().filter(section=OuterRef("pk"))
        return Section.objects.filter(Exists(published)).only("id", "slug").order_by("order", "name", "id")


class TopicSitemap(NewsroomSitemap):
    """Topics with at least one published story (the others' pages are 404)."""

    def items(self):
        return Topic.objects.with_published_stories().only("id", "slug").order_by("-starts_on", "title", "id")


class ReporterSitemap(NewsroomSitemap):
    """Reporters bylined on at least one published article."""

    def items(self):
        return Reporter.objects.with_published_stories().only("id", "slug").order_by("name", "id")


class OrganizationSitemap(NewsroomSitemap):
    """Organisations with at least one published experience entry (the others' pages are 404)."""

    def items(self):
        with_entries = ExperienceEntry.objects.published().values("organization_id")
        return Organization.objects.filter(pk__in=with_entries).only("id", "slug").order_by("name", "id")


class PageSitemap(NewsroomSitemap):
    """The pages that list stories (home, latest, topics, experience sharing, the archive): no lastmod, since each
    changes with every story published. Sections, topics and the rest have their own sitemaps; /print/ only
    redirects to the latest issue, and the issues have theirs."""

    URL_NAMES = [
        "articles:home",
        "articles:article_list",
        "articles:topic_list",
        "articles:experience_entry_list",
        "articles:article_archive",
    ]

    def items(self):
        if not Article.objects.published().exists():  # the archive is a 404 until the first story is out
            return [name for name in self.URL_NAMES if name != "articles:article_archive"]
        return self.URL_NAMES

    def location(self, url_name):
        return reverse(url_name)


class PrintIssueSitemap(NewsroomSitemap):
    """Every day the paper came out with a story published here (/print/<date>/), newest first, its lastmod the
    latest change of those stories."""

    limit = 5000

    def items(self):
        return (
            Article.objects.published()
            .print_out()
            .values("print_issue_on")
            .annotate(changed=Max(Greatest("updated_at", "published_at")))
            .order_by("-print_issue_on")
        )

    def location(self, issue):
        return reverse("articles:print_issue", kwargs={"issue_on": issue["print_issue_on"]})

    def lastmod(self, issue):
        return _w3c(issue["changed"])

    def get_latest_lastmod(self):
        return None  # the default walks every issue; the articles' sitemap gives the index its latest change


class NewsSitemap(Sitemap):
    """Google News: articles published in the last 48 hours (at most 1,000), rendered by sitemaps/news.xml."""

    limit = 1000

    def items(self):
        since = timezone.now() - NEWS_WINDOW
        return (
            Article.objects.published()
            .filter(published_at__gte=since)
            .only("id", "headline", "published_at", "updated_at")
            .order_by("-published_at", "-id")
        )

    def lastmod(self, article):
        return _w3c(max(article.updated_at, article.published_at))

    def get_latest_lastmod(self):
        return None  # the index shows no date for this short, fast-changing list

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        publication_name = clean_text(settings.NEWSROOM_SITE_NAME)
        for url in urls:
            url["publication_name"] = publication_name
            article = url["item"]
            url["title"] = clean_text(article.headline)
            url["publication_date"] = _w3c(article.published_at)
        return urls


# The index lists these in this order; /sitemap-<section>.xml serves each (news has its own template).
SITEMAPS = {
    "articles": ArticleSitemap,
    "pages": PageSitemap,
    "sections": SectionSitemap,
    "topics": TopicSitemap,
    "reporters": ReporterSitemap,
    "organizations": OrganizationSitemap,
    "print": PrintIssueSitemap,
}
NEWS_SITEMAPS = {"news": NewsSitemap}
SITEMAP_INDEX = {**SITEMAPS, **NEWS_SITEMAPS}
