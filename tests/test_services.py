"""Services: the rich-text sanitiser (hostile input and CKEditor's own output), plain-text cleaning, groups."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group

from articles.models import Article, ExperienceEntry
from articles.services import (
    EDITOR_GROUP,
    REPORTER_GROUP,
    RICH_TEXT_TAGS,
    clean_text,
    ensure_newsroom_groups,
    sanitize_html,
)
from tests.factories import ArticleFactory, ExperienceEntryFactory

SCRIPT = "alert(document.cookie)"

HOSTILE_HTML = [
    # script tags in every case and spacing
    f"<script>{SCRIPT}</script>",
    f"<SCRIPT>{SCRIPT}</SCRIPT>",
    f"<ScRiPt>{SCRIPT}</sCrIpT>",
    f"<script >{SCRIPT}</script >",
    f"<script\n>{SCRIPT}</script\n>",
    f"<script\ttype='text/javascript'>{SCRIPT}</script>",
    "<script src=https://evil.example/x.js></script>",
    f"<scr<script>ipt>{SCRIPT}</script>",
    f"<<script>script>{SCRIPT}</script>",
    f"<script/x>{SCRIPT}</script>",
    f"<p>正文<script>{SCRIPT}</script>继续</p>",
    # event handlers on many tags
    f"<img src=x onerror={SCRIPT}>",
    f'<img src="/media/a.jpg" ONERROR="{SCRIPT}">',
    f"<img/src='x'/onerror='{SCRIPT}'>",
    f'<body onload="{SCRIPT}">',
    f'<p onclick="{SCRIPT}">点我</p>',
    f'<a href="https://example.com" onmouseover="{SCRIPT}">链接</a>',
    f'<div onmouseenter="{SCRIPT}">区块</div>',
    f'<h2 onfocus="{SCRIPT}" tabindex=0>小标题</h2>',
    f'<table onload="{SCRIPT}"><tr><td onclick="{SCRIPT}">格</td></tr></table>',
    f'<strong onpointerdown="{SCRIPT}">粗</strong>',
    f"<details open ontoggle={SCRIPT}>",
    f"<video><source onerror={SCRIPT}></video>",
    f"<audio src=x onerror={SCRIPT}>",
    f'<marquee onstart="{SCRIPT}">跑马灯</marquee>',
    f'<input autofocus onfocus="{SCRIPT}">',
    # script URLs in links and images
    f'<a href="javascript:{SCRIPT}">链接</a>',
    f'<a href="JaVaScRiPt:{SCRIPT}">链接</a>',
    f'<a href=" javascript:{SCRIPT}">链接</a>',
    f'<a href="java\tscript:{SCRIPT}">链接</a>',
    f'<a href="java&#x0A;script:{SCRIPT}">链接</a>',
    f'<a href="&#106;avascript:{SCRIPT}">链接</a>',
    f'<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;{SCRIPT}">链接</a>',
    f'<a href="javascript&colon;{SCRIPT}">链接</a>',
    f'<img src="javascript:{SCRIPT}">',
    f'<img src="JaVaScRiPt:{SCRIPT}">',
    f'<img src="&#106;avascript:{SCRIPT}">',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">链接</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<a href="vbscript:msgbox(1)">链接</a>',
    '<img src="vbscript:msgbox(1)">',
    # inline styles and style sheets
    '<p style="background:url(javascript:alert(1))">文字</p>',
    '<span style="color:red;behavior:url(x.htc)">文字</span>',
    "<style>body{background:url('javascript:alert(1)')}</style>",
    "<STYLE>@import 'https://evil.example/x.css';</STYLE>",
    # frames, plugins, vector and math markup
    '<iframe src="https://evil.example/"></iframe>',
    f'<iframe srcdoc="<script>{SCRIPT}</script>"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    f"<svg onload={SCRIPT}><circle r=1 /></svg>",
    f"<svg><script>{SCRIPT}</script></svg>",
    f'<svg><a xlink:href="javascript:{SCRIPT}"><text>点</text></a></svg>',
    f'<math><mtext><table><mglyph><style><img src=x onerror="{SCRIPT}"></style></mglyph></table></mtext></math>',
    # document-level tags
    '<base href="https://evil.example/">',
    f'<meta http-equiv="refresh" content="0;url=javascript:{SCRIPT}">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    f'<form action="javascript:{SCRIPT}"><input type=submit value=提交></form>',
    '<form><button formaction="javascript:alert(1)">按钮</button></form>',
    "<textarea><script>alert(1)</script></textarea>",
    # comments, conditional comments, CDATA
    f"<!--<script>{SCRIPT}</script>-->",
    f"<!--[if IE]><script>{SCRIPT}</script><![endif]-->",
    f"<!--[if gte IE 4]><SCRIPT>{SCRIPT}</SCRIPT><![endif]-->",
    f"<![CDATA[<script>{SCRIPT}</script>]]>",
    f'<noscript><p title="</noscript><img src=x onerror={SCRIPT}>">',
    # unclosed and broken markup
    f"<p>未闭合 <b>粗体 <i>斜体 <script>{SCRIPT}",
    f'<div><p><table><tr><td><img src=x onerror="{SCRIPT}"',
    f'<a href="https://example.com"<script>{SCRIPT}</script>',
    f'<img src="x" alt="a"onerror="{SCRIPT}">',
    f"<p <script>{SCRIPT}</script>>",
    f"</p><script>{SCRIPT}</script><p>",
    # NUL, control characters and bidirectional overrides
    f"<scr\x00ipt>{SCRIPT}</script>",
    f"<img src=x o\x00nerror={SCRIPT}>",
    "正\x00文\x01\x08\x0b\x0c\x1f\x7f",
    "<p>\u202etxt.exe\u202c 与 \u2066隔离\u2069</p>",
    "<p>&#x202e;txt.exe&#8236; 与 &#x2066;隔离&#x2069;</p>",
]

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "img": {"src", "alt", "width", "height"},
    "figure": {"class"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start", "reversed"},
}
CONTROL_OR_BIDI = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags_of(html):
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def assert_harmless(output):
    lowered = output.lower()
    assert "<script" not in lowered
    assert not re.search(r"\bon\w+\s*=", lowered)
    assert "javascript:" not in lowered
    assert "vbscript:" not in lowered
    assert "data:" not in lowered
    assert "style=" not in lowered
    assert not CONTROL_OR_BIDI.search(output)
    for tag, attributes in tags_of(output):
        assert tag in RICH_TEXT_TAGS, tag
        assert set(attributes) <= ALLOWED_ATTRIBUTES.get(tag, set()), (tag, attributes)
        url = attributes.get("href") or attributes.get("src") or ""
        assert not url or re.match(r"^(https?:|mailto:|tel:|/|#)", url.strip()), url


@pytest.mark.parametrize("html", HOSTILE_HTML)
def test_hostile_html_does_not_survive_sanitising(html):
    assert_harmless(sanitize_html(html))


def test_sanitising_keeps_the_text_around_removed_markup():
    assert sanitize_html(f"<p>正文<script>{SCRIPT}</script>继续</p>") == "<p>正文继续</p>"
    assert sanitize_html('<p style="color:red" onclick="x()">文字</p>') == "<p>文字</p>"
    assert sanitize_html("正\x00文\u202e") == "正文"


def test_sanitising_nothing_gives_an_empty_string():
    assert sanitize_html("") == ""
    assert sanitize_html(None) == ""


PASTED = {  # what CKEditor keeps of a paste from Word, WPS or plain text, and what the site stores of it
    "Word's blank lines": (
        "<p>&nbsp;</p><p>第一段。</p><p>&nbsp;</p><p> </p><p>第二段。</p><p>&nbsp;</p>",
        "<p>第一段。</p><p>第二段。</p>",
    ),
    "full-width indents": (
        "<p>\u3000\u3000本报讯 会议召开。</p><p>&nbsp;\u3000第二段。&nbsp;</p>",
        "<p>本报讯 会议召开。</p><p>第二段。</p>",
    ),
    "an indent before bold text": ("<p>\u3000\u3000<strong>加粗</strong>正文</p>", "<p><strong>加粗</strong>正文</p>"),
    "a line break kept": ("<p>第一行<br>第二行</p>", "<p>第一行<br>第二行</p>"),
    "an empty cell kept": (
        '<figure class="table"><table><tbody><tr><td>&nbsp;</td><td>数据</td></tr></tbody></table></figure>',
        None,
    ),
    "spaces inside a sentence kept": ("<p>A\u3000B&nbsp;C</p>", None),
}


@pytest.mark.parametrize("case", PASTED, ids=list(PASTED))
def test_a_paste_leaves_no_blank_paragraphs_or_indents_for_the_stylesheets_own(case):
    """Each blank paragraph was a 30-pixel gap on a phone; a pasted 　　 doubled the stylesheet's 2em indent."""
    pasted, stored = PASTED[case]
    assert sanitize_html(pasted) == (stored if stored is not None else sanitize_html(pasted))
    if stored is None:
        assert sanitize_html(pasted).replace("&nbsp;", "\xa0") == pasted.replace("&nbsp;", "\xa0")


