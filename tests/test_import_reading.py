"""Importing manuscripts: what the preview says and the import saves of paragraphs, photos, bylines, organisations and
entries, as delivered copy writes them (found by a QA pass over real-looking manuscripts)."""

import hashlib
import re
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from articles import services
from articles.manuscripts import normalize
from articles.models import Article, BylineRole, ExperienceEntry, Organization, Reporter, Status
from tests.factories import OrganizationFactory, SectionFactory
from tests.test_admin import form_data


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def section(db):
    return SectionFactory(name="要闻", slug="yaowen", order=1)


def paragraphs(html):
    """The body's blocks as (tag, text), in order."""
    return re.findall(r"<(p|h2|h3)>(.*?)</\1>", html)


# --- Paragraphs ---


def test_a_blank_line_always_ends_a_paragraph(section, editor_user):
    """A paragraph without a sentence-final mark (a heading-like line, a hotline, an emoji, a link, a list item) was
    joined to the next one across the blank line. A list item or a rule is never a print-layout break either; other
    line breaks without a blank line still are."""
    text = (
        "# 桐溪市妇联发布暖心服务清单\n记者 韦晓岚\n\n"
        "12月1日，桐溪市妇联发布今冬暖心服务清单，共列出六项服务。\n\n"
        "一、开设巾帼技能课堂，帮助返乡妇女就业\n\n"
        "全市32个乡镇将开设面点、育婴等技能课堂。\n\n"
        "心理咨询热线：96158\n\n"
        "遇到困难可以随时拨打，热线24小时有人值守。\n\n"
        "报名请扫码，或点这里 👉\n\n"
        "报名网址：https://example.org/baoming\n\n"
        "- 面点课堂每周二开课；\n"
        "- 育婴课堂每周四开课；\n\n"
        "---\n\n"
        "据介绍，首批课堂计划招收学员\n"
        "500名，名额报满即止。\n"
    )

    result = services.import_manuscript(text, user=editor_user)

    assert result.status == "created", result.failure
    assert [text for _tag, text in paragraphs(result.drafts[0].body)] == [
        "12月1日，桐溪市妇联发布今冬暖心服务清单，共列出六项服务。",
        "一、开设巾帼技能课堂，帮助返乡妇女就业",
        "全市32个乡镇将开设面点、育婴等技能课堂。",
        "心理咨询热线：96158",
        "遇到困难可以随时拨打，热线24小时有人值守。",
        "报名请扫码，或点这里 👉",
        "报名网址：https://example.org/baoming",
        "据介绍，首批课堂计划招收学员500名，名额报满即止。",
    ]
    assert (
        "<ul><li>面点课堂每周二开课；</li><li>育婴课堂每周四开课；</li></ul>\n<hr>\n<p>据介绍" in result.drafts[0].body
    )


def test_a_paragraph_a_blank_line_cuts_mid_sentence_is_noted_and_a_heading_like_line_is_not(section, editor_user):
    """Print-layout copy with a blank line at each column break was cut mid-sentence without a word. A blank line still
    ends the paragraph; the preview names each place, and leaves heading-like lines, a closing colon, a hotline and
    short lines alone."""
    text = (
        "# 家政培训让农村妇女端上“金饭碗”\n今日女报/凤网 记者 唐小满\n\n"
        "11月18日，全省巾帼家政培训工作现场会在白石县召开。会议通报了今年以来全省家政培训\n\n"
        "工作进展情况：全省共开展家政培训320期，培训农村妇女2.1万人次，其中\n\n"
        "1.4万人实现就业。\n\n"
        "一、坚持就业优先，拓宽妇女增收渠道\n\n"
        "各地依托巾帼家政基地开展订单式培训。\n\n"
        "二、聚焦妇女群众急难愁盼问题，持续推进家政服务提质扩容\n\n"
        "白石县把家政培训送到村里，学员不出村就能学技能。会上，白石县介绍了经验，主要做法是：\n\n"
        "与本地家政企业合作，推行“培训+认证+就业”一条龙服务。\n\n"
        "如需报名或咨询，请拨打县妇联的巾帼家政服务热线12338\n\n"
        "热线工作日9时至17时有人值守。\n\n"
        "学员结业后，由企业统一安排上岗\n\n"
        "月收入普遍在4000元以上。\n"
    )

    result = services.import_manuscript(text, user=editor_user, dry_run=True)

    assert result.status == "ready", result.failure
    [draft] = result.manuscript.drafts
    assert [block.text for block in draft.blocks if block.kind == "p"][:3] == [
        "11月18日，全省巾帼家政培训工作现场会在白石县召开。会议通报了今年以来全省家政培训",
        "工作进展情况：全省共开展家政培训320期，培训农村妇女2.1万人次，其中",
        "1.4万人实现就业。",
    ]  # a blank line ends a paragraph, as before
    cut = [note for note in result.notes if "column break" in note]
    assert len(cut) == 2, cut
    assert "“…今年以来全省家政培训” / “工作进展情况：全省共…”" in cut[0]
    assert "“…女2.1万人次，其中” / “1.4万人实现就业。”" in cut[1]


