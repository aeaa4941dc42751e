"""The newsroom's admin: articles with their bylines, photos and experience entries."""

import logging
from datetime import timedelta
from urllib.parse import urljoin

import reversion
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.admin.utils import NestedObjects, unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connections, models, router
from django.db.models import Case, Count, Prefetch, Q, Value, When, prefetch_related_objects
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from articles import manuscripts, services, tasks
from articles import search as article_search
from articles.middleware import unsaved_text
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
    Transition,
    TrashedArticle,
    WatchWord,
    print_page_title,
)
from articles.querysets import edits_any_article
from articles.widgets import UPLOAD_URL, AdminImageInput, CKEditorWidget, PreloadedAutocompleteSelect
from newsroom.db_errors import DATABASE_UNAVAILABLE_ERRORS

logger = logging.getLogger(__name__)

admin.site.site_header = _("Newsroom")
admin.site.site_title = _("Newsroom")
admin.site.index_title = _("Editorial desk")

PUBLISHING_FIELDS = ("status", "published_at", "first_published_at")
# The admin maps every TextField (RichTextField included) to its own textarea unless told otherwise.
RICH_TEXT_OVERRIDES = {RichTextField: {"widget": CKEditorWidget}}


def thumbnail(photo, size=120):
    """A small rendition of the photo (prefetch ``renditions`` with it), or the original when it has none yet."""
    if not photo or not photo.image:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" style="max-width:{}px;max-height:{}px">',
        small_image_url(photo),
        photo.alt_text,
        size,
        size,
    )


def small_image_url(photo):
    picture = photo.full_picture
    jpegs = [item.split(" ")[0] for item in picture.jpeg_srcset.split(", ") if item]
    return jpegs[0] if jpegs else picture.src


def may_publish(user):
    return user.has_perm("articles.publish_article")


def may_edit_article(user, article):
    """Editors edit any story; reporters their own (created or bylined) while it is a draft (see services)."""
    return services.may_edit_article(user, article)


def story_foreign_key(model_admin, db_field, request, kwargs):
    """The form field arguments of a foreign key on a story or its parts: photo fields accept only photos the user
    may use (a posted id of anyone else's photo is refused); autocomplete boxes render their chosen item from the
    labels their formset loaded for all rows at once (``PreloadedAutocompleteSelect``)."""
    if db_field.related_model is Photo:
        kwargs["queryset"] = Photo.objects.usable_by(request.user)
    if db_field.related_model is Article and not edits_any_article(request.user):
        # The stories the user may open, as the autocomplete offers them: a posted id of another reporter's draft
        # or an embargoed story is refused (its headline was printed back as the chosen option).
        kwargs["queryset"] = Article.objects.editable_by(request.user)
    if db_field.name in model_admin.get_autocomplete_fields(request) and "widget" not in kwargs:
        kwargs["widget"] = PreloadedAutocompleteSelect(db_field, model_admin.admin_site, using=kwargs.get("using"))
    return kwargs


class PartFormSet(BaseInlineFormSet):
    """An article's parts: a duplicate row is named in plain words (a byline repeated: the same person twice in the
    same role), never by Django's code names or its "this field must be unique"; in
    a table (bylines, photos) each field is named by its label for screen readers too, since the column headers
    are not tied to the fields ("组合框 首席记者" said nothing of what the box is)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for field in form.fields.values():
            widget = getattr(field.widget, "widget", field.widget)  # inside the admin's "add another" wrapper
            if field.label and not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("aria-label", str(field.label))

    def get_unique_error_message(self, unique_check):
        labels = [str(self.model._meta.get_field(name).verbose_name) for name in unique_check if name != self.fk.name]
        return _("Two rows have the same %(fields)s: remove one of them.") % {
            "fields": str(pgettext_lazy("list separator", ", ")).join(labels)
        }

    def get_form_error(self):
        return _("This row repeats another.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self._keep_removed_rows_as_new()

    def _keep_removed_rows_as_new(self):
        """A row someone else removed since this page was opened (deleted, or replaced by a history restore) comes
        back as a new row of what this page holds, after the rows still there: Django refused it with an error on
        a row the page no longer showed, at every save, so the typed text could never be saved. After the conflict
        message, saving again saves this page's version, its rows included."""
        prefix, pk_name = self.prefix, self.model._meta.pk.name
        try:
            initial = int(self.data.get(f"{prefix}-INITIAL_FORMS", ""))
            total = int(self.data.get(f"{prefix}-TOTAL_FORMS", ""))
        except ValueError:
            return  # a broken management form: Django's own error says so
        posted = {index: self.data.get(f"{prefix}-{index}-{pk_name}", "") for index in range(min(initial, total))}
        ids = [value for value in posted.values() if value.isascii() and value.isdigit()]
        there = {str(pk) for pk in self.get_queryset().filter(pk__in=ids).values_list("pk", flat=True)}
        removed = [index for index, value in posted.items() if value not in there]
        if not removed:
            return
        order = [index for index in posted if index not in removed] + removed + list(range(len(posted), total))
        data = self.data.copy()
        for index in range(total):
            for key in [key for key in data if key.startswith(f"{prefix}-{index}-")]:
                del data[key]
        for new_index, old_index in enumerate(order):
            for key in [key for key in self.data if key.startswith(f"{prefix}-{old_index}-")]:
                data.setlist(f"{prefix}-{new_index}-{key[len(f'{prefix}-{old_index}-') :]}", self.data.getlist(key))
            if old_index in removed:
                data[f"{prefix}-{new_index}-{pk_name}"] = ""
        data[f"{prefix}-INITIAL_FORMS"] = str(initial - len(removed))
        self.data = data

    @cached_property
    def forms(self):
        """The rows, sharing what their choice boxes show: one query per field for the whole formset (a roundup's
        14 entries, its bylines), not one per row."""
        rows = super().forms
        if rows:
            for name, field in rows[0].fields.items():
                if isinstance(field, forms.ModelChoiceField) and not isinstance(field, forms.ModelMultipleChoiceField):
                    share_choices(rows, name, field)
        return rows


class BylineForm(forms.ModelForm):
    """A byline row: a person chosen without a role takes the role named by their default title (默认职务) when
    the vocabulary has it; without either, the role is asked for as before."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].required = False  # checked in clean(), after the person's default title

    def clean(self):
        cleaned = super().clean()
        reporter = cleaned.get("reporter")
        if cleaned.get("role") is None and "role" not in self.errors:
            title = reporter.title.strip() if reporter is not None else ""
            role = BylineRole.objects.filter(name=title).first() if title else None
            if role is None:
                self.add_error(
                    "role", forms.ValidationError(self.fields["role"].error_messages["required"], "required")
                )
            else:
                cleaned["role"] = self.instance.role = role
        return cleaned


def review_reset_message(scheduled_for):
    """What the editor is told when a change sent a story back to review (``reset_review_after_change``): with the
    time of the schedule it cancelled, if it was scheduled."""
    if scheduled_for is not None:
        return _(
            "The text changed after the story was scheduled for %(time)s: the schedule is cancelled and the story "
            "is back in review."
        ) % {"time": date_format(timezone.localtime(scheduled_for), "DATETIME_FORMAT")}
    return _("The text changed after a sign-off: the story goes back to the first review level.")


def refuse_images_without_alt_when_live(article, form, part):
    """What a live story shows goes out at once: an image without alt text in the rich text ``body`` of ``form``
    (the story's or an entry's) was published with alt="", and the check that would have caught it ran only at the
    next publish. Only a changed text is checked: a correction to an older story is not held up by what it already
    had. ``part`` names the images as the publication findings do ("body image", "entry 2 body image")."""
    if not (article.pk and article.is_published() and "body" in form.changed_data and "body" in form.cleaned_data):
        return
    for number in services.images_without_alt(form.cleaned_data["body"]):
        problem = services.Finding(services.Finding.MISSING, f"{part} {number}").message
        form.add_error("body", _("The story is live: %(problem)s") % {"problem": problem})


def refuse_sensitive_words_when_live(article, form, fields, part=""):
    """A live story's changed text goes out at once: a sensitive word typed into it was published without the
    check a publish runs (nor the chief editor's reason for keeping one). A word the saved text did not hold is
    refused on its field; what the story already had is not held up again. ``part`` names an entry's fields as
    the publication findings do ("entry 2 ")."""
    if not (article.pk and article.is_published()):
        return
    changed = [name for name in fields if name in form.changed_data and name in form.cleaned_data]
    changes = [(name, form.initial.get(name) or "", form.cleaned_data[name], fields[name]) for name in changed]
    for finding in services.new_sensitive_words(changes):
        form.add_error(
            finding.field,
            _(
                "The story is live: %(problem)s Remove it, or ask the chief editor to unpublish the story and publish "
                "it again with a reason."
            )
            % {"problem": services.Finding(finding.kind, part + finding.field, word=finding.word).message},
        )


class ExperienceEntryFormSet(PartFormSet):
    def clean(self):
        """An entry of a live story, as its body: a changed text with an image lacking alt text, or with a new
        sensitive word, is not saved."""
        super().clean()
        for number, form in enumerate(self.forms, start=1):
            if form not in self.deleted_forms:
                body = getattr(form, "cleaned_data", {}).get("body")
                if body:  # the instance was built from cleaned_data already: both take the current files
                    form.cleaned_data["body"] = form.instance.body = services.with_current_files(body)
                refuse_images_without_alt_when_live(self.instance, form, f"entry {number} body image")
                refuse_sensitive_words_when_live(
                    self.instance, form, services.LIVE_ENTRY_TEXT_FIELDS, f"entry {number} "
                )


class ArticlePhotoFormSet(PartFormSet):
    def clean(self):
        """A photo's caption on a live story, as its text: a new sensitive word is not saved."""
        super().clean()
        for number, form in enumerate(self.forms, start=1):
            if form not in self.deleted_forms:
                refuse_sensitive_words_when_live(self.instance, form, {"caption": False}, f"photo {number} ")


class BylineFormSet(PartFormSet):
    def get_unique_error_message(self, unique_check):
        return _("The same person is named twice in the same role: remove one of the bylines.")


def share_choices(rows, name, field):
    widget = getattr(field.widget, "widget", field.widget)  # inside the admin's "add another" wrapper
    if isinstance(widget, PreloadedAutocompleteSelect):
        chosen = {str(row[name].value()) for row in rows} - {str(value) for value in field.empty_values}
        key = field.to_field_name or "pk"
        # As the box's answers label them (NewsroomAutocompleteView): a reporter with where she works.
        model_admin = widget.admin_site._registry.get(field.queryset.model)
        label = getattr(model_admin, "autocomplete_label", None) or field.label_from_instance
        labels = {str(getattr(item, key)): label(item) for item in field.queryset.filter(**{f"{key}__in": chosen})}
        for row in rows:
            row_field = row.fields[name]
            getattr(row_field.widget, "widget", row_field.widget).preloaded_labels = labels
    elif isinstance(widget, forms.Select) and not isinstance(widget, AutocompleteSelect):
        choices = list(field.choices)
        for row in rows:
            row.fields[name].choices = choices


def error_places(adminform, inline_admin_formsets):
    """Where a refused story form has errors, as (link target, label) in the page's order: the story's fields, then
    each part's rows ("经验交流第12条：标题"). A roundup's page is long; "请更正以下错误。" alone said nothing of where."""
    places = []
    if adminform is not None:
        form = adminform.form
        places += [
            (f"#{form[name].id_for_label}", str(form.fields[name].label)) for name in form.errors if name in form.fields
        ]
    for inline in inline_admin_formsets:
        formset = inline.formset
        part = capfirst(inline.opts.verbose_name_plural)
        if formset.non_form_errors():
            places.append((f"#{formset.prefix}-group", str(part)))
        for index, row in enumerate(formset.forms):
            row_label = _("%(part)s No. %(number)s") % {"part": part, "number": index + 1}
            for name in row.errors:
                field = row.fields.get(name)
                label = (
                    f"{row_label}{pgettext_lazy('label separator', ': ')}{field.label}"
                    if field is not None and field.label
                    else row_label
                )
                places.append((f"#{formset.prefix}-{index}", label))
    return places


def _named_version(entry):
    """The version kept by this save says what it changed, as the change log ``entry`` does."""
    if reversion.is_active():
        reversion.set_comment(entry.get_change_message())
    return entry


class ArticlePartInline:
    """Bylines, photo links and entries may change exactly when their article may."""

    formset = PartFormSet

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **story_foreign_key(self, db_field, request, kwargs))

    def _may_edit_parent(self, request, obj):
        return obj is None or may_edit_article(request.user, obj)

    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and self._may_edit_parent(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit_parent(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_edit_parent(request, obj)


PAGE_USER_FIELD = "newsroom_page_user"


def refuse_another_logins_page(request):
    """A page's forms carry the id of the user it was opened for (PAGE_USER_FIELD). After a new login in another tab
    they send that login's security token (static/js/edit-presence.js), so that the typing is not lost; a page opened
    by someone else on this browser must not act as the new login."""
    sent = request.POST.get(PAGE_USER_FIELD) if request.method == "POST" else None
    if sent is not None and sent != str(request.user.pk):
        raise PermissionDenied("This page was opened by another login.")


def yes_no_icon(value):
    """Django's icon of a ``boolean=True`` column, with its alt text in the admin's language (Django writes "True"
    and "False", which screen readers then read out in English)."""
    icon, label = {True: ("yes", _("Yes")), False: ("no", _("No")), None: ("unknown", _("Unknown"))}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), label)


