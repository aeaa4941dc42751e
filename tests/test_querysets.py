"""The one definition of "public" (published(), is_published(), scheduled()) and who may edit what."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from articles.models import Article, ExperienceEntry, Status
from tests.factories import ArticleFactory, BylineFactory, ExperienceEntryFactory, ReporterFactory, UserFactory

pytestmark = pytest.mark.django_db

NOT_PUBLIC = {
    "draft": {},
    "in review": {"in_review": True},
    "scheduled": {"scheduled": True},
    "scheduled in a second": {"status": Status.PUBLISHED, "published_at_delta": timedelta(seconds=5)},
    "in review with a past time": {"status": Status.IN_REVIEW, "published_at_delta": -timedelta(days=1)},
}
PUBLIC = {
    "published": {"published": True},
    "just published": {"status": Status.PUBLISHED, "published_at_delta": -timedelta(seconds=1)},
}


def make_article(published_at_delta=None, **kwargs):
    if published_at_delta is not None:
        kwargs["published_at"] = timezone.now() + published_at_delta
    return ArticleFactory(**kwargs)


@pytest.mark.parametrize("state", NOT_PUBLIC.values(), ids=NOT_PUBLIC.keys())
def test_unpublished_article_is_not_public(state):
    article = make_article(**state)
    assert not Article.objects.published().filter(pk=article.pk).exists()
    assert article.is_published() is False


@pytest.mark.parametrize("state", PUBLIC.values(), ids=PUBLIC.keys())
def test_published_article_is_public(state):
    article = make_article(**state)
    assert list(Article.objects.published()) == [article]
    assert article.is_published() is True


def test_article_published_exactly_now_is_public(monkeypatch):
    moment = timezone.now().replace(microsecond=123456)
    article = ArticleFactory(status=Status.PUBLISHED, published_at=moment)
    monkeypatch.setattr(timezone, "now", lambda: moment)

    assert list(Article.objects.published()) == [article]
    assert article.is_published() is True
    assert not Article.objects.scheduled().exists()


def test_scheduled_article_goes_live_by_itself_when_its_time_comes(monkeypatch):
    start = timezone.now()
    article = ArticleFactory(status=Status.PUBLISHED, published_at=start + timedelta(hours=2))
    assert not Article.objects.published().exists()

    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(hours=2, seconds=1))

    assert list(Article.objects.published()) == [article]
    assert article.is_published() is True


def test_scheduled_lists_only_embargoed_stories():
    scheduled = ArticleFactory(scheduled=True)
    ArticleFactory(published=True)
    ArticleFactory()
    ArticleFactory(in_review=True)

    assert list(Article.objects.scheduled()) == [scheduled]


def test_published_is_newest_first_in_listings():
    now = timezone.now()
    older = ArticleFactory(published=True, published_at=now - timedelta(days=1))
    newer = ArticleFactory(published=True, published_at=now - timedelta(minutes=1))
    assert list(Article.objects.published().for_listing()) == [newer, older]


@pytest.mark.parametrize("state", NOT_PUBLIC.values(), ids=NOT_PUBLIC.keys())
def test_experience_entry_of_an_unpublished_article_is_not_public(state):
    ExperienceEntryFactory(article=make_article(**state))
    assert not ExperienceEntry.objects.published().exists()


@pytest.mark.parametrize("state", PUBLIC.values(), ids=PUBLIC.keys())
def test_experience_entry_of_a_published_article_is_public(state):
    entry = ExperienceEntryFactory(article=make_article(**state))
    ExperienceEntryFactory(article=ArticleFactory())
    assert list(ExperienceEntry.objects.published()) == [entry]


# --- editable_by -----------------------------------------------------------------------------------


@pytest.fixture
def newsroom_articles(reporter_user, other_reporter_user):
    """Four stories: created by the reporter, bylined on the reporter, bylined twice on them, someone else's."""
    created = ArticleFactory(headline="自己创建", created_by=reporter_user)
    bylined = ArticleFactory(headline="署名", created_by=other_reporter_user, published=True)
    BylineFactory(article=bylined, reporter=reporter_user.reporter)
    both = ArticleFactory(headline="创建并署名", created_by=reporter_user, in_review=True)
    BylineFactory(article=both, reporter=reporter_user.reporter)
    BylineFactory(article=both, reporter=reporter_user.reporter, role__name="摄影")
    BylineFactory(article=both, reporter=other_reporter_user.reporter)
    others = ArticleFactory(headline="别人的", created_by=other_reporter_user)
    BylineFactory(article=others, reporter=ReporterFactory())
    return {"created": created, "bylined": bylined, "both": both, "others": others}


