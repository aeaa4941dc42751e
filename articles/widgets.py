"""The admin's rich-text widget: a textarea that CKEditor 5 (from the npm package) takes over."""

from django import forms
from django.contrib.admin.widgets import AdminFileWidget, AutocompleteSelect
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils.html import format_html
from django.utils.safestring import mark_safe

UPLOAD_URL = reverse_lazy("articles:editor_image_upload")


class CKEditorWidget(forms.Textarea):
    """Django's own textarea, wrapped in code rather than in a template: the default form renderer only
    searches Django's form templates, never the project's templates/ folder."""

    def __init__(self, attrs=None, upload_url=UPLOAD_URL):
        super().__init__(attrs)
        self.upload_url = upload_url

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-ckeditor"] = "true"
        context["widget"]["attrs"]["data-upload-url"] = str(self.upload_url)
        return context

    def render(self, name, value, attrs=None, renderer=None):
        return format_html('<div class="newsroom-rich-text">{}</div>', super().render(name, value, attrs, renderer))

    class Media:
        css = {"all": ["vendor/ckeditor5/ckeditor5.css", "css/admin-editor.css"]}
        js = [
            "vendor/ckeditor5/ckeditor5.umd.js",
            "vendor/ckeditor5/translations/zh-cn.umd.js",
            "js/ckeditor-init.js",
        ]


class PreloadedAutocompleteSelect(AutocompleteSelect):
    """The admin's autocomplete box, which renders its chosen item from labels its formset loaded for all its rows
    at once (``preloaded_labels``: pk as text → label); Django's own box runs a query per row."""

    preloaded_labels = None

    def optgroups(self, name, value, attr=None):
        if self.preloaded_labels is None:
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        chosen = [str(item) for item in value if str(item) not in self.choices.field.empty_values]
        for pk in chosen:
            if pk in self.preloaded_labels:  # as Django's box: an item outside the field's choices is not shown
                options.append(self.create_option(name, pk, self.preloaded_labels[pk], set(chosen), len(options)))
        return [(None, options, 0)]


class AdminImageInput(AdminFileWidget):
    """The admin's file box for a stored image, its "目前：" and "修改：" with full-width colons (Django's template
    writes a half-width colon after each label, whatever the language). Rendered with the project's templates
    (templates/admin/widgets/image_input.html): the default form renderer never searches them."""

    template_name = "admin/widgets/image_input.html"

    def _render(self, template_name, context, renderer=None):
        return mark_safe(render_to_string(template_name, context))  # noqa: S308  # nosec B308, B703 - escaped by it
