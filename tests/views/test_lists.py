"""Lists of articles: the latest news, section, topic and reporter pages; what they never show; query counts."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ArticleFactory,
    BylineFactory,
    BylineRoleFactory,
    ExperienceEntryFactory,
    OrganizationFactory,
    PhotoFactory,
    ReporterFactory,
    SectionFactory,
    TopicFactory,
)
from tests.views.pages import (
    MENU_QUERIES,
    UNPUBLISHED,
    entry_titles_in,
    headlines_in,
    main_of,
    make_one_in_each_state,
    text_of,
)

pytestmark = pytest.mark.django_db

# menu, count for the paginator, articles (section, lead photo joined), bylines, renditions of the lead photos
# (one query for all the cards; run when at least one card has a photo, as here)
LIST_PAGE_QUERIES = MENU_QUERIES + 2  # the paginator's count, the page (bylines and photos in its rows)


# --- Latest news --------------------------------------------------------------------------------------


def test_latest_news_lists_published_articles_only_newest_first(client):
    make_one_in_each_state()
    response = client.get(reverse("articles:article_list"))
    assert response.status_code == 200
    assert headlines_in(response) == ["刚发布", "旧闻"]


def test_latest_news_shows_a_scheduled_story_once_its_time_passes(client, clock):
    ArticleFactory(headline="定时", scheduled=True)
    assert headlines_in(client.get(reverse("articles:article_list"))) == []
    clock.advance(days=2)
    assert headlines_in(client.get(reverse("articles:article_list"))) == ["定时"]


def test_latest_news_is_paginated_with_page_numbers_in_the_url(client):
    ArticleFactory.create_batch(21, published=True)
    url = reverse("articles:article_list")
    first, second = client.get(url), client.get(f"{url}?page=2")
    assert len(headlines_in(first)) == 20
    assert len(headlines_in(second)) == 1
    assert f'rel="next" href="{url}?page=2"' in first.content.decode()
    assert '<nav class="pagination" aria-label="分页">' in first.content.decode()
    assert client.get(f"{url}?page=3").status_code == 404
    assert client.get(f"{url}?page=x%00").status_code == 404


def test_cards_show_summary_never_body(client):
    ArticleFactory(published=True, summary="导语文字。", body="<p>正文不上卡片。</p>")
    html = main_of(client.get(reverse("articles:article_list")))
    assert "导语文字。" in html
    assert "正文不上卡片。" not in html


# --- Sections -----------------------------------------------------------------------------------------


def test_section_page_lists_only_its_published_articles(client):
    section = SectionFactory(name="要闻", slug="yaowen", description="全省要闻。")
    make_one_in_each_state(section=section)
    ArticleFactory(headline="别的栏目", published=True)
    response = client.get(section.get_absolute_url())
    assert response.status_code == 200
    assert headlines_in(response) == ["刚发布", "旧闻"]
    assert "全省要闻。" in main_of(response)


# --- Topics -------------------------------------------------------------------------------------------


def test_topic_list_shows_every_topic_with_place_and_dates(client):
    from datetime import date

    ArticleFactory(published=True).topics.add(  # a topic is public through a published story
        TopicFactory(title="改革推进会", place="桐溪市", starts_on=date(2026, 11, 19), ends_on=date(2026, 11, 20)),
        TopicFactory(title="反家暴宣传周"),
    )
    response = client.get(reverse("articles:topic_list"))
    assert response.status_code == 200
    text = text_of(main_of(response))
    assert "改革推进会" in text and "反家暴宣传周" in text
    assert "桐溪市 · 2026年11月19日—2026年11月20日" in text


def test_topic_list_is_paginated(client):
    ArticleFactory(published=True).topics.add(*TopicFactory.create_batch(21))
    url = reverse("articles:topic_list")
    assert len(headlines_in(client.get(url))) == 20
    assert len(headlines_in(client.get(f"{url}?page=2"))) == 1


def test_topic_page_shows_introduction_articles_and_entries(client):
    topic = TopicFactory(title="妇联改革现场会", summary="专题导语。", place="桐溪市")
    article = ArticleFactory(headline="已发布", published=True)
    article.topics.add(topic)
    ExperienceEntryFactory(article=article, organization=OrganizationFactory(name="桐溪市妇联"), title="三张清单")
    ExperienceEntryFactory(title="别的专题的经验", article=ArticleFactory(published=True))
    ArticleFactory(headline="不在专题", published=True)

    response = client.get(topic.get_absolute_url())

    assert response.status_code == 200
    assert "专题导语。" in main_of(response) and "桐溪市" in main_of(response)
    assert headlines_in(response) == ["已发布"]
    assert entry_titles_in(response) == ["桐溪市妇联：三张清单"]


def test_topic_page_shows_the_newest_twenty_entries(client):
    """A topic gathering hundreds of entries keeps a page of constant size: the 20 newest."""
    topic = TopicFactory()
    for day in range(1, 24):
        article = ArticleFactory(published=True, published_at=timezone.now() - timedelta(days=day))
        article.topics.add(topic)
        ExperienceEntryFactory(article=article, title=f"经验{day:02d}")
    response = client.get(topic.get_absolute_url())
    titles = entry_titles_in(response)
    assert [title.split("：")[1] for title in titles] == [f"经验{day:02d}" for day in range(1, 21)]
    assert "其余经验交流见上方本专题的文章" in text_of(main_of(response))


def test_topic_page_with_few_entries_does_not_promise_more(client):
    topic = TopicFactory()
    article = ArticleFactory(published=True)
    article.topics.add(topic)
    ExperienceEntryFactory.create_batch(20, article=article)
    response = client.get(topic.get_absolute_url())
    assert len(entry_titles_in(response)) == 20
    assert "其余经验交流" not in text_of(main_of(response))


def test_a_topics_kept_entries_follow_new_and_scheduled_roundups(client, clock, django_assert_num_queries):
    """The topic's newest entries are kept under the content generation (reading them goes through every link of
    the topic): a warm page runs one query less, a new entry shows at once, and a scheduled roundup's entries show
    when its time comes, with nothing else changing."""
    topic = TopicFactory()
    article = ArticleFactory(published=True, published_at=timezone.now() - timedelta(days=1))
    article.topics.add(topic)
    ExperienceEntryFactory(article=article, title="第一条")
    scheduled = ArticleFactory(scheduled=True, published_at=timezone.now() + timedelta(hours=2))
    scheduled.topics.add(topic)
    ExperienceEntryFactory(article=scheduled, title="定时的经验")
    url = topic.get_absolute_url()
    first = client.get(url)
    assert [title.split("：")[1] for title in entry_titles_in(first)] == ["第一条"]
    with django_assert_num_queries(1):  # the page (the menu, the topic with its count and the entries are kept)
        assert main_of(client.get(url)) == main_of(first)
    ExperienceEntryFactory(article=article, title="第二条", order=1)
    assert [title.split("：")[1] for title in entry_titles_in(client.get(url))] == ["第一条", "第二条"]
    clock.advance(hours=3)
    assert [title.split("：")[1] for title in entry_titles_in(client.get(url))] == ["定时的经验", "第一条", "第二条"]


def test_a_kept_reporter_shows_a_new_name_at_once(client):
    """The reporter is kept under the content generation: editing them starts a new one."""
    reporter = ReporterFactory(name="王旧名")
    BylineFactory(article=ArticleFactory(published=True), reporter=reporter)
    assert "王旧名" in main_of(client.get(reporter.get_absolute_url()))
    reporter.name = "王新名"
    reporter.save()
    html = main_of(client.get(reporter.get_absolute_url()))
    profile = html[: html.index('<div class="card-list">')]
    assert "王新名" in profile and "王旧名" not in profile
    assert "记者 王旧名" in text_of(html)  # her story's card: the byline it was printed under


def test_every_page_of_a_topic_lists_its_published_stories_newest_first(client):
    """A topic's pages (read through its kept ids on PostgreSQL) hold exactly its published stories, newest first,
    20 a page, whatever else the topic links: drafts, scheduled and trashed stories, another topic's stories."""
    topic = TopicFactory()
    now = timezone.now()
    published = [
        ArticleFactory(headline=f"专题稿{n:02}", published=True, published_at=now - timedelta(hours=n))
        for n in range(45)
    ]
    for story in published:
        story.topics.add(topic)
    for state in UNPUBLISHED.values():
        ArticleFactory(headline="不该出现", **state).topics.add(topic)
    ArticleFactory(headline="别的专题的稿", published=True).topics.add(TopicFactory())
    url = topic.get_absolute_url()
    pages = [headlines_in(client.get(f"{url}?page={number}")) for number in (1, 2, 3)]
    assert pages == [[story.headline for story in published[start : start + 20]] for start in (0, 20, 40)]
    assert headlines_in(client.get(f"{url}?page=last")) == pages[2]
    assert client.get(f"{url}?page=4").status_code == 404


