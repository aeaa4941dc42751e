"""The admin's Chinese where Django's own catalog (or an app without one) has it otherwise: label colons, the
messages after a save, headings, the apps' names."""

import re

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from tests.factories import ArticleFactory, PhotoFactory, ReporterFactory, SectionFactory, image_bytes
from tests.test_admin import admin_url, form_data

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


def shown_messages(response):
    """The messages a page shows after a redirect, as text."""
    html = response.content.decode()
    found = re.search(r'<ul class="messagelist">(.*?)</ul>', html, re.S)
    items = re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S) if found else []
    return [re.sub(r"<[^>]+>", "", item).strip() for item in items]


def test_after_a_save_the_admin_says_so_with_你_and_full_width_stops(editor_client):
    """Django's catalog: "成功添加了 栏目“要闻”。您可以在下面再次编辑它." """
    add_url = reverse("admin:articles_section_add")
    section = {"name": "要闻", "slug": "yaowen", "description": "", "order": "0"}

    added = editor_client.post(add_url, {**section, "_continue": "1"}, follow=True)
    change_url = added.redirect_chain[-1][0]
    added_another = editor_client.post(
        add_url, {**section, "name": "本省", "slug": "bensheng", "_addanother": "1"}, follow=True
    )
    changed = editor_client.post(change_url, {**section, "_continue": "1"}, follow=True)
    changed_then_add = editor_client.post(change_url, {**section, "_addanother": "1"}, follow=True)
    saved = editor_client.post(change_url, {**section, "_save": "1"}, follow=True)

    assert shown_messages(added) == ["栏目“要闻”已添加。你可以在下面继续编辑。"]
    assert shown_messages(added_another) == ["栏目“本省”已添加。你可以在下面再添加一个栏目。"]
    assert shown_messages(changed) == ["栏目“要闻”已修改。你可以在下面继续编辑。"]
    assert shown_messages(changed_then_add) == ["栏目“要闻”已修改。你可以在下面再添加一个栏目。"]
    assert shown_messages(saved) == ["栏目“要闻”已修改。"]


def test_a_login_added_by_the_administrator_is_said_so_without_a_gap_between_the_sentences(admin_client):
    """Django's own user admin (registered by django.contrib.auth, not by us) joins its two sentences with a space."""
    added = admin_client.post(
        reverse("admin:auth_user_add"),
        {"username": "xiaozhou", "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"},
        follow=True,
    )

    assert shown_messages(added) == ["用户“xiaozhou”已添加。你可以在下面继续编辑。"]


def test_a_story_saved_in_the_admin_is_said_to_be_changed(editor_client):
    article = ArticleFactory(headline="原标题")
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    data.update({"headline": "新标题", "_continue": "1"})

    response = editor_client.post(url, data, follow=True)

    assert shown_messages(response) == ["稿件“新标题”已修改。你可以在下面继续编辑。"]
    assert "您" not in response.content.decode()


def test_after_a_delete_or_a_change_in_the_list_the_admin_says_so_in_plain_chinese(client, chief_editor_user):
    client.force_login(chief_editor_user)
    news, local, sport = SectionFactory(name="要闻"), SectionFactory(name="本省"), SectionFactory(name="体育")
    changelist = reverse("admin:articles_section_changelist")

    deleted = client.post(admin_url(news, "delete", news.pk), {"post": "yes"}, follow=True)
    both = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [local.pk, sport.pk], "post": "yes"}, follow=True
    )
    kept = SectionFactory(name="评论")
    listed = client.post(
        changelist,
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": kept.pk, "form-0-order": "5", "_save": "1"},
        follow=True,
    )

    assert shown_messages(deleted) == ["栏目“要闻”已删除。"]
    assert shown_messages(both) == ["已删除 2 个栏目。"]
    assert shown_messages(listed) == ["已修改 1 个栏目。"]


def test_a_delete_page_sums_up_under_its_own_heading_not_the_summary_fields(client, chief_editor_user):
    """Django's heading and the history's label of the 导语 field are one msgid, "Summary"."""
    client.force_login(chief_editor_user)
    section = SectionFactory(name="没有稿件的栏目")  # a topic's delete page is ours now (it names its stories)

    html = client.get(admin_url(section, "delete", section.pk)).content.decode()

    assert "<h2>概要</h2>" in html and "<h2>导语</h2>" not in html
    assert "<li>栏目：1</li>" in html


