"""The admin's rich-text widget: a textarea that CKEditor 5 (from the npm package) takes over."""

from django import forms
from django.urls import reverse_lazy
from django.utils.html import format_html

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
