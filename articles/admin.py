"""The newsroom's admin: articles with their bylines, photos and experience entries."""

from datetime import timedelta
from urllib.parse import urljoin

import reversion
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Value
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from articles import services
from articles.models import (
    Article,
    ArticlePhoto,
    Byline,
    BylineRole,
    Correction,
    ExperienceEntry,
    FrontPageSlot,
    Organization,
    Photo,
    Reporter,
    RichTextField,
    Section,
    ShareLink,
    Status,
    Topic,
    TrashedArticle,
    WatchWord,
)
from articles.querysets import edits_any_article
from articles.widgets import UPLOAD_URL, CKEditorWidget

admin.site.site_header = _("Newsroom")
admin.site.site_title = _("Newsroom")
admin.site.index_title = _("Editorial desk")

PUBLISHING_FIELDS = ("status", "published_at")
# The admin maps every TextField (RichTextField included) to its own textarea unless told otherwise.
RICH_TEXT_OVERRIDES = {RichTextField: {"widget": CKEditorWidget}}


def thumbnail(photo, size=120):
    if not photo or not photo.image:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" style="max-width:{}px;max-height:{}px">', photo.image.url, photo.alt_text, size, size
    )


def may_publish(user):
    return user.has_perm("articles.publish_article")


def may_edit_article(user, article):
    """Editors edit any story; reporters their own (created or bylined) while it is a draft (see services)."""
    return services.may_edit_article(user, article)