def test_a_kept_topic_shows_its_new_title_and_introduction_at_once(client):
    """The topic is kept with its count under the content generation: editing it starts a new one."""
    topic = TopicFactory(title="旧的专题名", summary="旧的介绍")
    ArticleFactory(published=True).topics.add(topic)
    assert "旧的专题名" in main_of(client.get(topic.get_absolute_url()))
    topic.title, topic.summary = "新的专题名", "新的介绍"
    topic.save()
    html = main_of(client.get(topic.get_absolute_url()))
    assert "新的专题名" in html and "新的介绍" in html and "旧的" not in html


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_topic_page_never_shows_unpublished_articles_or_their_entries(client, state):
    topic = TopicFactory()
    hidden = ArticleFactory(headline="不该出现", **state)
    hidden.topics.add(topic)
    ExperienceEntryFactory(article=hidden, title="不该出现的经验")
    fresh = ArticleFactory(headline="刚发布", just_published=True)
    fresh.topics.add(topic)

    response = client.get(topic.get_absolute_url())

    assert headlines_in(response) == ["刚发布"]
    assert "不该出现" not in response.content.decode()


# --- Reporters ----------------------------------------------------------------------------------------


def test_reporter_page_shows_profile_and_the_role_held_in_each_story(client):
    reporter = ReporterFactory(name="陈思远", title="首席记者", affiliation="今日女报社", bio="跑妇联口。")
    report = ArticleFactory(headline="推进会召开", published=True)
    BylineFactory(article=report, reporter=reporter, role=BylineRoleFactory(name="首席记者"), order=1)
    BylineFactory(article=report, role=BylineRoleFactory(name="见习记者"), order=2)
    roundup = ArticleFactory(headline="经验交流", published=True)
    BylineFactory(article=roundup, reporter=reporter, role=BylineRoleFactory(name="整理"))

    response = client.get(reporter.get_absolute_url())
    html = main_of(response)

    assert "首席记者 · 今日女报社" in text_of(html) and "跑妇联口。" in html
    cards = {
        text_of(re.search(r'class="card-headline">(.*?)</h2>', card, re.S).group(1)): text_of(
            re.search(r'<p class="card-roles">.*?</p>', card, re.S).group(0)
        )
        for card in re.findall(r'<article class="card">.*?</article>', html, re.S)
    }
    assert cards == {"推进会召开": "署名身份：首席记者", "经验交流": "署名身份：整理"}


