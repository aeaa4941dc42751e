"""Public pages, and the image-upload endpoint of the admin's rich-text editor."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, ListView

from articles import services
from articles.models import Article, Organization, Reporter, Section, Topic


class ArticleListView(ListView):
    """The home page: the latest published articles."""

    template_name = "articles/article_list.html"
    context_object_name = "articles"
    paginate_by = 20

    def get_queryset(self):
        return Article.objects.published().for_listing()


class ArticleDetailView(DetailView):
    context_object_name = "article"

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
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["is_preview"]:
            add_never_cache_headers(response)
        return response


class ArticlesOfView(ListView):
    """A page about one object (section, topic, reporter, organisation) listing its published articles."""

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


class TopicDetailView(ArticlesOfView):
    model = Topic

    def articles_of(self, topic):
        return Article.objects.published().in_topic(topic)


class ReporterDetailView(ArticlesOfView):
    model = Reporter

    def articles_of(self, reporter):
        return Article.objects.published().bylined(reporter)


class OrganizationDetailView(ArticlesOfView):
    model = Organization

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        if paginator.count == 0:
            raise Http404(_("An organisation is public through its published experience entries only."))
        return paginator, page, object_list, is_paginated

    def articles_of(self, organization):
        return Article.objects.published().with_entries_from(organization)


@require_POST
@login_required(login_url=reverse_lazy("admin:login"))
def editor_image_upload(request):
    """CKEditor 5's simple-upload endpoint: checks the file, stores it as a Photo, answers with its URL."""
    if not (request.user.is_staff and request.user.has_perm("articles.add_photo")):
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