# --- Photos, and the preview agreeing with the confirmation ---

IMPORT_URL = "admin:articles_article_import"


def preview_and_confirm(client, section, text):
    preview = client.post(reverse(IMPORT_URL), {"text": text, "section": section.pk})
    done = client.post(reverse(IMPORT_URL), form_data(preview, "manuscript-confirm"))
    return preview, done


@pytest.mark.parametrize("reference", ["![](yexiao.jpg)", "【图】yexiao.jpg"])
def test_a_photo_without_a_caption_is_imported_with_a_caption_naming_its_file(
    editor_client, section, settings, reference
):
    """It passed the preview ("可以导入") and failed the confirmation with a raw database message (CHECK constraint
    failed: articles_articlephoto_photo_or_caption)."""
    settings.LANGUAGE_CODE = "zh-hans"
    text = f"# 巾帼夜校开进柳塘村\n记者 韦晓岚\n\n12月2日，柳塘村巾帼夜校开课，40多名妇女参加。\n\n{reference}\n\n课后，学员们还领到了学习资料。\n"

    preview, done = preview_and_confirm(editor_client, section, text)

    assert preview.context["importable"]
    assert "图片 yexiao.jpg 没有图说" in preview.text
    assert done.context["counts"] == {"created": 1, "duplicate": 0, "failed": 0}
    [placeholder] = Article.objects.get().article_photos.all()
    assert placeholder.photo is None and placeholder.caption == "（图说待写：yexiao.jpg）"


def test_the_preview_refuses_what_the_confirmation_would_refuse_naming_the_story_and_the_field(
    editor_client, section, settings
):
    """A 240-character headline passed the preview, then failed at the confirmation with "headline: 确保该变量包含不超过
    200 字符" (the field's English name, and no story named)."""
    settings.LANGUAGE_CODE = "zh-hans"
    headline = "柳塘村" + "巾帼" * 120
    text = f"# {headline}\n记者 韦晓岚\n\n12月2日，柳塘村巾帼夜校开课，40多名妇女参加。\n"

    preview = editor_client.post(reverse(IMPORT_URL), {"text": text, "section": section.pk})

    assert not preview.context["importable"]
    failure = preview.context["results"][0]["result"].failure
    assert failure.startswith("稿件“柳塘村巾帼") and "的“标题”：" in failure and "200" in failure
    assert failure in preview.text
    assert "headline" not in failure
    assert not Article.objects.exists() and not Reporter.objects.exists()  # the check stored nothing


# --- Bylines ---


def saved_bylines(article):
    return [(byline.role.name, byline.reporter.name) for byline in article.bylines.order_by("order")]


def import_with_byline(user, byline):
    text = f"# 柳塘村巾帼夜校开课\n{byline}\n\n12月2日，柳塘村巾帼夜校开课，40多名妇女参加。\n"
    result = services.import_manuscript(text, user=user)
    assert result.status == "created", result.failure
    return result, result.drafts[0]


@pytest.mark.parametrize(
    ("byline", "source", "bylines"),
    [
        ("今日女报/凤网记者 韦晓岚 通讯员 覃丽", "今日女报 / 凤网", [("记者", "韦晓岚"), ("通讯员", "覃丽")]),
        ("今日女报/凤网记者 韦晓岚 实习生 蒙佳琪", "今日女报 / 凤网", [("记者", "韦晓岚"), ("实习生", "蒙佳琪")]),
        ("今日女报·凤网记者 韦晓岚", "今日女报·凤网", [("记者", "韦晓岚")]),
    ],
)
def test_a_role_glued_to_the_source_is_read_as_the_role_and_no_name_is_lost(
    section, editor_user, byline, source, bylines
):
    """ "今日女报/凤网记者 唐欣 通讯员 刘敏" gave the source "今日女报 / 凤网记者" and lost 唐欣 (taken as a role)."""
    result, article = import_with_byline(editor_user, byline)

    assert article.source == source
    assert saved_bylines(article) == bylines
    assert any("凤网记者" in note and "记者" in note for note in result.notes)  # the reading is said