CKEDITOR_OUTPUT = [
    "<p>11月19日，全省妇联系统改革工作现场推进会在郴州召开。</p>",
    "<h2>建强基层组织</h2><h3>三级标题</h3>",
    "<p><strong>加粗</strong>、<i>斜体</i>、<s>删除线</s></p>",
    '<p>详见<a href="https://www.fengone.com/news/1.html" rel="noopener noreferrer">凤网</a></p>',
    "<ul><li>第一条</li><li>第二条</li></ul><ol><li>一</li><li>二</li></ol>",
    "<blockquote><p>让妇联组织从“有形覆盖”走向“有效覆盖”。</p></blockquote>",
    '<figure class="table"><table><thead><tr><th>市州</th><th>新建组织</th></tr></thead>'
    "<tbody><tr><td>郴州</td><td>120</td></tr></tbody></table></figure>",
    '<figure class="image"><img src="/media/photos/2026/11/0123456789abcdef0123456789abcdef.jpg" alt="会场">'
    "<figcaption>推进会现场。</figcaption></figure>",
    "<hr>",
]


@pytest.mark.parametrize("html", CKEDITOR_OUTPUT)
def test_what_ckeditor_produces_survives_intact(html):
    assert sanitize_html(html) == html


def test_links_get_rel_noopener_and_keep_http_and_https():
    output = sanitize_html('<p><a href="http://example.com/a">甲</a><a href="https://example.com/b">乙</a></p>')
    assert output == (
        '<p><a href="http://example.com/a" rel="noopener noreferrer">甲</a>'
        '<a href="https://example.com/b" rel="noopener noreferrer">乙</a></p>'
    )


