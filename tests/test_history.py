"""Versions of an article: what a version holds, a readable comparison of two, and restoring one."""

import pytest
import reversion
from django.core.exceptions import ValidationError
from django.utils import timezone

from articles import services
from articles.models import Article, Status, Transition
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BylineFactory,
    BylineRoleFactory,
    ExperienceEntryFactory,
    OrganizationFactory,
    PhotoFactory,
    ReporterFactory,
)

pytestmark = pytest.mark.django_db


def save_version(article, *parts, comment=""):
    """Save the article and its parts as one version, as the admin does."""
    with reversion.create_revision():
        article.save()
        for part in parts:
            part.save()
        reversion.set_comment(comment)


@pytest.fixture
def story():
    """An article with two versions: the first as filed, the second after an editor's changes."""
    article = ArticleFactory(published=True, headline="妇联改革推进会召开", body="<p>会议在桐溪召开。</p>")
    chief, trainee = BylineRoleFactory(name="首席记者"), BylineRoleFactory(name="见习记者")
    chen, wang = ReporterFactory(name="陈思远"), ReporterFactory(name="王雨桐")
    first_byline = BylineFactory(article=article, reporter=chen, role=chief, order=1)
    photo_link = ArticlePhotoFactory(
        article=article, photo=PhotoFactory(alt_text="会场"), caption="会场一角。", order=1
    )
    entry = ExperienceEntryFactory(
        article=article, organization=OrganizationFactory(name="桐溪市妇联"), title="把阵地建到家门口", order=1
    )
    save_version(article, first_byline, photo_link, entry, comment="first")

    article.headline = "全省妇联改革推进会在桐溪召开"
    article.body = "<p>会议在桐溪市召开，约150人参会。</p>"
    second_byline = BylineFactory(article=article, reporter=wang, role=trainee, order=2)
    entry.title = "把妇联阵地建到群众家门口"
    save_version(article, first_byline, second_byline, photo_link, entry, comment="second")
    versions = list(services.article_versions(article))
    return {"article": article, "old": versions[1], "new": versions[0]}


def test_a_version_holds_the_article_with_its_bylines_photos_and_entries(story):
    snapshot = services.version_snapshot(story["old"])

    assert snapshot["fields"]["headline"] == "妇联改革推进会召开"
    assert [row["order"] for row in snapshot["bylines"]] == [1]
    assert [row["caption"] for row in snapshot["photos"]] == ["会场一角。"]
    assert [row["title"] for row in snapshot["entries"]] == ["把阵地建到家门口"]


def test_versions_are_listed_newest_first(story):
    assert [v.revision.comment for v in services.article_versions(story["article"])] == ["second", "first"]


def test_comparison_shows_what_changed_in_readable_form(story):
    changes = dict(services.compare_versions(story["old"], story["new"]))

    assert set(changes) == {"标题", "正文", "署名", "经验交流 1"}  # the photo did not change
    assert "<ins>全省</ins>" in changes["标题"]
    assert "<ins>市</ins>" in changes["正文"] and "<ins>，约150人参会</ins>" in changes["正文"]
    assert "<ins>" in changes["署名"] and "见习记者 王雨桐" in changes["署名"]
    assert "首席记者 陈思远" in changes["署名"]  # names, not ids


def test_comparison_escapes_whatever_the_text_holds():
    article = ArticleFactory(headline="标题")
    save_version(article)
    article.headline = "标题<script>alert(1)</script>"
    save_version(article)
    new, old = services.article_versions(article)

    html = dict(services.compare_versions(old, new))["标题"]

    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_restoring_a_version_brings_back_text_bylines_and_entries_but_not_the_publishing_state(story, editor_user):
    article = story["article"]
    published_at = article.published_at

    services.restore_version(article, story["old"], editor_user)

    article = Article.objects.get(pk=article.pk)
    assert article.headline == "妇联改革推进会召开"
    assert article.body == "<p>会议在桐溪召开。</p>"
    assert [(b.role.name, b.reporter.name) for b in article.bylines.order_by("order")] == [("首席记者", "陈思远")]
    assert [e.title for e in article.experience_entries.all()] == ["把阵地建到家门口"]
    assert [p.caption for p in article.article_photos.all()] == ["会场一角。"]
    assert article.status == Status.PUBLISHED and article.published_at == published_at