@pytest.mark.parametrize(
    ("byline", "source", "role"),
    [
        ("今日女报·特约记者 韦晓岚", "今日女报", "特约记者"),
        ("今日女报/凤网摄影记者 韦晓岚", "今日女报 / 凤网", "摄影记者"),
        ("今日女报/凤网视频记者 韦晓岚", "今日女报 / 凤网", "视频记者"),
        ("今日女报/凤网首席记者 韦晓岚", "今日女报 / 凤网", "首席记者"),  # a role the vocabulary holds
    ],
)
def test_a_qualified_role_glued_to_the_source_stays_whole(section, editor_user, byline, source, role):
    """ "今日女报·特约记者 唐欣" gave the source "今日女报·特约" and the role 记者, "今日女报/凤网摄影记者" the source
    "今日女报 / 凤网摄影": the qualifier was looked for at the start of the whole word, and 摄影 was none. A role the
    vocabulary does not hold yet is added to it, as any (an editor imports)."""
    result, article = import_with_byline(editor_user, byline)

    assert article.source == source
    assert saved_bylines(article) == [(role, "韦晓岚")]
    assert any(note.endswith(f"and the role {role}.") for note in result.notes)  # the reading is said
    assert BylineRole.objects.filter(name=role).exists()


def test_a_role_the_vocabulary_does_not_know_opening_the_byline_keeps_its_name(section, editor_user):
    """ "撰文 唐欣 摄影 孙立群": 撰文 became the source and 唐欣 a role with nobody in it."""
    result, article = import_with_byline(editor_user, "撰文 韦晓岚 摄影 黄启明")

    assert "撰文" not in article.source
    assert saved_bylines(article) == [("撰文", "韦晓岚"), ("摄影", "黄启明")]
    assert any("撰文" in note for note in result.notes)  # a new role, said as before


@pytest.mark.parametrize(
    ("byline", "bylines", "noted"),
    [
        ("记者 韦晓岚 报道", [("记者", "韦晓岚")], "报道"),
        ("记者 韦晓岚 通讯员 覃丽 摄影报道", [("记者", "韦晓岚"), ("通讯员", "覃丽")], "摄影报道"),
        ("记者韦晓岚 通讯员覃丽、蒙佳琪", [("记者", "韦晓岚"), ("通讯员", "覃丽"), ("通讯员", "蒙佳琪")], None),
        ("记者 韦晓岚 通讯员 桐溪市妇联 覃丽", [("记者", "韦晓岚"), ("通讯员", "覃丽")], "桐溪市妇联"),
        ("记者 韦晓岚 通讯员 县妇联 覃丽", [("记者", "韦晓岚"), ("通讯员", "覃丽")], "县妇联"),
        ("今日女报/凤网 记者 韦晓岚 通讯员 团县委 覃丽", [("记者", "韦晓岚"), ("通讯员", "覃丽")], "团县委"),
        (
            "记者 韦晓岚 通讯员 市委 覃丽 镇党委 蒙佳琪",
            [("记者", "韦晓岚"), ("通讯员", "覃丽"), ("通讯员", "蒙佳琪")],
            "镇党委",
        ),
        # Names with an organisation's last character, or a level character as surname (区), are people.
        ("记者 韦晓岚 通讯员 区晓联 李文委", [("记者", "韦晓岚"), ("通讯员", "区晓联"), ("通讯员", "李文委")], None),
        ("记者 韦晓岚 / 文 黄启明 / 图", [("记者", "韦晓岚"), ("图", "黄启明")], None),
    ],
)
def test_byline_words_are_not_taken_for_reporters(section, editor_user, byline, bylines, noted):
    """ "记者 唐欣 报道" made a correspondent called "报道"; "记者陈思远 通讯员林小禾、张蕾" a 记者 called "通讯员林小禾";
    "通讯员 桐溪市妇联 刘敏" a reporter called "桐溪市妇联" (and "通讯员 县妇联 刘敏", 团县委, 市委 until the short forms
    were known); "记者 唐欣 / 文 孙立群 / 图" one called "图"."""
    result, article = import_with_byline(editor_user, byline)

    assert saved_bylines(article) == bylines
    assert sorted(Reporter.objects.values_list("name", flat=True)) == sorted({name for _role, name in bylines})
    if noted:
        assert any(f"“{noted}”" in note for note in result.notes)  # left out, and said so


