"""Importing manuscripts: the service, the command and the admin pages."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.urls import reverse
from django.utils import translation

from articles import services
from articles.manuscripts import decode, normalize
from articles.models import (
    Article,
    ArticlePhoto,
    BylineRole,
    ExperienceEntry,
    Organization,
    Reporter,
    Status,
)
from tests.factories import ArticleFactory, ArticlePhotoFactory, OrganizationFactory, ReporterFactory, SectionFactory

SAMPLES = Path(__file__).parent / "manuscripts"
GOOD = [
    "meeting_report.md",
    "roundup_package.md",
    "correspondent_short.txt",
    "print_layout.txt",
    "gb18030.txt",
    "bom.md",
    "crlf_halfwidth.txt",
    "unknown_roles.md",
    "entry_without_colon.md",
]
BROKEN = ["no_headline.txt", "empty.txt", "binary.png", "wrong_encoding.txt"]


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are checked in English, whatever language an earlier test left active: in this thread, and in the
    pages the client gets (each request is served in the site's language, LANGUAGE_CODE)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def section(db):
    return SectionFactory(name="要闻", slug="yaowen", order=1)


def sample(name):
    return (SAMPLES / name).read_bytes()


def stored_text(article):
    """Everything of a draft as text: fields, bylines, entries, captions."""
    parts = [article.kicker, article.headline, article.subtitle, article.source, article.pull_quote]
    parts.append(services.html_to_text(article.body))
    parts += [f"{byline.role.name} {byline.reporter.name}" for byline in article.bylines.all()]
    parts += [item.caption for item in article.article_photos.all()]
    for entry in article.experience_entries.select_related("organization"):
        for name in {entry.organization.name, entry.organization.short_name} - {""}:
            parts.append(f"{name}：{entry.title}")
        parts += [entry.highlight, services.html_to_text(entry.body), entry.caption]
    return "\n".join(parts)


# --- The service ---


@pytest.mark.parametrize("name", GOOD)
def test_nothing_is_lost(section, editor_user, name):
    result = services.import_manuscript(sample(name), user=editor_user, filename=name)
    assert result.status == "created", result.failure
    text = "\n".join(stored_text(article) for article in result.drafts)
    for line in normalize(decode(sample(name))).split("\n"):
        line = line.lstrip("#").strip()
        if not line:
            continue
        tokens = [token for token in re.split(r"[\s/]+", line) if token]  # the source is stored as "A / B"
        assert line in text or all(token in text for token in tokens), f"lost from {name}: {line}"


@pytest.mark.parametrize("name", GOOD)
def test_imports_are_drafts_created_by_the_user(section, reporter_user, name):
    result = services.import_manuscript(sample(name), user=reporter_user, filename=name)
    for article in result.drafts:
        article.refresh_from_db()
        assert article.status == Status.DRAFT and article.published_at is None
        assert article.created_by == reporter_user
        assert not article.is_published()
    assert not Article.objects.published().exists()


def test_meeting_report_fields(section, editor_user):
    existing = ReporterFactory(name="周雅琴", slug="zhou-yaqin")
    result = services.import_manuscript(sample("meeting_report.md"), user=editor_user)
    (article,) = result.drafts
    assert article.kicker == "全省妇联基层组织建设推进会在青枫召开"
    assert article.headline == "把妇联工作做到姐妹们的心坎上"
    assert article.subtitle == "沈慧芳：让每一位妇女都能找到“娘家人”"
    assert article.source == "今日女报 / 凤网"
    assert article.section == section
    assert article.dateline_on.month == 11 and article.dateline_on.day == 19
    assert article.pull_quote == "基层强，妇联才能强；妇女群众满意，改革才算成功。"
    assert article.body.startswith("<p>11月19日，全省妇联")
    assert article.body.count("<h2>") == 2 and "<h3>" not in article.body  # the headline is the h1
    bylines = list(article.bylines.select_related("reporter", "role").order_by("order"))
    assert [(b.order, b.role.name, b.reporter.name) for b in bylines] == [
        (0, "首席记者", "周雅琴"),
        (1, "见习记者", "唐小满"),
        (2, "通讯员", "罗文静"),
    ]
    assert bylines[0].reporter == existing  # matched by name
    new = bylines[2].reporter
    assert new.user is None and new.title == "通讯员" and new.slug.startswith("reporter-")
    placeholders = list(article.article_photos.order_by("order"))
    assert [(p.photo, p.caption) for p in placeholders] == [
        (None, "推进会会场。"),
        (None, "与会代表在分组讨论中交流心得。"),
    ]
    assert article.manuscript_hash == result.manuscript.hash


def test_roundup_package_creates_a_linked_companion_with_entries(section, editor_user):
    province = OrganizationFactory(name="青枫市妇女联合会", short_name="青枫市妇联", slug="qingfeng")
    result = services.import_manuscript(sample("roundup_package.md"), user=editor_user)
    lead, companion = result.drafts
    assert companion.package_lead == lead and list(lead.companions.all()) == [companion]
    assert companion.manuscript_hash == "" and lead.manuscript_hash
    assert [(b.role.name, b.reporter.name) for b in companion.bylines.all()] == [("整理", "周雅琴")]
    entries = list(companion.experience_entries.select_related("organization").order_by("order"))
    assert len(entries) == 8
    assert entries[0].organization == province  # matched by short name
    assert [entry.form for entry in entries] == [ExperienceEntry.Form.ORAL] * 4 + [ExperienceEntry.Form.WRITTEN] * 4
    levels = {entry.organization.name: entry.organization.level for entry in entries[1:]}
    assert levels == {
        "云雾山苗族自治州妇联": Organization.Level.CITY,
        "青枫市南湖区妇联": Organization.Level.COUNTY,
        "龙潭镇妇联": Organization.Level.TOWNSHIP,
        "松溪市妇联": Organization.Level.CITY,
        "白石县妇联": Organization.Level.COUNTY,
        "南湖区月湖街道妇联": Organization.Level.TOWNSHIP,
        "龙潭镇杉木村妇联": Organization.Level.VILLAGE,
    }
    assert entries[0].highlight == "把任务细化成清单，一项一项抓落实。"
    assert entries[1].caption == "绣娘们在手工坊里赶制订单。" and entries[1].photo is None
    assert entries[0].body.startswith("<p>我们把改革任务")


def test_a_short_name_two_organisations_share_is_noted(section, editor_user):
    """Town names repeat across counties: the entry must not land in one of them silently."""
    first = OrganizationFactory(name="枫林市城关镇妇女联合会", short_name="青枫市妇联", slug="fenglin-chengguan")
    OrganizationFactory(name="白沙县城关镇妇女联合会", short_name="青枫市妇联", slug="baisha-chengguan")

    result = services.import_manuscript(sample("roundup_package.md"), user=editor_user, dry_run=True)

    assert result.organizations["青枫市妇联"] == first
    notes = [note for note in result.notes if "青枫市妇联" in note]
    assert len(notes) == 1 and "枫林市城关镇妇女联合会" in notes[0] and "白沙县城关镇妇女联合会" in notes[0]


def test_unknown_roles_are_added_to_the_vocabulary(section, editor_user):
    result = services.import_manuscript(sample("unknown_roles.md"), user=editor_user)
    assert result.status == "created"
    assert BylineRole.objects.filter(name__in=["特约记者", "驻站记者"]).count() == 2
    assert any("特约记者" in note for note in result.notes)


def test_same_manuscript_again_is_a_duplicate(section, editor_user):
    first = services.import_manuscript(sample("roundup_package.md"), user=editor_user)
    count = Article.objects.count()
    reporters = Reporter.objects.count()
    again = services.import_manuscript(sample("roundup_package.md"), user=editor_user)
    assert again.status == "duplicate" and again.duplicate_of == first.drafts[0]
    assert Article.objects.count() == count and Reporter.objects.count() == reporters


def test_same_text_in_another_encoding_is_a_duplicate(section, editor_user):
    text = sample("correspondent_short.txt").decode()
    services.import_manuscript(text.encode(), user=editor_user)
    again = services.import_manuscript(text.replace("\n", "\r\n").encode("gb18030"), user=editor_user)
    assert again.status == "duplicate"
    assert Article.objects.count() == 1


@pytest.mark.parametrize("name", BROKEN)
def test_broken_files_fail_with_a_reason_and_change_nothing(section, editor_user, name):
    result = services.import_manuscript(sample(name), user=editor_user, filename=name)
    assert result.status == "failed" and result.failure
    assert not Article.objects.exists()


def test_a_failing_manuscript_changes_nothing(section, editor_user):
    """The reporters and organisations are created before the article: a later failure takes them back too."""
    text = sample("roundup_package.md").decode().replace("破解基层难题，各地妇联这样干", "很长" * 120)
    reporters, organizations, roles = Reporter.objects.count(), Organization.objects.count(), BylineRole.objects.count()
    result = services.import_manuscript(text, user=editor_user)
    assert result.status == "failed" and "headline" in result.failure
    assert not Article.all_objects.exists()
    assert Reporter.objects.count() == reporters
    assert Organization.objects.count() == organizations
    assert BylineRole.objects.count() == roles


def test_a_database_error_changes_nothing(section, editor_user, monkeypatch):
    def refuse(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(ExperienceEntry, "save", refuse)
    result = services.import_manuscript(sample("roundup_package.md"), user=editor_user)
    assert result.status == "failed" and "disk full" in result.failure
    assert not Article.all_objects.exists() and not Reporter.objects.exists()


def test_no_section_is_a_failure(db, editor_user):
    result = services.import_manuscript(sample("bom.md"), user=editor_user)
    assert result.status == "failed" and "section" in result.failure


def test_dry_run_stores_nothing_but_matches_names(section, editor_user):
    ReporterFactory(name="唐小满", slug="tang")
    result = services.import_manuscript(sample("print_layout.txt"), user=editor_user, dry_run=True)
    assert result.status == "ready"
    assert result.reporters["唐小满"] is not None and result.reporters["欧阳晓"] is None
    assert not Article.objects.exists() and Reporter.objects.count() == 1


def test_batch_reports_each_file(section, editor_user):
    seen = []
    results = services.import_manuscripts(
        [(name, sample(name)) for name in ["bom.md", "empty.txt", "bom.md"]],
        user=editor_user,
        progress=lambda number, total, result: seen.append((number, total, result.status)),
    )
    assert seen == [(1, 3, "created"), (2, 3, "failed"), (3, 3, "duplicate")]
    assert [result.status for result in results] == ["created", "failed", "duplicate"]


# --- Caption placeholders elsewhere ---


def test_placeholder_without_photo_blocks_publishing(section, editor_user):
    article = services.import_manuscript(sample("bom.md"), user=editor_user).drafts[0]
    findings = services.publication_findings(article)
    missing = [finding for finding in findings if finding.field == "photo 1 caption"]
    assert missing and missing[0].blocks and missing[0].kind == "missing"
    assert missing[0].message == "photo 1: caption has no photo: attach one or delete the caption."


def test_public_page_skips_placeholders(client, db):
    article = ArticleFactory(published=True)
    ArticlePhoto.objects.create(article=article, photo=None, caption="等待配图的图说。")
    ArticlePhotoFactory(article=article, caption="有照片的图说。", order=1)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "有照片的图说。" in response.text
    assert "等待配图的图说。" not in response.text


# --- The command ---


def test_command_imports_files_with_progress_and_summary(section, editor_user):
    out = StringIO()
    paths = [str(SAMPLES / name) for name in ["meeting_report.md", "empty.txt", "gb18030.txt"]]
    with pytest.raises(CommandError, match="1 of 3 files failed"):  # a non-zero exit: see test_import_reading.py
        call_command("import_manuscript", *paths, "--user", "editor", stdout=out)
    output = out.getvalue()
    assert "[1/3]" in output and "[3/3]" in output
    assert "2 created, 0 skipped as duplicates, 1 failed." in output
    assert "empty.txt ... failed: " in output
    assert Article.objects.filter(created_by=editor_user, status=Status.DRAFT).count() == 2

    again = StringIO()
    call_command("import_manuscript", paths[0], stdout=again)
    assert "0 created, 1 skipped as duplicates, 0 failed." in again.getvalue()
    assert Article.objects.count() == 2


def test_command_dry_run_stores_nothing(section):
    out = StringIO()
    call_command("import_manuscript", str(SAMPLES / "roundup_package.md"), "--dry-run", stdout=out)
    assert "would create 2 draft(s)" in out.getvalue()
    assert "1 would be created" in out.getvalue()
    assert not Article.objects.exists()


def test_command_fails_when_every_file_fails(section):
    with pytest.raises(CommandError, match="Every file failed"):
        call_command("import_manuscript", str(SAMPLES / "binary.png"), str(SAMPLES / "nope.txt"), stdout=StringIO())


def test_command_refuses_unknown_section(section):
    with pytest.raises(CommandError, match="No section"):
        call_command("import_manuscript", str(SAMPLES / "bom.md"), "--section", "nope", stdout=StringIO())


def test_command_uses_the_chosen_section(section):
    other = SectionFactory(slug="difang", order=2)
    call_command("import_manuscript", str(SAMPLES / "bom.md"), "--section", "difang", stdout=StringIO())
    assert Article.objects.get().section == other


# --- The admin ---

IMPORT_URL = "admin:articles_article_import"


def test_anonymous_is_sent_to_login(client, section):
    response = client.get(reverse(IMPORT_URL))
    assert response.status_code == 302 and "/login/" in response.url


def test_changelist_links_to_import(editor_client, section):
    response = editor_client.get(reverse("admin:articles_article_changelist"))
    assert reverse(IMPORT_URL) in response.text


def test_preview_then_confirm_creates_drafts(editor_client, section):
    client = editor_client
    assert client.get(reverse(IMPORT_URL)).status_code == 200
    files = [
        SimpleUploadedFile("roundup.md", sample("roundup_package.md")),
        SimpleUploadedFile("broken.png", sample("binary.png")),
        SimpleUploadedFile("unknown.md", sample("unknown_roles.md")),
    ]
    preview = client.post(reverse(IMPORT_URL), {"files": files, "section": section.pk, "text": ""})
    assert preview.status_code == 200
    assert preview.templates[0].name == "admin/articles/article/import_preview.html"
    html = preview.text
    for text in [
        "凝心聚力 各地妇联亮出改革“成绩单”",
        "破解基层难题，各地妇联这样干",
        "云雾山苗族自治州妇联",
        "绣娘们在手工坊里赶制订单。",
    ]:
        assert text in html
    assert html.count('class="uncertain"') >= 2  # the unknown roles, new correspondents ...
    assert "特约记者" in html
    assert not Article.objects.exists()  # nothing stored by the preview

    rows = preview.context["results"]
    data = {"confirm": "1", "section": section.pk, "filename": [], "manuscript": []}
    for row in rows:
        if row["result"].status == "ready":
            data["filename"].append(row["result"].filename)
            data["manuscript"].append(row["result"].manuscript.text)
    assert data["filename"] == ["roundup.md", "unknown.md"]
    done = client.post(reverse(IMPORT_URL), data)
    assert done.status_code == 200
    assert done.context["counts"] == {"created": 2, "duplicate": 0, "failed": 0}
    articles = Article.objects.order_by("id")
    assert articles.count() == 3
    user = done.wsgi_request.user
    assert all(article.status == Status.DRAFT and article.created_by == user for article in articles)
    for article in articles:
        assert reverse("admin:articles_article_change", args=[article.pk]) in done.text
    # The reporter may open and edit the drafts they imported.
    lead = articles.first()
    assert client.get(reverse("admin:articles_article_change", args=[lead.pk])).status_code == 200

    # Confirming again (a double click) creates nothing more.
    again = client.post(reverse(IMPORT_URL), data)
    assert again.context["counts"] == {"created": 0, "duplicate": 2, "failed": 0}
    assert Article.objects.count() == 3


def test_a_reporter_cannot_add_reporters_organisations_or_roles_through_an_import(reporter_client, section):
    """A reporter may not add them in the admin (403): the import names them and creates nothing."""
    text = sample("roundup_package.md").decode()
    reporters, organizations, roles = Reporter.objects.count(), Organization.objects.count(), BylineRole.objects.count()

    preview = reporter_client.post(reverse(IMPORT_URL), {"text": text, "section": section.pk})
    done = reporter_client.post(
        reverse(IMPORT_URL), {"confirm": "1", "section": section.pk, "filename": ["x.md"], "manuscript": [text]}
    )

    assert not preview.context["importable"]
    failure = preview.context["results"][0]["result"].failure
    assert "Reporters not in the system yet: " in failure and "云雾山苗族自治州妇联" in failure
    assert "ask an editor to add them first" in failure and failure in preview.text
    assert done.context["counts"] == {"created": 0, "duplicate": 0, "failed": 1}
    assert (Reporter.objects.count(), Organization.objects.count(), BylineRole.objects.count()) == (
        reporters,
        organizations,
        roles,
    )
    assert not Article.objects.exists()


def test_a_reporter_imports_a_manuscript_whose_names_are_all_known(reporter_client, reporter_user, section):
    ReporterFactory(name="龙春燕")
    text = sample("correspondent_short.txt").decode()

    preview = reporter_client.post(reverse(IMPORT_URL), {"text": text, "section": section.pk})
    done = reporter_client.post(
        reverse(IMPORT_URL), {"confirm": "1", "section": section.pk, "filename": ["x.txt"], "manuscript": [text]}
    )

    assert preview.context["importable"]
    assert done.context["counts"] == {"created": 1, "duplicate": 0, "failed": 0}
    article = Article.objects.get()
    assert article.created_by == reporter_user and [b.reporter.name for b in article.bylines.all()] == ["龙春燕"]


def test_a_reporter_imports_the_readmes_byline_with_text_and_photos_by_one_person(reporter_client, section):
    """README: "记者 周某、唐某 文/图 罗某". 文/图 is in the vocabulary, which a reporter cannot add to."""
    for name in ("周晓梅", "唐瑶", "罗静"):
        ReporterFactory(name=name)
    text = "# 社区里的暖心驿站\n今日女报 / 凤网 记者 周晓梅、唐瑶 文/图 罗静\n\n11月19日，驿站开门迎客。\n"

    done = reporter_client.post(
        reverse(IMPORT_URL), {"confirm": "1", "section": section.pk, "filename": ["x.txt"], "manuscript": [text]}
    )

    assert done.context["counts"] == {"created": 1, "duplicate": 0, "failed": 0}
    bylines = [(b.role.name, b.reporter.name) for b in Article.objects.get().bylines.all()]
    assert bylines == [("记者", "周晓梅"), ("记者", "唐瑶"), ("文/图", "罗静")]


def test_the_summary_counts_and_names_the_manuscripts_the_preview_could_not_import(editor_client, section):
    """Confirmed as the preview page sends it, a batch with a broken file and a copy of another said "失败 0 篇",
    and the broken file was not named at all: the reporter did not learn it still needed someone."""
    from tests.test_admin import form_data

    files = [
        SimpleUploadedFile("roundup.md", sample("roundup_package.md")),
        SimpleUploadedFile("broken.png", sample("binary.png")),
        SimpleUploadedFile("roundup-copy.md", sample("roundup_package.md")),
    ]
    preview = editor_client.post(reverse(IMPORT_URL), {"files": files, "section": section.pk, "text": ""})
    [failure] = [row["result"].failure for row in preview.context["results"] if row["result"].failure]

    done = editor_client.post(reverse(IMPORT_URL), form_data(preview, "manuscript-confirm"))

    assert done.context["counts"] == {"created": 1, "duplicate": 1, "failed": 1}
    summary = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip()
        for item in re.findall(r"<li class=\"manuscript-status-[a-z]+\">(.*?)</li>", done.text, re.S)
    ]
    assert [item.split(" — ")[0] for item in summary] == [
        "[1/3] roundup.md",
        "[2/3] broken.png",
        "[3/3] roundup-copy.md",
    ]
    assert summary[1].startswith("[2/3] broken.png — ") and summary[1].endswith(failure)
    assert "roundup.md" in summary[2].split(" — ", 1)[1]  # the copy names the file it copies
    assert Article.objects.filter(status=Status.DRAFT).count() == 2  # the roundup and its companion, once


@pytest.mark.parametrize("state", ["another reporter's draft", "in the trash"])
def test_the_summary_names_no_story_its_reader_may_not_open(reporter_client, section, reporter_user, state):
    """The confirmation names a copy's story from an id the browser sends back: any id named any story (another
    reporter's draft, an embargoed one, one in the trash) to whoever could import. Now only one they may open."""
    hidden = ArticleFactory(headline="禁发：尚未公开的独家", section=section)
    if state == "in the trash":
        hidden.created_by = reporter_user
        hidden.save()
        services.move_to_trash(hidden, reporter_user)
    mine = ArticleFactory(headline="我自己的稿件", section=section, created_by=reporter_user)
    left = {"left_filename": ["x.txt", "y.txt"], "left_failure": ["", ""], "left_duplicate_file": ["", ""]}
    left |= {"left_position": ["1", "2"], "left_duplicate_of": [str(hidden.pk), str(mine.pk)]}

    done = reporter_client.post(reverse(IMPORT_URL), {"confirm": "1", "section": section.pk, **left})

    assert "禁发：尚未公开的独家" not in done.text
    assert done.context["counts"] == {"created": 0, "duplicate": 2, "failed": 0}  # still counted as a copy
    assert "我自己的稿件" in done.text  # a story of their own is named and linked as before


