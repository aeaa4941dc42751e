"""Public pages, and the image-upload endpoint of the admin's rich-text editor."""

import itertools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import (
    ArchiveIndexView,
    DayArchiveView,
    DetailView,
    ListView,
    MonthArchiveView,
    TemplateView,
    YearArchiveView,
)

from articles import search, services
from articles.forms import ExperienceEntryFilterForm, PrintIssueForm, SearchFilterForm
from articles.models import Article, Byline, ExperienceEntry, FrontPageSlot, Organization, Reporter, Section, Topic


class HomeView(TemplateView):
    """The home page: the editors' lead and secondary stories, each section's latest, topics, experience."""

    template_name = "articles/home.html"
    per_section = 4
    featured_topics = 6
    entry_highlights = 6

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        published = Article.objects.published()
        lead, *secondary = self.front_page_stories(published) or [None]
        context["lead"] = lead
        context["secondary"] = secondary
        by_section = itertools.groupby(published.latest_per_section(self.per_section), lambda a: a.section_id)
        context["section_blocks"] = [(articles[0].section, articles) for articles in (list(g) for _, g in by_section)]
        context["topics"] = Topic.objects.filter(is_featured=True)[: self.featured_topics]
        context["entries"] = ExperienceEntry.objects.published().for_listing()[: self.entry_highlights]
        return context

    def front_page_stories(self, published):
        """One story per slot, in slot order: the editors' pick, or else the latest story not already shown."""
        positions = FrontPageSlot.Position.values
        candidates = list(published.front_page_candidates(fallbacks=len(positions)))
        picked = {article.slot: article for article in candidates if article.slot is not None}
        latest = (article for article in candidates if article.slot is None)
        stories = [picked.get(position) or next(latest, None) for position in positions]
        return [story for story in stories if story is not None]


class ArticleListView(ListView):
    """The latest published articles, newest first."""

    template_name = "articles/article_list.html"
    context_object_name = "articles"
    paginate_by = 20

    def get_queryset(self):
        return Article.objects.published().for_listing()


def load_article_renditions(article, entries):
    """One query for the renditions of every photo on an article page (loaded with for_detail); returns the photos
    shown in its rich text, for the ``responsive_images`` filter."""
    photos = [article.lead_photo if article.lead_photo_id else None]
    photos += [item.photo for item in article.article_photos.all()]
    photos += [entry.photo for entry in entries if entry.photo_id]
    return services.load_renditions(photos, [article.body, *(entry.body for entry in entries)])


