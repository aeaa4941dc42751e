"""Importing manuscripts: what the preview says and the import saves of paragraphs, photos, bylines, organisations and
entries, as delivered copy writes them (found by a QA pass over real-looking manuscripts)."""

import re

import pytest
from django.utils import translation

from articles import services
from tests.factories import SectionFactory


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
        "- 面点课堂每周二开课；",
        "- 育婴课堂每周四开课；",
        "---",
        "据介绍，首批课堂计划招收学员500名，名额报满即止。",
    ]
