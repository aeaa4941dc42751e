"""The manuscript parser alone: text in, structure out, no database."""

import datetime
from pathlib import Path

import pytest
from django.utils import translation

from articles import manuscripts
from articles.manuscripts import ManuscriptError, decode, guess_level, normalize, parse, parse_byline

SAMPLES = Path(__file__).parent / "manuscripts"
ROLES = ["记者", "首席记者", "见习记者", "实习生", "通讯员", "摄影", "摄像", "整理", "编辑", "撰稿", "制图"]
TODAY = datetime.date(2026, 11, 28)


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


def read(name):
    return parse((SAMPLES / name).read_bytes(), roles=ROLES, today=TODAY)


# --- Decoding and normalising ---


def test_utf8_with_and_without_bom_decode_alike():
    text = "# 标题\n正文。"
    assert decode(text.encode()) == decode(b"\xef\xbb\xbf" + text.encode()) == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_a_file_with_a_utf16_or_utf32_byte_order_mark_is_read(encoding):
    """Word's "Unicode" text is UTF-16; a UTF-32 file (its mark begins as UTF-16's) was refused as broken UTF-16."""
    text = "# 标题\n正文。"
    mark = {"utf-16-be": "\ufeff", "utf-32-be": "\ufeff"}.get(encoding, "")  # the plain codecs write their own
    assert decode((mark + text).encode(encoding)) == text


def test_gb18030_file_is_read():
    draft = read("gb18030.txt").lead
    assert draft.headline == "月湖街道开设“妈妈岗”"
    assert draft.bylines[0].name == "唐小满"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("empty.txt", "empty"),
        ("binary.png", "binary"),
        ("wrong_encoding.txt", "encoding"),
        ("no_headline.txt", "no_headline"),
    ],
)
def test_broken_files_are_refused_with_a_reason(name, code):
    with pytest.raises(ManuscriptError) as raised:
        read(name)
    assert raised.value.code == code
    assert raised.value.message


def test_whitespace_only_text_is_empty():
    with pytest.raises(ManuscriptError) as raised:
        parse(" \n\u3000\r\n", roles=ROLES)
    assert raised.value.code == "empty"


def test_too_large_file_is_refused():
    with pytest.raises(ManuscriptError) as raised:
        decode(b"a" * (manuscripts.MAX_BYTES + 1))
    assert raised.value.code == "too_large"


def test_normalize_line_ends_spaces_and_punctuation():
    text = "\ufeff　　课堂上,讲师结合案例,介绍了方法:多倾听;少说教!真的吗?   \r\n\r\n\r\n(居民)说好.  "
    assert normalize(text) == "课堂上，讲师结合案例，介绍了方法：多倾听；少说教！真的吗？\n\n（居民）说好。"


def test_normalize_keeps_ascii_punctuation_between_latin_letters_and_numbers():
    assert (
        normalize("培训2.1万人次, see http://example.com/a:b, 10:30")
        == "培训2.1万人次, see http://example.com/a:b, 10:30"
    )


def test_normalize_is_idempotent():
    text = (SAMPLES / "crlf_halfwidth.txt").read_bytes().decode()
    assert normalize(normalize(text)) == normalize(text)


def test_crlf_full_width_spaces_and_half_width_punctuation_sample():
    manuscript = read("crlf_halfwidth.txt")
    assert "\r" not in manuscript.text and "\u3000" not in manuscript.text
    draft = manuscript.lead
    assert draft.headline == "松溪市妇联“姐妹课堂”进社区"
    assert [(item.role, item.name) for item in draft.bylines] == [("通讯员", "田甜")]
    assert [block.text for block in draft.blocks] == [
        "11月10日，松溪市妇联“姐妹课堂”走进城东社区，为40余名居民讲解家庭教育知识。",
        "课堂上，讲师结合案例，介绍了亲子沟通的方法：多倾听，少说教！",
        '居民王女士说："以前总觉得管孩子就是要严，今天才知道沟通也要讲方法。"',
    ]
    assert manuscript.notes == []


def test_hash_ignores_encoding_bom_and_line_ends():
    text = (SAMPLES / "correspondent_short.txt").read_text()
    variants = [text.encode(), b"\xef\xbb\xbf" + text.encode(), text.replace("\n", "\r\n").encode("gb18030")]
    assert len({parse(variant, roles=ROLES).hash for variant in variants}) == 1


# --- The samples, field by field ---


