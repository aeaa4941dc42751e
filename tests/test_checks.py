"""Checks before publishing: required parts, and the newsroom's watch words found in context."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from articles.models import Article, Photo, WatchWord
from articles.services import Finding, html_to_text, publication_findings
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BylineFactory,
    ExperienceEntryFactory,
    PhotoFactory,
    WatchWordFactory,
)

pytestmark = pytest.mark.django_db


def complete_article(**kwargs):
    """An article with every required part: headline, section, a byline, photos with alt text."""
    article = ArticleFactory(lead_photo=PhotoFactory(), **kwargs)
    BylineFactory(article=article)
    return article


def fresh(article):
    return Article.objects.get(pk=article.pk)


def word_findings(article):
    return [finding for finding in publication_findings(fresh(article)) if finding.kind != Finding.MISSING]


# --- Required parts ---------------------------------------------------------------------------------


def test_complete_article_without_watch_words_has_no_findings():
    article = complete_article(body="<p>全省妇联改革现场会召开。</p>", summary="作为代表发言。")
    ArticlePhotoFactory(article=article)
    ExperienceEntryFactory(article=article, photo=PhotoFactory(), body="<p>建强基层组织。</p>")
    WatchWordFactory(miswritten=True)

    assert publication_findings(fresh(article)) == []


def test_missing_headline_is_found():
    article = fresh(complete_article())
    article.headline = "  "

    assert publication_findings(article) == [Finding(Finding.MISSING, "headline")]


def test_missing_section_is_found():
    article = fresh(complete_article())
    article.section = None

    findings = publication_findings(article)

    assert findings == [Finding(Finding.MISSING, "section")]
    assert findings[0].blocks


def test_article_without_byline_is_found():
    article = ArticleFactory()

    findings = publication_findings(fresh(article))

    assert findings == [Finding(Finding.MISSING, "bylines")]
    assert findings[0].message


@pytest.mark.parametrize("where", ["lead_photo", "photo 2", "entry 1 photo"])
def test_photo_without_alt_text_is_found(where):
    article = complete_article()
    ArticlePhotoFactory(article=article, order=1)
    second = ArticlePhotoFactory(article=article, order=2)
    entry = ExperienceEntryFactory(article=article, photo=PhotoFactory())
    bare = {"lead_photo": article.lead_photo, "photo 2": second.photo, "entry 1 photo": entry.photo}[where]
    Photo.objects.filter(pk=bare.pk).update(alt_text="   ")  # the database refuses only an empty one

    findings = publication_findings(fresh(article))

    assert findings == [Finding(Finding.MISSING, where)]
    assert findings[0].blocks


def test_an_image_put_in_the_text_without_alt_text_is_found():
    """An image uploaded through the editor has no alt text until someone writes it (CKEditor's text alternative):
    a reader of a screen reader would get nothing, so it blocks like a photo without one."""
    article = complete_article(
        body='<p>会场。</p><img src="/media/a.jpg" alt="会场全景"><p>发言。</p><img src="/media/b.jpg" alt=" ">'
    )
    ExperienceEntryFactory(article=article, body='<p>经验。</p><img src="/media/c.jpg">')

    findings = publication_findings(fresh(article))

    assert findings == [Finding(Finding.MISSING, "body image 2"), Finding(Finding.MISSING, "entry 1 body image 1")]
    assert all(finding.blocks for finding in findings)
    assert [finding.message for finding in findings] == [
        "正文第2张图片缺少替代文字：在文中点选这张图片，再点它工具栏上的“填写替代文字”按钮。",
        "第1条经验交流：正文第1张图片缺少替代文字：在文中点选这张图片，再点它工具栏上的“填写替代文字”按钮。",
    ]


# --- Watch words ----------------------------------------------------------------------------------------


TEXT_FIELDS = ["kicker", "headline", "subtitle", "summary", "pull_quote", "lead_photo_caption"]


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("kind", [WatchWord.Kind.SENSITIVE, WatchWord.Kind.MISWRITTEN])
def test_watch_word_is_found_in_each_article_field(field, kind):
    WatchWordFactory(word="做为", kind=kind, correction="作为" if kind == WatchWord.Kind.MISWRITTEN else "")
    article = complete_article(**{field: "她做为代表在会上发言"})

    [finding] = word_findings(article)

    assert (finding.kind, finding.field, finding.word) == (kind, field, "做为")
    assert finding.context == "她做为代表在会上发言"
    assert (finding.context_before, finding.context_match, finding.context_after) == ("她", "做为", "代表在会上发言")
    assert finding.blocks == (kind == WatchWord.Kind.SENSITIVE)


def test_word_is_found_in_the_body_with_about_fifteen_characters_of_context():
    WatchWordFactory(miswritten=True)
    before, after = "一二三四五六七八九十" * 3, "甲乙丙丁戊己庚辛壬癸" * 3
    article = complete_article(body=f"<p>{before}做为{after}</p>")

    [finding] = word_findings(article)

    assert finding.field == "body"
    assert finding.correction == "作为"
    assert finding.context_before == "…" + before[-15:]
    assert finding.context_match == "做为"
    assert finding.context_after == after[:15] + "…"


@pytest.mark.parametrize("part", ["title", "highlight", "body", "caption"])
def test_watch_word_is_found_in_each_part_of_an_experience_entry(part):
    WatchWordFactory(word="按装", kind=WatchWord.Kind.MISWRITTEN, correction="安装")
    article = complete_article()
    ExperienceEntryFactory(article=article, order=1)
    value = "<p>为村民按装路灯</p>" if part == "body" else "为村民按装路灯"
    ExperienceEntryFactory(article=article, order=2, **{part: value})

    [finding] = word_findings(article)

    assert finding.field == f"entry 2 {part}"
    assert finding.context == "为村民按装路灯"
    assert finding.correction == "安装"
    assert "2" in str(finding.field_label)


def test_watch_word_is_found_in_an_article_photo_caption():
    WatchWordFactory(word="禁词")
    article = complete_article()
    ArticlePhotoFactory(article=article, caption="会场上的禁词")

    [finding] = word_findings(article)

    assert finding.field == "photo 1 caption"


def test_every_occurrence_is_one_finding_in_reading_order():
    WatchWordFactory(word="乙")
    WatchWordFactory(word="做为", kind=WatchWord.Kind.MISWRITTEN, correction="作为")
    article = complete_article(summary="做为甲，乙做为丙，乙")

    findings = word_findings(article)

    assert [(f.word, f.context_before) for f in findings] == [
        ("做为", ""),
        ("乙", "做为甲，"),
        ("做为", "做为甲，乙"),
        ("乙", "做为甲，乙做为丙，"),
    ]


def test_a_word_inside_a_longer_word_of_the_same_kind_is_found_once():
    WatchWordFactory(word="法轮")
    WatchWordFactory(word="法轮功")
    article = complete_article(summary="所谓法轮功")

    assert [f.word for f in word_findings(article)] == ["法轮功"]


def test_inactive_words_are_ignored():
    WatchWordFactory(word="禁词", inactive=True)
    WatchWordFactory(word="做为", kind=WatchWord.Kind.MISWRITTEN, correction="作为", is_active=False)
    article = complete_article(headline="禁词做为标题")

    assert publication_findings(fresh(article)) == []


def test_full_width_and_case_do_not_hide_a_word_and_the_context_shows_the_text_as_written():
    WatchWordFactory(word="badword")
    WatchWordFactory(word="ＡＢＣ")
    article = complete_article(summary="他说ＢａｄＷｏｒｄ和abc两次")

    findings = word_findings(article)

    assert [(f.word, f.context_match) for f in findings] == [("badword", "ＢａｄＷｏｒｄ"), ("ＡＢＣ", "abc")]
    assert findings[0].context == "他说ＢａｄＷｏｒｄ和abc两次"


def test_html_tags_do_not_split_or_hide_a_word():
    WatchWordFactory(miswritten=True)
    article = complete_article(body='<p>她<strong>做</strong>为代表，<a href="https://example.com/">做为</a>一员</p>')

    findings = word_findings(article)

    assert [f.context_match for f in findings] == ["做为", "做为"]
    assert findings[0].context == "她做为代表，做为一员"


def test_separate_paragraphs_do_not_join_into_a_word():
    WatchWordFactory(miswritten=True)
    article = complete_article(body="<p>这件事要做</p><p>为人民服务</p>")

    assert word_findings(article) == []


def test_html_entities_are_read_as_text():
    assert html_to_text("<p>A&amp;B&nbsp;做为</p><p>下一段</p>") == "A&B\xa0做为\n下一段"


def test_blocking_and_warning_kinds():
    assert Finding(Finding.MISSING, "bylines").blocks
    assert Finding(Finding.SENSITIVE, "body", word="禁词").blocks
    assert not Finding(Finding.MISWRITTEN, "body", word="做为", correction="作为").blocks


# --- Query count ------------------------------------------------------------------------------------------

# The word list, bylines, the lead photo, the article photos, the entries.
FINDINGS_QUERIES = 5


@pytest.mark.parametrize("n", [1, 8])
def test_publication_findings_queries_do_not_grow(django_assert_num_queries, n):
    article = complete_article(body="<p>做为</p>")
    for index in range(n):
        WatchWordFactory(word=f"词{index}")
        BylineFactory(article=article)
        ArticlePhotoFactory(article=article)
        ExperienceEntryFactory(article=article, photo=PhotoFactory(), body="<p>做为</p>")
    WatchWordFactory(miswritten=True)
    article = fresh(article)

    with django_assert_num_queries(FINDINGS_QUERIES):
        findings = publication_findings(article)

    assert len(findings) == 1 + n


def test_publication_findings_use_what_the_caller_prefetched():
    article = complete_article()
    ArticlePhotoFactory(article=article)
    ExperienceEntryFactory(article=article)
    article = Article.objects.for_detail().get(pk=article.pk)

    with CaptureQueriesContext(connection) as queries:
        publication_findings(article)

    assert len(queries) == 1  # the word list only


# --- The partial showing findings ----------------------------------------------------------------------------


def test_findings_partial_marks_the_word_in_its_context_and_escapes_the_text():
    findings = [
        Finding(Finding.MISSING, "bylines"),
        Finding(Finding.MISWRITTEN, "body", word="做为", correction="作为", context="<b>她做为代表", start=4, length=2),
        Finding(Finding.SENSITIVE, "entry 2 body", word="禁词", context="有禁词", start=1, length=2),
    ]

    html = render_to_string("admin/articles/_findings.html", {"findings": findings})

    assert "&lt;b&gt;她<mark>做为</mark>代表" in html
    assert "作为" in html
    assert "有<mark>禁词</mark>" in html
    assert "finding-blocks" in html
    assert "<b>" not in html


def test_findings_partial_says_when_there_is_nothing_to_look_at():
    html = render_to_string("admin/articles/_findings.html", {"findings": []})

    assert "<mark>" not in html
    assert "publication-findings-none" in html


@pytest.mark.parametrize(
    "html, text",
    [
        (
            "<p>会议<strong>指出</strong>。</p>\n<h3>小标题</h3><ul><li>一是</li><li>二是</li></ul>",
            "会议指出。\n小标题\n一是\n二是",
        ),
        ("<p>第一行<br>第二行</p>", "第一行\n第二行"),
        ("<p>&lt;b&gt;不是标签&lt;/b&gt; &amp;amp;</p>", "<b>不是标签</b> &amp;"),
        ('<figure class="image"><img src="/media/a.jpg" alt="会场"><figcaption>会场</figcaption></figure>', "会场"),
        ("<table><tbody><tr><th>单位</th><td>妇联</td></tr></tbody></table>", "单位\n妇联"),
        ("<pre>不是段落</pre><p>段落</p>", "不是段落\n段落"),
    ],
)
def test_the_text_of_rich_text_is_what_a_reader_sees_block_by_block(html, text):
    assert html_to_text(html) == text