def test_a_restore_names_the_entry_it_leaves_out_as_its_organisation_is_gone(story, editor_user):
    """It said "有 1 项未恢复", naming neither the entry nor where its words were."""
    article = story["article"]
    entry = article.experience_entries.get()
    old_organization = entry.organization
    entry.organization = OrganizationFactory(name="桐溪市妇女联合会")  # put right, then the duplicate deleted
    save_version(article, entry, comment="third")
    old_organization.delete()

    services.restore_version(article, story["old"], editor_user)

    assert not article.experience_entries.exists()
    step = article.transitions.get()
    assert step.comment.endswith(
        "（未恢复：经验交流“把阵地建到家门口”，因对应的记者、署名身份、图片或单位已不存在；其文字仍保存在该版本中）"
    )


def test_a_comparison_calls_an_organisation_deleted_since_so(story):
    """It showed "?：把阵地建到家门口"."""
    article = story["article"]
    entry = article.experience_entries.get()
    old_organization = entry.organization
    entry.organization = OrganizationFactory(name="桐溪市妇女联合会")
    save_version(article, entry, comment="third")
    old_organization.delete()
    newest, previous = list(services.article_versions(article))[:2]

    changes = dict(services.compare_versions(previous, newest))

    assert changes["经验交流 1"].startswith(
        "<del>（已删除）</del><ins>桐溪市妇女联合会</ins>：把妇联阵地建到群众家门口"
    )


def test_restoring_a_version_keeps_the_print_page_s_one_name(editor_client, editor_user):
    """The other stories of a page renamed by an editor keep no version with the new name: restoring one of theirs
    (to undo a headline typo) brought the old name back on a live story, and the page had two names again."""
    from django.urls import reverse

    from tests.test_admin import form_data
    from tests.views.test_print import ISSUE, in_print

    renamed_in = in_print(ISSUE, "A03", "妇女儿童", headline="头条")
    other = in_print(ISSUE, "A03", "妇女儿童", headline="同版稿件")
    save_version(other, comment="as filed")
    change_url = reverse("admin:articles_article_change", args=[renamed_in.pk])
    data = form_data(editor_client.get(change_url))
    data.update({"print_page_name": "民生", "_save": "1"})
    assert editor_client.post(change_url, data).status_code == 302

    services.restore_version(other, services.article_versions(other).first(), editor_user)

    assert set(Article.objects.filter(print_page_number="A03").values_list("print_page_name", flat=True)) == {"民生"}


def test_restoring_a_version_of_a_roundup_keeps_the_names_its_entries_were_printed_under(client, editor_user):
    """The entries came back with the organisation's new name: the version, saved before the rename, held none."""
    organization = OrganizationFactory(name="桐溪市白沙县妇女联合会", short_name="白沙县妇联")
    article = ArticleFactory(headline="去年的经验交流会", published=True)
    entry = ExperienceEntryFactory(article=article, organization=organization, title="巾帼家政进万家")
    save_version(article, entry, comment="first")
    entry.title = "巾帼家政进万家门"
    save_version(article, entry, comment="second")
    organization.name, organization.short_name = "桐溪市白沙区妇女联合会", "白沙区妇联"
    organization.save()

    services.restore_version(article, services.article_versions(article)[1], editor_user)

    assert article.experience_entries.get().shown_name == "白沙县妇联"


def test_a_restore_is_itself_a_new_version_and_on_record(story, editor_user):
    services.restore_version(story["article"], story["old"], editor_user)

    versions = list(services.article_versions(story["article"]))
    assert len(versions) == 3
    assert versions[0].revision.user == editor_user
    # The newest version now holds the restored text, so nothing was lost: the undone version is still there.
    assert services.version_snapshot(versions[0])["fields"]["headline"] == "妇联改革推进会召开"
    assert services.version_snapshot(versions[1])["fields"]["headline"] == "全省妇联改革推进会在桐溪召开"
    step = story["article"].transitions.get()
    assert step.action == Transition.Action.RESTORE_VERSION and step.user == editor_user