def staff_column(model, field):
    """A list column naming the user in ``field`` as colleagues know them (``services.staff_name``: 郑晓岚, a
    reporter's byline name), not by login; list_select_related must hold ``<field>__reporter``."""

    @admin.display(description=model._meta.get_field(field).verbose_name, ordering=field)
    def column(obj):
        user = getattr(obj, field)
        return services.staff_name(user) if user else "—"

    column.__name__ = f"{field}_name"
    return column


@admin.display(description=_("status"), ordering="status")
def status_label(article):
    """A story's status for the articles' list, its page and the trash: one waiting for its publishing time is
    called scheduled rather than published."""
    if article.is_scheduled():
        return _("Scheduled")
    return article.get_status_display()


def sanitised_rich_text(html):
    """Rich text for a read-only admin page, shown as readers see it rather than as its HTML source: it was
    sanitised with nh3 when it was saved (services.sanitize_html)."""
    return format_html('<div class="readonly-rich-text">{}</div>', mark_safe(html or ""))  # noqa: S308  # nosec B308, B703


def rich_text_shown(fields, editable):
    """``fields`` with "body" replaced by "body_html" (a read-only display of it) when the page is not editable."""
    return fields if editable else ["body_html" if field == "body" else field for field in fields]


class CheckedImageFormMixin:
    """Every image a form accepts is decoded, checked and re-encoded by the upload service first."""

    image_fields = ()
    uploaded_names = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.uploaded_names = {}
        for name in self.image_fields:
            if name not in self.fields:  # a read-only view of the object
                continue
            # A plain file field: the upload service decodes the file under our limits and words the refusal (Django's
            # ImageField would open it with Pillow first and answer "not a valid image" for everything). No
            # max_length: it limits the generated stored name; the sender's (often long, Chinese) name is data.
            image_field = self.fields[name]
            self.fields[name] = forms.FileField(
                label=image_field.label,
                required=image_field.required,
                help_text=image_field.help_text,
                widget=image_field.widget,
                allow_empty_file=True,
            )

    def _clean_image_field(self, name, max_side=None):
        upload = self.cleaned_data.get(name)
        if upload and hasattr(upload, "content_type"):
            self.uploaded_names[name] = services.clean_text(upload.name)[-255:]
            return services.prepare_image_upload(upload, max_side=max_side)
        return upload


# --- Inlines ------------------------------------------------------------------------------------


