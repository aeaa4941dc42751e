"""The database going away, with real servers: gunicorn with the production settings (DEBUG off) against a
PostgreSQL 15 cluster this module owns, so it can stop and start it. Requests are real HTTP (urllib).

Readers and editors get a Chinese 503 page (Retry-After, no traceback, not a 500) while the database is away; the
site recovers by itself when it returns, also on a kept connection (CONN_HEALTH_CHECKS); an admin save that fails
because the database went away keeps the editor's text. Runs the same under both `make test` stages (SQLite and
PostgreSQL): it never touches the suite's own database.
"""

import html
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from articles.middleware import DatabaseUnavailableMiddleware, server_error
from tests import pgcluster

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
OUTAGE_TITLE = "服务暂时不可用"  # "Service temporarily unavailable"
NOT_SAVED = "你的修改没有保存"  # "Your changes were NOT saved"
SAVE_FAILED = "没有保存：保存时与数据库的连接中断"  # "Not saved: the connection to the database was lost while saving"
DEMO_EDITOR = ("demo-editor", "newsroom-demo")


# --- An HTTP client that keeps cookies (also the Secure ones: the test talks plain HTTP to 127.0.0.1) ----------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status, headers, text):
        self.status, self.headers, self.text = status, headers, text


class Client:
    def __init__(self, base_url):
        self.base_url = base_url
        self.cookies = {}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, path, data=None):
        body = urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)  # noqa: S310 - our own http://127.0.0.1
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{name}={value}" for name, value in self.cookies.items()))
        try:
            answer = self.opener.open(request, timeout=120)
        except urllib.error.HTTPError as error:
            answer = error
        with answer:
            text = answer.read().decode("utf-8", errors="replace")
            for header in answer.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return Response(answer.status, answer.headers, text)

    def get(self, path):
        return self.request(path)

    def post(self, path, data):
        return self.request(path, data)