def test_meeting_report():
    manuscript = read("meeting_report.md")
    assert len(manuscript.drafts) == 1
    draft = manuscript.lead
    assert draft.kicker == "全省妇联基层组织建设推进会在青枫召开"
    assert draft.headline == "把妇联工作做到姐妹们的心坎上"
    assert draft.subtitle == "沈慧芳：让每一位妇女都能找到“娘家人”"
    assert draft.source == "今日女报 / 凤网"
    assert [(item.role, item.name) for item in draft.bylines] == [
        ("首席记者", "周雅琴"),
        ("见习记者", "唐小满"),
        ("通讯员", "罗文静"),
    ]
    assert draft.pull_quote == "基层强，妇联才能强；妇女群众满意，改革才算成功。"
    assert draft.dateline_on == datetime.date(2026, 11, 19)
    assert [block.kind for block in draft.blocks] == ["p", "p", "h2", "p", "p", "h2", "p"]
    assert draft.blocks[0].text.startswith("11月19日，全省妇联")  # the dateline stays where it was printed
    assert [block.text for block in draft.blocks if block.kind == "h2"] == ["新建组织一千多个", "把服务送到家门口"]
    assert draft.captions == ["推进会会场。", "与会代表在分组讨论中交流心得。"]
    assert draft.entries == []
    assert not_about_captions(manuscript.notes) == []  # each caption is a guess, asked about


def test_roundup_package_has_a_companion_with_entries():
    manuscript = read("roundup_package.md")
    lead, companion = manuscript.drafts
    assert lead.headline == "凝心聚力 各地妇联亮出改革“成绩单”"
    assert [(item.role, item.name) for item in lead.bylines] == [("记者", "唐小满")]
    assert lead.dateline_on == datetime.date(2026, 11, 20)
    assert len(lead.blocks) == 2 and lead.entries == []

    assert companion.headline == "破解基层难题，各地妇联这样干"
    assert companion.source == ""
    assert [(item.role, item.name) for item in companion.bylines] == [("整理", "周雅琴")]
    assert companion.oral_count == 4 and companion.written_count == 4
    assert [(entry.organization, entry.form) for entry in companion.entries] == [
        ("青枫市妇联", "oral"),
        ("云雾山苗族自治州妇联", "oral"),
        ("青枫市南湖区妇联", "oral"),
        ("龙潭镇妇联", "oral"),
        ("松溪市妇联", "written"),
        ("白石县妇联", "written"),  # not named: the counts say the rest shared in writing
        ("南湖区月湖街道妇联", "written"),
        ("龙潭镇杉木村妇联", "written"),
    ]
    first = companion.entries[0]
    assert first.title == "“三张清单”推动任务落地"
    assert first.highlight == "把任务细化成清单，一项一项抓落实。"
    assert len(first.blocks) == 1 and first.highlight.rstrip("。") in first.blocks[0].text
    assert companion.entries[1].captions == ["绣娘们在手工坊里赶制订单。"]
    assert companion.entries[5].highlight == "维权要把工作做在前面。"
    assert companion.entries[7].captions == ["杉木村妇女在“妇女微家”里学习竹编。"]
    assert not_about_captions(manuscript.notes) == []  # each caption is a guess, asked about


def test_correspondent_piece_without_source():
    draft = read("correspondent_short.txt").lead
    assert draft.source == ""
    assert [(item.role, item.name) for item in draft.bylines] == [("通讯员", "龙春燕")]
    assert draft.dateline_on == datetime.date(2026, 11, 12)
    assert len(draft.blocks) == 3 and draft.captions == [] and draft.pull_quote == ""


def test_print_layout_paragraphs_are_joined_and_those_cut_at_a_blank_line_are_noted():
    """A line break without a blank line is a column break: joined. The copy also has blank lines at column breaks
    (871672b took them out of this sample, so its first paragraph was cut in three without a word): a blank line
    still ends a paragraph, and the preview names each place that looks cut, for the editor to join."""
    manuscript = read("print_layout.txt")
    draft = manuscript.lead
    assert draft.kicker == "全省巾帼家政培训工作现场会召开"
    assert draft.subtitle == "今年以来全省培训家政从业人员两万余人"
    assert draft.source == "今日女报 / 凤网"
    assert [(item.role, item.name) for item in draft.bylines] == [("记者", "唐小满"), ("通讯员", "欧阳晓")]
    assert [block.text for block in draft.blocks] == [
        "11月18日，全省巾帼家政培训工作现场会在白石县召开。会议通报了今年以来全省家政培训",
        "工作进展情况：全省共开展家政培训320期，培训农村妇女2.1万人次，其中",
        "1.4万人实现就业。",
        "白石县妇联副主席彭丽介绍，该县与本地家政企业合作，推行“培训+认证+就业”一条龙服务，学员结业后由企业统一"
        "安排上岗，月收入普遍在4000元以上。",
        "下一步，全省将重点培育一批巾帼家政品牌，推动家政服务向专业化、规范化方向发展。",
    ]
    assert draft.captions == ["学员在实训室练习护理技能。"]
    assert [note for note in manuscript.notes if "column break" in note] == [
        "A paragraph ends mid-sentence before a blank line, as if cut at a column break: “…今年以来全省家政培训” / "
        "“工作进展情况：全省共…”. If it runs on, join the two paragraphs in the editor.",
        "A paragraph ends mid-sentence before a blank line, as if cut at a column break: “…女2.1万人次，其中” / "
        "“1.4万人实现就业。”. If it runs on, join the two paragraphs in the editor.",
    ]


