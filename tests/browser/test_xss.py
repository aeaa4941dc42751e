"""Stored XSS: the hostile corpus of tests/test_services.py in every rich-text and plain-text field, rendered on the
public pages and in the admin's change forms (with CKEditor loading it), in a real browser. No script may run.

The browser ignores the Content-Security-Policy here (``bypass_csp``): this tests our escaping and sanitising on
their own; the policy is a second line of defence, tested in test_csp.py.
"""

import pytest
from django.db import models
from django.utils import timezone

from tests.browser.conftest import EDITOR_PASSWORD, EDITOR_USERNAME, close_quietly
from tests.test_services import HOSTILE_HTML, SCRIPT

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

MARK = "window.__xss=1"
# Every payload of the corpus, marking the page instead of showing a dialog (dialogs are caught as well).
CORPUS = [html.replace(SCRIPT, MARK) for html in HOSTILE_HTML]
# For plain-text fields: markup that would run if a template forgot to escape, shortest first for short fields.
PLAIN_PAYLOADS = [
    f"<svg onload={MARK}>",
    f'"><img src=x onerror="{MARK}">',
    f"</title><script>{MARK}</script>",
    f'\'"><script>{MARK}</script><img src=x onerror={MARK}><a href="javascript:{MARK}">链接</a>',
]


def hostile_value(field):
    """The longest plain payload that fits ``field``, with Chinese text around it."""
    limit = field.max_length or 10_000
    for payload in reversed(PLAIN_PAYLOADS):
        if len(payload) + 2 <= limit:
            return f"标题{payload}"
    return "标题"


def fill_text_fields(obj, skip=()):
    for field in obj._meta.concrete_fields:
        if (
            isinstance(field, models.CharField | models.TextField)
            and not isinstance(field, models.SlugField)
            and not field.choices
            and field.editable
            and field.name not in skip
        ):
            setattr(obj, field.name, hostile_value(field))


@pytest.fixture
def hostile_story(newsroom_data):
    from articles.models import Article, Byline, Correction, ExperienceEntry, Organization, Status

    section, reporter = newsroom_data["section"], newsroom_data["reporter"]
    fill_text_fields(section)
    section.save()
    fill_text_fields(reporter)
    reporter.save()
    organization = Organization.objects.create(name="省妇联", slug="shengfulian", level=Organization.Level.PROVINCE)
    fill_text_fields(organization)
    organization.save()
    article = Article(
        section=section, status=Status.PUBLISHED, published_at=timezone.now() - timezone.timedelta(hours=1)
    )
    fill_text_fields(article, skip={"body", "manuscript_hash", "print_page_number", "print_page_name"})
    article.body = "".join(CORPUS)
    article.save()
    Byline.objects.create(article=article, reporter=reporter, role=newsroom_data["role"])
    entry = ExperienceEntry(article=article, organization=organization)
    fill_text_fields(entry, skip={"body"})
    entry.body = "".join(CORPUS)
    entry.save()
    correction = Correction(article=article)
    fill_text_fields(correction)
    correction.save()
    return {"article": article, "reporter": reporter, "section": section, "organization": organization}


@pytest.fixture
def xss_page(browser, browser_settings, live_server):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.dialogs = []

    def dismiss(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    yield page
    close_quietly(context)


def assert_no_script_ran(page, where):
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)  # onerror handlers of broken images fire after load
    # Hover and focus everything once: handlers such as onmouseover must stay inert too.
    page.evaluate(
        "document.querySelectorAll('a, p, div, h2, strong, td').forEach(e => e.dispatchEvent(new Event('mouseover')))"
    )
    assert page.evaluate("window.__xss") is None, f"a script ran on {where}"
    assert not page.dialogs, f"a dialog opened on {where}: {page.dialogs}"


def test_no_stored_script_runs_on_public_pages(xss_page, hostile_story):
    page = xss_page
    for url in [
        hostile_story["article"].get_absolute_url(),
        hostile_story["reporter"].get_absolute_url(),
        hostile_story["section"].get_absolute_url(),
        hostile_story["organization"].get_absolute_url(),
        "/",
        "/news/",
        "/experience/",
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        assert_no_script_ran(page, url)
    # The story is on its page, as text.
    page.goto(hostile_story["article"].get_absolute_url())
    assert "<svg onload=" in page.locator("h1").inner_text() or "标题" in page.locator("h1").inner_text()


def test_no_stored_script_runs_in_the_admin(xss_page, hostile_story):
    page = xss_page
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", EDITOR_USERNAME)
    page.fill("#id_password", EDITOR_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    article = hostile_story["article"]
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    page.wait_for_selector("#id_body + .ck-editor .ck-editor__editable_inline[contenteditable=true]")
    assert_no_script_ran(page, "the article change form")
    for url in [
        "/admin/articles/article/",
        f"/admin/articles/reporter/{hostile_story['reporter'].pk}/change/",
        f"/admin/articles/section/{hostile_story['section'].pk}/change/",
        f"/admin/articles/organization/{hostile_story['organization'].pk}/change/",
        f"/admin/articles/article/{article.pk}/history/",
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        assert_no_script_ran(page, url)