def test_a_version_of_another_article_cannot_be_restored_here(story, editor_user):
    other = ArticleFactory(headline="另一篇")
    save_version(other)

    with pytest.raises(ValidationError):
        services.restore_version(story["article"], services.article_versions(other).first(), editor_user)
    assert Article.objects.get(pk=story["article"].pk).headline == "全省妇联改革推进会在桐溪召开"


# --- Through the admin ------------------------------------------------------------------------------------


def edit_in_admin(client, article, **changes):
    from tests.test_admin import admin_url, errors_of, form_data

    url = admin_url(article, "change", article.pk)
    data = form_data(client.get(url))
    data.update({**changes, "_continue": "保存并继续编辑"})
    response = client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    return response


def test_every_admin_save_keeps_a_version_with_its_author(editor_client, editor_user):
    article = ArticleFactory(headline="初稿标题")
    edit_in_admin(editor_client, article, headline="第二稿标题")
    edit_in_admin(editor_client, article, headline="第三稿标题")

    versions = list(services.article_versions(article))

    assert [services.version_snapshot(v)["fields"]["headline"] for v in versions] == ["第三稿标题", "第二稿标题"]
    assert all(v.revision.user == editor_user for v in versions)


def test_history_page_compares_the_last_two_versions_by_default(editor_client):
    from tests.test_admin import admin_url

    article = ArticleFactory(headline="初稿标题")
    edit_in_admin(editor_client, article, headline="第二稿标题")
    edit_in_admin(editor_client, article, headline="第二稿的新标题")

    html = editor_client.get(admin_url(article, "history", article.pk)).content.decode()

    assert 'id="version-diff"' in html
    assert "<ins>的新</ins>" in html
    assert html.count('name="old"') == 2  # one radio button per version


def test_versions_saved_in_the_same_minute_are_told_apart(editor_client):
    """Listed to the second, and each restore button says which version it restores (for screen readers)."""
    import re

    from tests.test_admin import admin_url

    article = ArticleFactory(headline="初稿标题")
    edit_in_admin(editor_client, article, headline="第二稿标题")
    edit_in_admin(editor_client, article, headline="第三稿标题")

    html = editor_client.get(admin_url(article, "history", article.pk)).content.decode()

    times = re.findall(r'<th scope="row">(\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d:\d\d)</th>', html)
    labels = re.findall(r'aria-label="(恢复此版本[^"]+)"', html)
    # The spoken name starts with the visible label (WCAG 2.5.3), then says which version.
    assert len(times) == 2 and len(labels) == 1 and labels[0] == f"恢复此版本（{times[1]}）"
    assert f"从 {times[1]} 到 {times[0]} 的改动" in html  # the comparison's heading to the second too


def test_history_page_names_the_changed_fields_in_chinese(editor_client):
    """Django stores a change's field labels in English (capitalised) and translates them when it shows them."""
    from tests.test_admin import admin_url

    article = ArticleFactory(subtitle="原副题", body="<p>原正文。</p>")
    edit_in_admin(editor_client, article, subtitle="新副题", body="<p>新正文。</p>")

    html = editor_client.get(admin_url(article, "history", article.pk)).content.decode()

    assert "已修改副题 和 正文。" in html
    assert "Subtitle" not in html and "Body" not in html


def test_history_page_compares_any_two_versions_chosen(editor_client):
    from tests.test_admin import admin_url

    article = ArticleFactory(headline="甲")
    for headline in ["乙", "丙", "丁"]:
        edit_in_admin(editor_client, article, headline=headline)
    newest, _middle, oldest = services.article_versions(article)

    html = editor_client.get(f"{admin_url(article, 'history', article.pk)}?old={oldest.pk}&new={newest.pk}").content

    assert "<del>乙</del><ins>丁</ins>" in html.decode()


def test_restoring_from_the_history_page_brings_back_the_text_and_keeps_everything(editor_client):
    from tests.test_admin import admin_url

    article = ArticleFactory(headline="原来的好标题")
    edit_in_admin(editor_client, article, headline="改坏了的标题")
    edit_in_admin(editor_client, article, headline="又改了一次")
    oldest = list(services.article_versions(article))[-1]

    response = editor_client.post(reverse_restore(article, oldest))

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "改坏了的标题"
    assert services.article_versions(article).count() == 3
    assert "改坏了的标题" in editor_client.get(admin_url(article, "history", article.pk)).content.decode()