def test_a_short_closing_sentence_is_text_not_a_caption():
    """A caption stands *between* paragraphs (its photo sits in the body); the story's last words are text, however
    short: taken for a caption, they left the body and their placeholder blocked publication."""
    text = "# 妇女创业大赛举行\n\n今日女报 / 凤网 记者 周雅琴\n\n11月16日，大赛决赛举行，20个项目同台比拼。\n\n选手展示自己的产品。\n\n最终6个项目获奖。\n\n会议圆满结束。\n"

    draft = parse(text, roles=ROLES, today=TODAY).lead

    assert draft.captions == ["选手展示自己的产品。"]
    assert draft.blocks[-1].text == "会议圆满结束。"


def test_bom_sample_with_photographer():
    draft = read("bom.md").lead
    assert draft.headline == "白石县举办妇女创业大赛"
    assert [(item.role, item.name) for item in draft.bylines] == [("记者", "周雅琴"), ("摄影", "何冰")]
    assert draft.captions == ["选手在决赛现场展示自己的产品。"]


def test_unknown_role_words_are_kept_and_noted():
    manuscript = read("unknown_roles.md")
    items = manuscript.lead.bylines
    assert [(item.role, item.name, item.known_role) for item in items] == [
        ("特约记者", "彭晓东", False),
        ("驻站记者", "谢芸", False),
        ("通讯员", "田甜", True),
    ]
    assert len(manuscript.notes) == 2 and "特约记者" in manuscript.notes[0]


def test_entry_heading_without_colon_is_a_noted_sub_heading():
    manuscript = read("entry_without_colon.md")
    entries = manuscript.lead.entries
    assert [entry.organization for entry in entries] == ["杉木村妇联", "月湖街道妇联"]
    assert ("h3", "白石县妇联 为妇女儿童撑起保护伞") in [(block.kind, block.text) for block in entries[0].blocks]
    assert entries[0].captions == []  # the first paragraph under a heading is text, not a caption
    assert entries[0].form == "oral" and entries[1].form == ""
    assert any("no colon" in note for note in manuscript.notes)
    assert any("月湖街道妇联" in note for note in manuscript.notes)  # form not stated


def not_about_captions(notes):
    return [note for note in notes if "taken as a photo caption" not in note]


# --- Pieces ---


@pytest.mark.parametrize(
    ("line", "source", "pairs"),
    [
        ("今日女报 / 凤网 首席记者 李某 见习记者 王某 通讯员 张某", "今日女报 / 凤网", [("首席记者", "李某"), ("见习记者", "王某"), ("通讯员", "张某")]),
        ("整理 / 李某", "", [("整理", "李某")]),
        ("今日女报/凤网 记者李某 通讯员 张某 赵某", "今日女报 / 凤网", [("记者", "李某"), ("通讯员", "张某"), ("通讯员", "赵某")]),
        ("（记者 李某）", "", [("记者", "李某")]),
        ("本报讯 记者 李某", "本报讯", [("记者", "李某")]),
        # Two names with 、 are two people (not one reporter "周雅琴、唐小满"); 文/图 is one role (文 was lost).
        ("今日女报 / 凤网 记者 周雅琴、唐小满 文/图 罗文静", "今日女报 / 凤网", [("记者", "周雅琴"), ("记者", "唐小满"), ("文/图", "罗文静")]),
        ("文/图 罗文静", "", [("文/图", "罗文静")]),
    ],
)  # fmt: skip
def test_byline_lines(line, source, pairs):
    parsed_source, items, recognised = parse_byline(line, set(ROLES))
    assert recognised
    assert parsed_source == source
    assert [(item.role, item.name) for item in items] == pairs


@pytest.mark.parametrize(
    "line", ["11月19日，全省妇联基层组织建设推进会召开。", "会议由记者李某主持，通讯员张某参加", "今日女报 / 凤网"]
)
def test_prose_is_not_a_byline(line):
    assert parse_byline(line, set(ROLES))[2] is False


