"""The article page: every part in the paper's order, print reference, corrections, related stories,
what it never shows, and a fixed number of queries."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BylineFactory,
    BylineRoleFactory,
    CorrectionFactory,
    ExperienceEntryFactory,
    OrganizationFactory,
    PhotoFactory,
    ReporterFactory,
    SectionFactory,
    TopicFactory,
)
from tests.views.pages import MENU_QUERIES, UNPUBLISHED, assert_in_order, main_of, text_of

pytestmark = pytest.mark.django_db

# The article with its bylines, topics, corrections, captioned photos and entries (JSON in its row), the related
# stories (in the same query on PostgreSQL, one of their own elsewhere), and the photos of images in its rich text
# (cached afterwards, like the menu).
RELATED_QUERIES = 0 if connection.vendor == "postgresql" else 1
ARTICLE_PAGE_QUERIES = MENU_QUERIES + 2 + RELATED_QUERIES
ARTICLE_PAGE_QUERIES_WARM = 1 + RELATED_QUERIES  # the menu and the rich-text photos come from the cache


@pytest.fixture
def full_article():
    """The front-page report of DOMAIN.md with a companion roundup's entries, every part filled in."""
    article = ArticleFactory(
        published=True,
        kicker="深化妇联改革 建强基层组织",
        headline="全省妇联系统改革工作现场推进会在郴州召开",
        subtitle="李华：以改革精神推动妇联工作高质量发展",
        summary="11月19日，全省妇联系统改革工作现场推进会在郴州召开。",
        dateline_place="郴州",
        dateline_on=date(2026, 11, 19),
        pull_quote="让妇联组织从“有形覆盖”走向“有效覆盖”。",
        body="<p>会议指出，全省新建妇女组织一千二百余个。</p><h2>建强阵地</h2><p>正文第二段。</p>",
        print_issue_on=date(2026, 11, 20),
        print_page_number="A03",
        print_page_name="要闻",
    )
    roles_and_people = [("通讯员", "周丹", 3), ("首席记者", "李晓萌", 1), ("见习记者", "王芳", 2)]
    for role, name, order in roles_and_people:  # created out of order on purpose
        BylineFactory(
            article=article, reporter=ReporterFactory(name=name), role=BylineRoleFactory(name=role), order=order
        )
    ArticlePhotoFactory(article=article, order=2, caption="与会人员参观基层妇联阵地。", photo__alt_text="参观")
    ArticlePhotoFactory(article=article, order=1, caption="推进会现场。", photo__alt_text="会场")
    written = OrganizationFactory(name="桂阳县妇联")
    ExperienceEntryFactory(
        article=article,
        written=True,
        order=1,
        organization=written,
        title="书面交流经验",
        highlight="书面金句。",
        body="<p>书面正文。</p>",
    )
    ExperienceEntryFactory(
        article=article,
        oral=True,
        order=2,
        organization=OrganizationFactory(name="永州市妇联"),
        title="口头第二",
        highlight="口头第二金句。",
        body="<p>口头第二正文。</p>",
    )
    ExperienceEntryFactory(
        article=article,
        oral=True,
        order=1,
        organization=OrganizationFactory(name="长沙市妇联"),
        title="让妇联组织活起来",
        highlight="口头第一金句。",
        body="<p>口头第一正文。</p>",
        photo=PhotoFactory(alt_text="长沙经验"),
        caption="长沙市妇联的“妇女之家”。",
    )
    return article


# --- The article page -----------------------------------------------------------------------------


def test_article_page_shows_every_part_in_the_right_order(client, full_article):
    response = client.get(full_article.get_absolute_url())

    assert response.status_code == 200
    html = main_of(response)
    assert_in_order(
        html,
        [
            "深化妇联改革 建强基层组织",
            "全省妇联系统改革工作现场推进会在郴州召开",
            "李华：以改革精神推动妇联工作高质量发展",
            'class="byline"',
            "郴州 <time",
            "让妇联组织从“有形覆盖”走向“有效覆盖”。",
            "<p>会议指出，全省新建妇女组织一千二百余个。</p><h2>建强阵地</h2>",
            "推进会现场。",
            "与会人员参观基层妇联阵地。",
            "长沙市妇联",
            "让妇联组织活起来",
            "口头第一金句。",
            "口头第一正文。",
            "长沙市妇联的“妇女之家”。",
            "永州市妇联",
            "口头第二",
            "桂阳县妇联",
            "书面交流经验",
            "书面金句。",
            "书面正文。",
        ],
    )