class BylineInline(ArticlePartInline, admin.TabularInline):
    model = Byline
    form = BylineForm
    formset = BylineFormSet
    extra = 0
    autocomplete_fields = ["reporter"]
    fields = ["order", "role", "reporter"]
    ordering = ["order", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role", "reporter")  # each row is headed "首席记者 李某"


class ArticlePhotoInline(ArticlePartInline, admin.TabularInline):
    model = ArticlePhoto
    formset = ArticlePhotoFormSet
    extra = 0
    autocomplete_fields = ["photo"]
    fields = ["order", "photo", "preview", "caption"]
    readonly_fields = ["preview"]
    ordering = ["order", "id"]
    # Two lines, as the lead photo's caption: the default ten lines pushed the table past the screen's width.
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("photo").prefetch_related("photo__renditions")

    @admin.display(description=_("preview"))
    def preview(self, obj):
        return thumbnail(obj.photo if obj.pk else None)


class ExperienceEntryInline(ArticlePartInline, admin.StackedInline):
    model = ExperienceEntry
    formset = ExperienceEntryFormSet
    extra = 0
    autocomplete_fields = ["organization", "photo"]
    fields = ["order", "form", "organization", "title", "highlight", "body", "photo", "caption"]
    formfield_overrides = RICH_TEXT_OVERRIDES
    ordering = ["order", "id"]
    classes = ["collapse"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization", "photo")

    def get_fields(self, request, obj=None):
        return rich_text_shown(super().get_fields(request, obj), self.has_change_permission(request, obj))

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if self.has_change_permission(request, obj) else [*readonly, "body_html"]

    @admin.display(description=_("body"))
    def body_html(self, entry):
        return sanitised_rich_text(entry.body)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            _set_upload_article(formset.form, obj)
        return formset


def has_been_out(article):
    """Whether the story has been on the site (live now, or first published before now)."""
    return article is not None and (
        article.is_published()
        or (article.first_published_at is not None and article.first_published_at <= timezone.now())
    )


class CorrectionFormSet(PartFormSet):
    user = None  # set by CorrectionInline.get_formset

    def save(self, commit=True):
        """Once the story has been out, a correction changed or taken down is in its workflow history with what it
        said before (the versions keep no corrections: restoring one must not take back a later correction)."""
        if has_been_out(self.instance):
            changed = [form for form in self.initial_forms if form.has_changed() and form not in self.deleted_forms]
            before = [(form.initial, False) for form in changed] + [(form.initial, True) for form in self.deleted_forms]
        else:
            before = []
        saved = super().save(commit)
        for initial, removed in before:
            services.record_correction_change(self.instance, self.user, initial, removed=removed)
        return saved

    def clean(self):
        """A correction of a story that has been out is the public record: only the chief editor changes it (any
        editor rewrote one silently: the history keeps no corrections); a new one is added instead."""
        super().clean()
        if not has_been_out(self.instance) or (self.user and self.user.has_perm("articles.purge_article")):
            return
        for form in self.initial_forms:
            if form.has_changed() and form not in self.deleted_forms:
                form.add_error(
                    None,
                    forms.ValidationError(
                        _("Only the chief editor changes a correction once the story has been out: add a new one."),
                        code="correction_kept",
                    ),
                )


class CorrectionInline(ArticlePartInline, admin.TabularInline):
    model = Correction
    formset = CorrectionFormSet
    extra = 0
    fields = ["noted_at", "kind", "text"]
    ordering = ["noted_at", "id"]

    def has_add_permission(self, request, obj):
        # Corrections are an editor's word on published copy.
        return super().has_add_permission(request, obj) and may_publish(request.user)

    def has_delete_permission(self, request, obj=None):
        """A correction once the story has been out is part of the public record: only the chief editor takes one
        down (any editor did, silently: the history keeps no corrections, so nothing showed it or brought it
        back)."""
        if has_been_out(obj):
            return super().has_delete_permission(request, obj) and request.user.has_perm("articles.purge_article")
        return super().has_delete_permission(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.user = request.user  # a new class per call
        return formset


# --- Articles -----------------------------------------------------------------------------------


class ArticleAdminForm(forms.ModelForm):
    """The story's text and placing. Status and publishing time are not typed: the workflow buttons set them."""

    class Meta:
        model = Article
        fields = [
            "kicker", "headline", "subtitle", "summary", "pull_quote", "body", "source", "section", "topics",
            "dateline_place", "dateline_on", "lead_photo", "lead_photo_caption", "print_issue_on", "print_page_number", "print_page_name",
            "package_lead",
        ]  # fmt: skip
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "pull_quote": forms.Textarea(attrs={"rows": 2}),
            "lead_photo_caption": forms.Textarea(attrs={"rows": 2}),
        }

    # The edit count and latest version this form was opened on: a save from an older form is refused.
    seen_edit_count = forms.IntegerField(widget=forms.HiddenInput, required=False)
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Set by ArticleAdmin.changeform_view when a save failed because the database went away: the form comes back
    # with the editor's text and this message instead of being saved.
    save_failure = None
    user = None  # set by ArticleAdmin.get_form: whose stories the form may name

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("dateline_on", "print_issue_on"):  # "输入一个有效的日期。" said nothing of the form wanted
            if name in self.fields:
                self.fields[name].error_messages["invalid"] = _(
                    "Write the date with its year, as 2026-11-19 or 2026年11月19日."
                )
        lead = self.fields.get("package_lead")
        if lead is not None and self.instance.package_lead_id:
            # The package an editor put the story in stays valid for a reporter who may not open its lead.
            lead.queryset = Article.objects.filter(
                Q(pk__in=lead.queryset.values("pk")) | Q(pk=self.instance.package_lead_id)
            )
        if self.instance.pk:
            self.fields["seen_edit_count"].initial = self.instance.edit_count
            self.fields["seen_edit_count"].required = True  # a save that does not say what it saw is refused
            latest = services.article_versions(self.instance).first()
            self.fields["seen_version"].initial = latest.pk if latest else None

    def clean_package_lead(self):
        """A package has one lead and its companions: no story its own lead, no companion of a companion."""
        lead = self.cleaned_data.get("package_lead")
        if lead is None:
            return lead
        if lead.pk == self.instance.pk:
            raise forms.ValidationError(_("A story cannot be the lead of its own package."), code="own_lead")
        if lead.package_lead_id is not None:
            raise forms.ValidationError(
                _("“%(story)s” is a companion in another story’s package: choose that package’s lead story."),
                code="companion_as_lead",
                params={"story": lead.headline},
            )
        if self.instance.pk and self.instance.companions.exists():
            raise forms.ValidationError(
                _("This story leads a package of its own: it cannot be a companion in another."),
                code="lead_as_companion",
            )
        return lead

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
        if cleaned.get("body"):
            cleaned["body"] = services.with_current_files(cleaned["body"])
        self._check_print_page_name(cleaned)
        if cleaned.get("lead_photo_caption") and not cleaned.get("lead_photo"):
            if {"lead_photo", "lead_photo_caption"} & set(self.changed_data):  # kept and shown nowhere
                self.add_error(
                    "lead_photo_caption",
                    _("There is no lead photo for this caption: choose the lead photo, or delete the caption."),
                )
        refuse_images_without_alt_when_live(self.instance, self, "body image")
        refuse_sensitive_words_when_live(self.instance, self, services.LIVE_TEXT_FIELDS)
        if self.save_failure:
            raise forms.ValidationError(self.save_failure, code="database_unavailable")
        return cleaned

    renames_print_page = False  # set by _check_print_page_name: ArticleAdmin.save_related names the whole page

    def _check_print_page_name(self, cleaned):
        """One print page has one name: the issue's page showed the first story's, while another story's own
        reference named the page otherwise. Checked when the form changes the story's place in print (an unrelated
        edit of a story whose page came to have two names is not held up by it). A name left empty takes the
        page's; an editor who renames the page of a story renames the page (its other stories follow, in
        ``ArticleAdmin.save_related``); anyone else's other name is refused, naming the page's."""
        if not {"print_issue_on", "print_page_number", "print_page_name"} & set(self.changed_data):
            return
        issue_on, name = cleaned.get("print_issue_on"), (cleaned.get("print_page_name") or "").strip()
        number = services.normalized_page_number(cleaned.get("print_page_number"))
        if not issue_on and (number or name) and "print_issue_on" not in self.errors:
            # Kept and shown nowhere: a page without the paper's date is no place in print.
            self.add_error(
                "print_issue_on",
                _("Give the date of the paper the page %(page)s is in.") % {"page": print_page_title(number, name)},
            )
            return
        if not (issue_on and number):
            return
        # The stories whose page names count here are those the user may open: naming another's draft or an
        # embargoed story would show its headline to whoever types its issue and page.
        visible = Q(pk__in=Article.objects.published().values("pk"))
        if self.user is not None:
            visible |= Q(pk__in=Article.objects.editable_by(self.user).values("pk"))
        named = (
            Article.objects.filter(visible, print_issue_on=issue_on, print_page_number=number)
            .exclude(print_page_name="")
            .exclude(pk=self.instance.pk)
            .only("headline", "print_page_name")
        )
        if not name:
            page = named.first()
            if page is not None:  # shown on the story's own page and in the admin list as the page's
                cleaned["print_page_name"] = page.print_page_name
            return
        other = named.exclude(print_page_name=name).first()
        if other is None:
            return
        saved = Article.all_objects.filter(pk=self.instance.pk).values("print_issue_on", "print_page_number").first()
        own_page = saved is not None and (saved["print_issue_on"], saved["print_page_number"]) == (issue_on, number)
        if own_page and self.initial.get("print_page_name") and self.user and edits_any_article(self.user):
            self.renames_print_page = True
            return
        self.add_error(
            "print_page_name",
            _(
                "Page %(page)s of that issue is already called “%(name)s” (in “%(story)s”): use the same name, "
                "or leave it empty to take the page's."
            )
            % {"page": number, "name": other.print_page_name, "story": other.headline},
        )


# A workflow step refused keeps what was typed for it, in the session until the change page shows it again.
WORKFLOW_TYPED_KEY = "newsroom_workflow_typed"
WORKFLOW_TYPED_FIELDS = ("comment", "reason", "published_at", "override_reason")


class ScheduleForm(forms.Form):
    """The time of a scheduled publication, in newsroom time (Beijing)."""

    published_at = forms.DateTimeField(label=_("publishing time"))

    def clean_published_at(self):
        value = self.cleaned_data["published_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future; to publish now use “Publish now”."))
        return value


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type="file" multiple>."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".txt,.md,.markdown,text/plain,text/markdown"}))
        # An empty file fails on its own in the preview, named, as a file of blanks does: Django's "empty file" error
        # refused the whole upload without naming it.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class ManuscriptImportForm(forms.Form):
    """Manuscript files, or pasted text, to import as drafts."""

    MAX_FILES = 30

    files = MultipleFileField(
        label=_("manuscript files"),
        required=False,
        help_text=_("Plain text or Markdown, UTF-8 or GB18030. You may choose several files."),
    )
    text = forms.CharField(
        label=_("or paste a manuscript"), required=False, widget=forms.Textarea(attrs={"rows": 12, "cols": 80})
    )
    section = forms.ModelChoiceField(label=_("section"), queryset=Section.objects.all(), empty_label=None)

    def clean(self):
        cleaned = super().clean()
        files, text = cleaned.get("files") or [], (cleaned.get("text") or "").strip()
        if not files and not text:
            raise forms.ValidationError(_("Choose at least one file or paste a manuscript."))
        if len(files) > self.MAX_FILES:
            raise forms.ValidationError(_("At most %(count)d files at a time, please.") % {"count": self.MAX_FILES})
        return cleaned

    def manuscripts(self):
        """(name, bytes or text) for each file and the pasted text."""
        items = [(upload.name, upload.read(manuscripts.MAX_BYTES + 1)) for upload in self.cleaned_data["files"]]
        if (self.cleaned_data.get("text") or "").strip():
            items.append((str(_("pasted text")), services.clean_text(self.cleaned_data["text"])))
        return items


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


class PrintIssueFilter(admin.SimpleListFilter):
    """The stories of yesterday's, today's or tomorrow's paper, for the night desk laying out an issue (the list
    then shows each story's page)."""

    title = _("print issue")
    parameter_name = "print_issue"
    DAYS = {"yesterday": -1, "today": 0, "tomorrow": 1}

    def lookups(self, request, model_admin):
        return [
            ("tomorrow", _("Tomorrow's paper")),
            ("today", _("Today's paper")),
            ("yesterday", _("Yesterday's paper")),
        ]

    def queryset(self, request, queryset):
        days = self.DAYS.get(self.value())
        if days is None:
            return queryset
        return queryset.filter(print_issue_on=timezone.localdate() + timedelta(days=days))


def renamed_print_page_message(story, count):
    return ngettext(
        "Page %(page)s of that issue is now called “%(name)s” in %(count)d other story as well.",
        "Page %(page)s of that issue is now called “%(name)s” in %(count)d other stories as well.",
        count,
    ) % {"page": story.print_page_number, "name": story.print_page_name, "count": count}


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
    list_display = [
        "headline",
        "section",
        status_label,
        "published_at",
        "live_now",
        "review_progress",
        "byline_names",
        "print_page",
    ]
    list_filter = [WorkflowFilter, PrintIssueFilter, "status", "section", "topics"]
    list_select_related = ["section"]
    # At archive scale: no second COUNT of the whole table on a filtered list; the ordering (with its tie-breaker)
    # and every filter are served by an index (articles_article_admin_idx and friends, see tests/test_list_indexes.py).
    show_full_result_count = False
    ordering = ["-published_at", "-id"]
    search_fields = ["headline", "subtitle", "kicker", "summary", "bylines__reporter__name"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["lead_photo", "topics", "package_lead"]
    readonly_fields = [
        "created_at", "updated_at", "filed_by", *PUBLISHING_FIELDS, "review_progress", "submitted_at", "companion_links",
    ]  # fmt: skip
    inlines = [BylineInline, ArticlePhotoInline, ExperienceEntryInline, CorrectionInline]
    actions = ["move_to_trash"]
    # Save at the top too: the story's form runs to some 4,000 pixels on a phone, and the workflow's steps at its
    # top ask for a save first.
    save_on_top = True

    class Media:
        js = ["js/edit-presence.js", "js/workflow-guard.js", "js/inline-order.js"]
        css = {"all": ["css/admin-list.css"]}

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
        (_("Package"), {"fields": ["package_lead", "companion_links"]}),
        (_("Publishing"), {"fields": [*PUBLISHING_FIELDS, "review_progress", "submitted_at"]}),
        (_("Record"), {"classes": ["collapse"], "fields": ["created_at", "updated_at", "filed_by"]}),
    ]
    filed_by = staticmethod(staff_column(Article, "created_by"))  # who filed the story, not their login

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if request.method == "POST":
            # A refused form comes back with what was typed: the entries are shown, not folded away again (Django
            # unfolds a box only when the mistake is inside it).
            for inline in inlines:
                inline.classes = [name for name in inline.classes or [] if name != "collapse"]
        return inlines

    def get_fieldsets(self, request, obj=None):
        editable = obj is None or self.has_change_permission(request, obj)
        return [
            (name, {**options, "fields": rich_text_shown(options["fields"], editable)})
            for name, options in super().get_fieldsets(request, obj)
        ]

    @admin.display(description=_("body"))
    def body_html(self, article):
        return sanitised_rich_text(article.body)

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
        if request.GET.get(PrintIssueFilter.parameter_name) in PrintIssueFilter.DAYS:
            # The night desk lays out an issue page by page: the front page, the numbered pages, then the stories
            # without a page (by publishing time they were in no order a layout has).
            page_rank = Case(
                When(print_page_number__in=services.FRONT_PAGE_NAMES, then=Value(0)),
                When(print_page_number="", then=Value(2)),
                default=Value(1),
            )
            return [page_rank, "print_page_number", "-published_at", "-id"]
        return super().get_ordering(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            _set_upload_article(form, obj)
        form.save_failure = getattr(request, "newsroom_save_failure", None)  # a new class per call: this request's
        form.user = request.user
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **story_foreign_key(self, db_field, request, kwargs))

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except (OverflowError, ValueError):
            # A hand-typed date filter such as ?published_at__year=99999999999999999999: show the plain list.
            return HttpResponseRedirect(request.path)

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
        if not change:
            obj.created_by = request.user
        elif (obj.status == Status.IN_REVIEW and obj.review_level) or obj.is_scheduled():
            # What the sign-offs approved, read from the database before this save changes it.
            request._newsroom_reviewed_text = services.reviewed_text(obj)
            request._newsroom_scheduled_for = obj.published_at if obj.is_scheduled() else None
        if change and not form.has_changed():
            # Saved only if one of its parts changed (save_related): a save that changes nothing must not tell
            # feeds, sitemaps and search engines (dateModified) that the story was updated.
            request._newsroom_story_unsaved = True
            return
        self._save_story(request, obj, form, change)

    def _save_story(self, request, obj, form, change):
        obj.edit_count += 1
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.renames_print_page:
            story = form.instance
            renamed = services.rename_print_page(
                story.print_issue_on, story.print_page_number, story.print_page_name, keep=story.pk
            )
            if renamed:
                self.message_user(request, renamed_print_page_message(story, renamed), messages.INFO)
        if getattr(request, "_newsroom_story_unsaved", False) and any(formset.has_changed() for formset in formsets):
            self._save_story(request, form.instance, form, change)  # a byline, photo or entry changed it
        before = getattr(request, "_newsroom_reviewed_text", None)
        if before is not None and services.reviewed_text(form.instance) != before:
            if services.reset_review_after_change(form.instance, request.user):
                self.message_user(request, review_reset_message(request._newsroom_scheduled_for), messages.WARNING)
        services.reindex_article(form.instance)  # a published story's new text is searchable at once

    def get_search_results(self, request, queryset, search_term):
        """The list's search box: Django's substring search over the story's fields (drafts included, so not the
        public index), with the term made safe first: NUL and control characters removed (psycopg refuses NUL),
        cut to a sane length."""
        search_term, _truncated = article_search.clean_query(search_term)
        return super().get_search_results(request, queryset, search_term)

    # --- The trash: deleting a story moves it there ---

    def get_deleted_objects(self, objs, request):
        """Deleting moves stories to the trash with all their parts: nothing else is deleted, nothing else listed."""
        objs = list(objs)
        return [str(obj) for obj in objs], {Article._meta.verbose_name_plural: len(objs)}, set(), []

    def log_addition(self, request, obj, message):
        return _named_version(super().log_addition(request, obj, message))

    def log_change(self, request, obj, message):
        return _named_version(super().log_change(request, obj, message))

    def log_deletions(self, request, queryset):
        # Django logs a deletion with no message: the history showed an empty row for a move to the trash.
        return LogEntry.objects.log_actions(
            user_id=request.user.pk, queryset=queryset, action_flag=DELETION, change_message=_("Moved to the trash.")
        )

    def delete_model(self, request, obj):
        services.move_to_trash(obj, request.user)

    def delete_queryset(self, request, queryset):
        for article in queryset:
            services.move_to_trash(article, request.user)

    delete_confirmation_template = "admin/articles/article/delete_confirmation.html"

    def render_delete_form(self, request, context):
        # What else on the site the story takes with it (its home-page slot, package, topics, print page).
        context["trash_notes"] = services.what_the_trash_takes([context["object"]])[context["object"].pk]
        return super().render_delete_form(request, context)

    def response_delete(self, request, obj_display, obj_id):
        # Django's message would say "deleted": the story is in the trash, from where an editor may restore it.
        request.newsroom_trashed = obj_display
        return super().response_delete(request, obj_display, obj_id)

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        trashed = getattr(request, "newsroom_trashed", None)
        if trashed is not None:  # Django's message after a delete (response_delete), said our way
            del request.newsroom_trashed
            message, level = _("“%(story)s” is in the trash.") % {"story": trashed}, messages.SUCCESS
        return super().message_user(request, message, level, *args, **kwargs)

    @admin.action(description=_("Move the selected articles to the trash"), permissions=["delete"])
    def move_to_trash(self, request, queryset):
        if not request.POST.get("post"):
            # First a page that lists them and says what the trash does (a live story leaves the site at once), and
            # what else on the site each one takes with it.
            articles = list(queryset.order_by("-published_at", "-id"))
            notes = services.what_the_trash_takes(articles)
            context = {
                **self.admin_site.each_context(request),
                "title": _("Move to the trash?"),
                "opts": self.opts,
                "articles": [(article, notes[article.pk]) for article in articles],
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/articles/article/trash_confirmation.html", context)
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
            path("import/", self.admin_site.admin_view(self.import_view), name="{}_{}_import".format(*info)),
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

    # --- Importing manuscripts: upload or paste, preview what was recognised, confirm ---

    def import_view(self, request):
        """Step 1: the form. Step 2 (POST): a preview of every manuscript, nothing stored. Step 3 (POST with
        "confirm"): the texts from the preview are imported as drafts, and a summary links to them."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import manuscripts"),
            "changelist_url": reverse("admin:articles_article_changelist"),
        }
        if request.method == "POST" and "confirm" in request.POST:
            section = Section.objects.filter(pk=_int_or_none(request.POST.get("section"))).first()
            if section is None:
                messages.error(request, _("Choose a section."))
                return HttpResponseRedirect(reverse("admin:articles_article_import"))
            post = request.POST
            positions = [_int_or_none(position) for position in post.getlist("position")]
            items = [
                (positions[index] if index < len(positions) else None, name, services.clean_text(text))
                for index, (name, text) in enumerate(
                    zip(post.getlist("filename"), post.getlist("manuscript"), strict=False)
                )
                if text.strip()
            ]
            imported = services.import_manuscripts(
                [(name, text) for _position, name, text in items],
                user=request.user,
                section=section,
                may_create=services.creatable_by(request.user),
            )
            # With those the preview could not import (failed, or copies), in the preview's order.
            placed = [(item[0], result) for item, result in zip(items, imported, strict=True)]
            placed += [
                (_int_or_none(fields[0]), _left_out(request.user, *fields[1:])) for fields in _left_out_fields(post)
            ]
            results = [result for _position, result in sorted(placed, key=lambda pair: pair[0] or 0)]
            context.update(
                results=self._import_rows(results, request.user), title=_("Manuscripts imported"), section=section
            )
            context.update(
                counts={
                    "created": sum(1 for result in results if result.status == "created"),
                    "duplicate": sum(1 for result in results if result.status == "duplicate"),
                    "failed": sum(1 for result in results if result.status == "failed"),
                }
            )
            return TemplateResponse(request, "admin/articles/article/import_done.html", context)
        if request.method == "POST":
            form = ManuscriptImportForm(request.POST, request.FILES)
            if form.is_valid():
                section = form.cleaned_data["section"]
                results = services.import_manuscripts(
                    form.manuscripts(),
                    user=request.user,
                    section=section,
                    dry_run=True,
                    may_create=services.creatable_by(request.user),
                )
                ready = [result for result in results if result.status == "ready"]
                context.update(
                    results=self._import_rows(results, request.user),
                    section=section,
                    importable=bool(ready),
                    title=_("Check the manuscripts"),
                )
                # The confirmation sends the texts back in one request, which Django refuses past
                # DATA_UPLOAD_MAX_MEMORY_SIZE: say so now rather than fail then (a 400, nothing imported).
                size = sum(len(result.manuscript.text.encode()) for result in ready)
                budget = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
                if budget is not None and size > budget - 64 * 1024:  # room for the form's other fields
                    context.update(
                        importable=False,
                        too_large=_(
                            "Together these manuscripts are too large to import at once (%(size).1f MB; at most "
                            "%(limit).1f MB a time): import them in smaller batches."
                        )
                        % {"size": size / 1024 / 1024, "limit": (budget - 64 * 1024) / 1024 / 1024},
                    )
                return TemplateResponse(request, "admin/articles/article/import_preview.html", context)
        else:
            form = ManuscriptImportForm(initial={"section": Section.objects.order_by("order", "name").first()})
        context["form"] = form
        return TemplateResponse(request, "admin/articles/article/import.html", context)

    def _import_rows(self, results, user):
        """What the preview and summary pages show of each manuscript, with names already matched. A copy of a
        story ``user`` may not open is said to be one, without its headline or address."""
        forms_ = dict(ExperienceEntry.Form.choices)
        rows = []
        for number, result in enumerate(results, start=1):
            if (
                result.duplicate_of is not None
                and not Article.objects.editable_by(user).filter(pk=result.duplicate_of.pk).exists()
            ):
                result.duplicate_of, result.copy_of_unseen = None, True
            row = {"number": number, "result": result, "drafts": []}
            if result.duplicate_of is not None:
                row["duplicate_url"] = reverse("admin:articles_article_change", args=[result.duplicate_of.pk])
            for index, article in enumerate(result.drafts):
                row.setdefault("links", []).append(
                    {
                        "article": article,
                        "url": reverse("admin:articles_article_change", args=[article.pk]),
                        "lead": index == 0,
                    }
                )
            manuscript = result.manuscript
            if manuscript is not None and result.status != "duplicate":
                for index, draft in enumerate(manuscript.drafts):
                    row["drafts"].append(
                        {
                            "draft": draft,
                            "is_companion": index > 0,
                            "body": _preview_blocks(draft.blocks),
                            "bylines": [
                                {
                                    "item": item,
                                    "reporter": result.reporters.get(item.name),
                                    "new_role": item.role in result.new_roles,
                                }
                                for item in draft.bylines
                            ],
                            "entries": [
                                {
                                    "entry": entry,
                                    "organization": result.organizations.get(entry.organization),
                                    "level": result.levels.get(entry.organization),
                                    "form": forms_.get(entry.form, ""),
                                    "body": _preview_blocks(entry.blocks),
                                }
                                for entry in draft.entries
                            ],
                        }
                    )
            rows.append(row)
        return rows

    # --- Versions, and two people on one story ---

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        refuse_another_logins_page(request)
        if request.method == "POST" and object_id:
            out_of_reach = self._out_of_reach(request, unquote(object_id))
            if out_of_reach is not None:
                return out_of_reach
        try:
            # Every save through the admin keeps a version of the article with its bylines, photos and entries.
            with reversion.create_revision():
                reversion.set_user(request.user)
                return super().changeform_view(request, object_id, form_url, extra_context)
        except DATABASE_UNAVAILABLE_ERRORS as error:
            if request.method != "POST" or getattr(request, "newsroom_save_failure", None):
                raise
            # The database went away during the save: its transaction is rolled back, nothing was stored. The form
            # comes back, unsaved, with what the editor typed and why, on a new connection. Should the database
            # still be away, rendering it fails too and the 503 page shows the typed text instead.
            logger.warning("Article save failed, database unavailable: %s", error)
            connections[router.db_for_write(Article)].close()
            request.newsroom_save_failure = _(
                "Not saved: the connection to the database was lost while saving. Your text is still in the form "
                "below; save again in a moment."
            )
            return super().changeform_view(request, object_id, form_url, extra_context)

    def _out_of_reach(self, request, pk):
        """A save of a story that went beyond the sender's reach while they typed (an editor submitted or published
        a reporter's draft; someone moved it to the trash): Django answered 403, or "does not exist" on the admin's
        index, and what was typed was lost. The answer says who did what and when, and shows the typed text to
        copy. None when the save may go ahead (or the story is not theirs to know about)."""
        article = Article.all_objects.filter(pk=pk).first() if pk.isascii() and pk.isdigit() else None
        if article is None:
            return None
        if article.deleted_at is None:
            if not self.has_view_permission(request, article) or self.has_change_permission(request, article):
                return None
        elif not (
            self.has_view_permission(request) and Article.all_objects.editable_by(request.user).filter(pk=pk).exists()
        ):
            return None  # a trashed story of someone else's: Django's "does not exist" tells them nothing more
        step = article.transitions.order_by("-created_at", "-id").select_related("user__reporter").first()
        if step is not None:
            reason = _(
                "%(who)s took the step “%(step)s” on this story at %(when)s, while you were editing it: it is no "
                "longer yours to change, and your changes were not saved."
            ) % {
                "who": services.staff_name(step.user) if step.user else _("Someone else"),
                "step": step.get_action_display(),
                "when": services.local_time_text(step.created_at, seconds=True),
            }
        else:
            reason = _("This story is no longer yours to change: your changes were not saved.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": article.headline,
            "reason": reason,
            "unsaved_fields": unsaved_text(request),
            "story_url": "" if article.deleted_at else reverse("admin:articles_article_change", args=[article.pk]),
        }
        response = TemplateResponse(request, "admin/articles/article/unsaved.html", context, status=403)
        add_never_cache_headers(response)
        return response

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
        response = super().history_view(request, object_id, extra_context=context)
        page = response.context_data.get("action_list")
        if page is not None:  # the change log names people as colleagues know them: their reporters, at once
            page.object_list = list(page.object_list)
            prefetch_related_objects([entry.user for entry in page.object_list if entry.user], "reporter")
        return response

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
        reviewed = services.reviewed_text(article)
        scheduled_for = article.published_at if article.is_scheduled() else None
        try:
            services.restore_version(article, version, request.user)
        except services.WorkflowError as error:
            self.message_user(request, error.message, messages.ERROR)
            for finding in error.findings:
                self.message_user(request, finding_html(finding), messages.ERROR)
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[article.pk])
            )
        # A version of the same text changes nothing a sign-off approved: no review reset, no schedule cancelled.
        if services.reviewed_text(article) != reviewed and services.reset_review_after_change(article, request.user):
            self.message_user(request, review_reset_message(scheduled_for), messages.WARNING)
        self.message_user(request, _("The earlier version is back; the version it replaced is kept in the history."))
        self.message_user(request, article.restore_comment)
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[article.pk])
        )

    def presence_view(self, request, object_id):
        """Heartbeat of an open edit form: marks the user as still here, answers with who else is."""
        # Typing since the last beat keeps the session alive; a page left open alone does not.
        request.session_idle = request.POST.get("active") != "1"
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self.get_object(request, unquote(object_id))
        if article is None or not self.has_view_permission(request, article):
            raise Http404
        if request.POST.get("left") == "1":  # the page is closed or left (edit-presence.js, on "pagehide")
            seen = parse_datetime(request.POST.get("seen", ""))
            if seen is not None:
                services.leave_presence(article, request.user, seen)
            return HttpResponse(status=204)
        now = timezone.now()
        others = services.note_presence(article, request.user, now=now)
        return JsonResponse(
            {"others": [{"text": services.presence_text(other)} for other in others], "seen": now.isoformat()}
        )

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
        refuse_another_logins_page(request)
        if action not in services.WORKFLOW_CHECKS:
            raise Http404
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        article = self.get_object(request, unquote(object_id))
        if article is None or not self.has_view_permission(request, article):
            raise Http404
        data, user = request.POST, request.user
        refused = False
        seen = data.get("seen_edit_count", "")
        conflict = services.step_conflict(article, int(seen) if seen.isascii() and seen.isdigit() else None)
        try:
            if conflict:
                raise services.WorkflowError(conflict, "stale")
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
                refused = not self._publish(request, article, action)
        except services.WorkflowPermissionError as error:
            raise PermissionDenied(error.message) from error
        except services.WorkflowError as error:
            refused = True
            self.message_user(request, error.message, messages.ERROR)
            for finding in error.findings:
                self.message_user(request, finding_html(finding), messages.ERROR)
        if refused:
            # Back on the change page, the step's boxes hold what was typed (a time to correct, a reason).
            typed = {name: data.get(name, "")[:1000] for name in WORKFLOW_TYPED_FIELDS}
            request.session[WORKFLOW_TYPED_KEY] = {"article": article.pk, "action": action, **typed}
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[article.pk])
        )

    def _publish(self, request, article, action):
        """Publish now or at the time of the schedule form; False when the time is refused."""
        at = None
        if action == "schedule":
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                for error in form.errors.get("published_at", []):
                    self.message_user(request, error, messages.ERROR)
                return False
            at = form.cleaned_data["published_at"]
        warnings = services.publish(
            article, request.user, at=at, override_reason=request.POST.get("override_reason", "")
        )
        if article.is_published():
            self.message_user(request, _("The story is published."), messages.SUCCESS)
        else:
            self.message_user(
                request,
                _("The story is scheduled for %(time)s.")
                % {"time": services.local_time_text(article.published_at, seconds=article.published_at.second != 0)},
                messages.SUCCESS,
            )
        for finding in warnings:
            self.message_user(request, finding_html(finding), messages.WARNING)
        return True

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["workflow"] = self.workflow_context(request, obj)
            now = timezone.now()
            others = services.note_presence(obj, request.user, now=now)
            context["presence"] = [services.presence_text(other) for other in others]
            context["presence_seen"] = now.isoformat()
            context["presence_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_presence", args=[obj.pk]
            )
            context["history_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[obj.pk]
            )
        context["error_places"] = error_places(context.get("adminform"), context.get("inline_admin_formsets", []))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    @staticmethod
    def cancelled_schedule(steps):
        """The publishing time an edit cancelled since the story was last published, scheduled or taken offline
        (the sign-offs and returns after it do not forget it), or None."""
        ended = {Transition.Action.PUBLISH, Transition.Action.SCHEDULE, Transition.Action.UNPUBLISH}
        for step in reversed(steps):
            if step.action in ended:
                return None
            if step.action == Transition.Action.RESET and step.scheduled_for:
                return step.scheduled_for
        return None

    @admin.display(description=_("print page"), ordering="print_page_number")
    def print_page(self, article):
        """The story's page in its issue (A03版 要闻), with the issue's date when it is not today's."""
        if not article.print_issue_on:
            return ""
        page = print_page_title(article.print_page_number, article.print_page_name)
        if article.print_issue_on == timezone.localdate():
            return page or _("no page")
        return f"{article.print_issue_on:%m-%d} {page}".strip()

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
        # What was typed for a step just refused (``_workflow_step``), for this story's page once.
        typed = request.session.pop(WORKFLOW_TYPED_KEY, None)
        if not typed or typed.get("article") != article.pk:
            typed = {}
        history = [
            {"step": step, "level": services.review_level_name(step.level) if step.level else ""}
            for step in article.transitions.select_related("user__reporter").order_by("created_at", "id")
        ]
        now = timezone.now()
        schedule_default = f"{timezone.localtime(now) + timedelta(hours=1):%Y-%m-%dT%H:%M}"
        cancelled = self.cancelled_schedule([row["step"] for row in history])
        if cancelled is not None and cancelled > now:
            # An edit cancelled the schedule: the embargo time again, not "in an hour" for a quick click.
            schedule_default = f"{timezone.localtime(cancelled):%Y-%m-%dT%H:%M:%S}"
        if typed.get("action") == "schedule" and typed["published_at"]:
            schedule_default = typed["published_at"]  # the time refused, to correct
        return {
            "actions": [
                {"name": name, "label": labels[name], "url": self.workflow_url(article, name)} for name in allowed
            ],
            "status_label": status_label(article),
            "progress": self.review_progress(article),
            "findings": [
                {"finding": finding, "html": finding_html(finding)}
                for finding in (services.publication_findings(article) if publishing else [])
            ],
            "may_override": publishing and user.has_perm("articles.override_checks"),
            "schedule_default": schedule_default,
            "typed": typed,
            "history": history,
            # A story back with its reporter says so at the top, with what to change (not only in the history).
            "returned": history[-1]["step"]
            if history and article.status == Status.DRAFT and history[-1]["step"].action == Transition.Action.RETURN
            else None,
        }

    @admin.display(description=_("live now"))
    def live_now(self, obj):
        return yes_no_icon(obj.is_published())

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

    @admin.display(description=_("companions"))
    def companion_links(self, obj):
        """The other stories of the package this one leads (e.g. the roundup of a meeting report)."""
        if obj is None or obj.pk is None:
            return "—"
        companions = obj.companions.order_by("id")
        if not companions:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:articles_article_change", args=[companion.pk]), companion.headline)
                for companion in companions
            ),
        )

    @admin.display(description=_("bylines"))
    def byline_names(self, obj):
        return format_html_join(" ", "{} {}", ((b.role.name, b.shown_name) for b in obj.bylines.all()))