# --- Organisations ---


def roundup(*headings):
    entries = "".join(f"### {heading}\n\n妇联把服务送到了群众家门口，今年已办实事20余件。\n\n" for heading in headings)
    return f"# 各地妇联亮出暖心服务清单\n整理 / 韦晓岚\n\n12月2日，各地妇联交流了经验。\n\n{entries}"


def test_an_organisation_is_recognised_in_its_usual_written_form(section, editor_user):
    """ "### 岚州市清河区妇联：…" made a second 清河区 federation beside 岚州市清河区妇女联合会 (short name 清河区妇联)."""
    city = OrganizationFactory(name="岚州市妇女联合会", short_name="岚州市妇联", slug="lanzhou")
    district = OrganizationFactory(name="岚州市清河区妇女联合会", short_name="清河区妇联", slug="qinghe", parent=city)
    county = OrganizationFactory(name="龙山县妇女联合会", short_name="龙山县妇联", slug="longshan", parent=city)
    organizations = Organization.objects.count()

    result = services.import_manuscript(
        roundup(
            "岚州市清河区妇联：网格里的娘家人", "岚州市龙山县妇联：巾帼领跑乡村振兴", "岚州市妇女联合会：家门口的服务站"
        ),
        user=editor_user,
    )

    assert result.status == "created", result.failure
    entries = result.drafts[0].experience_entries.order_by("order")
    assert [entry.organization for entry in entries] == [district, county, city]
    assert Organization.objects.count() == organizations


def test_a_name_written_with_its_parents_place_is_matched_but_never_a_guess_between_two(section, editor_user):
    """清河区妇联 under 岚州市 is "岚州市清河区妇联"; 城关镇妇联 held twice without parents could be either: said, not chosen."""
    city = OrganizationFactory(name="岚州市妇女联合会", short_name="岚州市妇联", slug="lanzhou")
    district = OrganizationFactory(name="清河区妇女联合会", short_name="清河区妇联", slug="qinghe", parent=city)
    OrganizationFactory(name="白沙县城关镇妇女联合会", short_name="城关镇妇联", slug="baisha-chengguan")
    OrganizationFactory(name="枫林县城关镇妇女联合会", short_name="城关镇妇联", slug="fenglin-chengguan")

    result = services.import_manuscript(
        roundup("岚州市清河区妇联：网格里的娘家人", "云岭州清河区妇联：山歌唱出好家风", "桐溪县城关镇妇联：院坝会"),
        user=editor_user,
        dry_run=True,
    )

    assert result.status == "ready", result.failure
    assert result.organizations["岚州市清河区妇联"] == district
    assert result.organizations["云岭州清河区妇联"] is None  # another 清河区: its place is not 岚州市
    assert result.organizations["桐溪县城关镇妇联"] is None
    [note] = [note for note in result.notes if "桐溪县城关镇妇联" in note and "may be" in note]
    assert "白沙县城关镇妇女联合会" in note and "枫林县城关镇妇女联合会" in note


@pytest.mark.parametrize(
    ("name", "short_name", "written"),
    [
        ("江岚省妇女联合会", "省妇联", "省妇联"),
        ("省妇联", "", "省妇联"),
        ("团市委", "", "团市委"),
        ("江岚省妇女联合会", "", "江岚省妇联"),
    ],
)
def test_an_organisation_with_a_name_of_three_characters_is_found(section, editor_user, name, short_name, written):
    """Only tails of four characters or more were looked for: "### 省妇联：…" added a second 江岚省妇女联合会 (short name
    省妇联), and an organisation named 省妇联 or 团市委 failed the file ("Organisation with this Name already exists")."""
    known = OrganizationFactory(name=name, short_name=short_name, slug="known")
    organizations = Organization.objects.count()

    result = services.import_manuscript(roundup(f"{written}：家门口的服务站"), user=editor_user)

    assert result.status == "created", result.failure
    assert [entry.organization for entry in result.drafts[0].experience_entries.all()] == [known]
    assert Organization.objects.count() == organizations


