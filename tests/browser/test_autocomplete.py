"""The admin's autocomplete boxes (Django's select2) in a real browser: what Enter picks when the results are late."""

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

REPORTER_BOX = "#id_bylines-0-reporter"


def test_enter_typed_before_the_results_come_picks_from_the_results_of_what_was_typed(admin_page, newsroom_data):
    """A reporter types a colleague's name into a byline and presses Enter at once. select2 picked the highlighted
    line of the list it still showed (the results for the empty box: the first reporter of all), and the story went
    out under the wrong name. Enter now waits for the results of the name typed."""
    from articles.models import Reporter

    wang = Reporter.objects.create(name="王明", slug="wang-ming", title="记者")
    page = admin_page
    page.goto("/admin/articles/article/add/")
    page.locator("#bylines-group .add-row a").click()
    page.locator("#bylines-0").wait_for()
    page.locator("#bylines-0 .field-reporter .select2-selection").click()
    first = page.locator(".select2-results__option--highlighted")
    first.wait_for()
    assert first.inner_text() != "王明"  # the list for the empty box starts with someone else

    held = []  # the answer for the typed name, held back as a slow server would

    def hold(route):
        if parse_qs(urlsplit(route.request.url).query).get("term") == ["王明"]:
            held.append(route)
        else:
            route.continue_()

    page.route("**/admin/autocomplete/**", hold)
    page.locator(".select2-container--open .select2-search__field").fill("王明")
    page.keyboard.press("Enter")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)

    assert len(held) == 1
    assert page.eval_on_selector(REPORTER_BOX, "box => box.value") == ""  # nothing picked from the stale list
    held[0].continue_()

    page.wait_for_function(f"() => document.querySelector('{REPORTER_BOX}').value === '{wang.pk}'")
    assert page.locator("#bylines-0 .field-reporter .select2-selection__rendered").inner_text().strip() == "王明"
    assert page.locator(".select2-container--open").count() == 0  # picked and closed, as Enter does
    assert page.console_errors == []


def test_a_chief_editor_merges_a_duplicate_reporter_by_typing_the_one_kept(admin_page, newsroom_data):
    """The merge's choice was a drop-down of every reporter (2,000 at a regional daily). It is an autocomplete box
    now: typing part of the name offers the namesakes with where they work, and the merge goes to the one picked."""
    from articles.models import Article, Byline, BylineRole, Reporter

    kept = Reporter.objects.create(name="刘敏", slug="liu-min", affiliation="白沙县妇联")
    namesake = Reporter.objects.create(name="刘敏", slug="liu-min-2", affiliation="本报")
    duplicate = Reporter.objects.create(name="刘 敏", slug="liu-min-dup")
    story = Article.objects.create(headline="巾帼志愿服务走进社区", section=newsroom_data["section"])
    Byline.objects.create(article=story, reporter=duplicate, role=BylineRole.objects.get(name="记者"))
    page = admin_page

    page.goto("/admin/articles/reporter/")
    page.locator(f"input[name=_selected_action][value='{duplicate.pk}']").check()
    page.select_option("select[name=action]", "merge_reporters")
    page.locator("button[name=index]").click()
    page.locator(".field-target, form .select2-selection, #id_target").first.wait_for()
    assert page.locator("#id_target option").count() <= 1  # no list of every reporter in the page

    page.locator("form .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("刘敏")
    offered = page.locator(".select2-results__option:not(.loading-results)")
    page.wait_for_function("() => document.querySelectorAll('.select2-results__option').length >= 2")
    labels = offered.all_inner_texts()
    assert "刘敏（白沙县妇联）" in labels and "刘敏（本报）" in labels
    offered.filter(has_text="白沙县妇联").click()
    page.locator("input[type=submit][value='合并']").click()
    page.wait_for_selector(".messagelist")

    assert list(Byline.objects.filter(article=story).values_list("reporter_id", flat=True)) == [kept.pk]
    assert not Reporter.objects.filter(pk=duplicate.pk).exists() and Reporter.objects.filter(pk=namesake.pk).exists()
    assert page.console_errors == []
