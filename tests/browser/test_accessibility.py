"""WCAG 2.1 AA on every kind of public page: axe-core (from the npm package, injected from the local file)
run in Debian's chromium, in normal and in large-text mode. Any serious or critical violation fails."""

import datetime
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _jpeg():
    buffer = BytesIO()
    Image.new("RGB", (120, 80), (180, 60, 60)).save(buffer, format="JPEG")
    return ContentFile(buffer.getvalue(), name="photo.jpg")


@pytest.fixture
def public_site(transactional_db, browser_settings):
    """One of everything a reader can open, all published, with the parts that pages render."""
    from articles.models import (
        Article,
        ArticlePhoto,
        Byline,
        BylineRole,
        ExperienceEntry,
        Organization,
        Photo,
        Reporter,
        Section,
        Status,
        Topic,
    )

    section = Section.objects.create(name="要闻", slug="yaowen", order=1)
    Section.objects.create(name="基层动态", slug="jiceng", order=2)
    topic = Topic.objects.create(title="全省妇联改革推进会", slug="gaige", summary="会议专题。", is_featured=True)
    province = Organization.objects.create(name="江岚省妇联", level="province", slug="jianglan")
    city = Organization.objects.create(name="桐溪市妇联", level="city", slug="tongxi", parent=province)
    chief, _ = BylineRole.objects.get_or_create(name="首席记者", defaults={"order": 20})
    correspondent, _ = BylineRole.objects.get_or_create(name="通讯员", defaults={"order": 50})
    reporter = Reporter.objects.create(name="陈思远", slug="chen-siyuan", title="首席记者", bio="长期跑妇联口。")
    outside = Reporter.objects.create(name="刘敏", slug="liu-min", affiliation="桐溪市妇联")
    photo = Photo(alt_text="推进会会场", credit_reporter=reporter)
    photo.image.save("photo.jpg", _jpeg(), save=True)
    published_at = timezone.now() - datetime.timedelta(hours=2)
    issue_on = timezone.localdate(published_at)
    article = Article.objects.create(
        kicker="全省妇联深化改革现场推进会召开",
        headline="把改革成效写在妇女群众的笑脸上",
        subtitle="林秀清：把组织建到妇女身边",
        summary="推进会在桐溪召开，约150人参会。",
        body="<p>会议指出，改革要向基层延伸。</p><h2>组织延伸</h2><p>全省新建妇女组织1286个。</p>",
        pull_quote="改革成不成功，最终要看妇女群众满不满意。",
        section=section,
        dateline_place="桐溪",
        dateline_on=issue_on,
        lead_photo=photo,
        lead_photo_caption="推进会现场。",
        print_issue_on=issue_on,
        print_page_number="A01",
        print_page_name="要闻",
        status=Status.PUBLISHED,
        published_at=published_at,
    )
    article.topics.add(topic)
    Byline.objects.create(article=article, reporter=reporter, role=chief, order=1)
    Byline.objects.create(article=article, reporter=outside, role=correspondent, order=2)
    ArticlePhoto.objects.create(article=article, photo=photo, caption="会场一角。", order=1)
    ExperienceEntry.objects.create(
        article=article,
        organization=city,
        title="把阵地建到家门口",
        highlight="哪里有妇女，哪里就有妇联。",
        body="<p>桐溪市妇联在全市推广“妇女微家”。</p>",
        form=ExperienceEntry.Form.ORAL,
        order=1,
    )
    return {
        "article": article,
        "section": section,
        "topic": topic,
        "reporter": reporter,
        "organization": city,
        "issue_on": issue_on,
    }


