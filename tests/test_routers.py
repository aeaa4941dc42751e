"""Read replica routing (newsroom/routers.py), decided by which database connection ran the queries.

The suite has no second server, so a second alias ``replica`` mirrors the test database (``TEST MIRROR``): two
real connections to one database. Tests that read through it commit their data (``transaction=True``), as a
replica only ever sees committed rows. The real streaming replica is exercised by tests/cluster/.
"""

import pytest
from django.conf import settings as django_settings
from django.db import InterfaceError, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import services
from articles.models import Article
from newsroom import routers
from tests.factories import ArticleFactory, ArticlePhotoFactory, BylineFactory

REPLICA = "replica"


def _add_replica_alias():
    """Before the test databases are set up (at collection): the alias mirrors the default test database."""
    if REPLICA in django_settings.DATABASES:
        return
    default = django_settings.DATABASES["default"]
    django_settings.DATABASES[REPLICA] = {**default, "TEST": {**default.get("TEST", {}), "MIRROR": "default"}}
    connections.settings = connections.configure_settings(django_settings.DATABASES)


_add_replica_alias()

both_databases = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture
def replica(settings):
    """Routing on, as with DATABASE_REPLICA_URL set; the replica counted as healthy."""
    settings.NEWSROOM_REPLICA_DATABASE = REPLICA
    routers.mark_replica_up()
    yield REPLICA
    routers.mark_replica_up()


class Queries:
    """The SQL each alias ran inside the block."""

    def __init__(self, aliases=("default", REPLICA)):
        self.aliases = aliases

    def __enter__(self):
        self.contexts = {alias: CaptureQueriesContext(connections[alias]) for alias in self.aliases}
        for context in self.contexts.values():
            context.__enter__()
        return self

    def __exit__(self, *exc_info):
        for context in self.contexts.values():
            context.__exit__(*exc_info)

    @property
    def on_primary(self):
        return len(self.contexts["default"].captured_queries)

    @property
    def reads_on_primary(self):
        """The primary's queries but the fills of the caches kept per content generation (the section menu, a
        list's length), which read from the primary on the first request after a change (articles/menu.py,
        SeekPaginator.count in articles/views.py)."""
        return [
            q["sql"]
            for q in self.contexts["default"].captured_queries
            if '"articles_section"' not in q["sql"] and not q["sql"].startswith("SELECT COUNT(")
        ]

    @property
    def on_replica(self):
        """Queries the replica ran (None when it was not watched: a broken one cannot be)."""
        return len(self.contexts[REPLICA].captured_queries) if REPLICA in self.contexts else None


@pytest.fixture
def article():
    return ArticleFactory(published=True, headline="县妇联召开执委会议", body="<p>会议正文。</p>")


@both_databases
def test_anonymous_reader_reads_from_the_replica(client, replica, article):
    with Queries() as queries:
        response = client.get(article.get_absolute_url())

    assert response.status_code == 200
    assert "县妇联召开执委会议" in response.content.decode()
    assert queries.on_replica > 0
    assert queries.reads_on_primary == []
    assert routers.PIN_COOKIE_NAME not in response.cookies

    with Queries() as queries:
        client.get(article.get_absolute_url())
    assert queries.on_primary == 0  # the menu is read once per generation


@both_databases
def test_the_caches_filled_once_per_change_read_from_the_primary(client, replica, article):
    """The first request after a change is an anonymous reader's, read from a replica that may not have replayed
    the change yet: the section menu and the photos of rich text, kept until the next change (or a day), are read
    from the primary; the page itself from the replica."""
    photo = ArticlePhotoFactory(article=article).photo
    article.body = f'<p>正文</p><p><img src="{photo.image.url}" alt="图"></p>'
    article.save()

    with Queries() as queries:
        response = client.get(article.get_absolute_url())

    assert response.status_code == 200
    primary = [q["sql"] for q in queries.contexts["default"].captured_queries]
    replica_sql = [q["sql"] for q in queries.contexts[REPLICA].captured_queries]
    assert any('FROM "articles_section"' in sql for sql in primary)
    assert any('FROM "articles_photo"' in sql and "rendition_set" in sql for sql in primary)
    assert not any('FROM "articles_section"' in sql and '"articles_article"' not in sql for sql in replica_sql)
    assert any('FROM "articles_article"' in sql for sql in replica_sql)


@both_databases
def test_health_leaves_a_replica_marked_down_alone(client, replica):
    """A replica that failed is not asked again before NEWSROOM_REPLICA_RETRY_SECONDS: a dead one would cost every
    poll its connect timeout."""
    routers.mark_replica_down()
    with Queries() as queries:
        response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["checks"]["replica"] == "error: marked down, not checked"
    assert queries.on_replica == 0