def test_a_short_name_of_three_characters_ends_a_written_name_only_after_its_parents_place(section, editor_user):
    """县妇联 is a level and a kind, no place: after its parent's place (岚州市) it is that county's; 龙山县妇联 is
    no guess at 白石县's 县妇联, nor a candidate named in the preview."""
    city = OrganizationFactory(name="岚州市妇女联合会", short_name="岚州市妇联", slug="lanzhou")
    county = OrganizationFactory(name="清河县妇女联合会", short_name="县妇联", slug="qinghe", parent=city)
    OrganizationFactory(name="白石县妇女联合会", short_name="县妇联", slug="baishi")

    result = services.import_manuscript(
        roundup("岚州市县妇联：网格里的娘家人", "龙山县妇联：巾帼领跑乡村振兴"), user=editor_user, dry_run=True
    )

    assert result.status == "ready", result.failure
    assert result.organizations == {"岚州市县妇联": county, "龙山县妇联": None}
    assert not [note for note in result.notes if "may be" in note or "for short" in note]


# --- Entries: their form, and headings that are not entries ---


def test_group_headings_set_the_form_of_the_entries_under_them(client, section, editor_user):
    """Under "## 大会交流发言" and "## 书面交流" every entry was saved as written, and "书面交流" became a sub-heading
    of the entry above it."""
    text = (
        "# 各地妇联交流基层治理经验\n整理 / 韦晓岚\n\n12月2日，全市妇联系统召开经验交流会。\n\n"
        "## 大会交流发言\n\n### 桐溪市妇联：执委走进网格\n\n桐溪市妇联把1200名执委编入网格，做到小事不出网格。\n\n"
        "## 书面交流\n\n### 柳塘村妇联：院坝会里议家事\n\n柳塘村妇联每月召开1次院坝会，村民有事当面商量。\n"
    )

    result = services.import_manuscript(text, user=editor_user)

    assert result.status == "created", result.failure
    article = result.drafts[0]
    entries = article.experience_entries.order_by("order")
    assert [(entry.title, entry.form) for entry in entries] == [
        ("执委走进网格", ExperienceEntry.Form.ORAL),
        ("院坝会里议家事", ExperienceEntry.Form.WRITTEN),
    ]
    assert "书面交流" not in entries[0].body
    Article.objects.filter(pk=article.pk).update(status=Status.PUBLISHED, published_at=timezone.now())
    page = client.get(article.get_absolute_url()).text
    oral, written = page.index("Shared orally at the meeting"), page.index("Shared in writing")
    assert oral < page.index("执委走进网格") < written < page.index("院坝会里议家事")


def test_an_entry_of_unknown_form_is_said_to_be_saved_as_written(editor_client, section, settings):
    """The preview said 未注明 and the entry was saved as 书面交流 without a word."""
    settings.LANGUAGE_CODE = "zh-hans"
    text = "# 望江街道评出最美家庭\n记者 韦晓岚\n\n12月2日，望江街道评出10户最美家庭。\n\n### 望江街道妇联：小家连着大家\n\n街道妇联以家风建设带动社区治理，今年走访家庭300余户。\n"

    preview, done = preview_and_confirm(editor_client, section, text)

    assert "未注明" in preview.text
    assert "稿件未说明望江街道妇联是大会交流发言还是书面交流：将存为书面交流，请核对。" in preview.text
    assert done.context["counts"]["created"] == 1
    assert ExperienceEntry.objects.get().form == ExperienceEntry.Form.WRITTEN


def test_a_sub_heading_with_a_colon_in_a_story_stays_a_sub_heading(section, editor_user):
    """ "### 关键词一：脚步" made an experience entry and a new organisation called 关键词一."""
    text = (
        "# 一位村妇联主席的一天\n记者 韦晓岚\n\n12月2日，记者跟随柳塘村妇联主席走村入户。\n\n"
        "### 关键词一：脚步\n\n每天清晨，她都沿着村道走上3公里，看看谁家有难处。\n\n"
        "### 关键词二：账本\n\n她的笔记本上，记满了20多户留守妇女的需求。\n"
    )
    organizations = Organization.objects.count()

    result = services.import_manuscript(text, user=editor_user)

    assert result.status == "created", result.failure
    article = result.drafts[0]
    assert ("h2", "关键词一：脚步") in paragraphs(article.body) and ("h2", "关键词二：账本") in paragraphs(article.body)
    assert not article.experience_entries.exists()
    assert Organization.objects.count() == organizations