def _left_out_fields(post):
    """The manuscripts the import preview named but could not import: (position, filename, failure, duplicate's
    article id, duplicate's file) from its hidden fields."""
    names = ("left_position", "left_filename", "left_failure", "left_duplicate_of", "left_duplicate_file")
    return zip(*(post.getlist(name) for name in names), strict=False)


def _left_out(user, filename, failure, duplicate_of, duplicate_file):
    """A ManuscriptImport for the summary of a manuscript the preview failed or found a copy of. What the browser
    sends back is only trusted with what its user may see: a copy's story is named only if they may open it."""
    result = services.ManuscriptImport(filename[:255])
    result.failure = failure[:2000]
    result.duplicate_of_file = duplicate_file[:255]
    if duplicate_of:
        result.duplicate_of = Article.objects.editable_by(user).filter(pk=_int_or_none(duplicate_of)).first()
        result.copy_of_unseen = result.duplicate_of is None
    if result.status == "ready":  # none of those: nothing the summary can say of it
        result.failure = _("not imported")
    return result


def _preview_blocks(blocks):
    """A manuscript body's blocks as the preview shows them: sub-headings by their text, the rest as the rich text
    the import stores (lists, quotes, bold and links as the public page will show them), sanitised as it will be."""
    return [
        {"is_heading": block.kind in ("h2", "h3"), "text": block.text, "html": services.sanitize_html(block.html)}
        for block in blocks
    ]


