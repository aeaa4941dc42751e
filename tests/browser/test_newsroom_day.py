"""A day in the newsroom in a real browser: what reporters and editors see in the admin's story page."""

import pytest

pytestmark = [
    pytest.mark.browser,
    # The session-wide live server starts whitenoise before any settings fixture runs; no collectstatic here.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

EDITOR = "#id_body + .ck-editor"


def test_a_sub_heading_in_the_editor_looks_like_a_heading_of_the_text_not_like_the_admins_captions(
    admin_page, newsroom_data
):
    """The admin paints every h2 of its form boxes as a box caption (white on blue, small) and styles their h3: a
    小标题 typed in the body looked like one of the form's own section bars, not like a line of the story."""
    from articles.models import Article, ExperienceEntry, Organization

    article = Article.objects.create(headline="经验交流会", section=newsroom_data["section"], body="<p>会议召开。</p>")
    organization = Organization.objects.create(name="岚州市妇联", slug="lanzhou", level=Organization.Level.CITY)
    ExperienceEntry.objects.create(article=article, organization=organization, title="建强阵地", body="<p>做法。</p>")
    page = admin_page
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    page.click("#experience_entries-group summary")  # the entries are folded away at first
    text = "<p>会议召开。</p><h2>建强基层组织</h2><p>一是。</p><h3>线上服务</h3><p>二是。</p>"
    for box in ("#id_body", "#id_experience_entries-0-body"):
        page.wait_for_selector(f"{box} + .ck-editor .ck-editor__editable[contenteditable=true]")
        page.evaluate("([box, text]) => document.querySelector(box).ckeditorInstance.setData(text)", [box, text])
        content = page.locator(f"{box} + .ck-editor .ck-content")
        looks = content.evaluate(
            """content => {
                const look = element => {
                    const style = getComputedStyle(element);
                    return {background: style.backgroundColor, colour: style.color, weight: style.fontWeight,
                            size: parseFloat(style.fontSize), family: style.fontFamily};
                };
                return {p: look(content.querySelector('p')), h2: look(content.querySelector('h2')),
                        h3: look(content.querySelector('h3'))};
            }"""
        )
        paragraph = looks["p"]
        for heading in ("h2", "h3"):
            shown = looks[heading]
            assert shown["background"] == "rgba(0, 0, 0, 0)", (box, heading, shown)
            assert shown["colour"] == paragraph["colour"], (box, heading, shown)
            assert int(shown["weight"]) >= 700, (box, heading, shown)
            assert shown["size"] > paragraph["size"], (box, heading, shown)
            assert shown["family"] == paragraph["family"], (box, heading, shown)
        assert looks["h2"]["size"] > looks["h3"]["size"], box
    assert page.console_errors == []


def test_the_missing_alt_text_of_an_image_in_the_body_says_how_to_write_it(admin_page, newsroom_data):
    """ "正文第1张图片缺少替代文字。" said what was missing but not where an image put in with CKEditor keeps its
    alt text: the finding names the button of the image's own toolbar, and that button writes it."""
    from articles import services
    from articles.models import Article, Byline

    article = Article.objects.create(
        headline="经验交流会",
        section=newsroom_data["section"],
        status="in_review",
        body=services.sanitize_html(
            '<p>会议召开。</p><figure class="image"><img src="/media/photos/2026/11/a.jpg" width="10" height="10"></figure>'
        ),
    )
    Byline.objects.create(article=article, reporter=newsroom_data["reporter"], role=newsroom_data["role"])
    page = admin_page
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    finding = page.locator(".workflow-findings li").inner_text()
    assert finding.startswith("缺项：正文第1张图片缺少替代文字")

    page.wait_for_selector(f"{EDITOR} .ck-editor__editable[contenteditable=true]")
    page.locator(f"{EDITOR} .ck-editor__editable figure.image").click()
    buttons = page.locator(".ck-balloon-panel_visible .ck-toolbar button")
    names = [button.get_attribute("data-cke-tooltip-text") for button in buttons.all()]
    named = [name for name in names if name and f"“{name}”" in finding]
    assert named, (finding, names)  # the finding names the toolbar's button
    page.locator(f".ck-balloon-panel_visible .ck-toolbar button[data-cke-tooltip-text='{named[0]}']").click()
    page.locator(".ck-balloon-panel_visible input").fill("会场一角")
    page.keyboard.press("Enter")
    page.click("input[name=_continue]")
    page.wait_for_selector("ul.messagelist li.success")
    assert page.locator(".workflow-findings").count() == 0
    article.refresh_from_db()
    assert 'alt="会场一角"' in article.body


def test_an_images_toolbar_speaks_of_图说_and_替代文字_not_of_a_table(admin_page, newsroom_data):
    """CKEditor's Chinese calls an image's caption button "打开表标题" (a table's title) and its alt text "替换文本",
    where the newsroom and the photo library say 图说 and 替代文字."""
    from articles import services
    from articles.models import Article

    article = Article.objects.create(
        headline="经验交流会",
        section=newsroom_data["section"],
        body=services.sanitize_html(
            '<figure class="image"><img src="/media/photos/2026/11/a.jpg" alt="会场"></figure>'
        ),
    )
    page = admin_page
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    page.wait_for_selector(f"{EDITOR} .ck-editor__editable[contenteditable=true]")
    page.locator(f"{EDITOR} .ck-editor__editable figure.image").click()
    toolbar = page.locator(".ck-balloon-panel_visible .ck-toolbar button")
    assert [button.get_attribute("data-cke-tooltip-text") for button in toolbar.all()] == ["填写替代文字", "添加图说"]

    toolbar.nth(1).click()  # the caption goes on
    assert toolbar.nth(1).get_attribute("data-cke-tooltip-text") == "去掉图说"
    caption = page.locator(f"{EDITOR} figcaption")
    assert caption.get_attribute("data-placeholder") == "输入图说"
    toolbar.nth(0).click()
    assert page.locator(".ck-balloon-panel_visible .ck-labeled-field-view label").inner_text() == "替代文字"


def test_a_colleague_who_leaves_the_story_is_no_longer_said_to_have_it_open(
    admin_page, newsroom_data, workflow_people, new_page
):
    """The reporter closed the story and went on; for two more minutes the editor read "陈思雨 也打开了这篇稿件"
    and waited. Leaving the page says so at once; saving it (a new page of the same story) does not."""
    from articles.models import Article, EditPresence
    from tests.browser.conftest import REPORTER_USERNAME, log_in

    reporter_user = workflow_people["reporter"]
    article = Article.objects.create(
        headline="两人同时打开", section=newsroom_data["section"], body="<p>正文。</p>", created_by=reporter_user
    )
    url = f"/admin/articles/article/{article.pk}/change/"
    reporter = log_in(new_page(), REPORTER_USERNAME)
    reporter.goto(url)
    reporter.wait_for_selector(f"{EDITOR} .ck-editor__editable[contenteditable=true]")
    editor = admin_page
    editor.goto(url)
    assert "李晓萌 也打开了这篇稿件" in editor.locator("#edit-presence li").first.inner_text()

    reporter.fill("#id_headline", "两人同时打开（改）")
    reporter.click("input[name=_continue]")  # the same story again, on a new page: still open
    reporter.wait_for_selector("ul.messagelist li.success")
    reporter.wait_for_timeout(500)
    assert EditPresence.objects.filter(article=article, user=reporter_user).exists()

    reporter.goto("/admin/")  # the reporter leaves the story
    for _wait in range(50):  # the page's goodbye is a beacon: it arrives on its own time
        if not EditPresence.objects.filter(article=article, user=reporter_user).exists():
            break
        reporter.wait_for_timeout(100)
    with editor.expect_response(lambda response: response.url.endswith("/presence/")):
        editor.evaluate("window.dispatchEvent(new Event('focus'))")  # the editor's next refresh
    editor.locator("#edit-presence").wait_for(state="hidden")
    assert not EditPresence.objects.filter(article=article, user=reporter_user).exists()
    assert editor.console_errors == []


def test_entries_typed_into_a_refused_form_are_shown_not_folded_away(admin_page, newsroom_data):
    """A roundup's entries sit in a folded box. A save refused for a mistake elsewhere (a byline without its
    person) brought the page back with the box folded again: the reporter saw no trace of the entries typed."""
    from articles.models import Organization

    Organization.objects.create(name="岚州市妇女联合会", slug="lanzhou", level=Organization.Level.CITY)
    page = admin_page
    page.goto("/admin/articles/article/add/")
    page.wait_for_selector(f"{EDITOR} .ck-editor__editable[contenteditable=true]")
    page.fill("#id_headline", "经验交流")
    page.select_option("#id_section", str(newsroom_data["section"].pk))
    page.locator("#bylines-group .add-row a").click()
    page.select_option("#id_bylines-0-role", str(newsroom_data["role"].pk))  # the person is forgotten
    page.click("#experience_entries-group summary")
    page.locator("#experience_entries-group .add-row a").click()
    entry = page.locator("#experience_entries-0")
    entry.locator(".field-organization .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("岚州")
    page.locator(".select2-results__option", has_text="岚州市妇女联合会").click()
    page.fill("#id_experience_entries-0-title", "把服务送到家门口")
    entry.locator(".ck-editor__editable").click()
    page.keyboard.type("村村建起妇女之家。")

    page.click("input[name=_save]")
    page.wait_for_selector(".errornote")

    assert page.locator("#id_experience_entries-0-title").is_visible()
    assert page.locator("#id_experience_entries-0-title").input_value() == "把服务送到家门口"
    body = page.locator("#experience_entries-0 .ck-editor__editable")
    body.wait_for()
    assert body.inner_text() == "村村建起妇女之家。"


def test_a_new_byline_row_is_numbered_after_the_others_so_that_renumbering_one_moves_it(admin_page, newsroom_data):
    """Every new row said 排序 0. The editor who typed 1 into the third byline to put it first saw it printed last
    (0, 0, 1). A new row of bylines, photos or entries takes the next number; 1 then puts a row first."""
    from articles.models import Article, BylineRole, Reporter

    people = [Reporter.objects.create(name=name, slug=slug) for name, slug in [("周雅琴", "zhou"), ("唐小满", "tang")]]
    correspondent, _created = BylineRole.objects.get_or_create(name="通讯员", defaults={"order": 50})
    page = admin_page
    page.goto("/admin/articles/article/add/")
    page.wait_for_selector(f"{EDITOR} .ck-editor__editable[contenteditable=true]")
    page.fill("#id_headline", "三人署名")
    page.select_option("#id_section", str(newsroom_data["section"].pk))
    for index, person in enumerate([newsroom_data["reporter"], *people]):
        page.locator("#bylines-group .add-row a").click()
        row = page.locator(f"#bylines-{index}")
        row.wait_for()
        page.select_option(f"#id_bylines-{index}-role", str((newsroom_data["role"] if index < 2 else correspondent).pk))
        row.locator(".field-reporter .select2-selection").click()
        page.locator(".select2-container--open .select2-search__field").fill(person.name)
        page.locator(".select2-results__option", has_text=person.name).click()
    assert [page.locator(f"#id_bylines-{index}-order").input_value() for index in range(3)] == ["1", "2", "3"]
    page.click("#experience_entries-group summary")
    page.locator("#experience_entries-group .add-row a").click()
    assert page.locator("#id_experience_entries-0-order").input_value() == "1"
    page.locator("#experience_entries-0 .inline-deletelink").click()

    page.fill("#id_bylines-2-order", "0")  # the correspondent goes first
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist li.success")
    article = Article.objects.get(headline="三人署名")
    assert [byline.reporter.name for byline in article.bylines.order_by("order", "id")] == [
        "唐小满",
        "李晓萌",
        "周雅琴",
    ]