def public_urls(site):
    urls = {
        "home": reverse("articles:home"),
        "article": site["article"].get_absolute_url(),
        "section": site["section"].get_absolute_url(),
        "topic": site["topic"].get_absolute_url(),
        "reporter": site["reporter"].get_absolute_url(),
        "organization": site["organization"].get_absolute_url(),
        "latest": reverse("articles:article_list"),
        "topics": reverse("articles:topic_list"),
        "experience index": reverse("articles:experience_entry_list") + "?form=oral",
        "print edition": reverse("articles:print_issue", kwargs={"issue_on": site["article"].print_issue_on}),
        "archive": reverse("articles:article_archive"),
        "feeds": reverse("feeds:index"),
        "archive month": reverse(
            "articles:article_archive_month",
            kwargs={"year": site["issue_on"].year, "month": site["issue_on"].month},
        ),
        "not found": "/no-such-page/",
    }
    return urls


def axe_violations(page):
    # Evaluated by the test driver rather than added as a <script>: the site's CSP rightly refuses inline scripts.
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_AA_TAGS,
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {[node['target'] for node in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_axe_core_is_installed_from_the_npm_package():
    assert AXE_JS.exists(), "run `npm ci`: axe-core comes from package-lock.json"


def check_every_page(page, site):
    failures = {}
    for name, url in public_urls(site).items():
        response = page.goto(url)
        assert response.status == (404 if name == "not found" else 200), name
        violations = axe_violations(page)
        if violations:
            failures[name] = violations
    return failures


def test_every_public_page_passes_axe_in_normal_mode(page, public_site):
    assert check_every_page(page, public_site) == {}


def test_every_public_page_passes_axe_in_large_text_mode(page, public_site):
    # The reader switches the mode on once, with the button in the header; it stays on from page to page.
    page.goto(reverse("articles:home"))
    toggle = page.locator("[data-reading-mode-toggle]").first
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"

    failures = check_every_page(page, public_site)

    assert "large-text" in page.evaluate("document.documentElement.className")
    assert failures == {}


def test_the_axe_run_catches_what_it_should(page, public_site):
    # The harness itself: a page with an unlabelled image and an unnamed button must be reported.
    page.goto(reverse("articles:home"))
    page.evaluate(
        "() => { const main = document.querySelector('main');"
        " main.insertAdjacentHTML('beforeend', '<img src=\"/x.png\"><button></button>'); }"
    )
    violations = " ".join(axe_violations(page))
    assert "image-alt" in violations and "button-name" in violations


def test_the_header_search_button_looks_like_a_button(page, public_site):
    """It looked like a second text box (white, grey border): a reader could not tell where to type."""
    page.goto(reverse("articles:home"))

    field, button = (
        page.locator(f".site-search input[type={kind}]").evaluate("e => getComputedStyle(e).backgroundColor")
        for kind in ("search", "submit")
    )

    assert button == "rgb(176, 24, 43)" and field != button


def test_on_a_phone_a_menu_link_reached_with_the_keyboard_is_not_left_under_the_fade(page, public_site):
    """Tabbing along the sideways menu: each link (and its focus ring) in view, clear of the faded end."""
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(reverse("articles:home"))
    menu = page.locator(".site-nav-list")
    links = menu.locator("a")
    assert menu.evaluate("e => e.scrollWidth > e.clientWidth")  # more than a phone's width: the case to check

    page.locator(".skip-link").focus()
    for number in range(links.count()):
        while not links.nth(number).evaluate("e => e === document.activeElement"):
            page.keyboard.press("Tab")
        shown = menu.bounding_box()
        link = links.nth(number).bounding_box()
        assert link["x"] >= shown["x"] - 1, number
        assert link["x"] + link["width"] <= shown["x"] + shown["width"] - 39, number  # the fade is 2.5rem


def test_on_a_phone_the_menu_shows_there_is_more_to_swipe_to(page, public_site):
    """Half the sections lie past a phone's edge in the sideways-scrolling menu: its end fades, a hint to swipe."""
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(reverse("articles:home"))
    menu = page.locator(".site-nav-list")

    fade = menu.evaluate("e => getComputedStyle(e).maskImage || getComputedStyle(e).webkitMaskImage")
    assert "linear-gradient" in fade
    page.set_viewport_size({"width": 1280, "height": 800})
    assert menu.evaluate("e => getComputedStyle(e).maskImage || getComputedStyle(e).webkitMaskImage") == "none"


def test_a_menu_links_focus_ring_is_drawn_whole(page, public_site):
    """The menu scrolls sideways, so what overflows it is cut off: the ring outside the link showed only as two
    vertical bars. It is drawn inside the link now, and the link inside the list."""
    page.goto(reverse("articles:home"))
    link = page.locator(".site-nav-list a").first
    page.locator(".skip-link").focus()
    while not link.evaluate("e => e === document.activeElement"):
        page.keyboard.press("Tab")

    ring = link.evaluate(
        """e => { const s = getComputedStyle(e), r = e.getBoundingClientRect();
                  const out = parseFloat(s.outlineOffset) + parseFloat(s.outlineWidth);
                  return {top: r.top - out, bottom: r.bottom + out, style: s.outlineStyle}; }"""
    )
    menu = page.locator(".site-nav-list").evaluate(
        "e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; }"
    )

    assert ring["style"] == "solid"
    assert menu[0] <= ring["top"] and ring["bottom"] <= menu[1]


def test_in_high_contrast_mode_the_current_page_and_the_pressed_button_still_show(page, public_site):
    """Windows' forced colours draw every border and drop backgrounds: every menu link was underlined as the
    current page, the search page's button was bare text, and the large-text button looked the same either way."""
    page.emulate_media(forced_colors="active")
    page.goto(reverse("articles:home"))
    underlines = dict(
        page.locator(".site-nav-list a").evaluate_all(
            "links => links.map(a => [a.textContent.trim(), getComputedStyle(a).borderBottomStyle])"
        )
    )
    page.goto(reverse("articles:search"))
    search_button = page.locator("main button[type=submit], main input[type=submit]").first
    toggle = page.locator(".reading-mode-toggle")
    unpressed = toggle.evaluate("e => getComputedStyle(e).backgroundColor")
    toggle.click()
    pressed = toggle.evaluate("e => getComputedStyle(e).backgroundColor")

    assert underlines.pop("首页") == "solid"  # the current page
    assert set(underlines.values()) == {"none"}
    assert search_button.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    assert toggle.get_attribute("aria-pressed") == "true" and pressed != unpressed


def test_the_links_to_other_issues_keep_the_space_between_their_words(page, public_site):
    """ "上一期2026年11月29日": the link's flex layout dropped the space before its date."""
    from articles.models import Article

    earlier = public_site["article"]
    Article.objects.filter(pk=earlier.pk).update(print_issue_on=public_site["issue_on"] - datetime.timedelta(days=1))
    later = Article.objects.get(pk=earlier.pk)
    later.pk, later.print_issue_on = None, public_site["issue_on"]
    later.save()
    page.goto(reverse("articles:print_issue", kwargs={"issue_on": public_site["issue_on"]}))

    gap = page.locator(".issue-nav a[rel=prev]").evaluate(
        """a => { const range = document.createRange(); range.selectNodeContents(a.firstChild);
                  return a.querySelector("time").getBoundingClientRect().left - range.getBoundingClientRect().right; }"""
    )

    assert gap >= 3


def test_a_printed_page_leaves_out_its_forms_labels_and_all(page, public_site):
    """Printing the search, experience or print-edition page left their labels (出版日期) beside no field."""
    for url in (
        reverse("articles:search") + "?q=妇联",
        reverse("articles:experience_entry_list"),
        reverse("articles:print_issue", kwargs={"issue_on": public_site["issue_on"]}),
    ):
        page.goto(url)
        page.emulate_media(media="print")
        shown = page.locator("main label").evaluate_all("labels => labels.filter(l => l.offsetParent !== null).length")
        assert shown == 0, url
        page.emulate_media(media="screen")