def test_unknown_classes_and_ckeditor_inline_styles_are_dropped_but_the_image_stays():
    html = (
        '<figure class="image image_resized evil" style="width:50%;">'
        '<img style="aspect-ratio:1200/800;" src="/media/photos/a.jpg" alt="会场" width="1200" height="800">'
        "</figure>"
    )
    assert sanitize_html(html) == (
        '<figure class="image"><img src="/media/photos/a.jpg" alt="会场" width="1200" height="800"></figure>'
    )


def test_clean_text_removes_control_and_bidi_characters_but_keeps_lines():
    assert clean_text("标题\x00\x0b\u202e\u2066\n第二行\t制表") == "标题\n第二行\t制表"
    assert clean_text("非字符\ufffe\uffff标题\ufdd0\U0001fffe\U0010ffff") == "非字符标题"
    assert clean_text("") == ""


# --- Rich text is sanitised when saved ------------------------------------------------------------


@pytest.mark.django_db
def test_saving_an_article_stores_the_sanitised_body(client):
    article = ArticleFactory(
        published=True,
        body=f'<p onclick="{SCRIPT}">正文</p><script>{SCRIPT}</script><img src=x onerror="{SCRIPT}">',
    )

    stored = Article.objects.get(pk=article.pk).body
    assert stored.startswith("<p>正文</p>")
    assert_harmless(stored)
    assert article.body == stored  # the instance holds what was stored
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<p>正文</p>" in html
    assert SCRIPT not in html
    assert "onerror" not in html and "onclick" not in html


@pytest.mark.django_db
def test_changing_an_article_sanitises_the_new_body():
    article = ArticleFactory(body="<p>原文</p>")
    article.body = '<p>改稿</p><iframe src="https://evil.example/"></iframe>'
    article.save()
    assert Article.objects.get(pk=article.pk).body == "<p>改稿</p>"


@pytest.mark.django_db
def test_saving_an_experience_entry_stores_the_sanitised_body(client):
    entry = ExperienceEntryFactory(
        article=ArticleFactory(published=True),
        body=f'<p>经验</p><script>{SCRIPT}</script><a href="javascript:{SCRIPT}">链接</a>',
    )

    stored = ExperienceEntry.objects.get(pk=entry.pk).body
    assert stored.startswith("<p>经验</p>")
    assert_harmless(stored)
    html = client.get(entry.article.get_absolute_url()).content.decode()
    assert "<p>经验</p>" in html
    assert SCRIPT not in html


# --- Groups ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_newsroom_groups_give_editors_publishing_and_reporters_not():
    reporters, editors, chiefs = ensure_newsroom_groups()
    assert (reporters.name, editors.name, chiefs.name) == ("记者", "编辑", "主编")
    reporter_perms = set(reporters.permissions.values_list("codename", flat=True))
    editor_perms = set(editors.permissions.values_list("codename", flat=True))
    chief_perms = set(chiefs.permissions.values_list("codename", flat=True))
    assert {"add_article", "change_article", "add_photo"} <= reporter_perms
    assert not {"publish_article", "edit_any_article", "review_article"} & reporter_perms
    assert {"publish_article", "edit_any_article", "review_article"} | reporter_perms <= editor_perms
    assert not {"override_checks", "purge_article"} & editor_perms
    assert {"override_checks", "purge_article"} | editor_perms <= chief_perms


