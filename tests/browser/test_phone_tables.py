"""A table of figures in a story (CKEditor's 插入表格) read on a phone: the table scrolls sideways by itself, within
the column, while the page keeps the phone's width; its cells stay readable; a keyboard user can scroll it too."""

import pytest
from django.urls import reverse

from tests.browser.test_accessibility import axe_violations, public_site  # noqa: F401 - public_site is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

YEARS = range(2018, 2027)
TABLE = (
    '<p>近年全省妇联组织建设情况如下表。</p><figure class="table"><table><thead><tr><th>项目</th>'
    + "".join(f"<th>{year}年</th>" for year in YEARS)
    + "</tr></thead><tbody>"
    + "".join(
        f"<tr><td>{name}</td>" + "".join(f"<td>{1_234_567 + i * 1000:,}</td>" for i, _ in enumerate(YEARS)) + "</tr>"
        for name in ("桐溪市白沙县执委人数", "新增妇女微家")
    )
    + "</tbody></table></figure><p>数据由省妇联提供。</p>"
)


@pytest.fixture
def story_with_a_table(public_site):  # noqa: F811
    article = public_site["article"]
    article.body = TABLE
    article.save()
    return article


def test_on_a_phone_a_wide_table_scrolls_by_itself_and_the_page_keeps_its_width(page, story_with_a_table):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(story_with_a_table.get_absolute_url())
    table = page.locator(".body figure.table")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert table.evaluate("e => e.scrollWidth > e.clientWidth")  # wider than the phone: it scrolls, inside
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    # Cells are not squeezed to a character a line: the name column holds at least four characters side by side.
    name = page.locator(".body td", has_text="桐溪市白沙县执委人数")
    assert name.evaluate("e => e.getBoundingClientRect().width >= 4 * parseFloat(getComputedStyle(e).fontSize)")


NARROW_TABLE = (
    '<figure class="table"><table><thead><tr>'
    + "".join(f"<th>{name}</th>" for name in ("单位名称", "执委人数", "新增组织", "联系户数", "活动场次"))
    + "</tr></thead><tbody><tr>"
    + "".join(f"<td>{value}</td>" for value in ("桐溪市白沙县妇联", "1,234", "56", "7,890", "123"))
    + "</tr></tbody></table></figure>"
)


def test_on_a_phone_a_table_of_few_columns_keeps_four_characters_a_line(page, story_with_a_table):
    """Five short columns fit a phone's width if squeezed: each four-character header was cut into lines of two or
    three characters. They keep their line; the table scrolls instead."""
    story_with_a_table.body = NARROW_TABLE
    story_with_a_table.save()
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(story_with_a_table.get_absolute_url())

    heights = page.locator(".body th").evaluate_all(
        "cells => cells.map(e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight))"
    )
    assert heights and all(height < 2 for height in heights), heights  # one line each (with the padding)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_keyboard_user_can_scroll_a_wide_table_and_axe_finds_nothing(page, story_with_a_table):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(story_with_a_table.get_absolute_url())
    table = page.locator(".body figure.table")

    table.focus()
    assert table.evaluate("e => e === document.activeElement")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.body figure.table').scrollLeft > 0")
    assert table.get_attribute("aria-label")  # a named region: screen readers say what scrolls
    assert axe_violations(page) == []


def test_the_home_page_and_a_story_without_a_table_are_unchanged(page, public_site):  # noqa: F811
    page.set_viewport_size({"width": 375, "height": 740})
    for url in (reverse("articles:home"), public_site["article"].get_absolute_url()):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, url


def test_a_printed_table_is_not_cut_at_its_scroll_edge(page, story_with_a_table):
    page.goto(story_with_a_table.get_absolute_url())
    table = page.locator(".body figure.table")
    assert table.evaluate("e => getComputedStyle(e).overflowX") == "auto"  # on screen

    page.emulate_media(media="print")

    assert table.evaluate("e => getComputedStyle(e).overflowX") == "visible"


def test_tables_are_named_by_their_caption_or_number_and_only_a_table_that_scrolls_takes_the_focus(
    page, story_with_a_table
):
    """Every table was a focusable region named "表格，可左右滑动": two of them were two regions of one name (axe's
    landmark-unique), a table that fits the screen was a Tab stop announced as scrolling, and a caption went unused."""
    captioned = TABLE.replace("<table>", "<table><caption>各市就业创业数据</caption>", 1)
    story_with_a_table.body = captioned + NARROW_TABLE + TABLE
    story_with_a_table.save()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(story_with_a_table.get_absolute_url())
    tables = page.locator(".body figure.table")

    names = [tables.nth(n).get_attribute("aria-label") for n in range(3)]
    assert names == ["各市就业创业数据（表格，可左右滑动）", "表格2，可左右滑动", "表格3，可左右滑动"]
    narrow = tables.nth(1)
    assert narrow.get_attribute("tabindex") is None and narrow.get_attribute("role") is None  # fits: no stop
    assert axe_violations(page) == []

    page.set_viewport_size({"width": 375, "height": 740})  # on a phone the wide ones scroll: regions again
    page.wait_for_function("() => document.querySelector('.body figure.table').getAttribute('tabindex') === '0'")
    assert tables.nth(0).get_attribute("role") == "region"
    assert axe_violations(page) == []