class _FormFields(HTMLParser):
    """The fields a browser would send from the form with ``form_id`` (text, hidden, selects, textareas)."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self._textarea = self._select = None
        self._select_values = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.fields.append((attrs["name"], attrs.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = [attrs["name"], ""]
        elif tag == "select" and attrs.get("name"):
            self._select, self._select_values = attrs["name"], []
        elif tag == "option" and self._select is not None and "selected" in attrs:
            self._select_values.append(attrs.get("value", ""))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            name, value = self._textarea
            self.fields.append((name, value.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            self.fields.extend((self._select, value) for value in self._select_values)
            self._select = None


def form_fields(page, form_id):
    parser = _FormFields(form_id)
    parser.feed(page)
    return parser.fields


# --- The servers --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    yield from pgcluster.throwaway_cluster()


@pytest.fixture(scope="module")
def site(cluster, tmp_path_factory):
    """gunicorn (one sync worker, so the same kept connection serves every request) on the production settings."""
    folder = tmp_path_factory.mktemp("faults-site")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "PG", "NEWSROOM_", "REDIS_URL"))
        or key == "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        DATABASE_URL=cluster.url(),
        DJANGO_SECRET_KEY="faults-test-secret-key-not-for-any-deployment-0123456789",
        DJANGO_STATIC_ROOT=str(folder / "static"),
        DJANGO_MEDIA_ROOT=str(folder / "media"),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_CONN_MAX_AGE="600",  # persistent connections, as in production
        # The page cache (articles/cache.py) keeps answering anonymous readers from memory while the database is
        # away; it is off here so that every request below really needs the database.
        NEWSROOM_PAGE_CACHE="false",
        NEWSROOM_CACHE_DIR=str(folder / "cache"),
        DJANGO_LOG_LEVEL="WARNING",
    )

    def manage(*argv):
        subprocess.run([PYTHON, "manage.py", *argv], cwd=BASE_DIR, env=env, check=True, capture_output=True)  # noqa: S603

    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    manage("seed_demo_content", "--force")  # a throwaway database: the demo logins' password is known
    port = pgcluster.free_port()
    log = (folder / "gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            PYTHON.parent / "gunicorn",
            "newsroom.wsgi",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--no-control-socket",  # gunicorn's default control socket is one per user: others may run one too
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(300):
            try:
                with urllib.request.urlopen(base_url + "/robots.txt", timeout=5):  # noqa: S310 - our own server
                    break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited: {(folder / 'gunicorn.log').read_text()}")
        article = cluster.psql(
            "SELECT id || '|' || headline FROM articles_article WHERE status = 'published' AND published_at <= now() "
            "AND deleted_at IS NULL ORDER BY published_at DESC, id LIMIT 1",
            database="newsroom",
        )
        article_id, headline = article.split("|", 1)
        yield {"url": base_url, "article_id": int(article_id), "headline": headline, "log": folder / "gunicorn.log"}
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture
def database_back(cluster):
    """Whatever a test does to the database, it is running again afterwards."""
    yield
    if not cluster.is_ready():
        cluster.start()


def editor_client(site):
    client = Client(site["url"])
    login = client.get("/admin/login/")
    token = dict(form_fields(login.text, "login-form"))["csrfmiddlewaretoken"]
    username, password = DEMO_EDITOR
    answer = client.post(
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"},
    )
    assert answer.status == 302, answer.text[:2000]
    return client


def assert_outage_page(answer):
    assert answer.status == 503, (answer.status, answer.text[:3000])
    assert OUTAGE_TITLE in answer.text
    assert "Traceback" not in answer.text and "OperationalError" not in answer.text
    assert answer.headers["Retry-After"].isdigit()
    assert "no-store" in answer.headers["Cache-Control"]


def client_connections(cluster):
    """Connections the app holds to its database (psql itself connects to the `postgres` database)."""
    return int(
        cluster.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'newsroom' AND backend_type = 'client backend'"
        )
    )


# --- Tests --------------------------------------------------------------------------------------------------


def test_pages_answer_chinese_503_while_database_is_down_and_recover_by_themselves(cluster, site, database_back):
    editor = editor_client(site)
    reader = Client(site["url"])
    article_path = f"/articles/{site['article_id']}/"
    public = ["/", article_path, "/news/", "/search/?q=%E5%A6%87%E8%81%94", "/feeds/latest.rss"]
    for path in public:
        assert reader.get(path).status == 200, path
    assert site["headline"] in reader.get(article_path).text
    assert editor.get("/admin/").status == 200
    assert editor.get(f"/admin/articles/article/{site['article_id']}/change/").status == 200

    cluster.stop()
    for path in public:
        assert_outage_page(reader.get(path))
    # The editor's session and user are loaded from the database: that fails too, and is the same page.
    assert_outage_page(editor.get("/admin/"))
    assert_outage_page(editor.get(f"/admin/articles/article/{site['article_id']}/change/"))
    assert_outage_page(editor.get(article_path))
    # The login page itself needs no database; signing in does.
    newcomer = Client(site["url"])
    token = dict(form_fields(newcomer.get("/admin/login/").text, "login-form"))["csrfmiddlewaretoken"]
    username, password = DEMO_EDITOR
    assert_outage_page(
        newcomer.post("/admin/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password})
    )

    cluster.start()  # the app is not restarted
    for path in public:
        assert reader.get(path).status == 200, path
    assert site["headline"] in reader.get(article_path).text
    assert editor.get("/admin/").status == 200, "the editor's session survives the outage"


def test_a_kept_connection_that_died_with_a_restart_is_replaced(cluster, site, database_back):
    reader = Client(site["url"])
    assert reader.get("/").status == 200
    assert client_connections(cluster) >= 1, "the worker keeps its connection between requests (CONN_MAX_AGE)"
    cluster.stop()
    cluster.start()  # no request in between: the worker's kept connection is now dead
    assert client_connections(cluster) == 0
    answer = reader.get(f"/articles/{site['article_id']}/")
    assert answer.status == 200, "CONN_HEALTH_CHECKS replaces the dead connection before the first query"
    assert site["headline"] in answer.text


def _typed_change(site, editor):
    change_path = f"/admin/articles/article/{site['article_id']}/change/"
    form = editor.get(change_path)
    assert form.status == 200
    fields = [
        (name, value) for name, value in form_fields(form.text, "article_form") if name not in {"headline", "body"}
    ]
    typed_headline = f"断网时写下的标题{time.monotonic_ns()}"
    typed_body = "<p>记者在数据库停机时写下的第一段：全省妇联系统改革持续深化。</p><p>第二段不能丢。</p>"
    fields += [("headline", typed_headline), ("body", typed_body), ("_save", "保存")]
    return change_path, fields, typed_headline


def saved_headline(cluster, site):
    return cluster.psql(f"SELECT headline FROM articles_article WHERE id = {site['article_id']}", database="newsroom")


def test_admin_save_while_database_is_down_shows_the_typed_text(cluster, site, database_back):
    editor = editor_client(site)
    change_path, fields, typed_headline = _typed_change(site, editor)

    cluster.stop()
    answer = editor.post(change_path, fields)
    assert_outage_page(answer)
    page = html.unescape(answer.text)
    assert NOT_SAVED in page
    assert typed_headline in page
    assert "记者在数据库停机时写下的第一段：全省妇联系统改革持续深化。" in page
    assert "第二段不能丢。" in page
    assert "csrfmiddlewaretoken" not in answer.text

    cluster.start()
    assert saved_headline(cluster, site) != typed_headline


def test_admin_save_that_loses_its_connection_comes_back_as_the_form_with_the_text(cluster, site, database_back):
    """The connection is killed while the save runs (as a database restart or failover does), and the database is
    back for the answer: the change form returns, unsaved, with the typed text and the reason."""
    editor = editor_client(site)
    change_path, fields, typed_headline = _typed_change(site, editor)

    # Hold the article's row, so that the save waits on it at a known point, then terminate the waiting backend.
    holder = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            pgcluster.PG_BIN / "psql",
            "-X",
            "-q",
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "newsroom",
            "-d",
            "newsroom",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    holder.stdin.write(
        f"BEGIN; SELECT id FROM articles_article WHERE id = {site['article_id']} FOR UPDATE; SELECT pg_sleep(120);\n"
    )
    holder.stdin.flush()
    result = {}
    try:
        waiting = ""
        for _attempt in range(600):
            holding = cluster.psql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'newsroom' AND query LIKE '%pg_sleep(120)%'"
                " AND state = 'active' AND pid <> pg_backend_pid()"
            )
            if holding == "1":
                break
            time.sleep(0.05)
        saving = threading.Thread(target=lambda: result.update(answer=editor.post(change_path, fields)))
        saving.start()
        for _attempt in range(600):
            waiting = cluster.psql(
                "SELECT pid FROM pg_stat_activity WHERE datname = 'newsroom' AND wait_event_type = 'Lock'"
            )
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "the save never waited on the held row"
        cluster.psql(f"SELECT pg_terminate_backend({int(waiting)})")
        cluster.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' "
            "AND pid <> pg_backend_pid()"
        )
        saving.join(timeout=120)
    finally:
        holder.kill()
        holder.wait()
    answer = result["answer"]
    assert answer.status == 200, answer.text[:3000]
    page = html.unescape(answer.text)
    assert SAVE_FAILED in page
    assert 'id="article_form"' in answer.text
    refilled = dict(form_fields(answer.text, "article_form"))
    assert refilled["headline"] == typed_headline
    assert "全省妇联系统改革持续深化" in refilled["body"]
    assert saved_headline(cluster, site) != typed_headline

    # Saving the form that came back stores the text: nothing was lost.
    again = editor.post(change_path, [*form_fields(answer.text, "article_form"), ("_save", "保存")])
    assert again.status == 302, re.sub(r"\s+", " ", again.text)[:3000]
    assert saved_headline(cluster, site) == typed_headline


# --- The handler for errors raised outside views (e.g. the session saved on the way out) -------------------


def _raised(error, call):
    try:
        raise error
    except Exception:
        return call()


def test_500_handler_answers_503_when_the_database_is_away(settings):
    request = RequestFactory().get("/")
    answer = _raised(OperationalError("connection refused"), lambda: server_error(request))
    assert answer.status_code == 503
    assert OUTAGE_TITLE in answer.content.decode()
    assert answer["Retry-After"].isdigit()
    other = _raised(ValueError("a bug"), lambda: server_error(request))
    assert other.status_code == 500


def test_middleware_leaves_other_errors_alone():
    request = RequestFactory().get("/")
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(request, ValueError("a bug")) is None
    assert middleware.process_exception(request, OperationalError("gone")).status_code == 503


def test_outage_page_shows_typed_text_only_for_admin_posts():
    factory = RequestFactory()
    admin_post = factory.post(
        "/admin/articles/article/1/change/",
        {"headline": "标题<script>alert(1)</script>", "password": "secret", "csrfmiddlewaretoken": "x", "section": "3"},
    )
    page = DatabaseUnavailableMiddleware(None).process_exception(admin_post, OperationalError()).content.decode()
    assert "标题&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "secret" not in page and "<script>alert" not in page
    public_post = factory.post("/search/", {"q": "typed"})
    page = DatabaseUnavailableMiddleware(None).process_exception(public_post, OperationalError()).content.decode()
    assert "typed" not in page
