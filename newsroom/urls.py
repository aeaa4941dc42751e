from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView

from articles import feeds
from articles.admin import view_on_site
from articles.models import Organization, Reporter, Section, Topic
from articles.sitemaps import NEWS_SITEMAPS, SITEMAP_INDEX, SITEMAPS
from articles.views import FeedListView, follows_former_slugs
from newsroom.health import health


class FaviconView(RedirectView):
    permanent = False  # browsers keep a 301 for good, and the logo's hashed name changes with the logo

    def get_redirect_url(self, *args, **kwargs):
        return static_url("img/logo.svg")  # the hashed name in production: read when asked, not at import


feed_patterns = [
    path("", FeedListView.as_view(), name="index"),
    path("latest.rss", feeds.ArticleFeed(), name="latest_rss"),
    path("latest.atom", feeds.AtomArticleFeed(), name="latest_atom"),
    path("sections/<slug:slug>.rss", follows_former_slugs(Section)(feeds.SectionFeed()), name="section_rss"),
    path("sections/<slug:slug>.atom", follows_former_slugs(Section)(feeds.AtomSectionFeed()), name="section_atom"),
    path("reporters/<slug:slug>.rss", follows_former_slugs(Reporter)(feeds.ReporterFeed()), name="reporter_rss"),
    path("reporters/<slug:slug>.atom", follows_former_slugs(Reporter)(feeds.AtomReporterFeed()), name="reporter_atom"),
    path("topics/<slug:slug>.rss", follows_former_slugs(Topic)(feeds.TopicFeed()), name="topic_rss"),
    path("topics/<slug:slug>.atom", follows_former_slugs(Topic)(feeds.AtomTopicFeed()), name="topic_atom"),
    path(
        "organizations/<slug:slug>.rss",
        follows_former_slugs(Organization)(feeds.OrganizationFeed()),
        name="organization_rss",
    ),
    path(
        "organizations/<slug:slug>.atom",
        follows_former_slugs(Organization)(feeds.AtomOrganizationFeed()),
        name="organization_atom",
    ),
]

urlpatterns = [
    # Before the admin's own: its "view on site" shortcut would send any staff user to any article's address.
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(view_on_site),
        name="admin_view_on_site",
    ),
    path("admin/", admin.site.urls),
    path("feeds/", include((feed_patterns, "feeds"))),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAP_INDEX, "sitemap_url_name": "sitemap_section"},
        name="sitemap_index",
    ),
    # Before the general pattern: Google News has its own format.
    path(
        "sitemap-news.xml",
        sitemap_views.sitemap,
        {"sitemaps": NEWS_SITEMAPS, "section": "news", "template_name": "sitemaps/news.xml"},
        name="sitemap_news",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS, "template_name": "sitemaps/sitemap.xml"},
        name="sitemap_section",
    ),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain; charset=utf-8"),
        name="robots_txt",
    ),
    # Browsers ask for it on pages that name no icon (the admin's), as do feed readers: the site's logo.
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    # For load balancers: database and cache reachable (newsroom/health.py).
    path("healthz", health, name="healthz"),
    path("", include("articles.urls")),
]

# The database being away is a 503 page (articles.middleware), also when a middleware hits it, not a 500.
handler500 = "articles.middleware.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
