"""An article's topic links carry copies of its state (migration 0017), for its related stories (issue 8).

- The links of ``Article.topics`` carry ``article_live`` and ``article_published_at``, kept by database triggers:
  after any change of an article (a save, a bulk update, raw SQL, the trash, a deletion) or of its topics, the
  copies are the article's state, on PostgreSQL and SQLite alike.
- A topic's newest live stories read from the copies (``articles_topic_link_live_idx``) are the ones the articles
  define; on PostgreSQL the related stories of an article read only those few entries of each of its topics
  (tests/test_list_indexes.py checks the plan).
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from articles import services
from articles.models import Article, TopicLink
from tests.factories import ArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db


def assert_copies_right():
    links = list(TopicLink.objects.all())
    for link in links:
        article = Article.all_objects.get(pk=link.article_id)
        assert link.article_published_at == article.published_at, link
        assert link.article_live == (article.status == "published" and article.deleted_at is None), link
    return links


def newest_from_links(topic):
    """The topic's live stories, newest first, read from the links' copies alone."""
    links = TopicLink.objects.filter(topic=topic, article_live=True, article_published_at__lte=timezone.now())
    return list(links.order_by("-article_published_at", "-article_id").values_list("article_id", flat=True))


def newest_from_articles(topic):
    stories = Article.objects.published().in_topic(topic).order_by("-published_at", "-id")
    return list(stories.values_list("pk", flat=True))


def test_topic_links_follow_every_change_of_their_article(admin_user):
    now = timezone.now()
    topic, other = TopicFactory(), TopicFactory()
    old = ArticleFactory(published=True, published_at=now - timedelta(days=3))
    new = ArticleFactory(published=True, published_at=now - timedelta(days=1))
    draft = ArticleFactory()
    for article in (old, new, draft):
        article.topics.add(topic)
    new.topics.add(other)
    assert len(assert_copies_right()) == 4
    assert newest_from_links(topic) == newest_from_articles(topic) == [new.pk, old.pk]

    draft.status, draft.published_at = "published", now - timedelta(hours=1)  # published (a save)
    draft.save()
    assert_copies_right()
    assert newest_from_links(topic) == newest_from_articles(topic) == [draft.pk, new.pk, old.pk]

    old.published_at = now - timedelta(minutes=5)  # rescheduled: now the newest
    old.save(update_fields=["published_at"])
    assert_copies_right()
    assert newest_from_links(topic) == [old.pk, draft.pk, new.pk]
    old.published_at = now + timedelta(days=1)  # into the future: gone until then
    old.save()
    assert_copies_right()
    assert newest_from_links(topic) == newest_from_articles(topic) == [draft.pk, new.pk]

    Article.objects.filter(pk=new.pk).update(status="draft")  # a bulk update (no signal, no save)
    assert_copies_right()
    assert newest_from_links(other) == []
    with connection.cursor() as cursor:  # raw SQL
        cursor.execute("UPDATE articles_article SET status = 'published' WHERE id = %s", [new.pk])
    assert_copies_right()
    assert newest_from_links(other) == [new.pk]

    services.move_to_trash(Article.objects.get(pk=new.pk), admin_user)
    assert_copies_right()
    assert newest_from_links(topic) == newest_from_articles(topic) == [draft.pk]
    services.restore_from_trash(Article.all_objects.get(pk=new.pk), admin_user)  # back as a draft
    assert_copies_right()

    Article.all_objects.get(pk=draft.pk).delete()  # deleted for good, its links with it
    assert_copies_right()
    assert newest_from_links(topic) == newest_from_articles(topic) == []


def test_links_written_take_their_articles_state():
    """A link added to a published story (the admin's topics field, ``set``), and one written by raw SQL with
    wrong copies: the database gives each its article's state."""
    topic = TopicFactory()
    live, draft = ArticleFactory(published=True), ArticleFactory()
    live.topics.set([topic])
    draft.topics.add(topic)
    links = {link.article_id: link for link in assert_copies_right()}
    assert links[live.pk].article_live and not links[draft.pk].article_live
    stray = ArticleFactory(published=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO articles_article_topics (article_id, topic_id, article_live, article_published_at) "
            "VALUES (%s, %s, %s, NULL)",
            [stray.pk, topic.pk, False],
        )
        cursor.execute("UPDATE articles_article_topics SET article_live = %s WHERE article_id = %s", [False, live.pk])
    assert_copies_right()
    assert newest_from_links(topic) == newest_from_articles(topic)
    assert set(newest_from_links(topic)) == {live.pk, stray.pk}