@pytest.mark.django_db
def test_the_data_migration_created_the_groups():
    # No service call here: the groups come from migration 0006.
    assert set(Group.objects.values_list("name", flat=True)) >= {"记者", "编辑", "主编"}
    assert Group.objects.get(name="主编").permissions.filter(codename="purge_article").exists()


@pytest.mark.django_db
def test_newsroom_groups_can_be_ensured_twice():
    reporters, editors, _chiefs = ensure_newsroom_groups()
    counts = (reporters.permissions.count(), editors.permissions.count())
    reporters.permissions.clear()  # someone removed permissions by hand; ensuring again restores them

    reporters, editors, _chiefs = ensure_newsroom_groups()

    assert Group.objects.filter(name__in=[REPORTER_GROUP, EDITOR_GROUP]).count() == 2
    assert (reporters.permissions.count(), editors.permissions.count()) == counts


@pytest.mark.parametrize(
    "source",
    [
        "https://tracker.example/pixel.png",
        "http://tracker.example/pixel.png",
        "//tracker.example/pixel.png",
        "/\\tracker.example/pixel.png",
        "/static/admin/img/icon.svg",
        "/media/../admin/",
        "/media/photos/%2e%2e/%2E%2E/admin/",
        "/media/./photos/a.jpg",
    ],
)
def test_images_in_rich_text_come_from_our_media_storage_only(source):
    cleaned = sanitize_html(f'<figure class="image"><img src="{source}" alt="图"></figure>')
    assert source not in cleaned
    assert "tracker.example" not in cleaned


def test_an_image_from_another_bucket_of_the_same_endpoint_is_dropped(settings):
    """With path-style object storage the media address is https://endpoint/bucket/: ``..`` leaves the bucket."""
    settings.MEDIA_URL = "https://s3.example.com/newsroom-media/"
    ours = "https://s3.example.com/newsroom-media/photos/2026/11/a.jpg"
    for theirs in [
        "https://s3.example.com/newsroom-media/../attacker-bucket/pixel.png",
        "https://s3.example.com/newsroom-media/%2e%2e/attacker-bucket/pixel.png",
    ]:
        cleaned = sanitize_html(f'<p><img src="{ours}" alt="图"><img src="{theirs}" alt="像素"></p>')
        assert ours in cleaned and "attacker-bucket" not in cleaned


@pytest.mark.parametrize(
    "source",
    ["file:///C:/Users/li/AppData/Local/Temp/msohtmlclip1/01/clip_image002.jpg", "https://other.example/photo.jpg"],
)
def test_an_image_the_site_cannot_keep_stops_the_save_with_what_to_do(admin_client, source):
    """Pasted from Word or WPS, an image points at the reporter's own disk (or another site): the sanitiser drops its
    address, and the story was saved and published with an empty image frame. The form now says what to do and
    keeps the text."""
    from tests.test_admin import admin_url, form_data

    article = ArticleFactory(body="<p>原来的正文。</p>")
    url = admin_url(article, "change", article.pk)
    data = form_data(admin_client.get(url))
    body = (
        f'<p>新的正文。</p><figure class="image"><img src="{source}" alt="会议现场" width="277" height="185"></figure>'
    )
    data.update({"body": body, "_save": "保存"})

    response = admin_client.post(url, data)

    assert response.status_code == 200  # the form again
    html = response.content.decode()
    assert "第1张图片" in html and "上传图片" in html
    assert "新的正文。" in html  # what was typed is still there
    article.refresh_from_db()
    assert article.body == "<p>原来的正文。</p>"


def test_a_table_is_named_by_its_own_caption_not_by_a_photos_in_a_cell():
    """The first </figure> after the table's opening was taken for the table's end: a photo inside a cell named the
    table by its caption (现场照片), and the table's own (2026年各区县经费表) was ignored."""
    from articles.services import scrollable_tables

    photo = '<figure class="image"><img src="/media/photos/a.jpg" alt="会场"><figcaption>现场照片</figcaption></figure>'
    own_after = f'<figure class="table"><table><tbody><tr><td>{photo}</td></tr></tbody></table><figcaption>2026年各区县经费表</figcaption></figure>'
    own_inside = '<figure class="table"><table><caption>各市就业创业数据</caption><tbody><tr><td>1</td></tr></tbody></table></figure>'
    none = f'<figure class="table"><table><tbody><tr><td>{photo}</td></tr></tbody></table></figure>'

    html = scrollable_tables(own_after + own_inside + none)

    assert re.findall(r'<figure class="table"[^>]*aria-label="([^"]*)"', html) == [
        "2026年各区县经费表（表格，可左右滑动）",
        "各市就业创业数据（表格，可左右滑动）",
        "表格3，可左右滑动",
    ]
    assert html.count("<figcaption>现场照片</figcaption>") == 2  # the text itself is unchanged