def test_a_heading_naming_an_organisation_the_system_holds_is_an_entry(section, editor_user):
    known = OrganizationFactory(name="柳塘村妇女联合会", short_name="柳塘村巾帼队", slug="liutang")
    text = "# 一位村妇联主席的一天\n记者 韦晓岚\n\n12月2日，各村交流了经验。\n\n### 柳塘村巾帼队：院坝会里议家事\n\n柳塘村每月召开1次院坝会。\n"

    result = services.import_manuscript(text, user=editor_user)

    assert [entry.organization for entry in result.drafts[0].experience_entries.all()] == [known]


@pytest.mark.parametrize(
    ("closing", "moved"),
    [
        ("（本版稿件由各县市区妇联提供，本报整理）", True),
        ("(本版稿件由各县市区妇联提供，本报整理)", True),
        ("（柳塘村妇联供稿）", False),  # the last entry's own credit stays with it
    ],
)
def test_an_editorial_note_after_the_last_entry_goes_to_the_story_not_the_entry(editor_client, section, closing, moved):
    """ "（本版稿件由各市州妇联提供，本报整理）" closing a roundup became the last organisation's words."""
    text = (
        "# 各地妇联晒出暖心服务清单\n整理 / 韦晓岚\n\n12月3日，多地妇联晒出今冬暖心服务清单。\n\n"
        "### 桐溪市妇联：把服务送到家门口\n\n桐溪市妇联全年上门服务2000余次。\n\n"
        "### 柳塘村妇联：妇女议事会开到院坝\n\n柳塘村妇联每月开一次院坝议事会。\n\n"
        f"{closing}\n"
    )

    preview, done = preview_and_confirm(editor_client, section, text)

    article = Article.objects.get()
    last = article.experience_entries.order_by("order").last()
    noted = any(
        closing in note and "note on the whole story" in note for note in preview.context["results"][0]["result"].notes
    )
    if moved:
        assert article.body.endswith(f"<p>{closing}</p>") and closing not in last.body and noted
    else:
        assert last.body.endswith(f"<p>{closing}</p>") and closing not in article.body and not noted


# --- Copies ---

ORIGINAL = (
    "# 柳塘村巾帼夜校结业\n记者 韦晓岚\n\n12月4日，柳塘村巾帼夜校首期结业，"
    "38名学员领到结业证书。\n课程包括电商、育婴和面点。\n\n下一期将于明年春天开课。\n"
)


def test_the_same_manuscript_pasted_from_word_is_a_copy(editor_client, section, editor_user):
    """Word puts a blank line between every two lines: the same manuscript pasted from it was imported again."""
    first = services.import_manuscript(ORIGINAL, user=editor_user).drafts[0]
    from_word = "\n\n".join(line for line in ORIGINAL.split("\n") if line)

    preview = editor_client.post(reverse(IMPORT_URL), {"text": from_word, "section": section.pk})

    assert preview.context["results"][0]["result"].status == "duplicate"
    assert "This manuscript was imported before:" in preview.text and first.headline in preview.text
    assert not preview.context["importable"]


def test_a_manuscript_imported_before_the_hash_left_out_blank_lines_is_still_a_copy(section, editor_user):
    first = services.import_manuscript(ORIGINAL, user=editor_user).drafts[0]
    stored_then = hashlib.sha256(normalize(ORIGINAL).encode()).hexdigest()  # the hash of the whole normalised text
    Article.objects.filter(pk=first.pk).update(manuscript_hash=stored_then)

    again = services.import_manuscript(ORIGINAL, user=editor_user)

    assert again.status == "duplicate" and again.duplicate_of == first
    assert Article.objects.count() == 1


# --- Characters of copied text ---


def test_line_separators_break_lines_and_an_image_mark_is_left_out_and_said(client, editor_client, section):
    """U+2028 (WeChat, web copy) and U+FFFC (Word's mark for an image) came through into the headline and the body:
    the byline was read as part of the headline."""
    text = (
        "# 柳塘村妇女议事会成立\u2028记者 韦晓岚\n\n"
        "12月5日，柳塘村妇女议事会成立，首批议事代表15名。\ufffc\u2029"
        "议事会每月开会一次，商议村里的大事小情。\n"
    )

    preview, done = preview_and_confirm(editor_client, section, text)

    assert "The manuscript had an image placeholder that carries no picture" in preview.text
    article = published(Article.objects.get())
    assert article.headline == "柳塘村妇女议事会成立"
    assert [(byline.role.name, byline.reporter.name) for byline in article.bylines.all()] == [("记者", "韦晓岚")]
    assert paragraphs(article.body) == [
        ("p", "12月5日，柳塘村妇女议事会成立，首批议事代表15名。"),
        ("p", "议事会每月开会一次，商议村里的大事小情。"),
    ]
    page = client.get(article.get_absolute_url()).text
    assert "\u2028" not in page and "\ufffc" not in page