def test_editor_may_edit_every_article(editor_user, newsroom_articles):
    assert set(Article.objects.editable_by(editor_user)) == set(newsroom_articles.values())


def test_superuser_may_edit_every_article(admin_user, newsroom_articles):
    assert set(Article.objects.editable_by(admin_user)) == set(newsroom_articles.values())


def test_reporter_may_edit_what_they_created_or_are_bylined_on_once_each(reporter_user, newsroom_articles):
    editable = list(Article.objects.editable_by(reporter_user))

    assert sorted(a.headline for a in editable) == sorted(["自己创建", "署名", "创建并署名"])
    assert newsroom_articles["others"] not in editable


def test_other_reporter_sees_their_own_share_only(other_reporter_user, newsroom_articles):
    editable = set(Article.objects.editable_by(other_reporter_user))
    assert editable == {newsroom_articles["bylined"], newsroom_articles["both"], newsroom_articles["others"]}


def test_anonymous_visitor_may_edit_nothing(newsroom_articles):
    assert not Article.objects.editable_by(AnonymousUser()).exists()


def test_non_staff_user_may_edit_nothing_even_when_bylined(reporter_user, newsroom_articles):
    reporter_user.is_staff = False
    reporter_user.save()
    assert not Article.objects.editable_by(reporter_user).exists()


def test_deactivated_reporter_may_edit_nothing(reporter_user, newsroom_articles):
    reporter_user.is_active = False
    reporter_user.save()
    assert not Article.objects.editable_by(reporter_user).exists()


def test_staff_user_outside_the_newsroom_groups_sees_only_their_own(newsroom_articles):
    user = UserFactory(staff=True)
    mine = ArticleFactory(created_by=user)
    assert list(Article.objects.editable_by(user)) == [mine]


# --- An article's parts in its own row (issue 8: fewer queries per page) ---------------------------------


@pytest.mark.django_db
def test_parts_in_the_article_row_are_what_prefetching_gives(django_assert_num_queries):
    from tests.factories import ArticlePhotoFactory, CorrectionFactory, TopicFactory

    article = ArticleFactory(published=True)
    for order in (2, 0, 1):
        BylineFactory(article=article, order=order)
    ArticlePhotoFactory.create_batch(2, article=article)
    CorrectionFactory.create_batch(2, article=article)
    article.topics.add(*TopicFactory.create_batch(3))
    expected = Article.objects.prefetch_related("bylines__reporter", "bylines__role", "topics", "corrections")
    expected = expected.prefetch_related("article_photos__photo").get(pk=article.pk)

    with django_assert_num_queries(1):
        loaded = Article.objects.with_parts("bylines_json", "topics_json", "corrections_json", "photos_json").get(
            pk=article.pk
        )
        bylines = [(b.pk, b.reporter.name, b.reporter.get_absolute_url(), b.role.name) for b in loaded.bylines.all()]
        topics = [(t.pk, t.title, t.get_absolute_url()) for t in loaded.topics.all()]
        corrections = [(c.pk, c.text, c.noted_at, c.get_kind_display()) for c in loaded.corrections.all()]
        photos = [(p.pk, p.caption, p.photo.alt_text, p.photo.image.name) for p in loaded.article_photos.all()]

    ordered = sorted(expected.bylines.all(), key=lambda b: (b.order, b.pk))
    assert bylines == [(b.pk, b.reporter.name, b.reporter.get_absolute_url(), b.role.name) for b in ordered]
    assert topics == [
        (t.pk, t.title, t.get_absolute_url()) for t in sorted(expected.topics.all(), key=lambda t: t.title)
    ]
    assert corrections == [
        (c.pk, c.text, c.noted_at, c.get_kind_display())
        for c in sorted(expected.corrections.all(), key=lambda c: (c.noted_at, c.pk))
    ]
    assert photos == [(p.pk, p.caption, p.photo.alt_text, p.photo.image.name) for p in expected.article_photos.all()]