def test_the_history_still_calls_a_changed_summary_导语(editor_client):
    article = ArticleFactory(summary="原导语")
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    data.update({"summary": "新导语", "_continue": "1"})
    editor_client.post(url, data)

    html = editor_client.get(admin_url(article, "history", article.pk)).content.decode()

    assert "<td>已修改导语。</td>" in html


def test_every_group_of_the_admin_index_has_a_chinese_name_in_a_working_order(admin_client):
    """django-axes and django-tasks-db have no catalog: their groups were "Axes" and "Tasks Database Backend"."""
    html = admin_client.get(reverse("admin:index")).content.decode()
    groups = re.findall(r'<a href="/admin/[a-z_]+/" class="section"[^>]*>([^<]*)</a>', html)

    assert groups == ["采编内容", "认证和授权", "登录保护", "后台任务"]
    assert ">登录保护</a>" in admin_client.get(reverse("admin:app_list", args=["axes"])).content.decode()
    tasks = admin_client.get(reverse("admin:app_list", args=["django_tasks_database"])).content.decode()
    assert ">后台任务结果</a>" in tasks and "Task Result" not in tasks  # its model's name too


def test_each_group_says_what_it_holds_and_the_history_title_has_no_stray_space(admin_client):
    """Django's catalog: "在应用程序 登录保护 中的模型" (a programmer's words) and "变更历史： 标题" (a space after a
    full-width colon)."""
    article = ArticleFactory(headline="春耕时节")
    index = admin_client.get(reverse("admin:index")).content.decode()
    history = admin_client.get(admin_url(article, "history", article.pk)).content.decode()

    assert 'title="登录保护里的内容"' in index and "应用程序" not in index
    assert "<title>变更历史：春耕时节" in history and "变更历史： " not in history


def test_a_stored_images_file_box_says_目前_and_修改_with_full_width_colons(editor_client):
    """Django's file box writes "目前: <link>" and "修改:" with half-width colons; the photo library and a reporter's
    portrait use the admin's box with the full-width ones, and still take a new file or clear the portrait."""
    photo = PhotoFactory()
    reporter = ReporterFactory(portrait=ContentFile(image_bytes("JPEG"), name="portrait.jpg"))

    photo_page = editor_client.get(reverse("admin:articles_photo_change", args=[photo.pk])).content.decode()
    reporter_page = editor_client.get(reverse("admin:articles_reporter_change", args=[reporter.pk])).content.decode()

    assert f'目前：<a href="{photo.image.url}">' in photo_page and "修改：\n<input" in photo_page
    assert re.search(r'<input type="file" name="image" accept="image/\*" id="id_image">', photo_page)
    assert f'目前：<a href="{reporter.portrait.url}">' in reporter_page
    assert 'name="portrait-clear"' in reporter_page and re.search(r'<input type="file" name="portrait"', reporter_page)
    for html in (photo_page, reporter_page):
        assert "目前:" not in html and "修改:" not in html


def test_the_user_and_group_pages_name_every_permission_in_chinese(admin_client):
    """Django stores permission names in English when migrate makes them ("Can add article") and the user and group
    pages listed them so: 采编内容 | 稿件 | Can add article."""
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="夜班编辑")
    user = get_user_model().objects.create_user("xiaowang", password="x" * 12, is_staff=True)

    for url in (
        reverse("admin:auth_user_change", args=[user.pk]),
        reverse("admin:auth_group_change", args=[group.pk]),
    ):
        html = admin_client.get(url).content.decode()
        chooser = re.search(r'<select name="(?:user_)?permissions".*?</select>', html, re.S).group(0)
        options = re.findall(r"<option[^>]*>([^<]*)</option>", chooser)
        assert len(options) > 100
        assert "采编内容 | 稿件 | 可以添加稿件" in options and "采编内容 | 稿件 | 可以查看稿件" in options
        assert "采编内容 | 稿件 | 可以彻底删除稿件并清空回收站" in options  # one of Meta.permissions
        assert [option for option in options if re.search("[A-Za-z]", option)] == []  # no "Can add Task Result"
