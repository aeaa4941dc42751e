"""The admin's article editor in a real browser: CKEditor 5 in Chinese, bylines, publishing, image upload."""

import re

import pytest

pytestmark = [
    pytest.mark.browser,
    # The session-wide live server starts whitenoise before any settings fixture runs; no collectstatic here.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

# CKEditor puts its interface right after the textarea it replaces; inline entries have body fields too.
EDITOR = "#id_body + .ck-editor"
HEADLINE = "全省妇联系统经验交流会在长沙召开"
BODY_START = "会议指出，要把 Newsroom 工作做实。"
BODY_BOLD = "重点强调 bold part"
BODY_END = "，会议结束。"
PHOTO_HEADLINE = "会场图片上传测试"


def open_add_article(page):
    """Open "add article" and wait until CKEditor has replaced the body textarea."""
    page.goto("/admin/articles/article/add/")
    page.wait_for_selector(f"{EDITOR} .ck-editor__editable[contenteditable=true]")
    return page


def fill_story(page, section, headline=HEADLINE):
    page.fill("#id_headline", headline)
    page.select_option("#id_section", str(section.pk))


def publish_now(page, article):
    """Status and time are not typed in the form: the saved draft is submitted, then published, with the
    workflow buttons of its change page."""
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    page.click("#workflow-submit button")
    page.wait_for_selector("ul.messagelist li.success")
    page.click("#workflow-publish button")
    page.wait_for_selector("ul.messagelist li.success")
    errors = page.locator("ul.messagelist li.error").all_inner_texts()
    assert not errors, errors
    article.refresh_from_db()


def save_and_get_article(page, headline=HEADLINE):
    from articles.models import Article

    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist li.success, .errornote")
    errors = page.locator(".errorlist li").all_inner_texts()
    assert not page.locator(".errornote").count(), f"the admin refused the form: {errors}"
    return Article.objects.get(headline=headline)


def test_editor_writes_a_published_article_with_bylines(admin_page, newsroom_data):
    page = admin_page
    open_add_article(page)

    # The admin is in Chinese: field labels come from locale/zh_Hans.
    assert page.locator("label[for=id_kicker]").inner_text().startswith("引题")
    assert page.locator("label[for=id_headline]").inner_text().startswith("标题")

    # CKEditor 5: recent enough, with a Chinese toolbar, started without console errors.
    version = page.evaluate("window.CKEDITOR_VERSION")
    assert tuple(int(part) for part in version.split(".")[:3]) >= (48, 5, 1), version
    bold = page.locator(f"{EDITOR} .ck-toolbar").get_by_role("button", name="加粗")
    assert bold.count() == 1
    assert page.locator(f"{EDITOR} .ck-toolbar").get_by_role("button", name="从电脑上传图片").count() == 1
    assert page.console_errors == []

    fill_story(page, newsroom_data["section"])
    editable = page.locator(f"{EDITOR} .ck-editor__editable")
    editable.click()
    page.keyboard.type(BODY_START)
    bold.click()
    page.keyboard.type(BODY_BOLD)
    bold.click()
    page.keyboard.type(BODY_END)
    assert editable.locator("strong").inner_text() == BODY_BOLD

    # A byline: role from the select, reporter from the select2 autocomplete.
    page.locator("#bylines-group .add-row a").click()
    row = page.locator("#bylines-0")
    row.wait_for()
    page.select_option("#id_bylines-0-role", str(newsroom_data["role"].pk))
    row.locator(".field-reporter .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("晓萌")
    page.locator(".select2-results__option", has_text="李晓萌").wait_for()
    page.keyboard.press("Enter")  # picks once the results for what was typed have come (autocomplete-enter.js)
    page.locator("#bylines-0 .select2-selection__rendered", has_text="李晓萌").wait_for()
    assert page.locator("#id_bylines-0-reporter").input_value() == str(newsroom_data["reporter"].pk)

    article = save_and_get_article(page)
    publish_now(page, article)
    assert article.is_published()
    assert [(b.role.name, b.reporter.name) for b in article.bylines.all()] == [("首席记者", "李晓萌")]

    page.goto(article.get_absolute_url())
    assert page.locator("h1.headline").inner_text() == HEADLINE
    body = page.locator(".article .body")
    assert body.locator("strong").inner_text() == BODY_BOLD
    text = body.inner_text()
    assert BODY_START in text and BODY_END in text
    assert re.sub(r"\s+", " ", page.locator(".article .byline").inner_text()).endswith("首席记者 李晓萌")
    assert page.console_errors == []


def test_editor_uploads_an_image_into_the_body(admin_page, newsroom_data, settings, tmp_path):
    from PIL import Image

    from articles.models import Photo

    png = tmp_path / "会场照片.png"
    Image.new("RGB", (64, 48), (200, 30, 40)).save(png)

    page = admin_page
    open_add_article(page)
    fill_story(page, newsroom_data["section"], headline=PHOTO_HEADLINE)
    page.locator(f"{EDITOR} .ck-editor__editable").click()
    page.keyboard.type("现场图片如下。")

    page.set_input_files(f"{EDITOR} .ck-toolbar .ck-file-dialog-button input[type=file]", str(png))
    image = page.locator(f"{EDITOR} .ck-editor__editable img[src*='/media/photos/']")
    image.wait_for()  # before the upload finishes the image shows as a blob: URL
    src = image.get_attribute("src")
    assert re.search(r"/media/photos/\d{4}/\d{2}/[0-9a-f]{32}\.png$", src), src
    photo = Photo.objects.get()
    assert photo.image.url == src and (photo.width, photo.height) == (64, 48)
    assert photo.uploaded_by == newsroom_data["user"]
    assert photo.original_filename == "会场照片.png"
    assert (settings.MEDIA_ROOT / photo.image.name).is_file()

    article = save_and_get_article(page, headline=PHOTO_HEADLINE)
    assert f'src="{src}"' in article.body

    page.goto(article.get_absolute_url())  # a preview: the editor sees the draft at its public address
    # On the page the image is a <picture> of the photo's renditions, with its width and height.
    shown = page.locator(".article .body figure picture img")
    assert shown.count() == 1
    assert "/media/renditions/" in shown.get_attribute("src") and "64w" in shown.get_attribute("srcset")
    assert (shown.get_attribute("width"), shown.get_attribute("height")) == ("64", "48")
    assert shown.evaluate("img => img.complete && img.naturalWidth > 0")  # the rendition loaded
    assert page.console_errors == []


def test_an_iphone_photo_chosen_in_the_editor_is_refused_saying_what_to_do(admin_page, newsroom_data):
    """CKEditor ignored a file outside its own list of kinds without a word: an iPhone's HEIC photo went nowhere.
    Now every picture goes to the server, and the editor shows its answer."""
    from articles.models import Photo
    from tests.test_photos import HEIC, heic_header, message

    heic = {"name": "IMG_0001.HEIC", "mimeType": "image/heic", "buffer": heic_header()}
    page = admin_page
    open_add_article(page)
    said = []
    page.on("dialog", lambda dialog: (said.append(dialog.message), dialog.dismiss()))

    with page.expect_response(lambda response: "/editor/images/" in response.url) as answer:
        page.set_input_files(f"{EDITOR} .ck-toolbar .ck-file-dialog-button input[type=file]", files=[heic])
    assert answer.value.status == 400
    page.wait_for_function("() => !document.querySelector('.ck-editor__editable img')")  # the placeholder is gone
    page.wait_for_timeout(200)

    assert said == [message(HEIC)]
    assert not Photo.objects.exists()


@pytest.mark.parametrize("width", [375, 390, 412])
def test_on_a_phone_the_photo_button_is_on_the_toolbar_itself(admin_page, width):
    """It was in the toolbar's "more" menu, under the tooltip of the menu's first item, which took the tap: a
    reporter on an Android phone could not put a photo into the body."""
    page = admin_page
    page.set_viewport_size({"width": width, "height": 900})
    open_add_article(page)

    toolbar = page.locator(f"{EDITOR} .ck-toolbar")
    photo = toolbar.get_by_role("button", name="从电脑上传图片")
    assert photo.is_visible()
    # Not among the items grouped away in the "more" menu.
    assert toolbar.locator(".ck-toolbar__grouped-dropdown").get_by_role("button", name="从电脑上传图片").count() == 0


def test_a_photo_of_a_type_the_browser_cannot_name_is_not_dropped_without_a_word(admin_page):
    """A phone's file picker named an iPhone's HEIC photo application/octet-stream: CKEditor took only image/… and
    the photo went nowhere, silently."""
    from tests.test_photos import heic_header

    page = admin_page
    open_add_article(page)
    said = []
    page.on("dialog", lambda dialog: (said.append(dialog.message), dialog.dismiss()))
    heic = {"name": "IMG_0789.HEIC", "mimeType": "application/octet-stream", "buffer": heic_header()}

    page.set_input_files(f"{EDITOR} .ck-toolbar .ck-file-dialog-button input[type=file]", files=[heic])
    page.wait_for_timeout(300)

    assert said == [
        "无法识别IMG_0789.HEIC的图片格式，没有上传：请选择 JPEG、PNG 或 WebP 格式的照片（iPhone 的 HEIC 照片请先在手机上转换成 JPEG）。"
    ]


def test_an_upload_that_gets_no_answer_of_ours_is_explained_in_chinese(admin_page):
    """The login ended or the network dropped: CKEditor said "Couldn't upload file: 会场.jpg." in English."""
    page = admin_page
    open_add_article(page)
    page.route("**/editor/images/**", lambda route: route.fulfill(status=403, body="<h1>Forbidden</h1>"))
    said = []
    page.on("dialog", lambda dialog: (said.append(dialog.message), dialog.dismiss()))
    jpeg = {"name": "会场.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0 not really"}

    page.set_input_files(f"{EDITOR} .ck-toolbar .ck-file-dialog-button input[type=file]", files=[jpeg])
    page.wait_for_function("() => !document.querySelector('.ck-editor__editable img')")
    page.wait_for_timeout(200)

    assert said == ["图片“会场.jpg”没有上传成功：可能是网络中断，或登录已过期（请在新标签页中重新登录后再试）。"]


def test_saving_a_scheduled_story_unchanged_keeps_its_schedule(admin_page, newsroom_data):
    """The editor opens a scheduled story and saves it without touching it: CKEditor gives the body back without
    the line breaks stored between its blocks (as the manuscript import and the demo content write them), which is
    no change to the text, so the story stays scheduled."""
    from datetime import timedelta

    from django.utils import timezone

    from articles import services
    from articles.models import Article, Byline
    from articles.querysets import Status

    page = admin_page
    body = services.sanitize_html(
        "<p>第一段，会议在长沙召开。</p>\n<h3>小标题</h3>\n<p>第二段，<strong>重点</strong>与"
        '<a href="https://example.com/report">报告全文</a>。</p>\n<ul>\n<li>一是抓落实</li>\n<li>二是重实效</li>\n</ul>'
    )
    going_out = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    story = Article.objects.create(
        headline="定时稿件原样保存",
        summary="摘要。",
        body=body,
        section=newsroom_data["section"],
        status=Status.PUBLISHED,
        published_at=going_out,
        review_level=1,
        created_by=newsroom_data["user"],
    )
    Byline.objects.create(article=story, reporter=newsroom_data["reporter"], role=newsroom_data["role"], order=0)

    page.goto(f"/admin/articles/article/{story.pk}/change/")
    page.wait_for_selector(f"{EDITOR} .ck-editor__editable[contenteditable=true]")
    page.click("input[name=_continue]")
    page.wait_for_selector("ul.messagelist li.success")

    warnings = page.locator("ul.messagelist li.warning").all_inner_texts()
    assert warnings == []
    story.refresh_from_db()
    assert (story.status, story.published_at) == (Status.PUBLISHED, going_out)


@pytest.mark.parametrize("typed_in", ["headline", "body", "calendar shortcut"])
def test_a_workflow_step_is_refused_while_the_form_has_unsaved_changes(admin_page, newsroom_data, typed_in):
    """The steps act on the story as saved: a submit clicked after typing would drop the typing (and the story is
    then read-only to its reporter). The page says to save first; once saved, the step goes through with the text."""
    from articles import services
    from articles.models import Article, Byline
    from articles.querysets import Status

    page = admin_page
    story = Article.objects.create(
        headline="未保存的修改",
        summary="摘要。",
        body=services.sanitize_html("<p>原来的正文。</p>"),
        section=newsroom_data["section"],
        created_by=newsroom_data["user"],
    )
    Byline.objects.create(article=story, reporter=newsroom_data["reporter"], role=newsroom_data["role"], order=0)
    page.goto(f"/admin/articles/article/{story.pk}/change/")
    editable = page.locator(f"{EDITOR} .ck-editor__editable[contenteditable=true]")
    editable.wait_for()

    if typed_in == "headline":
        page.fill("#id_headline", "未保存的修改（改）")
    elif typed_in == "body":
        editable.click()
        page.keyboard.press("End")
        page.keyboard.type("补充一句。")
    else:  # the admin's "today" link next to a date: it sets the field without an input event
        page.locator("#id_dateline_on ~ .datetimeshortcuts a").first.click()
        assert page.input_value("#id_dateline_on")
    page.click("#workflow-submit button")

    alert = page.locator("#workflow .workflow-unsaved [role=alert], #workflow .workflow-unsaved li")
    alert.first.wait_for()
    assert "未保存" in alert.first.inner_text()
    story.refresh_from_db()
    assert story.status == Status.DRAFT

    page.click("input[name=_continue]")
    page.wait_for_selector("ul.messagelist li.success")
    page.click("#workflow-submit button")
    page.wait_for_selector("ul.messagelist li.success")
    story.refresh_from_db()
    assert story.status == Status.IN_REVIEW
    if typed_in == "headline":
        assert story.headline == "未保存的修改（改）"
    elif typed_in == "body":
        assert "补充一句。" in story.body
    else:
        assert story.dateline_on is not None


def test_a_bulleted_list_in_the_editor_shows_its_bullets(admin_page):
    """The admin's form rows style every list in them (indented 160px, no bullets): the body's own lists must look
    like lists, or a reporter cannot tell a bulleted list from plain lines."""
    page = open_add_article(admin_page)
    page.evaluate("document.querySelector('#id_body').ckeditorInstance.setData('<ul><li>一是</li><li>二是</li></ul>')")
    item = page.locator(f"{EDITOR} .ck-content ul > li").first
    item.wait_for()

    style = item.evaluate(
        "li => ({bullet: getComputedStyle(li).listStyleType, indent: getComputedStyle(li.parentElement).marginLeft})"
    )

    assert style == {"bullet": "disc", "indent": "0px"}


def test_typing_survives_the_end_of_the_login_and_a_new_login_in_another_tab(admin_page, newsroom_data):
    """The login ends while a story is open (eight idle hours, a logout elsewhere). The page says so as soon as it
    is back in view; the editor logs in again in another tab and saves here: nothing typed is lost, although the
    new login changed the form's security token."""
    from django.contrib.sessions.models import Session

    from articles import services
    from articles.models import Article
    from tests.browser.conftest import EDITOR_PASSWORD, EDITOR_USERNAME

    page = admin_page
    story = Article.objects.create(
        headline="登录过期前的标题",
        body=services.sanitize_html("<p>正文。</p>"),
        section=newsroom_data["section"],
        created_by=newsroom_data["user"],
    )
    page.goto(f"/admin/articles/article/{story.pk}/change/")
    page.wait_for_selector(f"{EDITOR} .ck-editor__editable[contenteditable=true]")
    page.fill("#id_headline", "登录过期后保存的标题")

    Session.objects.all().delete()  # the login ends
    page.evaluate("window.dispatchEvent(new Event('focus'))")  # the editor comes back to the tab
    notice = page.locator("#edit-presence li.error")
    notice.wait_for()
    assert "登录已过期" in notice.inner_text()
    assert page.locator("#edit-presence").get_attribute("role") == "alert"

    other = page.context.new_page()
    other.goto("/admin/login/?next=/admin/")
    other.fill("#id_username", EDITOR_USERNAME)
    other.fill("#id_password", EDITOR_PASSWORD)
    other.click("input[type=submit]")
    other.wait_for_selector("#user-tools")

    page.click("input[name=_continue]")
    page.wait_for_selector("ul.messagelist li.success")
    story.refresh_from_db()
    assert story.headline == "登录过期后保存的标题"


def test_each_rich_text_editor_is_named_by_its_field(admin_page, newsroom_data):
    """A screen reader entering an editor hears its field ("正文"), not CKEditor's "编辑区域：main" for all of them."""
    from articles.models import Article, ExperienceEntry, Organization

    article = Article.objects.create(headline="经验交流会", section=newsroom_data["section"], body="<p>会议召开。</p>")
    for name in ("桐溪市妇联", "白沙县妇联"):
        organization = Organization.objects.create(name=name, slug=f"org-{len(name)}-{name[:2]}", level="city")
        ExperienceEntry.objects.create(
            article=article, organization=organization, title="建强基层组织", body="<p>做法。</p>"
        )
    page = admin_page
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    editors = page.locator(".ck-editor__editable[contenteditable=true]")
    editors.nth(2).wait_for(state="attached")  # the body's and both entries' (in folded rows)

    # CKEditor adds where its keyboard help is: "正文. 按 Alt+0 获取帮助。"
    labels = [editors.nth(number).get_attribute("aria-label").split(". ")[0] for number in range(editors.count())]

    assert labels == ["正文", "桐溪市妇联：建强基层组织：正文", "白沙县妇联：建强基层组织：正文"]


def test_a_colleague_opening_the_story_is_announced_once_not_at_every_refresh(
    admin_page, newsroom_data, workflow_people, new_page
):
    """The notice's times change at each 30-second refresh; a screen reader must not read it out each time."""
    from articles.models import Article
    from tests.browser.conftest import WORKFLOW_EDITOR_USERNAME, log_in

    article = Article.objects.create(headline="两人同时打开", section=newsroom_data["section"], body="<p>正文。</p>")
    url = f"/admin/articles/article/{article.pk}/change/"
    page = admin_page
    page.goto(url)
    region = page.locator("#edit-presence-announcement")
    assert region.get_attribute("role") == "status" and page.locator("#edit-presence").get_attribute("role") is None

    colleague = log_in(new_page(), WORKFLOW_EDITOR_USERNAME)
    colleague.goto(url)
    page.evaluate("window.dispatchEvent(new Event('focus'))")  # a refresh, as every 30 seconds
    page.locator("#edit-presence li").first.wait_for()
    announced = region.inner_text()
    assert "也打开了" in announced

    page.evaluate("document.getElementById('edit-presence-announcement').textContent = ''")
    for _refresh in range(2):
        with page.expect_response(lambda response: response.url.endswith("/presence/")):
            page.evaluate("window.dispatchEvent(new Event('focus'))")
    assert region.inner_text() == ""  # the same colleague: nothing read out again
    assert "也打开了" in page.locator("#edit-presence li").first.inner_text()  # still shown

    # The colleague closes the story (their last sign of life is now past the presence window): said once too.
    from datetime import timedelta

    from django.utils import timezone

    from articles.models import EditPresence

    colleague.close()
    EditPresence.objects.update(last_seen_at=timezone.now() - timedelta(hours=1))  # ours is renewed at the beat
    with page.expect_response(lambda response: response.url.endswith("/presence/")):
        page.evaluate("window.dispatchEvent(new Event('focus'))")
    page.locator("#edit-presence").wait_for(state="hidden")
    assert region.inner_text() == "现在没有其他人打开这篇稿件。"


# What WPS puts on the clipboard (it names itself Word, and marks ordinary runs of text mso-spacerun), and Word's
# own spacerun: a span of spaces between words.
WPS_PASTE = (
    '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word">'
    '<head><meta name=Generator content="Microsoft Word 14"></head><body>'
    "<p class=MsoNormal><span style=\"mso-spacerun:'yes';font-family:仿宋_GB2312\">本报讯 全市妇联系统深入开展调研。"
    "</span><span style=\"mso-spacerun:'yes'\"><o:p></o:p></span></p>"
    "<p class=MsoNormal><span style='mso-spacerun:yes'>   </span><span>第二段，</span>"
    "<span style=\"mso-spacerun:'yes';font-family:仿宋_GB2312\">调研覆盖十四个县市区。</span></p>"
    "</body></html>"
)


def paste_html(page, html, text):
    """A real paste event into the body editor, with the clipboard's HTML and plain text."""
    page.evaluate(
        """([html, text]) => {
            const editable = document.querySelector('#id_body + .ck-editor .ck-editor__editable');
            editable.focus();
            const data = new DataTransfer();
            data.setData('text/html', html);
            data.setData('text/plain', text);
            editable.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        [html, text],
    )


def test_a_paste_from_wps_keeps_its_words(admin_page):
    """CKEditor's Word clean-up turns a span marked mso-spacerun into as many spaces as it has characters, and WPS
    marks ordinary text so: a reporter's paste from WPS became blank space (ckeditor/ckeditor5#11738)."""
    page = open_add_article(admin_page)

    paste_html(page, WPS_PASTE, "本报讯 全市妇联系统深入开展调研。\n第二段，调研覆盖十四个县市区。")

    body = page.evaluate("document.querySelector('#id_body').ckeditorInstance.getData()")
    assert "本报讯 全市妇联系统深入开展调研。" in body
    assert "第二段，调研覆盖十四个县市区。" in body
    assert "mso" not in body and "仿宋" not in body


def test_a_pasted_heading_of_another_level_stays_a_heading(admin_page):
    """Word's 标题 1 and 标题 4 came out as plain paragraphs: the subheads of a pasted story were lost."""
    page = open_add_article(admin_page)

    paste_html(page, "<h1>一、基本情况</h1><p>正文。</p><h4>（一）组织建设</h4><p>正文。</p>", "一、基本情况")

    body = page.evaluate("document.querySelector('#id_body').ckeditorInstance.getData()")
    assert "<h2>一、基本情况</h2>" in body and "<h3>（一）组织建设</h3>" in body


def test_on_a_phone_the_story_list_keeps_room_for_the_headlines(admin_page, newsroom_data):
    """Each headline stood as a column of single characters, four stories taking several screens."""
    from tests.factories import ArticleFactory

    for number in range(4):
        ArticleFactory(headline=f"全省妇联系统深化改革推进会在桐溪召开第{number}场", section=newsroom_data["section"])
    page = admin_page
    page.set_viewport_size({"width": 412, "height": 900})
    page.goto("/admin/articles/article/")

    cell = page.locator("#result_list th.field-headline").first
    font = float(cell.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert cell.bounding_box()["width"] >= 8 * font  # room for several characters on a line


@pytest.mark.parametrize("answer", ["dismiss", "accept"])
def test_restoring_a_version_asks_first(admin_page, newsroom_data, answer):
    """One tap restored an older version of a scheduled story: the button sits by the comparison's radio buttons."""
    from articles.models import Article
    from tests.test_history import save_version

    story = Article.objects.create(headline="第一版标题", section=newsroom_data["section"])
    save_version(story, comment="first")
    story.headline = "第二版标题"
    save_version(story, comment="second")
    page = admin_page
    page.goto(f"/admin/articles/article/{story.pk}/history/")
    asked = []

    def reply(dialog):
        asked.append(dialog.message)
        getattr(dialog, answer)()

    page.on("dialog", reply)
    page.get_by_role("button", name="恢复此版本").first.click()
    page.wait_for_timeout(500)

    assert len(asked) == 1 and asked[0].startswith("恢复") and "的版本？稿件的文字、署名、图片和经验交流" in asked[0]
    story.refresh_from_db()
    assert story.headline == ("第一版标题" if answer == "accept" else "第二版标题")
