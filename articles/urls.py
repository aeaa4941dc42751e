from datetime import date

from django.urls import path, register_converter

from articles import views
from articles.models import Organization, Reporter, Section, Topic
from articles.views import follows_former_slugs

app_name = "articles"


class IsoDateConverter:
    """yyyy-mm-dd, e.g. 2026-11-20; an impossible date (2026-02-30) does not match."""

    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def to_python(self, value):
        return date.fromisoformat(value)  # ValueError: the pattern does not match, so 404

    def to_url(self, value):
        return value.isoformat() if isinstance(value, date) else str(value)


class FixedDigitsConverter:
    """A number written with exactly ``digits`` digits (/archive/2026/03/05/), passed on as a string."""

    digits = 2

    @property
    def regex(self):
        return f"[0-9]{{{self.digits}}}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return f"{int(value):0{self.digits}d}"


class YearConverter(FixedDigitsConverter):
    """A year the archive can hold: 1900-2999. Years 0001 or 9999 overflow when converted to UTC: 404, not 500."""

    regex = r"19[0-9]{2}|2[0-9]{3}"

    digits = 4


register_converter(IsoDateConverter, "isodate")
register_converter(YearConverter, "yyyy")
register_converter(FixedDigitsConverter, "dd")

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("news/", views.ArticleListView.as_view(), name="article_list"),
    path("articles/<int:pk>/", views.ArticleDetailView.as_view(), name="article_detail"),
    path(
        "sections/<slug:slug>/", follows_former_slugs(Section)(views.SectionDetailView.as_view()), name="section_detail"
    ),
    path("topics/", views.TopicListView.as_view(), name="topic_list"),
    path("topics/<slug:slug>/", follows_former_slugs(Topic)(views.TopicDetailView.as_view()), name="topic_detail"),
    path(
        "reporters/<slug:slug>/",
        follows_former_slugs(Reporter)(views.ReporterDetailView.as_view()),
        name="reporter_detail",
    ),
    path(
        "organizations/<slug:slug>/",
        follows_former_slugs(Organization)(views.OrganizationDetailView.as_view()),
        name="organization_detail",
    ),
    path("experience/", views.ExperienceEntryListView.as_view(), name="experience_entry_list"),
    path("print/", views.print_issue_latest, name="print_issue_latest"),
    path("print/<isodate:issue_on>/", views.PrintIssueView.as_view(), name="print_issue"),
    path("archive/", views.ArticleArchiveIndexView.as_view(), name="article_archive"),
    path("archive/<yyyy:year>/", views.ArticleYearArchiveView.as_view(), name="article_archive_year"),
    path("archive/<yyyy:year>/<dd:month>/", views.ArticleMonthArchiveView.as_view(), name="article_archive_month"),
    path(
        "archive/<yyyy:year>/<dd:month>/<dd:day>/",
        views.ArticleDayArchiveView.as_view(),
        name="article_archive_day",
    ),
    path("search/", views.SearchView.as_view(), name="search"),
    path("editor/images/", views.editor_image_upload, name="editor_image_upload"),
    path("preview/<str:token>/", views.ShareLinkPreviewView.as_view(), name="share_preview"),
]