class ArticlePartInline:
    """Bylines, photo links and entries may change exactly when their article may."""

    def _may_edit_parent(self, request, obj):
        return obj is None or may_edit_article(request.user, obj)

    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and self._may_edit_parent(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit_parent(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_edit_parent(request, obj)


class CheckedImageFormMixin:
    """Every image a form accepts is decoded, checked and re-encoded by the upload service first."""

    image_fields = ()
    uploaded_names = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.uploaded_names = {}
        for name in self.image_fields:
            # The model's max_length limits the generated stored name; the sender's (often long, Chinese) name is data.
            self.fields[name].max_length = None

    def _clean_image_field(self, name):
        upload = self.cleaned_data.get(name)
        if upload and hasattr(upload, "content_type"):
            self.uploaded_names[name] = services.clean_text(upload.name)[-255:]
            return services.prepare_image_upload(upload)
        return upload


# --- Inlines ------------------------------------------------------------------------------------


class BylineInline(ArticlePartInline, admin.TabularInline):
    model = Byline
    extra = 0
    autocomplete_fields = ["reporter"]
    fields = ["order", "role", "reporter"]
    ordering = ["order", "id"]


class ArticlePhotoInline(ArticlePartInline, admin.TabularInline):
    model = ArticlePhoto
    extra = 0
    autocomplete_fields = ["photo"]
    fields = ["order", "photo", "preview", "caption"]
    readonly_fields = ["preview"]
    ordering = ["order", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("photo")

    @admin.display(description=_("preview"))
    def preview(self, obj):
        return thumbnail(obj.photo if obj.pk else None)


class ExperienceEntryInline(ArticlePartInline, admin.StackedInline):
    model = ExperienceEntry
    extra = 0
    autocomplete_fields = ["organization", "photo"]
    fields = ["order", "form", "organization", "title", "highlight", "body", "photo", "caption"]
    formfield_overrides = RICH_TEXT_OVERRIDES
    ordering = ["order", "id"]
    classes = ["collapse"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization", "photo")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            _set_upload_article(formset.form, obj)
        return formset


class CorrectionInline(ArticlePartInline, admin.TabularInline):
    model = Correction
    extra = 0
    fields = ["noted_at", "kind", "text"]
    ordering = ["noted_at", "id"]

    def has_add_permission(self, request, obj):
        # Corrections are an editor's word on published copy.
        return super().has_add_permission(request, obj) and may_publish(request.user)


# --- Articles -----------------------------------------------------------------------------------


class ArticleAdminForm(forms.ModelForm):
    """The story's text and placing. Status and publishing time are not typed: the workflow buttons set them."""

    class Meta:
        model = Article
        fields = [
            "kicker", "headline", "subtitle", "summary", "pull_quote", "body", "source", "section", "topics",
            "dateline_place", "dateline_on", "lead_photo", "lead_photo_caption", "print_issue_on", "print_page_number", "print_page_name",
        ]  # fmt: skip
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "pull_quote": forms.Textarea(attrs={"rows": 2}),
            "lead_photo_caption": forms.Textarea(attrs={"rows": 2}),
        }

    # The edit count and latest version this form was opened on: a save from an older form is refused.
    seen_edit_count = forms.IntegerField(widget=forms.HiddenInput, required=False)
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_edit_count"].initial = self.instance.edit_count
            latest = services.article_versions(self.instance).first()
            self.fields["seen_version"].initial = latest.pk if latest else None

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = services.clean_text(value)
        if self.instance.pk:
            conflict = services.edit_conflict(
                self.instance, cleaned.get("seen_edit_count"), cleaned.get("seen_version")
            )
            if conflict:
                # The form now knows the current state: saving it again is a deliberate choice to replace it.
                self.data = self.data.copy()
                self.data["seen_edit_count"] = Article.objects.get(pk=self.instance.pk).edit_count
                latest = services.article_versions(self.instance).first()
                self.data["seen_version"] = latest.pk if latest else ""
                raise forms.ValidationError(conflict, code="edit_conflict")
        return cleaned


class ScheduleForm(forms.Form):
    """The time of a scheduled publication, in newsroom time (Beijing)."""

    published_at = forms.DateTimeField(label=_("publishing time"))

    def clean_published_at(self):
        value = self.cleaned_data["published_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future; to publish now use “Publish now”."))
        return value


class WorkflowFilter(admin.SimpleListFilter):
    """Where stories stand: the review queue (oldest submission first), scheduled, mine, returned to me."""

    title = _("workflow")
    parameter_name = "workflow"

    def lookups(self, request, model_admin):
        return [
            ("queue", _("Review queue")),
            ("scheduled", _("Scheduled")),
            ("mine", _("My stories")),
            ("returned", _("Returned to me")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "queue":
            return queryset.filter(status=Status.IN_REVIEW)
        if value == "scheduled":
            return queryset.scheduled()
        if value == "mine":
            return queryset.filed_by(request.user)
        if value == "returned":
            return queryset.filed_by(request.user).returned()
        return queryset


def finding_html(finding):
    """A pre-publication finding with the text around the word, the word marked."""
    if not finding.context:
        return finding.message
    return format_html(
        "{} …{}<mark>{}</mark>{}…",
        finding.message,
        finding.context_before,
        finding.context_match,
        finding.context_after,
    )


def _set_upload_article(form_class, article):
    """Images uploaded from this form's rich-text editors belong to ``article``: the endpoint checks it may be edited."""
    url = f"{UPLOAD_URL}?article={article.pk}"
    for field in form_class.base_fields.values():
        if isinstance(field.widget, CKEditorWidget):
            field.widget.upload_url = url


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    formfield_overrides = RICH_TEXT_OVERRIDES
    list_display = ["headline", "section", "status", "published_at", "live_now", "review_progress", "byline_names"]
    list_filter = [WorkflowFilter, "status", "section", "topics"]
    list_select_related = ["section"]
    search_fields = ["headline", "subtitle", "kicker", "summary", "bylines__reporter__name"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["lead_photo", "topics"]
    readonly_fields = ["created_at", "updated_at", "created_by", *PUBLISHING_FIELDS, "review_progress", "submitted_at"]
    inlines = [BylineInline, ArticlePhotoInline, ExperienceEntryInline, CorrectionInline]
    actions = ["move_to_trash"]

    class Media:
        js = ["js/edit-presence.js"]

    fieldsets = [
        (
            _("The story"),
            {
                "fields": [
                    "kicker",
                    "headline",
                    "subtitle",
                    "summary",
                    "pull_quote",
                    "body",
                    # Hidden: what the form was opened on, so that a stale save is refused.
                    "seen_edit_count",
                    "seen_version",
                ]
            },
        ),  # fmt: skip
        (
            _("Source and place"),
            {
                "fields": [
                    "source",
                    "section",
                    "topics",
                    ("dateline_place", "dateline_on"),
                    "lead_photo",
                    "lead_photo_caption",
                ]
            },
        ),
        (_("Print"), {"fields": [("print_issue_on", "print_page_number", "print_page_name")]}),
        (_("Publishing"), {"fields": [*PUBLISHING_FIELDS, "review_progress", "submitted_at"]}),
        (_("Record"), {"classes": ["collapse"], "fields": ["created_at", "updated_at", "created_by"]}),
    ]

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("bylines", queryset=Byline.objects.select_related("reporter", "role").order_by("order", "id"))
            )
        )
        if edits_any_article(request.user):
            return queryset
        return queryset.filter(pk__in=Article.objects.editable_by(request.user).values("pk"))

    def get_ordering(self, request):
        if request.GET.get(WorkflowFilter.parameter_name) == "queue":
            return ["submitted_at", "id"]  # the review queue: the story waiting longest first
        return super().get_ordering(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            _set_upload_article(form, obj)
        return form

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deleting moves to the trash: our action reports what it did
        return actions

    def has_view_permission(self, request, obj=None):
        if not super().has_view_permission(request, obj):
            return False
        if obj is None or edits_any_article(request.user):
            return True
        return Article.objects.editable_by(request.user).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or may_edit_article(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or may_edit_article(request.user, obj)

    def save_model(self, request, obj, form, change):
        obj.edit_count += 1
        if not change:
            obj.created_by = request.user
        elif obj.status == Status.IN_REVIEW and obj.review_level:
            # What the sign-offs approved, read from the database before this save changes it.
            request._newsroom_reviewed_text = services.reviewed_text(obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_newsroom_reviewed_text", None)
        if before is not None and services.reviewed_text(form.instance) != before:
            if services.reset_review_after_change(form.instance, request.user):
                self.message_user(
                    request,
                    _("The text changed after a sign-off: the story goes back to the first review level."),
                    messages.WARNING,
                )

    # --- The trash: deleting a story moves it there ---

    def get_deleted_objects(self, objs, request):
        """Deleting moves stories to the trash with all their parts: nothing else is deleted, nothing else listed."""
        objs = list(objs)
        return [str(obj) for obj in objs], {Article._meta.verbose_name_plural: len(objs)}, set(), []

    def delete_model(self, request, obj):
        services.move_to_trash(obj, request.user)

    def delete_queryset(self, request, queryset):
        for article in queryset:
            services.move_to_trash(article, request.user)

    @admin.action(description=_("Move the selected articles to the trash"), permissions=["delete"])
    def move_to_trash(self, request, queryset):
        moved = 0
        for article in queryset:
            try:
                services.move_to_trash(article, request.user)
            except services.WorkflowError as error:
                self.message_user(request, f"{article}: {error.message}", messages.ERROR)
            else:
                moved += 1
        self.message_user(request, _("%(count)d articles moved to the trash.") % {"count": moved}, messages.SUCCESS)

    # --- The workflow: one POST URL per step, checked on the server ---

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/workflow/<slug:action>/",
                self.admin_site.admin_view(self.workflow_view),
                name="{}_{}_workflow".format(*info),
            ),
            path(
                "<path:object_id>/history/<int:version_id>/restore/",
                self.admin_site.admin_view(self.restore_version_view),
                name="{}_{}_restore_version".format(*info),
            ),
            path(
                "<path:object_id>/presence/",
                self.admin_site.admin_view(self.presence_view),
                name="{}_{}_presence".format(*info),
            ),
            *super().get_urls(),
        ]

    # --- Versions, and two people on one story ---

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Every save through the admin keeps a version of the article with its bylines, photos and entries.
        with reversion.create_revision():
            reversion.set_user(request.user)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        """Django's change log, plus the article's versions: compare any two, restore any one."""
        article = self.get_object(request, unquote(object_id))
        if article is None or not self.has_view_permission(request, article):
            raise Http404
        versions = list(services.article_versions(article))
        by_id = {version.pk: version for version in versions}
        old_version = by_id.get(_int_or_none(request.GET.get("old")))
        new_version = by_id.get(_int_or_none(request.GET.get("new")))
        if old_version is None and new_version is None and len(versions) > 1:
            old_version, new_version = versions[1], versions[0]  # by default: what the last save changed
        changes = services.compare_versions(old_version, new_version) if old_version and new_version else []
        context = {
            "versions": versions,
            "old_version": old_version,
            "new_version": new_version,
            "changes": changes,
            "may_restore": self.has_change_permission(request, article),
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, extra_context=context)

    def restore_version_view(self, request, object_id, version_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self.get_object(request, unquote(object_id))
        if article is None or not self.has_view_permission(request, article):
            raise Http404
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        version = services.article_versions(article).filter(pk=version_id).first()
        if version is None:
            raise Http404
        services.restore_version(article, version, request.user)
        if services.reset_review_after_change(article, request.user):
            self.message_user(
                request, _("The text changed after a sign-off: the story goes back to the first review level.")
            )
        self.message_user(request, _("The earlier version is back; the version it replaced is kept in the history."))
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[article.pk])
        )

    def presence_view(self, request, object_id):
        """Heartbeat of an open edit form: marks the user as still here, answers with who else is."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self.get_object(request, unquote(object_id))
        if article is None or not self.has_view_permission(request, article):
            raise Http404
        others = services.note_presence(article, request.user)
        return JsonResponse({"others": [{"text": services.presence_text(other)} for other in others]})

    def workflow_url(self, article, action):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_workflow", args=[article.pk, action])

    def workflow_view(self, request, object_id, action):
        """Take one workflow step (submit, approve, return, publish, schedule, unpublish) and report the result."""
        with reversion.create_revision():  # a workflow step is a save too, and keeps a version
            reversion.set_user(request.user)
            return self._workflow_step(request, object_id, action)

    def _workflow_step(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if action not in services.WORKFLOW_CHECKS:
            raise Http404
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        article = self.get_object(request, unquote(object_id))
        if article is None or not self.has_view_permission(request, article):
            raise Http404
        data, user = request.POST, request.user
        try:
            if action == "submit":
                services.submit_for_review(article, user, comment=data.get("comment", ""))
                self.message_user(request, _("The story was submitted for review."), messages.SUCCESS)
            elif action == "approve":
                services.approve(article, user, comment=data.get("comment", ""))
                level = services.review_level_name(article.review_level)
                self.message_user(request, _("%(level)s signed off.") % {"level": level}, messages.SUCCESS)
            elif action == "return":
                services.return_to_reporter(article, user, data.get("comment", ""))
                self.message_user(request, _("The story was returned to its reporter."), messages.SUCCESS)
            elif action == "unpublish":
                services.unpublish(article, user, data.get("reason", ""))
                self.message_user(request, _("The story was unpublished; it is a draft again."), messages.SUCCESS)
            else:
                self._publish(request, article, action)
        except services.WorkflowPermissionError as error:
            raise PermissionDenied(error.message) from error
        except services.WorkflowError as error:
            self.message_user(request, error.message, messages.ERROR)
            for finding in error.findings:
                self.message_user(request, finding_html(finding), messages.ERROR)
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[article.pk])
        )

    def _publish(self, request, article, action):
        at = None
        if action == "schedule":
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                for error in form.errors.get("published_at", []):
                    self.message_user(request, error, messages.ERROR)
                return
            at = form.cleaned_data["published_at"]
        warnings = services.publish(
            article, request.user, at=at, override_reason=request.POST.get("override_reason", "")
        )
        if article.is_published():
            self.message_user(request, _("The story is published."), messages.SUCCESS)
        else:
            when = timezone.localtime(article.published_at)
            self.message_user(
                request,
                _("The story is scheduled for %(time)s.") % {"time": f"{when:%Y-%m-%d %H:%M:%S}"},
                messages.SUCCESS,
            )
        for finding in warnings:
            self.message_user(request, finding_html(finding), messages.WARNING)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["workflow"] = self.workflow_context(request, obj)
            context["presence"] = [services.presence_text(other) for other in services.note_presence(obj, request.user)]
            context["presence_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_presence", args=[obj.pk]
            )
            context["history_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[obj.pk]
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def workflow_context(self, request, article):
        """What the change page shows about the workflow: state, the steps this user may take, checks, history."""
        user = request.user
        allowed = services.allowed_actions(article, user)
        labels = {
            "submit": _("Submit for review"),
            "approve": _("Approve: %(level)s") % {"level": services.review_level_name(article.review_level + 1)},
            "return": _("Return to the reporter"),
            "publish": _("Publish now"),
            "schedule": _("Schedule"),
            "unpublish": _("Unpublish"),
        }
        publishing = {"publish", "schedule"} & set(allowed)
        history = [
            {"step": step, "level": services.review_level_name(step.level) if step.level else ""}
            for step in article.transitions.select_related("user").order_by("created_at", "id")
        ]
        return {
            "actions": [
                {"name": name, "label": labels[name], "url": self.workflow_url(article, name)} for name in allowed
            ],
            "progress": self.review_progress(article),
            "findings": [
                {"finding": finding, "html": finding_html(finding)}
                for finding in (services.publication_findings(article) if publishing else [])
            ],
            "may_override": publishing and user.has_perm("articles.override_checks"),
            "schedule_default": f"{timezone.localtime() + timedelta(hours=1):%Y-%m-%dT%H:%M}",
            "history": history,
        }

    @admin.display(description=_("live now"), boolean=True)
    def live_now(self, obj):
        return obj.is_published()

    @admin.display(description=_("review"))
    def review_progress(self, obj):
        if obj.status != Status.IN_REVIEW:
            return "—"
        levels = services.review_levels()
        if obj.review_level >= levels:
            return _("Signed off, ready to publish")
        return _("%(signed)d of %(levels)d levels signed; next: %(next)s") % {
            "signed": obj.review_level,
            "levels": levels,
            "next": services.review_level_name(obj.review_level + 1),
        }

    @admin.display(description=_("bylines"))
    def byline_names(self, obj):
        return format_html_join(" ", "{} {}", ((b.role.name, b.reporter.name) for b in obj.bylines.all()))


def _int_or_none(value):
    return int(value) if value and value.isdigit() else None


def view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" shortcut, checked first: an unpublished article's address only goes to whoever
    may edit it (everyone else gets 404); other objects go to Django's shortcut unchanged."""
    content_type = ContentType.objects.get_for_id(content_type_id) if content_type_id else None
    model = content_type.model_class() if content_type else None
    if model is not None and issubclass(model, (Article, ExperienceEntry)):
        if not object_id.isdigit():
            raise Http404
        if issubclass(model, ExperienceEntry):
            article_id = ExperienceEntry.objects.filter(pk=object_id).values_list("article_id", flat=True).first()
        else:
            article_id = int(object_id)
        visible = Article.objects.published().filter(pk=article_id).exists() or (
            Article.objects.editable_by(request.user).filter(pk=article_id).exists()
        )
        if not visible:
            raise Http404
    return contenttype_views.shortcut(request, content_type_id, object_id)


@admin.register(TrashedArticle)
class TrashedArticleAdmin(admin.ModelAdmin):
    """The trash: stories deleted in the admin, with who deleted them and when. Editors restore them (as drafts);
    only the chief editor deletes them for good."""

    list_display = ["headline", "section", "status", "deleted_at", "deleted_by", "created_by"]
    list_select_related = ["section", "deleted_by", "created_by"]
    list_filter = ["section"]
    search_fields = ["headline", "subtitle", "summary"]
    date_hierarchy = "deleted_at"
    actions = ["restore_selected", "delete_selected"]
    fields = ["headline", "subtitle", "summary", "section", "status", "published_at", "deleted_at", "deleted_by"]
    readonly_fields = fields
    view_on_site = False  # a story in the trash has no public page

    def get_queryset(self, request):
        queryset = TrashedArticle.objects.filter(deleted_at__isnull=False).select_related(*self.list_select_related)
        return queryset.order_by(*(self.get_ordering(request) or TrashedArticle._meta.ordering))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # read-only; the restore action takes a story out

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and request.user.has_perm("articles.purge_article")

    def has_restore_permission(self, request):
        return request.user.is_staff and edits_any_article(request.user)

    def get_deleted_objects(self, objs, request):
        # The parts go with the story (bylines, photo links, entries, workflow steps): purge_article decides.
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request, obj):
        services.purge_from_trash(obj, request.user)

    def delete_queryset(self, request, queryset):
        for article in queryset:
            services.purge_from_trash(article, request.user)

    @admin.action(description=_("Restore the selected articles (as drafts)"), permissions=["restore"])
    def restore_selected(self, request, queryset):
        count = 0
        for article in queryset:
            services.restore_from_trash(article, request.user)
            count += 1
        self.message_user(request, _("%(count)d articles restored as drafts.") % {"count": count}, messages.SUCCESS)


# --- Reference data -----------------------------------------------------------------------------


class ReporterAdminForm(CheckedImageFormMixin, forms.ModelForm):
    image_fields = ("portrait",)

    class Meta:
        model = Reporter
        fields = ["name", "slug", "title", "affiliation", "bio", "portrait", "user", "is_active"]

    def clean_portrait(self):
        return self._clean_image_field("portrait")


@admin.register(Reporter)
class ReporterAdmin(admin.ModelAdmin):
    form = ReporterAdminForm
    list_display = ["name", "title", "affiliation", "has_login", "is_active"]
    list_filter = ["is_active", "affiliation"]
    search_fields = ["name", "slug", "affiliation"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["user"]

    @admin.display(description=_("has login"), boolean=True, ordering="user")
    def has_login(self, obj):
        return obj.user_id is not None


@admin.register(BylineRole)
class BylineRoleAdmin(admin.ModelAdmin):
    list_display = ["name", "order"]
    list_editable = ["order"]
    search_fields = ["name"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "place", "starts_on", "ends_on", "is_featured"]
    list_filter = ["is_featured"]
    search_fields = ["title", "summary", "place"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "level", "parent"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["parent"]


class PhotoAdminForm(CheckedImageFormMixin, forms.ModelForm):
    image_fields = ("image",)

    class Meta:
        model = Photo
        fields = ["image", "alt_text", "credit_reporter", "credit_text"]

    def clean_image(self):
        return self._clean_image_field("image")


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    form = PhotoAdminForm
    list_display = ["preview", "alt_text", "credit_display", "width", "height", "created_at"]
    list_select_related = ["credit_reporter"]
    search_fields = ["alt_text", "credit_text", "credit_reporter__name", "original_filename"]
    autocomplete_fields = ["credit_reporter"]
    readonly_fields = ["preview", "width", "height", "original_filename", "uploaded_by", "created_at"]

    @admin.display(description=_("preview"))
    def preview(self, obj):
        return thumbnail(obj, size=80)

    @admin.display(description=_("credit"))
    def credit_display(self, obj):
        return obj.credit

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=Photo.objects.usable_by(request.user).values("pk"))

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or Photo.objects.editable_by(request.user).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or Photo.objects.editable_by(request.user).filter(pk=obj.pk).exists()

    def save_model(self, request, obj, form, change):
        if "image" in form.uploaded_names:
            obj.original_filename = form.uploaded_names["image"]
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(FrontPageSlot)
class FrontPageSlotAdmin(admin.ModelAdmin):
    list_display = ["position", "article", "article_is_live"]
    list_select_related = ["article"]
    autocomplete_fields = ["article"]
    ordering = ["position"]

    @admin.display(description=_("live now"), boolean=True)
    def article_is_live(self, obj):
        return obj.article.is_published() if obj.article_id else None


# --- Checks before publishing -------------------------------------------------------------------


class WatchWordAdminForm(forms.ModelForm):
    class Meta:
        model = WatchWord
        fields = ["word", "kind", "correction", "note", "is_active"]

    def clean(self):
        cleaned = super().clean()
        for name in ("word", "correction", "note"):
            if isinstance(cleaned.get(name), str):
                cleaned[name] = services.clean_text(cleaned[name]).strip()
        if cleaned.get("kind") == WatchWord.Kind.MISWRITTEN and not cleaned.get("correction"):
            self.add_error("correction", _("Give the correct form of a miswritten word."))
        return cleaned


@admin.register(WatchWord)
class WatchWordAdmin(admin.ModelAdmin):
    """The newsroom's word lists, checked in every story before it is published (case and width ignored)."""

    form = WatchWordAdminForm
    list_display = ["word", "kind", "correction", "note", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["word", "correction", "note"]
    list_per_page = 100


# --- Preview links --------------------------------------------------------------------------------


class ShareLinkAdminForm(forms.ModelForm):
    days = forms.IntegerField(
        label=_("valid for (days)"),
        min_value=1,
        max_value=30,
        help_text=_("The link stops working after this many days; you can revoke it earlier."),
    )

    class Meta:
        model = ShareLink
        fields = ["article", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "days" in self.fields:
            self.fields["days"].initial = settings.NEWSROOM_SHARE_LINK_DAYS


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    """Editors make a read-only preview of one story for an outside source, send its address, and revoke it."""

    form = ShareLinkAdminForm
    list_display = ["article", "note", "created_by", "created_at", "expires_at", "state", "share_url"]
    list_select_related = ["article", "created_by"]
    search_fields = ["note", "article__headline"]
    autocomplete_fields = ["article"]
    actions = ["revoke_links"]
    readonly_after_creation = ["article", "share_url", "created_by", "created_at", "expires_at", "revoked_at"]

    def get_queryset(self, request):
        editable = Article.objects.editable_by(request.user).values("pk")
        return (
            super()
            .get_queryset(request)
            .filter(article__in=editable)
            .select_related("article", "created_by")
            # The site's address as this request reached it, for the full link (display methods get no request).
            .annotate(site_root=Value(request.build_absolute_uri("/")))
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["article", "note", "days"]
        return ["article", "note", "share_url", "created_by", "created_at", "expires_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_after_creation if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "article":
            kwargs["queryset"] = Article.objects.editable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _may_share(self, request):
        return request.user.has_perm("articles.share_article")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._may_share(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_share(request)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["note"])
            return
        link = services.create_share_link(
            form.cleaned_data["article"], request.user, note=form.cleaned_data["note"], days=form.cleaned_data["days"]
        )
        # The service made the row; the admin goes on (history, redirect) with the object it was given.
        for field in ShareLink._meta.concrete_fields:
            setattr(obj, field.attname, getattr(link, field.attname))
        obj._state.adding = False
        self.message_user(
            request,
            format_html(
                _("Send this address to {}: {}"),
                link.note or _("the source"),
                request.build_absolute_uri(services.share_link_url(link)),
            ),
            messages.SUCCESS,
        )

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.revoked_at is not None:
            return _("Revoked")
        if not obj.is_active():
            return _("Expired")
        return _("Active")

    @admin.display(description=_("address to send"))
    def share_url(self, obj):
        if not obj.pk or not obj.is_active() or not hasattr(obj, "site_root"):
            return "—"
        return format_html(
            '<input type="text" readonly value="{}" size="60" aria-label="{}">',
            urljoin(obj.site_root, services.share_link_url(obj)),
            _("address to send"),
        )

    @admin.action(description=_("Revoke the selected preview links"), permissions=["change"])
    def revoke_links(self, request, queryset):
        count = 0
        for link in queryset.filter(revoked_at__isnull=True):
            services.revoke_share_link(link, request.user)
            count += 1
        self.message_user(request, _("%(count)d preview links revoked.") % {"count": count}, messages.SUCCESS)