def shown_messages(client, response):
    return [str(message) for message in client.get(response.url).context["messages"]]


@pytest.mark.parametrize("brought_in", ["an image without alt text", "a sensitive word", "a sensitive caption"])
def test_a_restore_does_not_bring_into_a_live_story_what_a_publish_does_not_let_through(editor_client, brought_in):
    """A save of a live story is refused for these; restoring an older version put them on the site unchecked."""
    from tests.factories import WatchWordFactory

    WatchWordFactory(word="示例敏感词", kind="sensitive")
    old_body = {
        "an image without alt text": '<p>旧版。</p><figure class="image"><img src="/media/photos/2026/11/a.jpg"></figure>',
        "a sensitive word": "<p>旧版提到示例敏感词。</p>",
        "a sensitive caption": "<p>现在的正文。</p>",
    }[brought_in]
    article = ArticleFactory(status="draft", body=old_body)
    photo = ArticlePhotoFactory(
        article=article, caption="会场，示例敏感词。" if brought_in == "a sensitive caption" else "会场。"
    )
    save_version(article, photo, comment="旧版")
    old = services.article_versions(article).first()
    photo.caption = "会场。"
    article.body, article.status, article.published_at = "<p>现在的正文。</p>", "published", timezone.now()
    save_version(article, photo, comment="发布")

    response = editor_client.post(reverse_restore(article, old))

    article.refresh_from_db()
    assert article.body == "<p>现在的正文。</p>"
    said = " ".join(shown_messages(editor_client, response))
    assert "没有恢复这个版本：稿件已在线" in said
    assert ("正文第1张图片缺少替代文字" if brought_in == "an image without alt text" else "敏感词“示例敏感词”") in said
    assert article.article_photos.get().caption == "会场。"


def test_restoring_a_version_of_the_same_text_keeps_the_schedule(editor_client):
    """It cancelled the schedule and sent the story back to review, saying only that the text had changed."""
    from datetime import timedelta

    article = ArticleFactory(headline="定时稿件", body="<p>正文。</p>")
    save_version(article, comment="第一版")
    same = services.article_versions(article).first()
    going_out = timezone.now() + timedelta(hours=3)
    article.status, article.published_at, article.review_level = "published", going_out, 1
    save_version(article, comment="定时")

    editor_client.post(reverse_restore(article, same))

    article.refresh_from_db()
    assert article.is_scheduled() and article.published_at == going_out


def reverse_restore(article, version):
    from django.urls import reverse

    return reverse("admin:articles_article_restore_version", args=[article.pk, version.pk])


def test_a_reporter_cannot_restore_a_version_of_someone_elses_story(reporter_user, editor_client):
    from django.test import Client

    article = ArticleFactory(headline="编辑的稿件")
    edit_in_admin(editor_client, article, headline="编辑改过")
    edit_in_admin(editor_client, article, headline="编辑又改过")
    oldest = list(services.article_versions(article))[-1]
    reporter_client = Client()
    reporter_client.force_login(reporter_user)

    response = reporter_client.post(reverse_restore(article, oldest))

    assert response.status_code in {403, 404}
    article.refresh_from_db()
    assert article.headline == "编辑又改过"


def test_restore_needs_a_post(editor_client):
    article = ArticleFactory(headline="甲")
    edit_in_admin(editor_client, article, headline="乙")
    edit_in_admin(editor_client, article, headline="丙")
    oldest = list(services.article_versions(article))[-1]

    assert editor_client.get(reverse_restore(article, oldest)).status_code == 405
    article.refresh_from_db()
    assert article.headline == "丙"