class ArticleDetailView(DetailView):
    context_object_name = "article"
    related_articles = 4

    def get_queryset(self):
        return Article.objects.published().for_detail()

    def get_object(self, queryset=None):
        try:
            return super().get_object(queryset)
        except Http404:
            # Whoever may edit a story can open it unpublished at its normal URL; everyone else gets 404.
            editable = Article.objects.editable_by(self.request.user).values("pk")
            article = get_object_or_404(Article.objects.filter(pk__in=editable).for_detail(), pk=self.kwargs["pk"])
            self.is_preview = True
            return article

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_preview"] = getattr(self, "is_preview", False)
        entries = list(self.object.experience_entries.all())
        context["oral_entries"] = [e for e in entries if e.form == e.Form.ORAL]
        context["written_entries"] = [e for e in entries if e.form != e.Form.ORAL]
        context["body_photos"] = load_article_renditions(self.object, entries)
        context["related_articles"] = list(
            Article.objects.published().related_to(self.object, limit=self.related_articles)
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["is_preview"]:
            add_never_cache_headers(response)
        return response


def _keep_private(response):
    """A preview must not be indexed, cached, or passed on in a Referer header (its URL is the key)."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)
    return response


class ShareLinkPreviewView(DetailView):
    """/preview/<token>/: one article, read-only, for the outside source a preview link was made for.

    The token is the link's key signed with the site's secret; an expired or revoked link answers 410 Gone,
    a forged or unknown token, or an article in the trash, 404. A fixed number of queries.
    """

    template_name = "articles/article_share_preview.html"
    context_object_name = "article"

    def get(self, request, *args, **kwargs):
        self.share_link = services.share_link_for_token(kwargs["token"])
        if self.share_link is None:
            raise Http404(_("This preview link does not exist."))
        if not self.share_link.is_active():
            context = {"revoked": self.share_link.revoked_at is not None}
            return _keep_private(render(request, "articles/share_link_gone.html", context, status=410))
        return _keep_private(super().get(request, *args, **kwargs))

    def get_object(self, queryset=None):
        # Article.objects leaves the trash out: a trashed story is not shown, whatever the link says.
        return get_object_or_404(Article.objects.for_detail(), pk=self.share_link.article_id)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entries = list(self.object.experience_entries.all())
        context["share_link"] = self.share_link
        context["is_preview"] = True  # no links to pages of the print edition
        context["oral_entries"] = [e for e in entries if e.form == e.Form.ORAL]
        context["written_entries"] = [e for e in entries if e.form != e.Form.ORAL]
        context["body_photos"] = load_article_renditions(self.object, entries)
        return context


class ArticlesOfView(ListView):
    """A page about one object (section, topic, reporter) listing its published articles."""

    model = None  # the object the page is about, looked up by its slug
    context_object_name = "articles"
    paginate_by = 20

    def articles_of(self, obj):
        raise NotImplementedError

    def get_queryset(self):
        self.object = get_object_or_404(self.model, slug=self.kwargs["slug"])
        return self.articles_of(self.object).for_listing()

    def get_template_names(self):
        return [f"articles/{self.model._meta.model_name}_detail.html"]

    def get_context_data(self, **kwargs):
        return super().get_context_data(**{self.model._meta.model_name: self.object}, **kwargs)


class SectionDetailView(ArticlesOfView):
    model = Section

    def articles_of(self, section):
        return Article.objects.published().in_section(section)


class TopicListView(ListView):
    context_object_name = "topics"
    paginate_by = 20

    def get_queryset(self):
        return Topic.objects.all()


class TopicDetailView(ArticlesOfView):
    """A topic (专题): its introduction, its published articles and the experience entries they carry."""

    model = Topic

    def articles_of(self, topic):
        return Article.objects.published().in_topic(topic)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entries"] = ExperienceEntry.objects.published().in_topic(self.object).for_listing()
        return context


class ReporterDetailView(ArticlesOfView):
    """A reporter's profile and every published story bylined to them, with the role(s) they had in it."""

    model = Reporter

    def articles_of(self, reporter):
        return Article.objects.published().bylined(reporter)

    def get_queryset(self):
        articles = super().get_queryset()  # looks up self.object
        own_bylines = Byline.objects.filter(reporter=self.object).select_related("role").order_by("order", "id")
        return articles.prefetch_related(Prefetch("bylines", queryset=own_bylines, to_attr="reporter_bylines"))


class OrganizationDetailView(ListView):
    """An organisation's experience entries across all articles and years, newest first.

    An organisation is public through its published entries only: without any, its page is 404.
    """

    template_name = "articles/organization_detail.html"
    context_object_name = "entries"
    paginate_by = 20

    def get_queryset(self):
        self.organization = get_object_or_404(Organization.objects.for_detail(), slug=self.kwargs["slug"])
        return ExperienceEntry.objects.published().of_organization(self.organization).for_listing()

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        if paginator.count == 0:
            raise Http404(_("An organisation is public through its published experience entries only."))
        return paginator, page, object_list, is_paginated

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["organization"] = self.organization
        context["children"] = self.organization.children.with_published_entries()
        return context


class ExperienceEntryListView(ListView):
    """Every published experience entry, newest first, filtered by level, form, year and organisation."""

    context_object_name = "entries"
    paginate_by = 20

    def get_queryset(self):
        published = ExperienceEntry.objects.published()
        organizations = Organization.objects.with_published_entries().values_list("slug", "name")
        years = [moment.year for moment in published.datetimes("article__published_at", "year", order="DESC")]
        self.form = ExperienceEntryFilterForm(self.request.GET, organizations=organizations, years=years)
        filters = self.form.filters()
        entries = published
        if "level" in filters:
            entries = entries.of_level(filters["level"])
        if "form" in filters:
            entries = entries.in_form(filters["form"])
        if "year" in filters:
            entries = entries.in_year(filters["year"])
        if "organization" in filters:
            entries = entries.filter(organization__slug=filters["organization"])
        return entries.for_listing()

    def get_context_data(self, **kwargs):
        return super().get_context_data(form=self.form, **kwargs)


class SearchView(ListView):
    """/search/?q=: published articles and experience entries, best matches first, highlighted, filterable.

    Any query is safe (articles/search.py cleans it); an empty one shows the form and tips. A fixed number of
    queries: the filters' sections and years, the search (services.search_documents) and the page's documents.
    """

    template_name = "articles/search.html"
    context_object_name = "results"
    paginate_by = 20

    def get_queryset(self):
        sections = list(Section.objects.values_list("slug", "name", "pk"))
        years = [day.year for day in Article.objects.published().dates("published_at", "year", order="DESC")]
        self.form = SearchFilterForm(
            self.request.GET, sections=[(slug, name) for slug, name, _pk in sections], years=years
        )
        filters = self.form.filters()
        section_ids = {slug: pk for slug, _name, pk in sections}
        self.search = services.search_documents(
            self.request.GET.get("q", ""),
            section=section_ids.get(filters.get("section")),
            year=filters.get("year"),
            kind=filters.get("kind"),
        )
        return self.search.results

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.search.query
        for result in services.load_search_page(context["results"]):  # only the shown page is loaded, highlighted
            document = result.document
            heading = str(document.entry) if result.is_entry else document.article.headline
            result.heading_html = search.highlight(heading, query)
            result.snippet_html = search.highlight(getattr(document, result.hit.snippet_field), query, snippet=True)
        context.update(form=self.form, query=query, capped=self.search.capped)
        return context


def print_issue_latest(request):
    """/print/: the issue picked with the date form (?date=yyyy-mm-dd), or else the latest issue."""
    form = PrintIssueForm(request.GET)
    if form.is_valid():
        issue_on = form.cleaned_data["date"]
    else:
        issue_on = Article.objects.published().aggregate(latest=Max("print_issue_on"))["latest"]
        if issue_on is None:
            raise Http404(_("Nothing from the print edition has been published yet."))
    return redirect("articles:print_issue", issue_on=issue_on)


class PrintIssueView(ListView):
    """One print issue: its pages in page order with the published articles on each; previous and next issue."""

    template_name = "articles/print_issue.html"
    context_object_name = "articles"
    allow_empty = False  # a date with no published article from the paper is 404

    def get_queryset(self):
        return Article.objects.published().in_print_issue(self.kwargs["issue_on"]).for_print_issue()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        issue_on = self.kwargs["issue_on"]
        pages = []
        for number, group in itertools.groupby(context["articles"], key=lambda article: article.print_page_number):
            articles = list(group)
            names = [article.print_page_name for article in articles if article.print_page_name]
            pages.append(
                {
                    "number": number,
                    "name": names[0] if names else "",
                    "anchor": articles[0].print_page_anchor,
                    "articles": articles,
                }
            )
        context["issue_on"] = issue_on
        context["pages"] = pages
        context.update(Article.objects.published().print_issue_neighbours(issue_on))
        context["form"] = PrintIssueForm(initial={"date": issue_on})
        return context


class ArticleArchiveMixin:
    """The date archive: published articles by Beijing date (USE_TZ with TIME_ZONE = Asia/Shanghai)."""

    date_field = "published_at"
    allow_future = False
    paginate_by = 20
    context_object_name = "articles"
    template_name = "articles/article_archive.html"
    month_format = "%m"
    day_format = "%d"

    def get_queryset(self):
        # Plain published articles: the lists of dates and the previous/next lookups use this queryset too.
        return Article.objects.published().defer("body")

    def get_dated_items(self):
        date_list, articles, extra_context = super().get_dated_items()
        return date_list, articles.for_listing(), extra_context


class ArticleArchiveIndexView(ArticleArchiveMixin, ArchiveIndexView):
    pass


class ArticleYearArchiveView(ArticleArchiveMixin, YearArchiveView):
    make_object_list = True


class ArticleMonthArchiveView(ArticleArchiveMixin, MonthArchiveView):
    pass


class ArticleDayArchiveView(ArticleArchiveMixin, DayArchiveView):
    pass


@require_POST
@login_required(login_url=reverse_lazy("admin:login"))
def editor_image_upload(request):
    """CKEditor 5's simple-upload endpoint: checks the file, stores it as a Photo, answers with its URL."""
    if not (request.user.is_staff and request.user.has_perm("articles.add_photo")):
        raise PermissionDenied
    # From an article's form the editor names the article (?article=<id>): only someone who may edit it uploads.
    article_id = request.GET.get("article") or request.POST.get("article")
    if article_id:
        article = (
            Article.objects.filter(pk=article_id).first() if article_id.isascii() and article_id.isdigit() else None
        )
        if article is None or not services.may_edit_article(request.user, article):
            raise PermissionDenied
    upload = request.FILES.get("upload")
    if upload is None:
        return JsonResponse({"error": {"message": _("No file was sent.")}}, status=400)
    alt_text = services.clean_text(request.POST.get("alt", "")).strip() or _("Photo in the article body")
    try:
        photo = services.create_photo(upload, alt_text=alt_text, user=request.user)
    except ValidationError as error:
        return JsonResponse({"error": {"message": " ".join(error.messages)}}, status=400)
    return JsonResponse({"url": photo.image.url, "id": photo.pk, "width": photo.width, "height": photo.height})