@both_databases
def test_health_survives_a_replica_connection_that_fails_to_close(client, replica, broken_replica):
    def close_fails():
        raise InterfaceError("connection already closed")

    connections[REPLICA].close = close_fails  # an instance attribute, removed before the fixture closes it
    try:
        response = client.get(reverse("healthz"))
    finally:
        del connections[REPLICA].close

    assert response.status_code == 200
    assert response.json()["checks"]["replica"].startswith("error: ")
    assert routers.replica_alias() is None


@both_databases
def test_reading_a_page_with_bylines_and_photos_does_not_pin_the_reader(client, replica, article):
    """Building bylines and photos for a page assigns related objects to unsaved instances, which makes Django ask
    the router where to write: that is not a write, and must neither pin the reader nor stop caching."""
    BylineFactory(article=article)
    ArticlePhotoFactory(article=article)

    for url in (article.get_absolute_url(), reverse("articles:article_list")):
        with Queries() as queries:
            response = client.get(url)

        assert response.status_code == 200
        assert routers.PIN_COOKIE_NAME not in response.cookies, url
        assert queries.reads_on_primary == [], url


@both_databases
def test_without_a_replica_everything_reads_from_the_primary(client, settings, article):
    settings.NEWSROOM_REPLICA_DATABASE = ""

    with Queries() as queries:
        response = client.get(article.get_absolute_url())

    assert response.status_code == 200
    assert queries.on_replica == 0
    assert queries.on_primary > 0


@both_databases
def test_logged_in_staff_read_from_the_primary(client, replica, article, editor_user):
    client.force_login(editor_user)

    with Queries() as queries:
        public = client.get(article.get_absolute_url())
        admin_page = client.get(reverse("admin:articles_article_change", args=[article.pk]))

    assert public.status_code == 200
    assert admin_page.status_code == 200
    assert queries.on_replica == 0
    assert queries.on_primary > 0


@both_databases
def test_admin_pages_read_from_the_primary_even_without_a_session(client, replica):
    with Queries() as queries:
        response = client.get(reverse("admin:login"))

    assert response.status_code == 200
    assert queries.on_replica == 0


@both_databases
def test_preview_links_read_from_the_primary(client, replica, editor_user):
    draft = ArticleFactory(headline="尚未发表的稿件")
    link = services.create_share_link(draft, editor_user)

    with Queries() as queries:
        response = client.get(services.share_link_url(link))

    assert response.status_code == 200
    assert "尚未发表的稿件" in response.content.decode()
    assert queries.on_replica == 0
    assert queries.on_primary > 0


@both_databases
def test_a_write_pins_the_browser_to_the_primary_for_a_while(client, replica, settings, article):
    settings.NEWSROOM_REPLICA_PIN_SECONDS = 20
    # An anonymous POST that writes: a failed admin login is recorded (django-axes).
    login = client.post(reverse("admin:login"), {"username": "nobody", "password": "wrong"})

    pin = login.cookies[routers.PIN_COOKIE_NAME]
    assert pin["max-age"] == 20
    assert pin["httponly"]

    with Queries() as queries:
        response = client.get(article.get_absolute_url())  # the test client sends the cookie back

    assert response.status_code == 200
    assert queries.on_replica == 0
    assert queries.on_primary > 0

    client.cookies.pop(routers.PIN_COOKIE_NAME)  # expired
    with Queries() as queries:
        client.get(article.get_absolute_url())
    assert queries.on_replica > 0


@both_databases
def test_writes_go_to_the_primary_even_for_rows_read_from_the_replica(replica):
    article = ArticleFactory(published=True)
    routing = routers.RequestRouting(reads_from=REPLICA)
    token = routers._routing.set(routing)
    try:
        with Queries() as reading:
            loaded = Article.objects.get(pk=article.pk)
        assert loaded._state.db == REPLICA
        assert reading.on_replica == 1 and reading.on_primary == 0

        loaded.headline = "改过的标题"
        with Queries() as writing:
            loaded.save(update_fields=["headline"])
        assert writing.on_replica == 0 and writing.on_primary > 0
    finally:
        routers._routing.reset(token)
    assert Article.objects.get(pk=article.pk).headline == "改过的标题"


@both_databases
def test_code_outside_a_request_reads_from_the_primary(replica):
    ArticleFactory(published=True)

    with Queries() as queries:
        assert Article.objects.published().count() == 1

    assert queries.on_replica == 0 and queries.on_primary == 1