@pytest.mark.django_db
def test_a_query_asked_of_an_articles_parts_reads_only_its_own_rows():
    """The parts read from the article's row hold their rows; a new query asked of them (filtered, counted afresh)
    still reads only this article's rows, as the relation's own manager would."""
    from tests.factories import TopicFactory

    article, other = ArticleFactory(published=True), ArticleFactory(published=True)
    for order in (1, 0):
        BylineFactory(article=article, order=order)
        BylineFactory(article=other, order=order)
    article.topics.add(TopicFactory(title="两会"))
    other.topics.add(TopicFactory(title="两会报道"))

    loaded = Article.objects.with_parts("bylines_json", "topics_json").get(pk=article.pk)
    own_bylines = set(article.bylines.values_list("pk", flat=True))
    assert {byline.pk for byline in loaded.bylines.all()} == own_bylines
    assert set(loaded.bylines.all().filter(order__gte=0).values_list("pk", flat=True)) == own_bylines
    assert loaded.bylines.all().order_by("-order").count() == 2
    assert [topic.title for topic in loaded.topics.all().filter(title__startswith="两会")] == ["两会"]
    assert loaded.corrections.all().exists() is False


@pytest.mark.django_db
def test_an_article_without_parts_has_empty_parts():
    article = ArticleFactory(published=True)
    loaded = Article.objects.for_listing().get(pk=article.pk)
    assert list(loaded.bylines.all()) == []


@pytest.mark.parametrize("topics_of_article", [0, 1, 2])
def test_related_articles_match_the_plain_definition(topics_of_article):
    """``related_to`` reads only a few candidates (the newest sharing a topic, the newest of the section); its
    answer is the plain definition's: sharing a topic first, then the section, newest first, never itself, never
    an unpublished story, a story sharing a topic and the section shown once."""
    import random

    from tests.factories import SectionFactory, TopicFactory

    rng = random.Random(topics_of_article)
    sections, topics = SectionFactory.create_batch(2), TopicFactory.create_batch(3)
    now = timezone.now()
    states = [{"published": True}] * 4 + [{}, {"scheduled": True}]
    articles = []
    for _ in range(40):
        state = rng.choice(states)
        if state.get("published"):
            state = {"published": True, "published_at": now - timedelta(hours=rng.randrange(1, 500))}
        articles.append(ArticleFactory(section=rng.choice(sections), **state))
        articles[-1].topics.add(*rng.sample(topics, rng.choice([0, 0, 1, 2])))
    article = ArticleFactory(published=True, section=sections[0])
    article.topics.add(*topics[:topics_of_article])
    article = Article.objects.for_detail().get(pk=article.pk)

    published = list(Article.objects.published().exclude(pk=article.pk).prefetch_related("topics"))
    shared = {t.pk for t in topics[:topics_of_article]}

    def key(other):
        shares = bool(shared & {t.pk for t in other.topics.all()})
        return (not shares, -other.published_at.timestamp(), -other.pk)

    candidates = [a for a in published if shared & {t.pk for t in a.topics.all()} or a.section_id == sections[0].pk]
    expected = [a.pk for a in sorted(candidates, key=key)[:4]]
    assert len(expected) == 4
    for limit in (4, 2):
        assert [row["id"] for row in Article.objects.published().related_to(article, limit=limit)] == expected[:limit]
        if connection.vendor == "postgresql":  # the article page's own query reads them there
            detail = Article.objects.published_detail(article.pk, related=limit)
            assert [row["id"] for row in detail.related_rows] == expected[:limit]