def _int_or_none(value):
    return int(value) if value and value.isascii() and value.isdigit() else None


def view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" shortcut, checked first: an unpublished article's address only goes to whoever
    may edit it (everyone else gets 404); other objects go to Django's shortcut unchanged."""
    try:
        content_type = ContentType.objects.get_for_id(content_type_id) if content_type_id else None
    except ContentType.DoesNotExist:
        raise Http404 from None  # a made-up address: not found, as Django's own shortcut says (it was a 500)
    model = content_type.model_class() if content_type else None
    if model is not None and issubclass(model, (Article, ExperienceEntry)):
        if not (object_id.isascii() and object_id.isdigit()):
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

    list_display = [
        "headline",
        "section",
        status_label,
        "deleted_at",
        staff_column(TrashedArticle, "deleted_by"),
        staff_column(TrashedArticle, "created_by"),
    ]
    list_select_related = ["section", "deleted_by__reporter", "created_by__reporter"]
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
            # In the story's change log (its own content type, not the trash's), after the move to the trash.
            LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=[Article.all_objects.get(pk=article.pk)],
                action_flag=CHANGE,
                change_message=_("Restored from the trash as a draft."),
                single_object=True,
            )
            count += 1
        self.message_user(request, _("%(count)d articles restored as drafts.") % {"count": count}, messages.SUCCESS)