def test_the_preview_names_no_story_its_reader_may_not_open(reporter_client, section, editor_user):
    """Another reporter pasting the text an editor had imported (and renamed since) was shown the editor's current
    headline, its address and its id: "这篇稿件已导入过：禁发：编辑改过的独家标题"."""
    text = sample("roundup_package.md")
    [lead, *_companions] = services.import_manuscript(text, user=editor_user).drafts
    Article.objects.filter(pk=lead.pk).update(headline="禁发：编辑改过的独家标题")

    preview = reporter_client.post(reverse(IMPORT_URL), {"text": text.decode(), "section": section.pk})

    assert "禁发：编辑改过的独家标题" not in preview.text
    assert reverse("admin:articles_article_change", args=[lead.pk]) not in preview.text
    fields = dict(re.findall(r'<input type="hidden" name="(left_[a-z_]+)" value="([^"]*)">', preview.text))
    assert fields["left_duplicate_of"] == "unseen"
    assert "This manuscript was imported before, as a story you may not open." in preview.text
    done = reporter_client.post(reverse(IMPORT_URL), {"confirm": "1", "section": section.pk, **fields})
    assert done.context["counts"] == {"created": 0, "duplicate": 1, "failed": 0}
    assert "禁发：编辑改过的独家标题" not in done.text


