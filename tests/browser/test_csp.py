"""The Content-Security-Policy in a real browser: the public pages and the admin with CKEditor 5 work under it,
with no violation reported (console or ``securitypolicyviolation`` events)."""

import pytest
from django.utils import timezone

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

# Runs before any page script (Playwright's init scripts are not subject to the page's CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " +
    (event.sourceFile || "") + ":" + event.lineNumber);
});
"""


def watch(page):
    page.context.add_init_script(RECORD_VIOLATIONS)
    page.csp_messages = []
    page.on(
        "console",
        lambda message: (
            page.csp_messages.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
            else None
        ),
    )
    return page


def assert_no_violation(page, where):
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__cspViolations || []")
    assert not violations, f"{where}: {violations}"
    assert not page.csp_messages, f"{where}: {page.csp_messages}"
    assert not page.console_errors, f"{where}: {page.console_errors}"


@pytest.fixture
def story(newsroom_data):
    from articles.models import Article, Byline, Status

    article = Article.objects.create(
        headline="妇联系统经验交流会召开",
        subtitle="副题",
        summary="摘要",
        section=newsroom_data["section"],
        body="<p>正文<strong>加粗</strong></p><table><tbody><tr><td>表格</td></tr></tbody></table>",
        status=Status.PUBLISHED,
        published_at=timezone.now() - timezone.timedelta(hours=1),
    )
    Byline.objects.create(article=article, reporter=newsroom_data["reporter"], role=newsroom_data["role"])
    return article


def test_public_pages_run_under_the_policy(page, story, newsroom_data):
    watch(page)
    for url in [
        "/",
        "/news/",
        story.get_absolute_url(),
        newsroom_data["section"].get_absolute_url(),
        newsroom_data["reporter"].get_absolute_url(),
        "/topics/",
        "/experience/",
        "/archive/",
    ]:
        response = page.goto(url)
        assert "Content-Security-Policy" in {name.title(): 0 for name in response.headers}, url
        assert_no_violation(page, url)
    page.goto("/no-such-page/")  # the 404 page itself (its status is logged as a console error, not a violation)
    assert not page.evaluate("window.__cspViolations"), page.evaluate("window.__cspViolations")
    assert not page.csp_messages, page.csp_messages
    # The article's JSON-LD is in the page (with the nonce) and reading mode's script ran.
    page.goto(story.get_absolute_url())
    assert page.locator("script[type='application/ld+json'][nonce]").count() == 1


def test_the_admin_and_ckeditor_run_under_the_policy(admin_page, story):
    page = watch(admin_page)
    page.goto(f"/admin/articles/article/{story.pk}/change/")
    editable = page.locator("#id_body + .ck-editor .ck-editor__editable_inline[contenteditable=true]")
    editable.wait_for()
    editable.locator("p").first.click()
    page.keyboard.type("在策略之下输入文字。")
    # Open a dropdown and a balloon: both are styled at run time by CKEditor.
    page.locator("#id_body + .ck-editor .ck-heading-dropdown button").first.click()
    page.keyboard.press("Escape")
    assert "在策略之下输入文字" in page.locator("#id_body + .ck-editor").inner_text()
    assert_no_violation(page, "article change form")
    for url in ["/admin/", "/admin/articles/article/", "/admin/articles/article/add/", "/admin/articles/reporter/"]:
        page.goto(url)
        assert_no_violation(page, url)