def test_reporter_page_lists_a_story_once_with_both_roles(client):
    reporter = ReporterFactory()
    article = ArticleFactory(headline="一稿两职", published=True)
    BylineFactory(article=article, reporter=reporter, role=BylineRoleFactory(name="记者"), order=1)
    BylineFactory(article=article, reporter=reporter, role=BylineRoleFactory(name="摄影"), order=2)
    response = client.get(reporter.get_absolute_url())
    assert headlines_in(response) == ["一稿两职"]
    assert "署名身份：记者、摄影" in text_of(main_of(response))


def test_reporter_portrait_has_alt_text_and_size(client, media_root):
    from django.core.files.base import ContentFile

    from tests.factories import image_bytes

    reporter = ReporterFactory(name="唐欣")
    reporter.portrait.save("p.jpg", ContentFile(image_bytes()), save=True)
    BylineFactory(article=ArticleFactory(published=True), reporter=reporter)
    html = main_of(client.get(reporter.get_absolute_url()))
    img = re.search(r'<img class="reporter-portrait"[^>]*>', html).group(0)
    assert 'alt="唐欣的照片"' in img and 'width="160"' in img and 'height="160"' in img


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_a_reporter_is_unknown_to_readers_until_a_story_of_theirs_is_published(client, state):
    """A correspondent named only in a draft (or a scheduled, trashed... story) has no page and no feed."""
    reporter = ReporterFactory(name="孙某某")
    article = ArticleFactory(**state)
    BylineFactory(article=article, reporter=reporter)
    feed = reverse("feeds:reporter_rss", kwargs={"slug": reporter.slug})

    assert client.get(reporter.get_absolute_url()).status_code == 404
    assert client.get(feed).status_code == 404

    BylineFactory(article=ArticleFactory(published=True), reporter=reporter)
    assert client.get(reporter.get_absolute_url()).status_code == 200
    assert client.get(feed).status_code == 200


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_reporter_page_never_shows_an_unpublished_story(client, state):
    reporter = ReporterFactory()
    BylineFactory(article=ArticleFactory(headline="不该出现", **state), reporter=reporter)
    BylineFactory(article=ArticleFactory(headline="刚发布", just_published=True), reporter=reporter)
    BylineFactory(article=ArticleFactory(headline="别人写的", published=True))
    response = client.get(reporter.get_absolute_url())
    assert headlines_in(response) == ["刚发布"]
    assert "不该出现" not in response.content.decode()