def test_a_batch_too_large_to_send_back_is_refused_at_the_preview_not_at_the_confirmation(
    editor_client, section, settings
):
    """The confirmation sends the texts back in one request: past Django's limit it was a 400 and nothing imported."""
    text = sample("roundup_package.md").decode()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024 + len(text.encode()) // 2

    preview = editor_client.post(reverse(IMPORT_URL), {"text": text, "section": section.pk})

    assert not preview.context["importable"]
    assert "too large to import at once" in preview.text and 'value="Import as drafts"' not in preview.text
    assert not Article.objects.exists()


def test_the_confirmation_sends_the_texts_unencoded(editor_client, section):
    """URL-encoded, a Chinese character takes 9 bytes of the request (multipart: 3)."""
    preview = editor_client.post(reverse(IMPORT_URL), {"text": sample("bom.md").decode(), "section": section.pk})
    assert re.search(r'<form method="post" enctype="multipart/form-data" id="manuscript-confirm">', preview.text)


def test_the_preview_reads_as_chinese_with_full_width_marks(editor_client, section, settings):
    """ "稿件: 标题", "陈思远 (已有记者)": ASCII punctuation in Chinese text; and the body's sub-headings are shown."""
    ReporterFactory(name="李晓萌")
    text = "# 巾帼夜校开课\n记者 李晓萌 通讯员 龙春燕\n\n第一段。\n\n## 小标题\n\n第二段。"
    settings.LANGUAGE_CODE = "zh-hans"
    html = editor_client.post(reverse(IMPORT_URL), {"text": text, "section": section.pk}).text

    assert "稿件：巾帼夜校开课" in html
    assert "李晓萌（已有记者）" in html and "龙春燕" in html and "（系统里的新署名人，无登录账号）" in html
    assert "<h4>小标题</h4>" in html
    assert "稿件: " not in html and " (已有记者)" not in html