@pytest.fixture
def broken_replica():
    """The replica stops answering: its connection settings point at a database that cannot be reached."""
    connection = connections[REPLICA]
    if connection.vendor != "postgresql":
        pytest.skip("Django never closes an in-memory SQLite test database; run on PostgreSQL (make test does)")
    connection.close()
    saved = dict(connection.settings_dict)
    connection.settings_dict.update(HOST="127.0.0.1", PORT=1)  # nothing listens on port 1
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


@both_databases
def test_when_the_replica_fails_readers_get_the_page_from_the_primary(client, replica, article, broken_replica):
    with Queries(aliases=("default",)) as queries:
        response = client.get(article.get_absolute_url())

    assert response.status_code == 200
    assert "县妇联召开执委会议" in response.content.decode()
    assert queries.on_primary > 0
    assert routers.replica_alias() is None  # left alone for NEWSROOM_REPLICA_RETRY_SECONDS

    with Queries(aliases=("default",)) as queries:
        again = client.get(reverse("articles:article_list"))
    assert again.status_code == 200
    assert queries.on_primary > 0
    assert connections[REPLICA].connection is None  # not even tried


@both_databases
def test_a_recovered_replica_is_used_again_after_the_retry_delay(client, replica, settings, article):
    settings.NEWSROOM_REPLICA_RETRY_SECONDS = 0
    routers.mark_replica_down()  # a failure just now, with no delay configured

    with Queries() as queries:
        client.get(article.get_absolute_url())

    assert queries.on_replica > 0


@both_databases
def test_a_page_read_from_a_current_replica_right_after_a_change_is_stored(client, replica, settings, article):
    """The router reads from the replica only once it has replayed the change that began the generation (a lagging
    standby: tests/cluster/), so a page it gave is as fresh as the primary's and is stored at once, even in the
    first seconds of a generation. The suite's replica mirrors the primary: it is not a standby, so it is current."""
    from articles import cache as page_cache

    settings.NEWSROOM_PAGE_CACHE = True
    page_cache.bump_generation()  # a change, just now
    url = article.get_absolute_url()

    with Queries() as queries:
        first = client.get(url)
    assert first.status_code == 200
    assert first[page_cache.CACHE_HEADER] == "miss"
    assert any('FROM "articles_article"' in q["sql"] for q in queries.contexts[REPLICA].captured_queries)

    second = client.get(url)
    assert second[page_cache.CACHE_HEADER] == "hit"
    assert second.content == first.content


@pytest.mark.skipif(connections["default"].vendor != "postgresql", reason="WAL positions are PostgreSQL's")
@both_databases
def test_the_replica_is_asked_for_its_wal_position_once_per_generation(client, replica, article):
    """Once the replica has replayed a generation's change, the generation's other requests read from it without
    asking again, but on a new connection; the next change asks once more."""
    from articles import cache as page_cache

    def asked(queries):
        return sum("pg_last_wal_replay_lsn" in q["sql"] for q in queries.contexts[REPLICA].captured_queries)

    page_cache.bump_generation()
    with Queries() as queries:
        client.get(article.get_absolute_url())
        client.get(reverse("articles:article_list"))
    assert asked(queries) == 1

    with Queries() as queries:
        client.get(article.get_absolute_url())
    assert asked(queries) == 0
    assert queries.on_replica > 0

    with Queries() as queries:
        connections[REPLICA].close()  # a new connection may reach another server (a failover): it is asked again
        client.get(article.get_absolute_url())
    assert asked(queries) == 1

    page_cache.bump_generation()
    with Queries() as queries:
        client.get(article.get_absolute_url())
    assert asked(queries) == 1


@pytest.mark.skipif(connections["default"].vendor != "postgresql", reason="WAL positions are PostgreSQL's")
@both_databases
def test_a_replica_back_from_a_failure_is_asked_for_its_wal_position_again(client, replica, settings, article):
    """A replica that failed may come back as another standby (a failover), further behind than the one found
    current: within the same generation it is asked again before readers get its pages."""
    from articles import cache as page_cache

    def asked(queries):
        return sum("pg_last_wal_replay_lsn" in q["sql"] for q in queries.contexts[REPLICA].captured_queries)

    page_cache.bump_generation()
    with Queries() as queries:
        client.get(article.get_absolute_url())
    assert asked(queries) == 1

    connection = connections[REPLICA]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=1)  # the replica stops answering mid-generation
    try:
        assert client.get(article.get_absolute_url()).status_code == 200  # from the primary
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert routers.replica_alias() is None

    settings.NEWSROOM_REPLICA_RETRY_SECONDS = 0
    routers.mark_replica_up()  # back, in the same content generation
    with Queries() as queries:
        connection.close()  # as the failed request left it (Queries connects to count)
        client.get(article.get_absolute_url())
    assert asked(queries) == 1
    assert queries.on_replica > 0
