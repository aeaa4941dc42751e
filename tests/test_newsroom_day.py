"""Found by a day in the newsroom in a real browser (reporters and editors at work in the admin)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import ExperienceEntry, Organization
from tests.factories import (
    ArticleFactory,
    BylineFactory,
    BylineRoleFactory,
    ExperienceEntryFactory,
    OrganizationFactory,
    PhotoFactory,
)
from tests.test_admin import form_data

pytestmark = pytest.mark.django_db

LEVELS = [
    Organization.Level.CITY,
    Organization.Level.COUNTY,
    Organization.Level.TOWNSHIP,
    Organization.Level.VILLAGE,
]


def roundup(entries, bylines):
    """A roundup with ``entries`` experience entries (oral and written in turn, from organisations at several
    levels, the first with a photo) and ``bylines`` bylines, each with a role of its own."""
    article = ArticleFactory(headline="全省妇联系统改革经验交流")
    for number in range(bylines):
        BylineFactory(article=article, order=number, role=BylineRoleFactory())
    province = OrganizationFactory(level=Organization.Level.PROVINCE)
    for number in range(entries):
        ExperienceEntryFactory(
            article=article,
            order=number,
            form=ExperienceEntry.Form.ORAL if number % 2 else ExperienceEntry.Form.WRITTEN,
            organization=OrganizationFactory(parent=province, level=LEVELS[number % len(LEVELS)]),
            photo=PhotoFactory() if number == 0 else None,
            caption="交流会现场。" if number == 0 else "",
        )
    return article


def change_form_queries(client, article):
    url = f"/admin/articles/article/{article.pk}/change/"
    client.get(url)  # warm the session, content types and permissions
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    # Every row still shows what it holds: the chosen organisation, photo, role and person.
    page = response.content.decode()
    for entry in article.experience_entries.select_related("organization", "photo"):
        assert f'<option value="{entry.organization_id}" selected>{entry.organization}</option>' in page
        if entry.photo_id:
            assert f'<option value="{entry.photo_id}" selected>{entry.photo}</option>' in page
    for byline in article.bylines.select_related("role", "reporter"):
        assert f'<option value="{byline.role_id}" selected>{byline.role}</option>' in page
        assert f'<option value="{byline.reporter_id}" selected>{byline.reporter}</option>' in page
    return len(queries)


def test_the_change_form_of_a_roundup_runs_as_many_queries_with_14_entries_as_with_1(editor_client):
    small = change_form_queries(editor_client, roundup(entries=1, bylines=1))
    large = change_form_queries(editor_client, roundup(entries=14, bylines=3))
    assert large == small


def test_a_refused_save_names_and_links_each_place_to_correct(editor_client):
    """A roundup's 14 entries make a long page: "请更正以下错误。" at its top said nothing of where, and the one
    empty title was in the twelfth entry, far below. The note lists each place with a link to it."""
    article = roundup(entries=14, bylines=2)
    url = f"/admin/articles/article/{article.pk}/change/"
    data = form_data(editor_client.get(url))
    data["experience_entries-11-title"] = [""]
    data["headline"] = [""]

    response = editor_client.post(url, data)

    assert response.status_code == 200  # refused, shown again
    page = response.content.decode()
    places = re.findall(r'<li><a href="(#[^"]+)">([^<]+)</a></li>', page.split('class="errornote"', 1)[1])
    assert places == [("#id_headline", "标题"), ("#experience_entries-11", "经验交流第12条：标题")]
    assert 'id="experience_entries-11"' in page


def test_saving_a_story_with_an_image_untouched_does_not_log_a_change_of_its_text(editor_client):
    """CKEditor gives an image back with a style (aspect-ratio) that the sanitiser drops: the text saved is the same,
    but the history said "已修改正文" at every save of a story with an image (adding a correction, say)."""
    from django.contrib.admin.models import LogEntry

    from articles import services

    stored = services.sanitize_html(
        '<p>会议召开。</p><figure class="image"><img src="/media/photos/2026/11/a.jpg" alt="会场" width="1600" '
        'height="1000"></figure>'
    )
    article = ArticleFactory(body=stored)
    url = f"/admin/articles/article/{article.pk}/change/"
    data = form_data(editor_client.get(url))
    # What CKEditor sends for the same text.
    data["body"] = [stored.replace("<img ", '<img style="aspect-ratio:1600/1000;" ')]
    data["headline"] = ["全省妇联改革现场会召开（修改）"]

    response = editor_client.post(url, data)

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == stored
    assert LogEntry.objects.get(object_id=str(article.pk)).get_change_message() == "已修改标题。"


def test_the_history_says_what_each_version_and_each_logged_action_was(editor_client, editor_user):
    """The versions' 意见 column was always empty (eight versions of one morning, told apart by their seconds
    only), and the change log showed an empty row for the move to the trash and nothing for the restore."""
    from django.urls import reverse

    article = ArticleFactory(created_by=editor_user)
    BylineFactory(article=article)
    url = f"/admin/articles/article/{article.pk}/change/"
    data = form_data(editor_client.get(url))
    data["headline"] = ["全省妇联改革现场会在岚州召开"]
    assert editor_client.post(url, data).status_code == 302
    submit = reverse("admin:articles_article_workflow", args=[article.pk, "submit"])
    assert editor_client.post(submit, {"comment": "请审核"}).status_code == 302
    assert editor_client.post(f"/admin/articles/article/{article.pk}/delete/", {"post": "yes"}).status_code == 302
    trash = reverse("admin:articles_trashedarticle_changelist")
    assert (
        editor_client.post(trash, {"action": "restore_selected", "_selected_action": [article.pk]}).status_code == 302
    )

    page = editor_client.get(f"/admin/articles/article/{article.pk}/history/").content.decode()

    versions, log = page.split('id="change-history"', 1)
    comments = re.findall(r"</th>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>", versions)
    assert comments[:2] == ["提交审核：请审核", "已修改标题。"]
    actions = [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td>([^<]*)</td>\s*</tr>", log)]
    assert actions[-3:] == ["已修改标题。", "移入回收站。", "从回收站恢复为草稿。"]


def test_the_import_summary_is_punctuated_in_chinese(editor_client):
    """ "[1/1] roundup.md — 已创建 : 标题 (同组稿件), 标题": half-width colon, brackets and commas in a Chinese
    sentence. The summary reads "已创建：标题、标题（同组稿件）"."""
    from pathlib import Path

    from django.urls import reverse

    from tests.factories import SectionFactory

    section = SectionFactory(name="要闻", slug="yaowen", order=1)
    text = (Path(__file__).parent / "manuscripts" / "roundup_package.md").read_text(encoding="utf-8")
    url = reverse("admin:articles_article_import")
    data = {"confirm": "1", "section": section.pk, "filename": ["roundup.md"], "manuscript": [text]}

    done = editor_client.post(url, data)

    assert done.context["counts"]["created"] == 1
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", done.text.split('class="manuscript-results"', 1)[1]))
    headlines = [link["article"].headline for link in done.context["results"][0]["links"]]
    assert len(headlines) == 2
    assert f"roundup.md — 已创建：{headlines[0]}、{headlines[1]}（同组稿件）" in row


def test_the_result_count_of_a_filtered_list_is_bracketed_in_chinese(reporter_client, reporter_user):
    """ "我的草稿" from the desk: "共 1 条结果 (显示全部)", half-width brackets in a Chinese line."""
    article = ArticleFactory(created_by=reporter_user)

    response = reporter_client.get("/admin/articles/article/?workflow=mine&status__exact=draft&q=" + article.headline)

    line = re.sub(
        r"\s+", "", re.sub(r"<[^>]+>", "", response.text.split('class="small quiet"', 1)[1].split("</span>")[0])
    )
    assert line.endswith("1条结果（显示全部）"), line


def test_a_file_that_is_no_photo_is_refused_with_what_to_do(reporter_client):
    """The lead photo's "+" window answered "无法读取该图片，文件可能已损坏或并非图片。" and left the reporter there."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("会场.jpg", "这不是图片，只是一段文字。".encode(), content_type="image/jpeg")

    response = reporter_client.post("/admin/articles/photo/add/", {"image": upload, "alt_text": "会场"})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["image"]
    assert errors == ["无法读取该图片，文件可能已损坏或并非图片：请先用看图软件打开确认，或另存为 JPEG 后重新上传。"]
