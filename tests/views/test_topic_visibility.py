"""A topic (专题) is public through its published stories only, as a reporter or an organisation is: a topic made
for a story not yet published (a draft, one in review, an embargoed one, one in the trash) shows nowhere, neither
its page and feeds nor the topic list, the home page's featured topics or the sitemap, until the story goes live."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ArticleFactory, TopicFactory
from tests.views.pages import UNPUBLISHED, main_of

pytestmark = pytest.mark.django_db

NOT_PUBLIC = {**UNPUBLISHED, "in the trash": {"published": True, "deleted_at": timezone.now}}


def story(state):
    return ArticleFactory(**{name: value() if callable(value) else value for name, value in state.items()})


def everywhere_a_topic_shows(client, topic):
    """What a reader can reach of the topic: its page and feeds (status codes), and whether its title is on the
    topic list, on the home page or its address in the sitemap."""
    feeds = [reverse(f"feeds:topic_{kind}", kwargs={"slug": topic.slug}) for kind in ("rss", "atom")]
    return {
        "page": client.get(topic.get_absolute_url()).status_code,
        "feeds": [client.get(feed).status_code for feed in feeds],
        "topic list": topic.title in main_of(client.get(reverse("articles:topic_list"))),
        "home": topic.title in main_of(client.get(reverse("articles:home"))),
        "sitemap": topic.get_absolute_url() in client.get("/sitemap-topics.xml").content.decode(),
    }


SHOWN = {"page": 200, "feeds": [200, 200], "topic list": True, "home": True, "sitemap": True}
HIDDEN = {"page": 404, "feeds": [404, 404], "topic list": False, "home": False, "sitemap": False}


@pytest.mark.parametrize("state", NOT_PUBLIC.values(), ids=NOT_PUBLIC.keys())
def test_a_topic_of_an_unpublished_story_only_shows_nowhere(client, state):
    topic = TopicFactory(title="换届选举专题", featured=True)
    story(state).topics.add(topic)
    ArticleFactory(published=True)  # the site has other news

    assert everywhere_a_topic_shows(client, topic) == HIDDEN


def test_a_topic_without_any_story_shows_nowhere(client):
    topic = TopicFactory(title="筹备中的专题", featured=True)

    assert everywhere_a_topic_shows(client, topic) == HIDDEN


def test_a_topic_shows_everywhere_once_its_first_story_is_published(client):
    topic = TopicFactory(title="换届选举专题", featured=True)
    draft = ArticleFactory()
    draft.topics.add(topic)
    assert everywhere_a_topic_shows(client, topic) == HIDDEN

    draft.status, draft.published_at = "published", timezone.now()
    draft.save()

    assert everywhere_a_topic_shows(client, topic) == SHOWN


def test_a_topic_of_an_embargoed_story_comes_out_at_its_time(client, clock):
    """The home page keeps its featured topics, and the topic page its topic and count: the topic whose story is
    scheduled joins them, and gets its page, at the story's time, with no job to run."""
    shown = TopicFactory(title="已有报道的专题", featured=True)
    ArticleFactory(published=True).topics.add(shown)
    embargoed = TopicFactory(title="定时发布的专题", featured=True)
    ArticleFactory(scheduled=True).topics.add(embargoed)

    def featured():
        html = main_of(client.get(reverse("articles:home")))
        return re.search(r'<section class="home-topics".*?</section>', html, re.S).group(0)

    assert "已有报道的专题" in featured() and "定时发布的专题" not in featured()
    assert client.get(embargoed.get_absolute_url()).status_code == 404
    clock.advance(days=2)
    assert "已有报道的专题" in featured() and "定时发布的专题" in featured()
    assert client.get(embargoed.get_absolute_url()).status_code == 200
