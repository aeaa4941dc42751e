"""Special topics (专题) in the admin: their dates, and what deleting one takes off the site."""

from datetime import date

import pytest
from django.urls import reverse

from articles.models import Article, Topic
from tests.factories import ArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db


def topic_data(**changes):
    return {
        "title": "反家庭暴力宣传周",
        "slug": "fanjiabao",
        "summary": "",
        "place": "",
        "starts_on": "2026-12-05",
        "ends_on": "2026-12-01",
        **changes,
    }


def test_a_topic_that_ends_before_it_starts_is_refused_on_its_end_date_in_words(editor_client):
    """The database's rule alone answered, by its name: 约束 "articles_topic_ends_after_start" 是无效的."""
    response = editor_client.post(reverse("admin:articles_topic_add"), topic_data())

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"ends_on": ["专题的结束日期不能早于开始日期，请检查这两个日期。"]}
    assert "articles_topic_ends_after_start" not in response.content.decode()
    assert 'value="反家庭暴力宣传周"' in response.content.decode()  # what was typed is kept
    assert not Topic.objects.exists()

    assert editor_client.post(reverse("admin:articles_topic_add"), topic_data(ends_on="2026-12-11")).status_code == 302
    assert Topic.objects.get().ends_on == date(2026, 12, 11)


def test_the_delete_page_of_a_topic_names_the_stories_that_lose_it(client, chief_editor_user):
    client.force_login(chief_editor_user)
    topic = TopicFactory(title="反家庭暴力宣传周")
    for headline in ["宣传周启动", "社区讲座"]:
        ArticleFactory(headline=headline, published=True).topics.add(topic)
    ArticleFactory(headline="别的专题的稿件", published=True).topics.add(TopicFactory())
    url = reverse("admin:articles_topic_delete", args=[topic.pk])

    html = client.get(url).content.decode()

    assert "专题页和它的订阅源会立即从网站上消失" in html
    assert "宣传周启动</a>" in html and "社区讲座</a>" in html and "别的专题的稿件" not in html
    assert "Article_topics object" not in html and "Article-topic" not in html

    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Topic.objects.filter(pk=topic.pk).exists()
    assert Article.objects.filter(headline__in=["宣传周启动", "社区讲座"]).count() == 2  # the stories stay


def test_the_topic_box_tells_topics_of_the_same_title_apart(editor_client):
    """Two yearly campaigns of one title showed as the same line in the story's topic box."""
    TopicFactory(title="反家暴宣传周", starts_on=date(2025, 11, 25))
    TopicFactory(title="反家暴宣传周", starts_on=date(2026, 11, 25))
    url = reverse("admin:autocomplete") + "?app_label=articles&model_name=article&field_name=topics&term=反家暴"

    labels = sorted(result["text"] for result in editor_client.get(url).json()["results"])

    assert labels == ["反家暴宣传周（2025年11月）", "反家暴宣传周（2026年11月）"]