def test_later_heading_without_byline_is_a_sub_heading_not_a_companion():
    manuscript = parse("# 标题\n记者 李某\n\n第一段。\n\n## 小标题\n\n第二段。", roles=ROLES)
    assert len(manuscript.drafts) == 1
    assert [(block.kind, block.text) for block in manuscript.lead.blocks] == [
        ("p", "第一段。"),
        ("h2", "小标题"),
        ("p", "第二段。"),
    ]


def test_headings_typed_without_a_space_are_still_headings():
    """ "#标题" and "###单位：标题" as manuscripts type them; only a #话题# is text."""
    manuscript = parse("#巾帼夜校开课\n记者 李某\n\n第一段。\n\n###城关镇妇联：做好工作\n\n条目正文。", roles=ROLES)
    assert manuscript.lead.headline == "巾帼夜校开课"
    assert [(entry.organization, entry.title) for entry in manuscript.lead.entries] == [("城关镇妇联", "做好工作")]


def test_a_paragraph_opening_with_a_hashtag_is_not_a_heading():
    """Weibo-style topics (#话题#) open paragraphs, and kickers: Markdown headings have a space after the marks."""
    manuscript = parse(
        "#三八节#\n# 巾帼建新功主题活动启动\n记者 李某\n\n#巾帼建新功#主题活动今天启动。\n\n第二段。", roles=ROLES
    )
    draft = manuscript.lead
    assert draft.headline == "巾帼建新功主题活动启动" and draft.kicker == "#三八节#"
    assert [(block.kind, block.text) for block in draft.blocks] == [
        ("p", "#巾帼建新功#主题活动今天启动。"),
        ("p", "第二段。"),
    ]
    assert [item.name for item in draft.bylines] == ["李某"]


def test_dateline_year_and_impossible_date():
    assert parse("# 标题\n记者 李某\n\n2025年3月8日，活动举行。", roles=ROLES).lead.dateline_on == datetime.date(
        2025, 3, 8
    )
    late = parse("# 标题\n记者 李某\n\n12月30日，活动举行。", roles=ROLES, today=datetime.date(2027, 1, 3))
    assert late.lead.dateline_on == datetime.date(2026, 12, 30)
    wrong = parse("# 标题\n记者 李某\n\n2月30日，活动举行。", roles=ROLES)
    assert wrong.lead.dateline_on is None and any("2月30日" in note for note in wrong.notes)


def test_missing_byline_is_noted():
    manuscript = parse("# 标题\n\n正文第一段。", roles=ROLES)
    assert manuscript.lead.bylines == [] and manuscript.notes


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("江岚省妇女联合会", "province"),
        ("青枫市妇联", "city"),
        ("云雾山苗族自治州妇联", "city"),
        ("青枫市南湖区妇联", "county"),
        ("白石县妇联", "county"),
        ("龙潭镇妇联", "township"),
        ("南湖区月湖街道妇联", "township"),
        ("龙潭镇杉木村妇联", "village"),
        ("春晖社区妇联", "village"),
        ("巾帼志愿者协会", ""),
    ],
)
def test_level_guessed_from_name(name, level):
    assert guess_level(name) == level


def test_a_referenced_photo_becomes_a_placeholder_with_its_caption_not_text():
    """Markdown's ![caption](file) and 【图】 lines were left in the body, to be published as they were."""
    manuscript = parse(
        "# 标题\n记者 李某\n\n第一段。\n\n![活动现场，妇女们在学习。](photos/huichang.jpg)\n\n第二段。\n\n"
        "【图】IMG_2031.JPG 学员在练习。\n\n第三段。",
        roles=ROLES,
    )
    draft = manuscript.lead
    assert draft.captions == ["活动现场，妇女们在学习。", "学员在练习。"]
    assert [block.text for block in draft.blocks] == ["第一段。", "第二段。", "第三段。"]
    assert any("photos/huichang.jpg" in note for note in manuscript.notes)
    assert any("IMG_2031.JPG" in note for note in manuscript.notes)


def test_a_short_sentence_taken_as_a_caption_is_noted_for_a_look():
    """The guess takes a sentence of the text out of the body: the preview must ask for a check."""
    manuscript = parse("# 标题\n记者 李某\n\n第一段。\n\n活动吸引了众多市民参加。\n\n第二段。", roles=ROLES)
    assert manuscript.lead.captions == ["活动吸引了众多市民参加。"]
    assert any("活动吸引了众多市民参加。" in note and "put it back in the body" in note for note in manuscript.notes)
