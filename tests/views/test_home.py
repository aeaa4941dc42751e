"""The home page: editors' lead and secondary stories with a fallback to the latest, each section's latest
stories, featured topics and experience-sharing highlights; nothing unpublished; a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import FrontPageSlot
from tests.factories import (
    ArticleFactory,
    BylineFactory,
    BylineRoleFactory,
    ExperienceEntryFactory,
    FrontPageSlotFactory,
    OrganizationFactory,
    PhotoFactory,
    ReporterFactory,
    SectionFactory,
    TopicFactory,
)
from tests.views.pages import MENU_QUERIES, UNPUBLISHED, entry_titles_in, headlines_in, main_of, text_of

pytestmark = pytest.mark.django_db

# menu, slotted-then-latest stories, their bylines, the renditions of their lead photos (one query for all cards),
# latest per section, featured topics, experience entries
HOME_PAGE_QUERIES = MENU_QUERIES + 3  # the stories (slotted, latest, each section's latest), topics, entries

P = FrontPageSlot.Position


def home(client):
    return client.get(reverse("articles:home"))


def lead_of(response):
    card = re.search(r'<article class="card card-lead">.*?</article>', main_of(response), re.S)
    return text_of(re.search(r'class="card-headline">(.*?)</h2>', card.group(0), re.S).group(1)) if card else None


def top_stories(response):
    """Lead then secondary stories, as shown."""
    html = main_of(response)
    end = html.find('class="home-sections"')
    return headlines_in_html(html[: end if end > 0 else None])


def headlines_in_html(html):
    return [text_of(h) for h in re.findall(r'<h2 class="card-headline">.*?</h2>', html, re.S)]


def section_blocks(response):
    """{section name: [headlines]} from the latest-per-section blocks."""
    blocks = re.findall(r'<section class="home-section".*?<h2[^>]*>(.*?)</h2>(.*?)</section>', main_of(response), re.S)
    return {text_of(name): [text_of(a) for a in re.findall(r"<li><a [^>]*>(.*?)</a>", body)] for name, body in blocks}


def minutes_ago(minutes):
    return timezone.now() - timedelta(minutes=minutes)


# --- Curation -------------------------------------------------------------------------------------


def test_editors_pick_the_lead_and_secondary_stories(client):
    latest = ArticleFactory(headline="最新稿", published=True, published_at=minutes_ago(1))
    FrontPageSlotFactory(position=P.LEAD, article=ArticleFactory(headline="头条", published=True))
    FrontPageSlotFactory(position=P.THIRD, article=ArticleFactory(headline="次条二", published=True))
    FrontPageSlotFactory(position=P.SECOND, article=ArticleFactory(headline="次条一", published=True))

    response = home(client)

    assert response.status_code == 200
    assert lead_of(response) == "头条"
    assert top_stories(response)[:3] == ["头条", "次条一", "次条二"]
    assert latest.headline in top_stories(response)  # the empty fourth slot takes the latest story


def test_empty_slots_take_the_latest_stories_not_already_shown(client):
    ArticleFactory(headline="第三新", published=True, published_at=minutes_ago(30))
    picked = ArticleFactory(headline="最新但已选", published=True, published_at=minutes_ago(1))
    ArticleFactory(headline="第二新", published=True, published_at=minutes_ago(20))
    FrontPageSlotFactory(position=P.SECOND, article=picked)
    FrontPageSlotFactory(position=P.LEAD, article=None)  # a slot an editor cleared

    assert top_stories(home(client)) == ["第二新", "最新但已选", "第三新"]


def test_without_any_slot_the_latest_five_fill_the_top(client):
    for minutes in range(1, 8):
        ArticleFactory(headline=f"稿{minutes}", published=True, published_at=minutes_ago(minutes))

    response = home(client)

    assert lead_of(response) == "稿1"
    assert top_stories(response) == ["稿1", "稿2", "稿3", "稿4", "稿5"]


def test_a_story_in_two_slots_is_shown_once(client):
    story = ArticleFactory(headline="双槽", published=True, published_at=minutes_ago(60))
    FrontPageSlotFactory(position=P.LEAD, article=story)
    FrontPageSlotFactory(position=P.SECOND, article=story)
    ArticleFactory(headline="补位", published=True, published_at=minutes_ago(1))

    assert top_stories(home(client)) == ["双槽", "补位"]


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_an_unpublished_story_in_a_slot_is_replaced_by_the_latest(client, state):
    FrontPageSlotFactory(position=P.LEAD, article=ArticleFactory(headline="不该上头条", **state))
    ArticleFactory(headline="刚发布", just_published=True)

    response = home(client)

    assert lead_of(response) == "刚发布"
    assert "不该上头条" not in response.content.decode()


def test_a_scheduled_lead_story_takes_its_slot_once_its_time_passes(client, clock):
    FrontPageSlotFactory(position=P.LEAD, article=ArticleFactory(headline="定时头条", scheduled=True))
    ArticleFactory(headline="旧闻", published=True)
    assert lead_of(home(client)) == "旧闻"

    clock.advance(days=2)
    assert lead_of(home(client)) == "定时头条"


def test_home_with_nothing_published_shows_no_story(client):
    ArticleFactory(headline="草稿")
    response = home(client)
    assert response.status_code == 200
    assert headlines_in(response) == []
    assert "草稿" not in response.content.decode()


def test_lead_card_shows_summary_section_and_bylines_and_its_photo_loads_at_once(client):
    article = ArticleFactory(
        published=True, summary="导语文字。", section=SectionFactory(name="要闻"), lead_photo=PhotoFactory()
    )
    BylineFactory(article=article, reporter=ReporterFactory(name="李晓萌"), role=BylineRoleFactory(name="首席记者"))
    card = re.search(r'<article class="card card-lead">.*?</article>', main_of(home(client)), re.S).group(0)
    assert "导语文字。" in card
    assert "要闻" in card
    assert "首席记者 李晓萌" in text_of(card)
    assert 'loading="eager"' in card


def test_every_top_story_shows_its_bylines_an_old_pick_and_the_latest_that_fill_slots_alike(client):
    """Only the top stories carry bylines (the sections' headlines do not): each must have its own, whether an
    editor placed it (here a month-old story) or it fills an empty slot as one of the latest."""
    pick = ArticleFactory(headline="旧稿入选", published=True, published_at=minutes_ago(60 * 24 * 30))
    FrontPageSlotFactory(position=P.LEAD, article=pick)
    newer = [ArticleFactory(headline=f"新稿{n}", published=True, published_at=minutes_ago(n)) for n in range(1, 9)]
    for n, article in enumerate([pick, *newer]):
        BylineFactory(article=article, reporter=ReporterFactory(name=f"记者{n}号"))
    html = main_of(home(client))
    top = re.findall(r'<article class="card[^"]*">.*?</article>', html[: html.find('class="home-sections"')], re.S)
    shown = {headlines_in_html(card)[0]: text_of(card) for card in top}
    assert list(shown) == ["旧稿入选", "新稿1", "新稿2", "新稿3", "新稿4"]
    for n, article in enumerate([pick, *newer[:4]]):
        assert f"记者{n}号" in shown[article.headline]


# --- Sections, topics, experience -------------------------------------------------------------------


def test_each_section_shows_its_four_latest_published_stories(client):
    yaowen = SectionFactory(name="要闻", order=1)
    jiceng = SectionFactory(name="基层动态", order=2)
    SectionFactory(name="空栏目", order=3)
    for minutes in range(1, 7):
        ArticleFactory(headline=f"要闻{minutes}", section=yaowen, published=True, published_at=minutes_ago(minutes))
    ArticleFactory(headline="基层1", section=jiceng, published=True)
    ArticleFactory(headline="基层草稿", section=jiceng)

    blocks = section_blocks(home(client))

    assert blocks == {"要闻": ["要闻1", "要闻2", "要闻3", "要闻4"], "基层动态": ["基层1"]}


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_section_blocks_never_show_an_unpublished_story(client, state):
    section = SectionFactory(name="要闻")
    ArticleFactory(headline="不该出现", section=section, **state)
    ArticleFactory(headline="刚发布", section=section, just_published=True)

    assert section_blocks(home(client)) == {"要闻": ["刚发布"]}


def test_featured_topics_are_listed(client):
    ArticleFactory(published=True).topics.add(  # a topic is public through a published story
        TopicFactory(title="改革推进会", featured=True), TopicFactory(title="不推荐的专题")
    )

    html = main_of(home(client))
    topics = re.search(r'<section class="home-topics".*?</section>', html, re.S).group(0)
    assert "改革推进会" in topics
    assert "不推荐的专题" not in html


def test_experience_highlights_are_the_latest_published_entries(client):
    old = ArticleFactory(published=True, published_at=minutes_ago(90))
    new = ArticleFactory(published=True, published_at=minutes_ago(5))
    ExperienceEntryFactory(article=old, organization=OrganizationFactory(name="旧妇联"), title="旧经验")
    ExperienceEntryFactory(article=new, organization=OrganizationFactory(name="新妇联"), title="新经验", order=1)
    for headline, state in UNPUBLISHED.items():
        ExperienceEntryFactory(article=ArticleFactory(**state), title=f"不该出现{headline}")

    response = home(client)

    assert entry_titles_in(response) == ["新妇联：新经验", "旧妇联：旧经验"]
    assert "不该出现" not in response.content.decode()


# --- Query count ------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 12])
def test_home_page_queries_do_not_grow(client, django_assert_num_queries, n):
    sections = SectionFactory.create_batch(min(n, 5))
    for index, article in enumerate(
        ArticleFactory.create_batch(n, published=True, lead_photo=PhotoFactory(renditions=True))
    ):
        article.section = sections[index % len(sections)]
        article.save()
        BylineFactory.create_batch(n % 4 + 1, article=article)
        ExperienceEntryFactory(article=article)
    ArticleFactory.create_batch(n, scheduled=True)
    FrontPageSlotFactory(position=P.LEAD)
    topics = TopicFactory.create_batch(n, featured=True)
    article.topics.add(*topics)  # shown: a topic is public through a published story

    with django_assert_num_queries(HOME_PAGE_QUERIES):
        response = home(client)
    assert HOME_PAGE_QUERIES <= 4  # issue 8: list pages run 4 queries at most, menu included
    assert len(top_stories(response)) == min(n + 1, 5)
    with django_assert_num_queries(1):  # the stories: the menu, the featured topics and the entries are kept
        assert main_of(home(client)) == main_of(response)


def test_the_kept_experience_highlights_follow_new_and_scheduled_roundups(client, clock):
    """The home page's entries and featured topics are kept under the content generation: a new entry or topic
    shows at once, and a scheduled roundup's entries when its time comes, with nothing else changing."""
    article = ArticleFactory(published=True, published_at=minutes_ago(60))
    ExperienceEntryFactory(article=article, title="第一条")
    scheduled = ArticleFactory(scheduled=True, published_at=timezone.now() + timedelta(hours=2))
    ExperienceEntryFactory(article=scheduled, title="定时的经验")
    assert [title.split("：")[1] for title in entry_titles_in(home(client))] == ["第一条"]
    ExperienceEntryFactory(article=article, title="第二条", order=1)
    article.topics.add(TopicFactory(title="新推荐的专题", featured=True))
    html = main_of(home(client))
    assert "新推荐的专题" in html
    assert [title.split("：")[1] for title in entry_titles_in(home(client))] == ["第一条", "第二条"]
    clock.advance(hours=3)
    assert [title.split("：")[1] for title in entry_titles_in(home(client))] == ["定时的经验", "第一条", "第二条"]