def test_article_page_prints_source_and_bylines_like_the_paper(client, full_article):
    html = main_of(client.get(full_article.get_absolute_url()))

    byline = re.search(r'<p class="byline">.*?</p>', html, re.S).group(0)
    # A space between the source and the first role: copied, read aloud or in reader mode it is not "凤网首席记者".
    # A role and its name never part at a line's end (a no-break space): "首席记者 / 李晓萌" on a narrow phone.
    assert text_of(byline).replace("&nbsp;", " ") == "今日女报 / 凤网 首席记者 李晓萌 见习记者 王芳 通讯员 周丹"
    assert '</span> <span class="byline-role">' in byline
    assert byline.count('</span>&nbsp;<a class="byline-name"') == 3
    assert 'href="/reporters/' in byline


def test_article_page_shows_dateline_print_reference_and_captioned_photos(client, full_article):
    html = main_of(client.get(full_article.get_absolute_url()))

    assert "2026年11月19日" in text_of(re.search(r'<p class="dateline">.*?</p>', html, re.S).group(0))
    assert "2026年11月20日 A03版 要闻" in html
    figures = re.findall(r'<figure class="photo">.*?</figure>', html, re.S)
    assert len(figures) == 3
    assert 'alt="会场"' in figures[0] and "推进会现场。" in figures[0]
    assert 'alt="参观"' in figures[1] and "与会人员参观基层妇联阵地。" in figures[1]
    assert 'alt="长沙经验"' in figures[2] and "长沙市妇联的“妇女之家”。" in figures[2]
    assert all(re.search(r'src="/media/photos/\d{4}/\d{2}/[0-9a-f]{32}\.jpg"', figure) for figure in figures)


def test_experience_entries_read_organization_colon_title(client, full_article):
    html = main_of(client.get(full_article.get_absolute_url()))

    titles = [text_of(t) for t in re.findall(r'<h3 class="entry-title">.*?</h3>', html, re.S)]
    assert titles == ["长沙市妇联：让妇联组织活起来", "永州市妇联：口头第二", "桂阳县妇联：书面交流经验"]
    assert 'href="/organizations/' in html


def test_article_page_without_optional_parts_shows_no_empty_elements(client):
    article = ArticleFactory(published=True, headline="简讯", source="")
    html = main_of(client.get(article.get_absolute_url()))

    assert "简讯" in html
    for absent in [
        'class="kicker"',
        'class="subtitle"',
        'class="dateline"',
        "pull-quote",
        "<figure",
        'class="entries"',
    ]:
        assert absent not in html


def test_lead_photo_is_shown_on_the_article_page_and_the_card(client):
    article = ArticleFactory(published=True, lead_photo=PhotoFactory(alt_text="头图"))
    assert 'alt="头图"' in main_of(client.get(article.get_absolute_url()))
    assert 'alt="头图"' in main_of(client.get(reverse("articles:home")))


def test_lead_photo_carries_its_own_caption_on_the_article_page(client):
    article = ArticleFactory(
        published=True, lead_photo=PhotoFactory(alt_text="会场"), lead_photo_caption="推进会现场。"
    )
    html = main_of(client.get(article.get_absolute_url()))

    figure = re.search(r"<figure.*?</figure>", html, re.S).group(0)
    assert 'alt="会场"' in figure and "推进会现场。" in figure


def test_the_lead_photo_is_shown_at_the_top_above_the_body_and_the_other_photos_after_it(client):
    """题图: "shown at the top of the story" (the admin's help text), and fetched first (eager, high priority)."""
    article = ArticleFactory(
        published=True,
        lead_photo=PhotoFactory(alt_text="会场"),
        pull_quote="把组织建到妇女身边",
        body="<p>正文第一段。</p>",
    )
    ArticlePhotoFactory(article=article, photo=PhotoFactory(alt_text="参观"), caption="参观现场。")
    html = main_of(client.get(article.get_absolute_url()))

    order = [
        html.index(marker) for marker in ('id="headline"', 'alt="会场"', "pull-quote", "正文第一段。", 'alt="参观"')
    ]
    assert order == sorted(order)