def test_every_field_label_the_history_can_store_has_its_translation_kept():
    """The history stores a changed field's label capitalised in English and translates it when shown; the labels
    are listed in articles/history_labels.py so that makemessages keeps their translations. A new field needs its
    label there."""
    from django.apps import apps
    from django.utils import translation
    from django.utils.text import capfirst

    from articles.history_labels import HISTORY_FIELD_LABELS

    untranslated = set()
    for model in apps.get_app_config("articles").get_models():
        for field in model._meta.get_fields():
            verbose_name = getattr(field, "verbose_name", None)
            if verbose_name is None:
                continue
            with translation.override(None):
                name = str(verbose_name)
            with translation.override("zh-hans"):
                if str(verbose_name) != name and translation.gettext(capfirst(name)) == capfirst(name):
                    untranslated.add(capfirst(name))  # the field's name is translated, its history label is not
    assert not untranslated, "add them to articles/history_labels.py and locale/"
    with translation.override("zh-hans"):
        assert [translation.gettext(label) for label in HISTORY_FIELD_LABELS[:3]] == ["操作", "所属单位", "替代文字"]


def test_long_texts_are_compared_within_a_bounded_amount_of_work(monkeypatch):
    """Two saves of a 300,000-character body made the history page compare them character by character: 543 s of
    a worker for one page view, and eight such views took the site down. The lines both begin and end with are set
    aside, the rest compared line by line and, within changed lines, character by character, up to one budget for
    the whole comparison; past it, a changed place is shown removed and added whole."""
    import random

    work = []
    compare_characters = services._character_diff_html

    def counted(old, new):
        work.append(len(old) * len(new))
        return compare_characters(old, new)

    monkeypatch.setattr(services, "_character_diff_html", counted)
    pick = random.Random(8).choice
    paragraphs = ["".join(pick("妇联改革推进会基层组织建设阵地服务群众") for _ in range(100)) for _ in range(500)]
    edited = [p[:50] + "新" + p[51:] for p in paragraphs]  # one character changed in every paragraph

    html = services._diff_html("\n".join(paragraphs), "\n".join(edited))

    assert 0 < sum(work) <= services.DIFF_BUDGET - 500 * 500  # the lines' comparison took its share
    lines = html.split("<br>")
    assert len(lines) == 500
    assert lines[0].count("<ins>") == 1 and "<ins>新</ins>" in lines[0]  # the first places, character by character
    assert lines[-1] == f"<del>{paragraphs[-1]}</del><ins>{edited[-1]}</ins>"  # the last, whole

    work.clear()
    one_line = "".join(paragraphs) * 6  # 300,000 characters without a line break
    html = services._diff_html(one_line, one_line[:150_000] + "新" + one_line[150_001:])
    assert work == []
    assert html == f"<del>{one_line}</del><ins>{one_line[:150_000]}新{one_line[150_001:]}</ins>"


def test_reordered_paragraphs_are_shown_moved_without_comparing_every_line_with_every_other(monkeypatch):
    """Comparing lines costs up to the product of their numbers too: 32,000 reordered paragraphs took 98 s. Past
    the budget the changed stretch is shown removed and added; the lines both texts begin and end with stay plain."""
    import difflib

    compared = []
    real = difflib.SequenceMatcher

    def counted(*args, a=(), b=(), **kwargs):
        compared.append(len(a) * len(b))
        return real(*args, a=a, b=b, **kwargs)

    monkeypatch.setattr(difflib, "SequenceMatcher", counted)
    paragraphs = [f"第{number}段。" for number in range(8000)]
    moved = ["开头不变。", *paragraphs[1:][::-1], "结尾不变。"]
    original = ["开头不变。", *paragraphs[1:], "结尾不变。"]

    html = services._diff_html("\n".join(original), "\n".join(moved))

    assert sum(compared) <= services.DIFF_BUDGET
    lines = html.split("<br>")
    assert lines[0] == "开头不变。" and lines[-1] == "结尾不变。"
    assert lines[1] == f"<del>{paragraphs[1]}</del><ins>{paragraphs[-1]}</ins>"


def test_one_budget_serves_every_part_of_a_comparison(monkeypatch):
    """A roundup compared part by part (the body, each entry) had a budget per part: many entries, many budgets."""
    monkeypatch.setattr(services, "DIFF_BUDGET", 30)
    budget = [services.DIFF_BUDGET]

    first = services._diff_html("甲乙丙丁", "甲乙丙戊", budget)
    second = services._diff_html("一二三四", "一二三五", budget)

    assert first == "甲乙丙<del>丁</del><ins>戊</ins>"  # 1 line × 1 line, then 4 × 4 characters
    assert second == "<del>一二三四</del><ins>一二三五</ins>"  # what is left of the budget is too little
