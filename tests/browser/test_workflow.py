"""The workflow in real browsers: a reporter files and submits, an editor schedules, a reader sees it only after."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import REPORTER_USERNAME, WORKFLOW_EDITOR_USERNAME, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

EDITOR = "#id_body + .ck-editor"
HEADLINE = "县妇联召开基层组织建设推进会"
BODY = "会议部署了下一阶段的工作。"
SCHEDULE_AHEAD_SECONDS = 8
MAX_WAIT_SECONDS = 30


def test_reporter_files_editor_schedules_reader_sees_it_after_the_time(new_page, workflow_people, newsroom_data):
    from articles.models import Article, Status

    # The reporter files the story: headline, section, body in CKEditor, a byline; then submits it.
    reporter = log_in(new_page(), REPORTER_USERNAME)
    reporter.goto("/admin/articles/article/add/")
    reporter.wait_for_selector(f"{EDITOR} .ck-editor__editable[contenteditable=true]")
    assert reporter.locator("#id_status").count() == 0  # nobody types a status
    reporter.fill("#id_headline", HEADLINE)
    reporter.select_option("#id_section", str(newsroom_data["section"].pk))
    reporter.locator(f"{EDITOR} .ck-editor__editable").click()
    reporter.keyboard.type(BODY)
    reporter.locator("#bylines-group .add-row a").click()
    reporter.locator("#bylines-0").wait_for()
    reporter.select_option("#id_bylines-0-role", str(newsroom_data["role"].pk))
    reporter.locator("#bylines-0 .field-reporter .select2-selection").click()
    reporter.locator(".select2-container--open .select2-search__field").fill("晓萌")
    reporter.locator(".select2-results__option", has_text="李晓萌").wait_for()
    reporter.keyboard.press("Enter")  # picks once the results for what was typed have come (autocomplete-enter.js)
    reporter.locator("#bylines-0 .select2-selection__rendered", has_text="李晓萌").wait_for()
    reporter.click("input[name=_continue]")
    reporter.wait_for_selector("ul.messagelist li.success")
    article = Article.objects.get(headline=HEADLINE)
    assert article.created_by == workflow_people["reporter"] and article.status == Status.DRAFT
    assert BODY in article.body

    reporter.click("#workflow-submit button")
    reporter.wait_for_selector("ul.messagelist li.success")
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert reporter.locator("#id_headline").count() == 0  # read-only to the reporter now

    # The editor opens it and schedules it a few seconds ahead, in Beijing time.
    editor = log_in(new_page(), WORKFLOW_EDITOR_USERNAME)
    editor.goto(f"/admin/articles/article/{article.pk}/change/")
    assert editor.locator("#workflow-schedule").count() == 1
    go_live = timezone.localtime(timezone.now() + timedelta(seconds=SCHEDULE_AHEAD_SECONDS)).replace(microsecond=0)
    editor.fill("#workflow-schedule-time", go_live.strftime("%Y-%m-%dT%H:%M:%S"))
    editor.click("#workflow-schedule button")
    editor.wait_for_selector("ul.messagelist li.success")
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED and article.published_at == go_live
    assert "定时发布" in editor.locator("#workflow-history").inner_text()

    # A reader: nothing before the time, the story after it (no job runs: the request decides).
    reader = new_page()
    response = reader.goto(article.get_absolute_url())
    assert timezone.now() < go_live, "the schedule was too close to test the time before"
    assert response.status == 404
    deadline = time.monotonic() + MAX_WAIT_SECONDS
    while True:
        response = reader.goto(article.get_absolute_url())
        if response.status == 200 or time.monotonic() > deadline:
            break
        reader.wait_for_timeout(500)
    assert response.status == 200
    assert timezone.now() >= go_live
    assert reader.locator("h1.headline").inner_text() == HEADLINE
    assert BODY in reader.locator(".article .body").inner_text()
