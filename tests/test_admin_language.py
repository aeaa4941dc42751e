"""The admin's Chinese where Django's own catalog (or an app without one) has it otherwise: label colons, the
messages after a save, headings, the apps' names."""

import re

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from tests.factories import ArticleFactory
from tests.test_admin import admin_url

pytestmark = pytest.mark.django_db


def labels(html):
    return re.findall(r"<label[^>]*>([^<]*)</label>", html)


def test_form_labels_end_in_a_full_width_colon(editor_user, reporter_user):
    """Django's forms put _(":") after every label, which its Chinese catalog leaves half-width (标题:)."""
    login = Client().get(reverse("admin:login")).content.decode()
    editor = Client()
    editor.force_login(editor_user)
    add = editor.get(reverse("admin:articles_article_add")).content.decode()
    reporter = Client()
    reporter.force_login(reporter_user)
    published = ArticleFactory(created_by=reporter_user, published=True)
    read_only = reporter.get(admin_url(published, "change", published.pk)).content.decode()

    assert labels(login) == ["用户名：", "密码："]
    assert '<label class="required" for="id_headline">标题：</label>' in add
    assert "<label>标题：</label>" in read_only  # a read-only field's label too
    for html in (login, add, read_only):
        assert not [label for label in labels(html) if label.endswith(":")]


def test_a_label_ending_in_full_width_punctuation_gets_no_second_colon():
    class Form(forms.Form):
        trash = forms.BooleanField(label="移到回收站？")
        note = forms.CharField(label="备注")

    form = Form()

    assert form["trash"].label_tag() == '<label for="id_trash">移到回收站？</label>'
    assert form["note"].label_tag() == '<label for="id_note">备注：</label>'
