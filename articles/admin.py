"""The newsroom's admin: articles with their bylines, photos and experience entries."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
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
    Status,
    Topic,
)
from articles.querysets import edits_any_article
from articles.widgets import CKEditorWidget

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
    """Editors edit any story; reporters their own (created or bylined), and only until it is published."""
    if edits_any_article(user):
        return True
    if article.status == Status.PUBLISHED and not may_publish(user):
        return False
    return Article.objects.editable_by(user).filter(pk=article.pk).exists()


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
    class Meta:
        model = Article
        fields = [
            "kicker", "headline", "subtitle", "summary", "pull_quote", "body", "source", "section", "topics",
            "dateline_place", "dateline_on", "lead_photo", "lead_photo_caption", "print_issue_on", "print_page_number", "print_page_name",
            "status", "published_at",
        ]  # fmt: skip
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "pull_quote": forms.Textarea(attrs={"rows": 2}),
            "lead_photo_caption": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = services.clean_text(value)
        if cleaned.get("status") == Status.PUBLISHED:
            # For reporters the publishing time is read-only, so not a field of the form: the stored one counts.
            editable = "published_at" in self.fields
            if not (cleaned.get("published_at") if editable else self.instance.published_at):
                self.add_error(
                    "published_at" if editable else "status", _("A published article needs a publishing time.")
                )
        return cleaned


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    formfield_overrides = RICH_TEXT_OVERRIDES
    list_display = ["headline", "section", "status", "published_at", "live_now", "byline_names"]
    list_filter = ["status", "section", "topics"]
    list_select_related = ["section"]
    search_fields = ["headline", "subtitle", "kicker", "summary", "bylines__reporter__name"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["lead_photo", "topics"]
    readonly_fields = ["created_at", "updated_at", "created_by"]
    inlines = [BylineInline, ArticlePhotoInline, ExperienceEntryInline, CorrectionInline]
    fieldsets = [
        (_("The story"), {"fields": ["kicker", "headline", "subtitle", "summary", "pull_quote", "body"]}),
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
        (_("Publishing"), {"fields": ["status", "published_at"]}),
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

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not may_publish(request.user):
            readonly.append("published_at")
        return readonly

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status" and not may_publish(request.user):
            kwargs["choices"] = [(Status.DRAFT, Status.DRAFT.label), (Status.IN_REVIEW, Status.IN_REVIEW.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

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
        if not change:
            obj.created_by = request.user
        if obj.status == Status.PUBLISHED and not may_publish(request.user):
            if not change or Article.objects.filter(pk=obj.pk).exclude(status=Status.PUBLISHED).exists():
                raise PermissionDenied
        super().save_model(request, obj, form, change)

    @admin.display(description=_("live now"), boolean=True)
    def live_now(self, obj):
        return obj.is_published()

    @admin.display(description=_("bylines"))
    def byline_names(self, obj):
        return format_html_join(" ", "{} {}", ((b.role.name, b.reporter.name) for b in obj.bylines.all()))


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