@pytest.mark.parametrize("url_name", ["section_detail", "topic_detail", "reporter_detail", "organization_detail"])
def test_unknown_list_page_is_404(client, url_name):
    assert client.get(reverse(f"articles:{url_name}", kwargs={"slug": "nobody"})).status_code == 404


# --- Query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 12])
@pytest.mark.parametrize("kind", ["latest", "section", "topic", "reporter"])
def test_list_page_queries_do_not_grow(client, django_assert_num_queries, kind, n):
    section, topic, reporter = SectionFactory(), TopicFactory(), ReporterFactory()
    for article in ArticleFactory.create_batch(
        n, published=True, section=section, lead_photo=PhotoFactory(renditions=True)
    ):
        article.topics.add(topic)
        BylineFactory(article=article, reporter=reporter)
        BylineFactory.create_batch(n % 3 + 1, article=article)
        ExperienceEntryFactory.create_batch(n % 3 + 1, article=article)
    ArticleFactory.create_batch(n, scheduled=True, section=section)
    url = {
        "latest": reverse("articles:article_list"),
        "section": section.get_absolute_url(),
        "topic": topic.get_absolute_url(),
        "reporter": reporter.get_absolute_url(),
    }[kind]
    expected = {
        "latest": LIST_PAGE_QUERIES,
        "section": LIST_PAGE_QUERIES,  # the section comes with the cached menu
        "topic": LIST_PAGE_QUERIES + 1,  # the topic (its stories counted in the same query), its entries
        "reporter": LIST_PAGE_QUERIES + 1,  # the reporter, the count (their roles are in the cards' bylines)
    }[kind]

    with django_assert_num_queries(expected):
        response = client.get(url)
    assert expected <= 4  # issue 8: list pages run 4 queries at most, menu included
    assert len(headlines_in(response)) == n
    # The page only: the menu, the list's length and the page's object (the topic with its count and its entries)
    # are kept in the cache.
    with django_assert_num_queries(1):
        again = client.get(url)
    assert main_of(again) == main_of(response)


def test_a_cached_list_length_follows_publishing_and_scheduled_stories(client, clock):
    """The latest, section, reporter and topic lists keep their length in the cache: a story published (or
    bylined, or added to the topic), or a scheduled one going live, shows at once with the right page count."""
    section, reporter, topic = SectionFactory(), ReporterFactory(), TopicFactory()
    for article in ArticleFactory.create_batch(20, published=True, section=section):
        BylineFactory(article=article, reporter=reporter)
        article.topics.add(topic)
    scheduled = ArticleFactory(scheduled=True, section=section, published_at=timezone.now() + timedelta(hours=1))
    BylineFactory(article=scheduled, reporter=reporter)
    scheduled.topics.add(topic)
    urls = (
        reverse("articles:article_list"),
        section.get_absolute_url(),
        reporter.get_absolute_url(),
        topic.get_absolute_url(),
    )
    for url in urls:
        assert "共 2 页" not in main_of(client.get(url))  # 20 stories: one page
    new = ArticleFactory(published=True, section=section)
    BylineFactory(article=new, reporter=reporter)  # a new generation
    for url in urls[:3]:
        assert "共 2 页" in main_of(client.get(url))
    assert "共 2 页" not in main_of(client.get(urls[3]))
    new.topics.add(topic)  # the topic's links changed: a new generation
    for url in urls:
        assert "共 2 页" in main_of(client.get(url))
        assert len(headlines_in(client.get(url + "?page=2"))) == 1
    clock.advance(hours=2)  # the scheduled story goes live: no save, no signal
    for url in urls:
        assert len(headlines_in(client.get(url + "?page=2"))) == 2


@pytest.mark.parametrize("n", [1, 12])
def test_topic_list_queries_do_not_grow(client, django_assert_num_queries, n):
    ArticleFactory(published=True).topics.add(*TopicFactory.create_batch(n))
    with django_assert_num_queries(MENU_QUERIES + 2):  # count, topics
        response = client.get(reverse("articles:topic_list"))
    assert len(headlines_in(response)) == n