def test_the_lead_photo_also_among_the_storys_photos_is_shown_once(client):
    lead = PhotoFactory(alt_text="会场")
    article = ArticleFactory(published=True, lead_photo=lead, lead_photo_caption="推进会现场。")
    ArticlePhotoFactory(article=article, order=1, photo=lead, caption="推进会现场。")
    ArticlePhotoFactory(article=article, order=2, photo=PhotoFactory(alt_text="参观"), caption="参观现场。")

    html = main_of(client.get(article.get_absolute_url()))

    assert html.count('alt="会场"') == 1 and html.count('alt="参观"') == 1


def test_entry_heading_uses_the_organisations_short_name_when_it_has_one(client):
    article = ArticleFactory(published=True)
    organization = OrganizationFactory(name="桐溪市妇女联合会", short_name="桐溪市妇联")
    ExperienceEntryFactory(article=article, organization=organization, title="把阵地建到家门口")
    html = main_of(client.get(article.get_absolute_url()))

    assert "桐溪市妇联：把阵地建到家门口" in text_of(html)
    assert "桐溪市妇女联合会：" not in text_of(html)


def test_free_text_credit_is_not_labelled_as_a_photographer(client):
    article = ArticleFactory(published=True)
    ArticlePhotoFactory(article=article, photo=PhotoFactory(credit_text="受访者供图"), caption="家庭合影。")
    ArticlePhotoFactory(
        article=article, photo=PhotoFactory(credit_reporter=ReporterFactory(name="赵摄")), caption="现场。"
    )
    text = text_of(main_of(client.get(article.get_absolute_url())))

    assert "受访者供图" in text and "摄影：受访者供图" not in text
    assert "摄影：赵摄" in text


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_unpublished_article_is_404_for_anonymous_readers(client, state):
    article = ArticleFactory(headline="未发布的稿件", **state)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 404
    assert "未发布的稿件" not in response.content.decode()


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_unpublished_article_is_404_for_a_reporter_who_may_not_edit_it(
    client, reporter_user, other_reporter_user, state
):
    article = ArticleFactory(headline="别人的稿件", created_by=other_reporter_user, **state)
    client.force_login(reporter_user)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 404
    assert "别人的稿件" not in response.content.decode()


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
@pytest.mark.parametrize("who", ["creator", "bylined reporter", "editor"])
def test_unpublished_article_opens_as_an_uncached_preview_for_who_may_edit_it(
    client, reporter_user, other_reporter_user, editor_user, state, who
):
    article = ArticleFactory(headline="待审稿件", created_by=reporter_user, **state)
    BylineFactory(article=article, reporter=other_reporter_user.reporter)
    user = {"creator": reporter_user, "bylined reporter": other_reporter_user, "editor": editor_user}[who]
    client.force_login(user)

    response = client.get(article.get_absolute_url())

    assert response.status_code == 200
    assert "待审稿件" in main_of(response)
    assert 'class="preview-banner"' in main_of(response)
    cache_control = response["Cache-Control"]
    assert "no-cache" in cache_control and "no-store" in cache_control and "private" in cache_control


def test_published_article_has_no_preview_banner_even_for_its_editor(client, editor_user):
    article = ArticleFactory(published=True)
    client.force_login(editor_user)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "preview-banner" not in response.content.decode()
    assert "no-store" not in response.get("Cache-Control", "")


def test_unknown_article_is_404(client):
    assert client.get(reverse("articles:article_detail", kwargs={"pk": 999999})).status_code == 404


@pytest.mark.parametrize("pk", [0, 2**63, 10**20])
def test_an_article_number_no_database_holds_is_404_not_an_error(client, pk):
    # The article page runs its query precompiled with the id as a value: an id past the database's integers must
    # be refused before it reaches the database (an overflow there was a 500).
    assert client.get(f"/articles/{pk}/").status_code == 404


