"""A section, topic, reporter or organisation whose slug changes keeps its old links and feeds working (301)."""

import pytest
from django.urls import reverse

from tests.factories import (
    ArticleFactory,
    BylineFactory,
    ExperienceEntryFactory,
    OrganizationFactory,
    ReporterFactory,
    SectionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def published_in(kind):
    """A published story that makes the page of a ``kind`` public; returns the object."""
    story = ArticleFactory(published=True)
    if kind == "section":
        return story.section
    if kind == "topic":
        topic = TopicFactory(slug="fanjiabao-xuanchuanzhou")
        story.topics.add(topic)
        return topic
    if kind == "reporter":
        return BylineFactory(article=story, reporter=ReporterFactory(slug="tang-xin")).reporter
    return ExperienceEntryFactory(article=story, organization=OrganizationFactory(slug="qinghe-fulian")).organization


@pytest.mark.parametrize("kind", ["section", "topic", "reporter", "organization"])
def test_a_page_s_old_address_leads_to_its_new_one(client, kind):
    holder = published_in(kind)
    old_url = holder.get_absolute_url()
    holder.slug = "new-address"
    holder.save()

    response = client.get(old_url + "?page=2")

    assert response.status_code == 301
    assert response["Location"] == holder.get_absolute_url() + "?page=2"
    assert client.get(holder.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("kind", ["section", "topic", "reporter", "organization"])
@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_a_feed_s_old_address_leads_to_its_new_one(client, kind, fmt):
    """A feed reader subscribed before the change got 404 at every check."""
    feed = kind
    holder = published_in(kind)
    old_url = reverse(f"feeds:{feed}_{fmt}", kwargs={"slug": holder.slug})
    holder.slug = "new-address"
    holder.save()

    response = client.get(old_url)

    assert (response.status_code, response["Location"]) == (
        301,
        reverse(f"feeds:{feed}_{fmt}", kwargs={"slug": "new-address"}),
    )


def test_an_old_address_taken_by_another_leads_to_that_one(client):
    first = published_in("topic")
    first.slug = "fanjiabao-2026"
    first.save()
    second = TopicFactory(slug="fanjiabao-xuanchuanzhou")  # the old address, given to another topic
    ArticleFactory(published=True).topics.add(second)

    assert client.get("/topics/fanjiabao-xuanchuanzhou/").status_code == 200
    # Renamed twice: every former address leads to the current one.
    first.slug = "fanjiabao-2027"
    first.save()
    assert client.get("/topics/fanjiabao-2026/")["Location"] == "/topics/fanjiabao-2027/"


def test_an_address_that_never_was_is_still_404(client):
    SectionFactory(slug="yaowen")
    assert client.get("/sections/no-such-section/").status_code == 404
    assert client.get("/topics/no-such-topic/").status_code == 404


def test_a_new_section_taking_a_former_address_is_not_sent_to_the_old_holder(client):
    """A section made with the old address of a renamed one: a 404 of its own (a page past its end) sent readers, for
    good (301), to the other section."""
    old = SectionFactory(slug="shehui")
    ArticleFactory(published=True, section=old)
    old.slug = "shehui-2025"
    old.save()
    new = SectionFactory(slug="shehui", name="社会新闻")
    ArticleFactory(published=True, section=new)

    assert client.get(new.get_absolute_url() + "?page=7").status_code == 404


def test_a_topic_not_yet_public_at_a_reused_address_does_not_lead_to_last_year_s(client):
    last_year = TopicFactory(slug="lianghui")
    ArticleFactory(published=True).topics.add(last_year)
    last_year.slug = "lianghui-2025"
    last_year.save()
    this_year = TopicFactory(slug="lianghui")  # its first story is not out yet

    assert client.get(this_year.get_absolute_url()).status_code == 404


def test_an_old_address_does_not_give_away_the_new_one_of_a_page_not_public(client):
    """A reporter with nothing published is a 404 everywhere; her old address answered 301 with her new one."""
    reporter = ReporterFactory(slug="li-mou")
    BylineFactory(article=ArticleFactory(), reporter=reporter)  # a draft only
    old_url = reporter.get_absolute_url()
    reporter.slug = "li-mou-2"
    reporter.save()

    assert client.get(old_url).status_code == 404