PART_VALUES = {
    "Byline": {"id": 3, "article_id": 1, "reporter_id": 2, "role_id": 4, "order": 1},
    "Reporter": {"id": 2, "name": "覃晓岚", "slug": "qin-xiaolan"},
    "BylineRole": {"id": 4, "name": "记者", "order": 0},
    "Topic": {"id": 5, "title": "乡村振兴", "slug": "xiang-cun"},
    "Correction": {"id": 6, "article_id": 1, "kind": "correction", "text": "更正", "noted_at": timezone.now()},
    "ArticlePhoto": {"id": 7, "article_id": 1, "photo_id": 8, "caption": "会场", "order": 0},
    "Photo": {"id": 8, "image": "photos/a.jpg", "width": 1200, "height": 800, "alt_text": "会场", "rendition_set": []},
    "ExperienceEntry": {"id": 9, "article_id": 1, "organization_id": 10, "title": "题", "form": "oral", "order": 2},
    "Organization": {"id": 10, "name": "县妇联", "short_name": "妇联", "slug": "xian", "level": "county"},
}


@pytest.mark.parametrize("model_name", PART_VALUES)
def test_the_article_pages_part_instances_are_what_the_model_gives(model_name):
    """The parts read from the article page's JSON (bylines, photos, entries...) are built without running
    Model.__init__ for each row: they must hold what ``Model(**values)`` holds, every other field at its default,
    marked as rows of the database they were read from."""
    from articles.querysets import _part, model

    values = PART_VALUES[model_name]
    built, plain = _part(model_name, "default", **values), model(model_name)(**values)
    plain._state.adding, plain._state.db = False, "default"

    def fields(instance):
        return {name: value for name, value in instance.__dict__.items() if name != "_state"}

    assert type(built) is type(plain)
    assert fields(built) == fields(plain)
    assert (built._state.adding, built._state.db) == (plain._state.adding, plain._state.db)
    assert built.get_deferred_fields() == set()  # reading a field never runs a query


def test_part_instances_do_not_share_a_default_list():
    from articles.querysets import _part

    first, second = _part("Photo", "default", id=1), _part("Photo", "default", id=2)
    first.rendition_set.append({"width": 320})
    assert second.rendition_set == []


@pytest.mark.django_db
def test_a_filter_through_an_articles_topics_reads_only_its_own_links():
    """``article.topics.filter(articles__...)`` is about this article's own link to each topic (Django keeps the
    relation's join for the next filter: ``_next_is_sticky``), loaded with its parts or not: another article
    sharing the topic does not make it match."""
    from tests.factories import TopicFactory

    article, other = ArticleFactory(published=True, headline="甲"), ArticleFactory(published=True, headline="乙")
    topic = TopicFactory(title="两会")
    article.topics.add(topic)
    other.topics.add(topic)

    plain = Article.objects.get(pk=article.pk)
    loaded = Article.objects.with_parts("topics_json").get(pk=article.pk)
    assert list(plain.topics.filter(articles__headline="乙")) == []
    assert list(loaded.topics.filter(articles__headline="乙")) == []
    assert list(loaded.topics.filter(articles__headline="甲")) == [topic]


@pytest.mark.django_db
def test_rows_queried_from_an_articles_parts_point_back_to_it(django_assert_num_queries):
    """A byline (correction, photo, entry) read by a query asked of the article's parts has the article itself as
    its ``article``, as the relation's manager gives it: no query to read it again, and what the caller changed on
    the article is what the part sees."""
    article = ArticleFactory(published=True)
    BylineFactory(article=article, order=1)

    loaded = Article.objects.with_parts("bylines_json").get(pk=article.pk)
    loaded.headline = "改过的标题"
    with django_assert_num_queries(1):
        byline = loaded.bylines.filter(order=1).get()
        assert byline.article is loaded