# --- Reference data -----------------------------------------------------------------------------


class MadeSlugFormMixin:
    """A page address (slug) that may be left empty: one is made then (``slug_prefix`` and eight random letters).
    The admin fills the address from the name as the name is typed, but a Chinese name gives it nothing, and an
    empty required field said only "这个字段是必填项"."""

    slug_prefix = "page"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _(
                "The page's address: Latin letters, digits and hyphens (e.g. jiceng-dongtai). Left empty, one is made."
            )

    def clean_slug(self):
        return (
            self.cleaned_data.get("slug")
            or self.instance.slug
            or services.unique_slug(self._meta.model, self.slug_prefix)
        )


class SectionAdminForm(MadeSlugFormMixin, forms.ModelForm):
    slug_prefix = "section"

    class Meta:
        model = Section
        fields = ["name", "slug", "description", "order"]


class TopicAdminForm(MadeSlugFormMixin, forms.ModelForm):
    slug_prefix = "topic"

    class Meta:
        model = Topic
        fields = ["title", "slug", "summary", "place", "starts_on", "ends_on", "is_featured"]


def merge_action(model_admin, request, *, action, sources, form_class, merge, reindex, done, parts, title):
    """A list's "merge" action ``action`` (reporters, organisations): the confirmation page (admin/<app>/<model>/merge.html, on
    admin/merge_confirmation.html) naming ``sources`` with how many ``parts`` (model, its foreign key to them) each
    holds, until the one they become is chosen; then ``merge(sources, target)`` (a refusal is shown on the page), the
    target's stories reindexed by the task ``reindex`` and ``done`` said (names, target, count moved)."""
    form = form_class(
        request.POST if request.POST.get("post") else None, exclude=sources, admin_site=model_admin.admin_site
    )
    if form.is_bound and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            moved = merge(sources, target)
        except forms.ValidationError as error:
            form.add_error("target", error)
        else:
            tasks.enqueue_on_commit(reindex, target.pk)
            names = "、".join(source.name for source in sources)
            model_admin.message_user(
                request, done % {"names": names, "target": target.name, "count": moved}, messages.SUCCESS
            )
            return None
    part_model, key = parts
    counts = dict(
        part_model.objects.filter(**{f"{key}__in": sources}).values_list(key).annotate(count=Count("pk")).order_by()
    )
    opts = model_admin.opts
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "sources": [(source, counts.get(source.pk, 0)) for source in sources],
        "form": form,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action_name": action,
    }
    return TemplateResponse(request, f"admin/{opts.app_label}/{opts.model_name}/merge.html", context)


class MergeTargetForm(forms.Form):
    """The choice of the one merged ones become (``target``), among all of them: the autocomplete box offers those
    being merged too (it knows nothing of this page), so one of them chosen is refused by name (``merged_itself``)
    and stays shown in the box, rather than as Django's "not one of the available choices"."""

    merged_itself = ""
    found_as = None  # (model, foreign key) whose autocomplete box finds the one kept: the same answers

    def __init__(self, *args, exclude=(), admin_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.merged = {source.pk for source in exclude}
        target = self.fields["target"]
        if admin_site is not None:  # found by typing (thousands of them), not in a drop-down of every one
            model, field_name = self.found_as
            target.widget = AutocompleteSelect(model._meta.get_field(field_name), admin_site)
        target.queryset = target.queryset.model.objects.order_by("name")

    def clean_target(self):
        target = self.cleaned_data["target"]
        if target.pk in self.merged:
            raise forms.ValidationError(self.merged_itself % {"name": target.name}, code="merged_itself")
        return target


class OrganizationMergeForm(MergeTargetForm):
    target = forms.ModelChoiceField(
        label=_("Merge into"),
        queryset=Organization.objects.none(),
        help_text=_("The organisation they become: it keeps its name and address; theirs lead to it."),
    )
    merged_itself = _("%(name)s is one of the organisations being merged: choose the one they become.")
    found_as = (Organization, "parent")


class OrganizationAdminForm(MadeSlugFormMixin, forms.ModelForm):
    slug_prefix = "org"

    class Meta:
        model = Organization
        fields = ["name", "short_name", "level", "parent", "slug"]


def reporter_label(reporter):
    """A reporter where one is chosen among many (the merge's choice, the autocomplete boxes): two people of one name
    (or a duplicate and the one it repeats) are told apart by where they work."""
    return f"{reporter.name}（{reporter.affiliation}）" if reporter.affiliation else reporter.name


class ReporterMergeForm(MergeTargetForm):
    target = forms.ModelChoiceField(
        label=_("Merge into"),
        queryset=Reporter.objects.none(),
        help_text=_("The reporter they become: it keeps its name, page and details; their pages lead to it."),
    )
    merged_itself = _("%(name)s is one of the reporters being merged: choose the one they become.")
    found_as = (Photo, "credit_reporter")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].label_from_instance = reporter_label