# --- Traditional characters ---

TRADITIONAL = (
    "# 柳塘村婦女議事會開出「院壩會」\n今日女報 / 鳳網 首席記者 韋曉嵐 見習記者 蒙佳琪 通訊員 覃麗\n\n"
    "12月6日，柳塘村婦女議事會在村口院壩開會，三十多位村民圍坐一起，商量修建兒童活動場地。\n\n"
    "會上，大家你一言我一語，很快定下了選址和分工。\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_manuscript_in_traditional_characters_is_read_with_its_bylines(editor_client, section, encoding):
    """記者 唐欣 was no byline (the roles are simplified), and saved as GBK the file was refused as "neither UTF-8
    nor GB18030", which it is."""
    upload = SimpleUploadedFile("yuanba.txt", TRADITIONAL.encode(encoding))
    roles = BylineRole.objects.count()

    preview = editor_client.post(reverse(IMPORT_URL), {"files": [upload], "section": section.pk, "text": ""})
    done = editor_client.post(reverse(IMPORT_URL), form_data(preview, "manuscript-confirm"))

    assert done.context["counts"]["created"] == 1, preview.context["results"][0]["result"].failure
    article = Article.objects.get()
    assert article.headline == "柳塘村婦女議事會開出「院壩會」" and article.source == "今日女報 / 鳳網"
    assert saved_bylines(article) == [("首席记者", "韋曉嵐"), ("见习记者", "蒙佳琪"), ("通讯员", "覃麗")]
    assert BylineRole.objects.count() == roles  # the vocabulary's roles, no traditional copies of them


def test_a_file_that_is_not_chinese_in_gb18030_is_refused_saying_what_was_tried(editor_client, section):
    """A Big5 file decodes as GB18030 too, into a scatter of rare characters: it is refused, without the false claim
    that it is not GB18030."""
    upload = SimpleUploadedFile("big5.txt", TRADITIONAL.encode("big5"))

    preview = editor_client.post(reverse(IMPORT_URL), {"files": [upload], "section": section.pk, "text": ""})

    failure = preview.context["results"][0]["result"].failure
    assert failure.startswith("The file is not UTF-8, and read as GB18030 (GBK) it gives no readable Chinese")
    assert "neither" not in failure


# --- Markdown ---


def published(article):
    Article.objects.filter(pk=article.pk).update(
        status=Status.PUBLISHED, published_at=timezone.now() - timezone.timedelta(minutes=1)
    )
    article.refresh_from_db()
    return article


MARKDOWN_MANUSCRIPT = (
    "### 守护女童 从我做起\n"
    "# 桐溪市启动**女童保护**宣传月\n"
    "## 把*安全课*送进每一所学校\n"
    "记者 韦晓岚\n\n"
    "12月3日，**女童保护宣传月**在桐溪市启动，首批志愿者将走进_32所_乡村学校。\n\n"
    "> 保护女童，是全社会共同的责任。\n\n"
    "- 开设防性侵安全课；\n"
    "- 发放家长指导手册；\n\n"
    "1. 第一步，学会大声说“不”；\n"
    "2. 第二步，及时告诉家长。\n\n"
    "了解详情请访问[桐溪市妇联网站](https://example.org/tongxi)，课件见[共享盘](file:///C:/kejian.doc)，"
    "文件名为safe_class_2026.pdf。\n\n"
    "---\n\n"
    "宣传月将持续到本月底。\n"
)


def test_markdown_in_a_manuscript_reads_as_rich_text_on_the_public_page(client, editor_client, section):
    """Markdown showed as typed on the public page: **女童保护宣传月**, "- 开设……", "> 保护……", [text](url), "---",
    and a kicker typed as "### …" kept its #s. The preview shows the body as the page will."""
    preview, done = preview_and_confirm(editor_client, section, MARKDOWN_MANUSCRIPT)
    assert done.context["counts"]["created"] == 1
    assert "<ul><li>开设防性侵安全课；</li><li>发放家长指导手册；</li></ul>" in preview.text
    assert (
        "The link “共享盘” points to file:///C:/kejian.doc, which is not a web address: only its words were kept."
        in preview.context["results"][0]["result"].notes
    )
    article = published(Article.objects.get())

    page = client.get(article.get_absolute_url()).text

    assert (article.kicker, article.headline, article.subtitle) == (
        "守护女童 从我做起",
        "桐溪市启动女童保护宣传月",
        "把安全课送进每一所学校",
    )
    for shown in [
        "<strong>女童保护宣传月</strong>在桐溪市启动，首批志愿者将走进<em>32所</em>乡村学校。",
        "<blockquote><p>保护女童，是全社会共同的责任。</p></blockquote>",
        "<ul><li>开设防性侵安全课；</li><li>发放家长指导手册；</li></ul>",
        "<ol><li>第一步，学会大声说“不”；</li><li>第二步，及时告诉家长。</li></ol>",
        '<a href="https://example.org/tongxi" rel="noopener noreferrer">桐溪市妇联网站</a>，课件见共享盘，',
        "文件名为safe_class_2026.pdf。",
        "<hr>",
    ]:
        assert shown in page
    for typed in ["**", "###", "- 开设", "1. 第一步", "&gt; 保护", "](", "file:", "---", "<em>class</em>"]:
        assert typed not in article.body and typed not in page


def test_html_typed_into_a_plain_field_stays_text_and_the_preview_says_so(client, editor_client, section):
    """A tag in a headline or kicker is kept as the characters typed (it is safe), but readers see it: the preview
    names the field, for the editor to notice."""
    text = (
        "<b>反家暴宣传周</b>\n# 反家暴<script>alert('h')</script>宣传周启动\n记者 韦晓岚\n\n"
        "12月3日，反家暴宣传周在桐溪市启动，现场发放宣传手册2000余份。\n"
    )

    preview, done = preview_and_confirm(editor_client, section, text)

    notes = preview.context["results"][0]["result"].notes
    assert any(note.startswith("The kicker of “反家暴<script>") and "(<b> </b>)" in note for note in notes)
    assert any(note.startswith("The headline of “") and "(<script> </script>)" in note for note in notes)
    assert "<script>alert" not in preview.text and "&lt;script&gt;alert" in preview.text
    article = published(Article.objects.get())
    assert article.headline == "反家暴<script>alert('h')</script>宣传周启动"
    page = client.get(article.get_absolute_url()).text
    assert "<script>alert" not in page and "反家暴&lt;script&gt;alert" in page


# --- The upload and the command ---


def test_an_empty_file_among_several_fails_on_its_own_named(editor_client, section, settings):
    """A 0-byte file refused the whole upload ("所提交的是空文件。" and "请至少选择一个文件或粘贴一篇稿件。"), naming no file."""
    settings.LANGUAGE_CODE = "zh-hans"
    files = [
        SimpleUploadedFile("kong.md", b""),
        SimpleUploadedFile("yexiao.md", "# 巾帼夜校开课\n记者 韦晓岚\n\n12月2日，夜校开课。\n".encode()),
    ]

    preview = editor_client.post(reverse(IMPORT_URL), {"files": files, "section": section.pk, "text": ""})

    assert preview.templates[0].name == "admin/articles/article/import_preview.html"
    assert [(row["result"].filename, row["result"].status) for row in preview.context["results"]] == [
        ("kong.md", "failed"),
        ("yexiao.md", "ready"),
    ]
    assert "kong.md" in preview.text and "文件是空的。" in preview.text
    assert preview.context["importable"]


def test_the_command_exits_non_zero_when_some_files_fail(section, tmp_path):
    """It exited 0 unless every file failed: a script importing a day's files could not tell that one was left."""
    good, empty = tmp_path / "yexiao.md", tmp_path / "kong.md"
    good.write_text("# 巾帼夜校开课\n记者 韦晓岚\n\n12月2日，夜校开课。\n", encoding="utf-8")
    empty.write_bytes(b"")
    out = StringIO()

    with pytest.raises(CommandError, match="1 of 2 files failed") as raised:
        call_command("import_manuscript", str(good), str(empty), stdout=out)

    assert raised.value.returncode == 1
    assert f"{empty}: " in out.getvalue()
    assert Article.objects.get().headline == "巾帼夜校开课"  # the good file is imported all the same