def test_404_page_is_the_sites_chinese_page(client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="zh-hans">' in html
    assert "今日女报 · 凤网" in html  # the site's name, from settings
    assert 'href="/"' in html


def test_the_site_speaks_chinese_whatever_the_browser_asks_for(client):
    article = ArticleFactory(published=True, print_issue_on=date(2026, 11, 20), print_page_number="A03")
    ArticlePhotoFactory(article=article, photo=PhotoFactory(credit_reporter=ReporterFactory(name="赵摄")))
    response = client.get(article.get_absolute_url(), headers={"accept-language": "en-US,en;q=0.9"})
    html = response.content.decode()

    assert '<html lang="zh-hans">' in html
    assert "摄影：赵摄" in text_of(html)
    assert "In print" not in html and "Photo:" not in html


def test_a_page_is_served_in_the_sites_language_and_time_whatever_the_thread_had_active(client):
    """A worker thread serves request after request: a language or time zone that code left active in it (a
    library, a command run in the same process) must not change the next reader's page. The answer says its
    language in the header as well as in <html lang>."""
    article = ArticleFactory(published=True, published_at=datetime(2026, 11, 19, 23, 30, tzinfo=UTC))
    translation.activate("en")
    timezone.activate(UTC)
    try:
        response = client.get(article.get_absolute_url())
    finally:
        translation.deactivate()
        timezone.deactivate()
    html = response.content.decode()

    assert '<html lang="zh-hans">' in html
    assert "2026年11月20日 07:30" in text_of(html)  # Beijing time, the next morning
    assert response["Content-Language"] == "zh-hans"
    assert "Content-Language" not in client.get(reverse("feeds:latest_rss"))  # the feed names its language itself


# --- Print reference, corrections, related stories -------------------------------------------------


def test_print_reference_reads_like_the_paper_and_links_to_its_page_of_the_print_edition(client, full_article):
    html = main_of(client.get(full_article.get_absolute_url()))

    link = re.search(r'<a class="print-reference" href="([^"]+)">(.*?)</a>', html, re.S)
    assert text_of(link.group(2)) == "本报 2026年11月20日 A03版 要闻"
    assert link.group(1) == "/print/2026-11-20/#page-a03"
    issue = client.get(link.group(1).split("#")[0])
    assert 'id="page-a03"' in main_of(issue)


def test_story_not_in_print_has_no_print_reference(client):
    article = ArticleFactory(published=True)
    assert "print-reference" not in main_of(client.get(article.get_absolute_url()))


def test_corrections_are_shown_in_order_with_kind_time_and_text(client, full_article):
    CorrectionFactory(
        article=full_article,
        update=True,
        text="补充了会议的参会人数。",
        noted_at=timezone.make_aware(datetime(2026, 11, 21, 9, 30)),
    )
    CorrectionFactory(
        article=full_article,
        text="原文将“郴州”误写为“彬州”。",
        noted_at=timezone.make_aware(datetime(2026, 11, 20, 18, 5)),
    )
    html = main_of(client.get(full_article.get_absolute_url()))

    notes = [text_of(n) for n in re.findall(r'<li class="correction">.*?</li>', html, re.S)]
    assert notes == [
        "更正 2026年11月20日 18:05 原文将“郴州”误写为“彬州”。",
        "更新 2026年11月21日 09:30 补充了会议的参会人数。",
    ]
    assert_in_order(html, ["书面正文。", 'class="corrections"'])


def test_article_without_corrections_shows_no_corrections_box(client, full_article):
    CorrectionFactory()  # on another story
    assert 'class="corrections"' not in main_of(client.get(full_article.get_absolute_url()))


def related_in(response):
    html = main_of(response)
    box = re.search(r'<aside class="related".*?</aside>', html, re.S)
    return [text_of(a) for a in re.findall(r"<li><a [^>]*>(.*?)</a>", box.group(0))] if box else []


def test_related_stories_share_a_topic_first_then_the_section(client):
    section, topic = SectionFactory(), TopicFactory()
    article = ArticleFactory(published=True, section=section)
    article.topics.add(topic)
    now = timezone.now()
    in_topic = ArticleFactory(headline="同专题", published=True, published_at=now - timedelta(days=3))
    in_topic.topics.add(topic)
    ArticleFactory(headline="同栏目新", published=True, section=section, published_at=now - timedelta(hours=2))
    ArticleFactory(headline="同栏目旧", published=True, section=section, published_at=now - timedelta(days=5))
    ArticleFactory(headline="无关", published=True)

    assert related_in(client.get(article.get_absolute_url())) == ["同专题", "同栏目新", "同栏目旧"]


def test_a_related_story_of_another_year_gives_its_year(client):
    """A story of last November listed as 11月20日 under 相关报道 read as this year's."""
    section = SectionFactory()
    article = ArticleFactory(published=True, section=section)
    today = timezone.localdate()
    this_year = timezone.make_aware(datetime(today.year, 1, 1, 0, 0, 1))  # in the past on any day
    ArticleFactory(headline="今年稿", published=True, section=section, published_at=this_year)
    ArticleFactory(headline="去年稿", published=True, section=section, published_at=this_year - timedelta(days=42))

    html = main_of(client.get(article.get_absolute_url()))

    box = re.search(r'<aside class="related".*?</aside>', html, re.S).group(0)
    dates = dict(re.findall(r"<a [^>]*>(.*?)</a> <time [^>]*>(.*?)</time>", box))
    assert dates == {"今年稿": "1月1日", "去年稿": f"{today.year - 1}年11月20日"}


def test_related_stories_are_at_most_four_and_never_the_story_itself(client):
    section = SectionFactory()
    article = ArticleFactory(headline="本篇", published=True, section=section)
    ArticleFactory.create_batch(6, published=True, section=section)

    related = related_in(client.get(article.get_absolute_url()))
    assert len(related) == 4
    assert "本篇" not in related


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_related_stories_never_include_an_unpublished_one(client, state):
    section, topic = SectionFactory(), TopicFactory()
    article = ArticleFactory(published=True, section=section)
    article.topics.add(topic)
    hidden = ArticleFactory(headline="不该出现", section=section, **state)
    hidden.topics.add(topic)
    ArticleFactory(headline="刚发布", just_published=True, section=section)

    assert related_in(client.get(article.get_absolute_url())) == ["刚发布"]


def test_a_scheduled_story_becomes_related_once_its_time_passes(client, clock):
    section = SectionFactory()
    article = ArticleFactory(published=True, section=section)
    ArticleFactory(headline="定时稿", scheduled=True, section=section)
    assert related_in(client.get(article.get_absolute_url())) == []

    clock.advance(days=2)
    assert related_in(client.get(article.get_absolute_url())) == ["定时稿"]


def package_in(response):
    box = re.search(r'<aside class="related package".*?</aside>', main_of(response), re.S)
    return [text_of(a) for a in re.findall(r"<li><a [^>]*>(.*?)</a>", box.group(0))] if box else []


def test_each_story_of_a_package_links_the_others_lead_first(client):
    """DOMAIN.md's front-page package: a meeting report published with its roundup. A reader of either finds the
    other under 本组报道 (the lead first, then the companions as filed), and not again among the related stories."""
    section = SectionFactory()
    now = timezone.now()
    report = ArticleFactory(headline="会议报道", published=True, section=section, published_at=now - timedelta(hours=2))
    roundup = ArticleFactory(
        headline="经验交流", published=True, section=section, package_lead=report, published_at=now - timedelta(hours=2)
    )
    sidebar = ArticleFactory(headline="会场花絮", published=True, section=section, package_lead=report)
    ArticleFactory(headline="未发配稿", section=section, package_lead=report)  # a companion still in draft
    ArticleFactory(headline="同栏目", published=True, section=section, published_at=now - timedelta(days=1))
    alone = ArticleFactory(headline="另一篇", published=True, section=section, published_at=now - timedelta(days=2))

    pages = {story: client.get(story.get_absolute_url()) for story in (report, roundup, sidebar, alone)}
    assert package_in(pages[report]) == ["经验交流", "会场花絮"]
    assert package_in(pages[roundup]) == ["会议报道", "会场花絮"]
    assert package_in(pages[sidebar]) == ["会议报道", "经验交流"]
    assert 'id="package-heading">本组报道</h2>' in main_of(pages[report])
    assert related_in(pages[roundup]) == ["同栏目", "另一篇"]
    assert package_in(pages[alone]) == []
    assert 'class="related package"' not in main_of(pages[alone])
    assert "会议报道" in related_in(pages[alone])  # outside the package it is just another story of the section


def test_the_preview_of_a_companion_in_draft_names_its_published_package(editor_client):
    """An editor checking a roundup before it goes out sees the package it will join (the published stories)."""
    report = ArticleFactory(headline="会议报道", published=True)
    ArticleFactory(headline="另一篇配稿", package_lead=report)  # also still a draft
    roundup = ArticleFactory(headline="经验交流", package_lead=report)

    response = editor_client.get(roundup.get_absolute_url())
    assert response.status_code == 200
    assert package_in(response) == ["会议报道"]


# --- Query count ---


@pytest.mark.parametrize("n", [1, 7])
def test_article_page_queries_do_not_grow(client, django_assert_num_queries, n):
    ArticleFactory.create_batch(n, published=True)
    body_photo = PhotoFactory(renditions=True)
    article = ArticleFactory(
        published=True,
        lead_photo=PhotoFactory(credit_reporter=ReporterFactory(), renditions=True),
        body=f'<figure class="image"><img src="{body_photo.image.url}" alt="正文图"></figure>',
    )
    BylineFactory.create_batch(n, article=article)
    ArticlePhotoFactory.create_batch(
        n, article=article, photo__credit_reporter=ReporterFactory(), photo__renditions=True
    )
    ExperienceEntryFactory.create_batch(n, article=article, oral=True, photo=PhotoFactory(renditions=True))
    ExperienceEntryFactory.create_batch(n, article=article, written=True)
    for topic in TopicFactory.create_batch(n):
        article.topics.add(topic)
        ArticleFactory(published=True).topics.add(topic)  # a related story for each topic
    CorrectionFactory.create_batch(n, article=article)
    ArticleFactory.create_batch(n, published=True, package_lead=article)  # its companions

    with django_assert_num_queries(ARTICLE_PAGE_QUERIES):
        response = client.get(article.get_absolute_url())
    html = response.content.decode()
    assert html.count('<article class="entry"') == 2 * n
    assert ARTICLE_PAGE_QUERIES <= 5  # issue 8: the article page runs 5 queries at most, menu included
    with django_assert_num_queries(ARTICLE_PAGE_QUERIES_WARM):
        again = client.get(article.get_absolute_url())
    assert main_of(again) == main_of(response)  # the same page, rich-text pictures included
    assert html.count('<li class="correction">') == n
    assert len(related_in(response)) == min(n, 4)
    assert len(package_in(response)) == n


def test_the_topics_line_and_the_times_read_as_chinese_and_valid_html(client):
    """The topics line reads "专题：" with the full-width colon, as every other label of the site; <time datetime>
    is to the second (HTML allows three digits of a fraction at most), on the page and on the home page's cards."""
    moment = timezone.now().replace(microsecond=123456) - timedelta(minutes=5)
    article = ArticleFactory(published=True, published_at=moment)
    article.topics.add(TopicFactory(title="乡村振兴"), TopicFactory(title="家风建设"))

    page = main_of(client.get(article.get_absolute_url()))
    home = main_of(client.get(reverse("articles:home")))

    assert re.search(r'<p class="topics">专题：<a href="[^"]+">(乡村振兴|家风建设)</a>、<a', page)
    for html in (page, home):
        times = re.findall(r'<time datetime="([^"]+)"', html)
        assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d\+08:00)?", value) for value in times), times