class ReporterAdminForm(MadeSlugFormMixin, CheckedImageFormMixin, forms.ModelForm):
    image_fields = ("portrait",)
    slug_prefix = "reporter"

    class Meta:
        model = Reporter
        fields = ["name", "slug", "title", "affiliation", "bio", "portrait", "user", "is_active"]
        widgets = {"portrait": AdminImageInput}

    def clean_portrait(self):
        # A reporter's page shows the portrait 96 pixels wide (twice that on a sharp screen): a camera's original,
        # 8000 × 6000 and 17 MB, was sent to every reader of the page.
        return self._clean_image_field("portrait", max_side=services.PORTRAIT_MAX_SIDE)

    saved_by = None  # set by ReporterAdmin.get_form: whoever saves, who may or may not end the profile's login
    ends_login = None  # set by clean(): the login this save deactivates, its reporter marked as departed

    def clean(self):
        """Unticking 在职 on a profile with a login (or linking a login to a departed one) deactivates the login:
        refused, saying why, for anyone but a chief editor or the administrator, for one's own login and, to a
        chief editor, for the administrator's (``services.check_may_end_login``). The form keeps what was typed."""
        cleaned = super().clean()
        login = cleaned.get("user")
        active = cleaned.get("is_active", True) if "is_active" in self.fields else self.instance.is_active
        departs = {"is_active", "user"} & set(self.changed_data)
        if login is None or not login.is_active or active or not departs:
            return cleaned
        try:
            services.check_may_end_login(self.saved_by, login)
        except forms.ValidationError as error:
            self.add_error("is_active" if "is_active" in self.changed_data else "user", error)
        else:
            self.ends_login = login
        return cleaned


def held_link(obj):
    """ "单位: <a>name</a>", to the object's page in the admin (its name alone when the admin has no page for it)."""
    label = capfirst(obj._meta.verbose_name)
    try:
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return f"{label}: {obj}"
    return format_html('{}: <a href="{}">{}</a>', label, url, obj)


def story_link(article):
    """ "稿件: <a>headline</a>", to the story's page in the admin (a story in the trash is opened from the trash)."""
    page = "trashedarticle" if article.deleted_at else "article"
    return format_html(
        '{}: <a href="{}">{}</a>',
        capfirst(Article._meta.verbose_name),
        reverse(f"admin:articles_{page}_change", args=[article.pk]),
        article,
    )


class StoriesKeepItMixin:
    """The delete page of something stories hold on to (``on_delete=PROTECT``: a section, a reporter's bylines, an
    organisation's entries) names those stories, each linked, the trash's included. Django listed the missing
    permission instead ("你的帐号无权删除下列类型的对象：稿件", even to the chief editor) when one was in the
    trash, which the articles' admin may not delete."""

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect(objs)
        ids = {
            held.pk if isinstance(held, Article) else getattr(held, "article_id", None) for held in collector.protected
        }
        stories = list(Article.all_objects.filter(pk__in=ids - {None}).order_by("pk"))  # one query for all parts
        if not stories:
            return super().get_deleted_objects(objs, request)
        # Refused: the page lists the stories (Django's own list named each byline, with a query each), then
        # whatever else holds it (an organisation's member organisations showed only once its stories were gone).
        others = [
            held for held in collector.protected if not isinstance(held, Article) and not hasattr(held, "article_id")
        ]
        protected = [story_link(story) for story in stories] + [held_link(held) for held in others]
        return [str(obj) for obj in objs], {}, set(), protected