def test_choosing_over_a_hundred_files_gets_the_forms_own_message(editor_client, section):
    """Django refuses more than DATA_UPLOAD_MAX_NUMBER_FILES files before any form: a bare 400 page at 101."""
    files = [SimpleUploadedFile(f"{number}.txt", "# 标题\n\n正文。".encode()) for number in range(120)]

    response = editor_client.post(reverse(IMPORT_URL), {"files": files, "section": section.pk})

    assert response.status_code == 200
    assert "At most 30 files at a time" in " ".join(response.context["form"].non_field_errors())
    assert not Article.objects.exists()


def test_pasted_text_preview(editor_client, section):
    text = sample("correspondent_short.txt").decode()
    response = editor_client.post(reverse(IMPORT_URL), {"text": text, "section": section.pk})
    assert response.status_code == 200
    assert "杉木村办起“巾帼夜校”" in response.text and "龙春燕" in response.text


def test_preview_of_a_duplicate_links_to_the_draft(editor_client, editor_user, section):
    article = services.import_manuscript(sample("bom.md"), user=editor_user).drafts[0]
    response = editor_client.post(
        reverse(IMPORT_URL), {"files": [SimpleUploadedFile("again.md", sample("bom.md"))], "section": section.pk}
    )
    assert reverse("admin:articles_article_change", args=[article.pk]) in response.text
    assert not response.context["importable"]


def test_empty_form_is_refused(editor_client, section):
    response = editor_client.post(reverse(IMPORT_URL), {"section": section.pk, "text": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_user_without_add_permission_is_refused(client, section, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse(IMPORT_URL)).status_code == 403


def test_article_change_page_shows_the_package(admin_client, editor_user, section):
    lead, companion = services.import_manuscript(sample("roundup_package.md"), user=editor_user).drafts
    response = admin_client.get(reverse("admin:articles_article_change", args=[lead.pk]))
    assert response.status_code == 200
    assert reverse("admin:articles_article_change", args=[companion.pk]) in response.text
    assert admin_client.get(reverse("admin:articles_article_change", args=[companion.pk])).status_code == 200