def _feed_links(response):
    """(type, title, href) of the page's feed links, in the page's order."""
    html = response.content.decode()
    return re.findall(
        r'<link rel="alternate" type="(application/(?:rss|atom)\+xml)" title="([^"]*)" href="([^"]*)">', html
    )


def test_the_article_page_announces_the_feeds_of_its_section_and_topics(client):
    """A feed reader given an article finds its section's and its topics' feeds, as their own pages announce
    them, beside the site's; each of them answers."""
    section = SectionFactory(name="要闻", slug="yaowen")
    topic = TopicFactory(title="两会", slug="lianghui")
    article = ArticleFactory(published=True, section=section, headline="代表委员谈妇女发展")
    article.topics.add(topic)

    links = _feed_links(client.get(article.get_absolute_url()))

    hrefs = [href for _type, _title, href in links]
    for feed in ("/feeds/sections/yaowen.rss", "/feeds/sections/yaowen.atom", "/feeds/topics/lianghui.rss"):
        assert feed in hrefs
    assert ("application/rss+xml", "要闻（RSS）", "/feeds/sections/yaowen.rss") in links
    assert ("application/atom+xml", "两会（Atom）", "/feeds/topics/lianghui.atom") in links
    assert any(href.endswith("/feeds/latest.rss") for href in hrefs)  # the site's, still
    for href in hrefs:
        assert client.get(href).status_code == 200, href


def test_a_preview_does_not_announce_the_feed_of_a_topic_with_nothing_out(client, editor_user):
    """A draft's topic may have no published story yet: its feed is a 404, so the preview does not name it."""
    topic = TopicFactory(title="筹备中的专题", slug="choubei")
    draft = ArticleFactory(headline="草稿")
    draft.topics.add(topic)
    client.force_login(editor_user)

    hrefs = [href for _type, _title, href in _feed_links(client.get(draft.get_absolute_url()))]

    assert not [href for href in hrefs if "choubei" in href]
    assert client.get("/feeds/topics/choubei.rss").status_code == 404