@admin.register(Reporter)
class ReporterAdmin(StoriesKeepItMixin, admin.ModelAdmin):
    form = ReporterAdminForm
    list_display = ["name", "title", "affiliation", "has_login", "active"]
    list_filter = ["is_active", "affiliation"]
    # A colleague is found by her login's user name too (xiaowang), as the administrator and she know her.
    search_fields = ["name", "slug", "affiliation", "user__username"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["user"]
    autocomplete_label = staticmethod(reporter_label)  # the boxes' results (NewsroomAutocompleteView)

    actions = ["merge_reporters"]

    def get_readonly_fields(self, request, obj=None):
        """在职 of a profile with a login is the chief editor's: unticking it deactivates the login, and an editor
        must not lock a colleague out."""
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.user_id is not None and not request.user.has_perm("articles.end_reporter_login"):
            return [*readonly, "is_active"]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.saved_by = request.user  # a new class per call
        return form

    def save_model(self, request, obj, form, change):
        old_portrait = Reporter.objects.filter(pk=obj.pk).values_list("portrait", flat=True).first() if change else ""
        super().save_model(request, obj, form, change)
        services.replace_portrait(obj, old_portrait)  # a portrait replaced or cleared leaves no copy
        if change and "name" in form.changed_data:  # bylines are searched by name: reindexed in the background
            tasks.enqueue_on_commit(tasks.reindex_reporter_articles, obj.pk)
        names = {"name": obj.name, "username": obj.user.get_username() if obj.user_id else ""}
        if form.ends_login is not None:
            services.end_login(form.ends_login)  # her next request goes to the login page
            self.message_user(
                request,
                _(
                    "%(name)s's login (%(username)s) is deactivated and signed out everywhere; her stories and page "
                    "stay. Ticking “active” again does not restore the login: the site's administrator does that."
                )
                % names,
                messages.SUCCESS,
            )
        elif change and obj.is_active and "is_active" in form.changed_data and obj.user_id and not obj.user.is_active:
            self.message_user(
                request,
                _(
                    "%(name)s is active again, but her login (%(username)s) stays deactivated: the site's "
                    "administrator enables it."
                )
                % names,
                messages.WARNING,
            )

    def get_search_results(self, request, queryset, search_term):
        """The byline box offers the people at work (在职) only: someone who has left was offered unmarked, next to
        a colleague of the same name; so was someone whose login the administrator deactivated, 在职 left ticked.
        Their bylines on earlier stories stay as they are; the reporters' list shows everyone."""
        results, duplicates = super().get_search_results(request, queryset, search_term)
        match = getattr(request, "resolver_match", None)
        byline_box = request.GET.get("model_name") == "byline" and request.GET.get("field_name") == "reporter"
        if match is not None and match.url_name == "autocomplete" and byline_box:
            # A photo's photographer may have left since: still offered there.
            results = results.filter(Q(user=None) | Q(user__is_active=True), is_active=True)
        return results, duplicates

    def delete_model(self, request, obj):
        services.delete_reporters([obj])  # with the portrait's file

    def delete_queryset(self, request, queryset):
        services.delete_reporters(queryset)

    @admin.action(description=_("Merge the selected reporters into another"), permissions=["delete"])
    def merge_reporters(self, request, queryset):
        """A correspondent entered twice (by hand and by a manuscript's import, or with a typo): a page to choose the
        one they become, then their bylines, photo credits, login and addresses go to it (``services.merge_reporters``).
        Before, each of the duplicate's stories had to be opened and its byline changed by hand."""
        return merge_action(
            self,
            request,
            action="merge_reporters",
            sources=list(queryset.order_by("name", "pk")),
            form_class=ReporterMergeForm,
            merge=services.merge_reporters,
            reindex=tasks.reindex_reporter_articles,
            done=_("%(names)s merged into %(target)s: %(count)d bylines are now theirs."),
            parts=(Byline, "reporter"),
            title=_("Merge reporters"),
        )

    @admin.display(description=_("has login"), ordering="user")
    def has_login(self, obj):
        return yes_no_icon(obj.user_id is not None)

    @admin.display(description=pgettext_lazy("reporter", "active"), ordering="is_active")
    def active(self, obj):
        return yes_no_icon(obj.is_active)  # a boolean column's own icon says "True"/"False" to a screen reader


@admin.register(BylineRole)
class BylineRoleAdmin(admin.ModelAdmin):
    list_display = ["name", "order"]
    list_editable = ["order"]
    search_fields = ["name"]


@admin.register(Section)
class SectionAdmin(StoriesKeepItMixin, admin.ModelAdmin):
    form = SectionAdminForm
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = TopicAdminForm
    list_display = ["title", "place", "starts_on", "ends_on", "featured"]
    list_filter = ["is_featured"]
    search_fields = ["title", "summary", "place"]
    prepopulated_fields = {"slug": ["title"]}

    @admin.display(description=_("featured"), ordering="is_featured")
    def featured(self, obj):
        return yes_no_icon(obj.is_featured)

    def get_actions(self, request):
        # One topic at a time, from its own delete page: that page names the stories that lose it.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_deleted_objects(self, objs, request):
        """A topic's deletion deletes no story: nothing but the topic is listed (Django listed each link to a story
        as "Article_topics object (1)"); the page names the stories that lose it (``render_delete_form``)."""
        objs = list(objs)
        return [str(obj) for obj in objs], {Topic._meta.verbose_name_plural: len(objs)}, set(), []

    def render_delete_form(self, request, context):
        stories = Article.all_objects.filter(topics=context["object"]).order_by("-published_at", "-id")
        context["topic_stories"] = [story_link(story) for story in stories]
        return super().render_delete_form(request, context)


@admin.register(Organization)
class OrganizationAdmin(StoriesKeepItMixin, admin.ModelAdmin):
    form = OrganizationAdminForm
    list_display = ["name", "short_name", "level", "parent"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["parent"]

    actions = ["merge_organizations"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"name", "short_name"} & set(form.changed_data):  # entries are searched by organisation
            tasks.enqueue_on_commit(tasks.reindex_organization_articles, obj.pk)

    @admin.action(description=_("Merge the selected organisations into another"), permissions=["delete"])
    def merge_organizations(self, request, queryset):
        """Federations merged, or one organisation entered twice: a page to choose the one they become, then their
        entries, member organisations and addresses go to it (``services.merge_organizations``)."""
        return merge_action(
            self,
            request,
            action="merge_organizations",
            sources=list(queryset.order_by("name")),
            form_class=OrganizationMergeForm,
            merge=services.merge_organizations,
            reindex=tasks.reindex_organization_articles,
            done=_("%(names)s merged into %(target)s: %(count)d entries are now its."),
            parts=(ExperienceEntry, "organization"),
            title=_("Merge organisations"),
        )


class PhotoAdminForm(CheckedImageFormMixin, forms.ModelForm):
    image_fields = ("image",)

    class Meta:
        model = Photo
        fields = ["image", "alt_text", "credit_reporter", "credit_text", "focal_x", "focal_y"]
        widgets = {
            "image": AdminImageInput,
            "focal_x": forms.NumberInput(attrs={"min": 0, "max": 1, "step": 0.01}),
            "focal_y": forms.NumberInput(attrs={"min": 0, "max": 1, "step": 0.01}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("focal_x", "focal_y"):
            if name in self.fields:
                self.fields[name].required = False  # left out: stays where it was (the centre for a new photo)

    # Set by PhotoAdmin.changeform_view when the file could not be written (a full media disk): shown on the field.
    upload_failure = None
    user = None  # set by PhotoAdmin.get_form: whose uploads count against the hourly allowance

    def clean_image(self):
        if self.upload_failure:
            raise forms.ValidationError(self.upload_failure, code="media_write_failed")
        if self.instance._state.adding and self.cleaned_data.get("image"):
            services.check_upload_allowance(self.user)  # a new photo (a replaced file adds none)
        return self._clean_image_field("image")

    def _post_clean(self):
        super()._post_clean()
        # A browser never sends a chosen file again: a form refused for another field comes back with an empty
        # file box, which looked as if the photo were there.
        if self.errors and "image" not in self.errors and self.files.get(self.add_prefix("image")):
            self.add_error(
                "image",
                forms.ValidationError(
                    _("The file chosen was not kept: correct the other fields, then choose it again."),
                    code="choose_again",
                ),
            )

    def _clean_focal(self, name):
        value = self.cleaned_data.get(name)
        if value is None:
            return getattr(self.instance, name)
        if not 0 <= value <= 1:
            raise forms.ValidationError(_("Give a number from 0 to 1."), code="focal_point")
        return value

    def clean_focal_x(self):
        return self._clean_focal("focal_x")

    def clean_focal_y(self):
        return self._clean_focal("focal_y")


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    form = PhotoAdminForm
    list_display = [
        "preview",
        "alt_text",
        "credit_display",
        "width",
        "height",
        "uploaded_by_name",
        "created_at",
    ]
    list_select_related = ["credit_reporter", "uploaded_by__reporter"]
    uploaded_by_name = staticmethod(staff_column(Photo, "uploaded_by"))
    list_filter = ["created_at"]
    date_hierarchy = "created_at"
    # Captions belong to each use of a photo (ArticlePhoto); a photo is found by any of them.
    search_fields = [
        "alt_text",
        "article_photos__caption",
        "credit_text",
        "credit_reporter__name",
        "uploaded_by__username",
        "uploaded_by__reporter__name",
        "original_filename",
    ]
    autocomplete_fields = ["credit_reporter"]
    fields = [
        "image",
        "focal_point",
        ("focal_x", "focal_y"),
        "alt_text",
        "credit_reporter",
        "credit_text",
        ("width", "height"),
        "original_filename",
        "uploaded_by_name",
        "created_at",
    ]
    readonly_fields = [
        "preview", "focal_point", "width", "height", "original_filename", "uploaded_by_name", "created_at",
    ]  # fmt: skip

    class Media:
        js = ["js/focal-point.js"]
        css = {"all": ["css/focal-point.css"]}

    @admin.display(description=_("preview"))
    def preview(self, obj):
        return thumbnail(obj, size=80)

    @admin.display(description=_("focal point"))
    def focal_point(self, obj):
        if obj is None or not obj.image:
            return _("Save the photo first, then click its subject here.")
        picture = obj.full_picture
        return format_html(
            '<div class="focal-point-picker" data-x-input="id_focal_x" data-y-input="id_focal_y">'
            '<img src="{}" alt="{}"><span class="focal-point-marker" hidden></span></div>'
            '<p class="help">{}</p>',
            picture.src,
            obj.alt_text,
            _("Click the photo's subject: cards show a 3:2 crop around this point."),
        )

    @admin.display(description=_("credit"))
    def credit_display(self, obj):
        return obj.credit

    def get_queryset(self, request):
        usable = Photo.objects.usable_by(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=usable).prefetch_related("renditions")

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or self._editable(request, obj)

    @staticmethod
    def _editable(request, photo):
        """``Photo.objects.editable_by`` for this photo, asked once per request: for a reporter it reads the text of
        every story beyond its draft, and Django asks for both permissions several times a page (six times)."""
        known = request.__dict__.setdefault("_newsroom_photos_editable", {})
        if photo.pk not in known:
            known[photo.pk] = Photo.objects.editable_by(request.user).filter(pk=photo.pk).exists()
        return known[photo.pk]

    def get_deleted_objects(self, objs, request):
        """As Django's, but a photo a story shows is not deleted: the page names the stories instead (a lead,
        article or entry photo, ``on_delete=PROTECT``, which Django would list by its links; or one put in a text
        with CKEditor, by its address, which Django does not know of)."""
        deleted, counts, perms_needed, _protected = super().get_deleted_objects(objs, request)
        protected = []
        for article in services.stories_using_photos(objs):
            protected.append(story_link(article))  # a story in the trash is opened from the trash
        # Refused for the stories either way: the page lists them (Django's list of missing permissions came first,
        # naming "稿件" for a story in the trash, which the articles' admin may not delete).
        return deleted, counts, set() if protected else perms_needed, protected

    def delete_model(self, request, obj):
        services.delete_photos([obj])  # with the files of the photo and its renditions

    def delete_queryset(self, request, queryset):
        services.delete_photos(queryset)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.upload_failure = getattr(request, "newsroom_upload_failure", None)  # a new class per call
        form.user = request.user
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.MediaWriteError as error:
            if request.method != "POST" or getattr(request, "newsroom_upload_failure", None):
                raise
            # Nothing was kept (the transaction rolled back, the service removed every file): the form comes back
            # with the reason on the image field instead of a 500.
            request.newsroom_upload_failure = " ".join(error.messages)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if "image" in form.uploaded_names:
            obj.original_filename = form.uploaded_names["image"]
        if not change:
            obj.uploaded_by = request.user
        # Stored with its renditions in one go (the admin's transaction): a failure leaves no row and no file.
        services.save_photo(
            obj,
            new_image=not change or "image" in form.changed_data,
            moved_focal_point=bool({"focal_x", "focal_y"} & set(form.changed_data)),
            user=request.user,
        )
        if change and "image" in form.changed_data and "alt_text" not in form.changed_data:
            # The new picture keeps the old one's words: nothing asked whether they still describe it.
            showing = len(services.stories_using_photos([obj]))
            message = _("The file was replaced: check that the alt text still describes the new picture.")
            if showing:
                message = ngettext(
                    "The file was replaced: check that the alt text still describes the new picture, and the caption "
                    "of the %(count)d story that shows it.",
                    "The file was replaced: check that the alt text still describes the new picture, and the captions "
                    "of the %(count)d stories that show it.",
                    showing,
                ) % {"count": showing}
            self.message_user(request, message, messages.WARNING)


@admin.register(FrontPageSlot)
class FrontPageSlotAdmin(admin.ModelAdmin):
    list_display = ["position", "article", "article_is_live"]
    list_select_related = ["article"]
    autocomplete_fields = ["article"]
    ordering = ["position"]

    @admin.display(description=_("live now"))
    def article_is_live(self, obj):
        return yes_no_icon(obj.article.is_published() if obj.article_id else None)


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
        touches_sensitive = cleaned.get("kind") == WatchWord.Kind.SENSITIVE or (
            self.instance.pk and self.instance.kind == WatchWord.Kind.SENSITIVE
        )
        if touches_sensitive and not self.may_manage_sensitive:
            raise forms.ValidationError(_("Only a chief editor may add, change or switch off sensitive words."))
        return cleaned


@admin.register(WatchWord)
class WatchWordAdmin(admin.ModelAdmin):
    """The newsroom's word lists, checked in every story before it is published (case and width ignored)."""

    form = WatchWordAdminForm
    list_display = ["word", "kind", "correction", "note", "active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["word", "correction", "note"]
    list_per_page = 100

    @admin.display(description=pgettext_lazy("watch word", "active"), ordering="is_active")
    def active(self, obj):
        return yes_no_icon(obj.is_active)

    # Sensitive words guard publishing: only those who may override the check (主编) may change that list, or an
    # editor could switch a word off, publish and switch it on again. Every change is in the admin's history.

    @staticmethod
    def may_manage_sensitive(user):
        return user.has_perm("articles.override_checks")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.may_manage_sensitive = self.may_manage_sensitive(request.user)
        return form

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.kind == WatchWord.Kind.SENSITIVE and not self.may_manage_sensitive(request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.kind == WatchWord.Kind.SENSITIVE and not self.may_manage_sensitive(request.user):
            return False
        return super().has_delete_permission(request, obj)


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
    list_display = [
        "article",
        "note",
        staff_column(ShareLink, "created_by"),
        "created_at",
        "expires_at",
        "state",
        "share_url",
    ]
    list_select_related = ["article", "created_by__reporter"]
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
            .select_related("article", "created_by__reporter")
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


# --- Clean text at the boundary ----------------------------------------------------------------------------


class CleanTextFormMixin:
    """Every text a newsroom admin form saves goes through ``services.clean_text`` first: vertical tabs and form
    feeds from word processors, right-to-left overrides and (decoded from broken UTF-8) stray control characters
    never reach the database, whatever the field. Django's own fields already refuse NUL with a message."""

    def _post_clean(self):
        for name, value in self.cleaned_data.items():
            if isinstance(value, str):
                self.cleaned_data[name] = services.clean_text(value)
        super()._post_clean()


def _with_clean_text(form_class):
    if issubclass(form_class, CleanTextFormMixin):
        return form_class
    return type(form_class.__name__, (CleanTextFormMixin, form_class), {"__module__": form_class.__module__})


# Applied to every admin of ours and its inlines, so that an admin added later cannot forget it.
for _model, _model_admin in admin.site._registry.items():
    if _model._meta.app_label == "articles":
        _model_admin.form = _with_clean_text(_model_admin.form)
        for _inline in _model_admin.inlines:
            _inline.form = _with_clean_text(_inline.form)
