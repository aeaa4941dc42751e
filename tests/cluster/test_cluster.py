"""End to end against a running `make cluster` (cluster/start.sh): skipped unless NEWSROOM_CLUSTER names its folder.

    make test-cluster          starts a cluster, runs these tests, stops it

The tests run in this order and change the cluster: app server 1 is killed, then the replica is stopped.
"""

import html
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

requests = pytest.importorskip("requests")

from tests.cluster.admin_browser import (  # noqa: E402 (needs requests)
    Browser,
    login,
    messages,
    save_and_continue,
    workflow_buttons,
    workflow_step,
)

CLUSTER = os.environ.get("NEWSROOM_CLUSTER", "")
pytestmark = pytest.mark.skipif(not CLUSTER, reason="set NEWSROOM_CLUSTER to a running cluster (make test-cluster)")
ROOT = Path(__file__).resolve().parents[2]
HEADLINE = "集群测试：县妇联召开执委会议"
SECTION = "集群"
REPORTER = "覃晓岚"
PHOTO_ALT = "执委会议现场"
PASSWORD = "cluster-editor-password"


def read_env(path):
    values = {}
    for line in Path(path).read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            values[key] = shlex.split(value)[0] if value else ""
    return values


@pytest.fixture(scope="module")
def cluster():
    env = read_env(Path(CLUSTER) / "cluster.env")
    env["apps"] = env["APP_URLS"].split()
    env["app_env"] = {**os.environ, **read_env(Path(CLUSTER) / "app.env")}
    env["app_env"].pop("DJANGO_DEBUG", None)
    return env


def manage_shell(cluster, code):
    """Python run by manage.py shell with the app servers' settings (the same database, cache and bucket)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=cluster["app_env"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def psql(url, sql):
    """One statement run by psql on the server at ``url``: its output, unaligned."""
    return subprocess.run(["psql", "-XAtq", url, "-c", sql], capture_output=True, text=True, check=True).stdout.strip()


def replica_caught_up(cluster):
    primary = psql(cluster["DATABASE_URL"], "SELECT pg_current_wal_lsn()")
    return psql(cluster["DATABASE_REPLICA_URL"], f"SELECT pg_last_wal_replay_lsn() >= '{primary}'") == "t"


def wait_until(condition, attempts=100, pause=0.05):
    for _attempt in range(attempts):
        if condition():
            return True
        time.sleep(pause)
    return False


@pytest.fixture(scope="module")
def published(cluster):
    """An editor does everything in the admin of app server 1, over HTTP like a browser: logs in, adds the section
    and the reporter, uploads a photo, writes the story (photo in the body and as the lead photo, a byline),
    submits it for review and publishes it with the workflow buttons. Only the login is made beforehand."""
    manage_shell(
        cluster,
        "from django.contrib.auth import get_user_model; from articles.services import ensure_newsroom_groups\n"
        "groups = {g.name: g for g in ensure_newsroom_groups()}\n"
        "user, _ = get_user_model().objects.get_or_create(username='cluster-editor', defaults={'is_staff': True})\n"
        f"user.set_password({PASSWORD!r}); user.save(); user.groups.add(groups['编辑'])\n",
    )
    editor = Browser(cluster["apps"][0])
    login(editor, "cluster-editor", PASSWORD)

    section = editor.form("/admin/articles/section/add/", "section_form")
    section.set("name", SECTION)
    section.set("slug", "cluster")  # what the page's script would fill in from the name
    save_and_continue(editor, "/admin/articles/section/add/", section)

    reporter = editor.form("/admin/articles/reporter/add/", "reporter_form")
    reporter.set("name", REPORTER)
    reporter.set("slug", "cluster-reporter")
    save_and_continue(editor, "/admin/articles/reporter/add/", reporter)

    photo = editor.form("/admin/articles/photo/add/", "photo_form")
    photo.set("alt_text", PHOTO_ALT)
    photo.set("credit_text", "本报记者")
    photo_bytes = (ROOT / "tests" / "cluster" / "photo.jpg").read_bytes()
    photo_path = save_and_continue(
        editor, "/admin/articles/photo/add/", photo, files={"image": ("会议现场.jpg", photo_bytes, "image/jpeg")}
    )
    assert "newsroom_primary" in editor.cookies  # this browser now reads its own writes from the primary
    # The photo's page links the stored original: in the bucket, not on the app server.
    photo_page = editor.page(photo_path)
    image_url = html.unescape(re.search(r'<p class="file-upload">[^<]*<a href="([^"]+)">', photo_page).group(1))
    assert image_url.startswith(f"{cluster['S3_ENDPOINT']}/{cluster['S3_BUCKET']}/photos/"), image_url

    # The story, as the add form's fields would be filled in: the select2 fields through the admin's autocomplete,
    # one byline row added to the inline (its management form counts it).
    article = editor.form("/admin/articles/article/add/", "article_form")
    article.set("headline", HEADLINE)
    article.set("section", article.choice("section", SECTION))
    article.set(
        "body",
        "<p>会议通报了全年工作。</p>"
        f'<figure class="image"><img src="{html.escape(image_url)}" alt="{PHOTO_ALT}"></figure>'
        "<p>会议部署了下一阶段任务。</p>",
    )
    [(photo_id, _text)] = editor.autocomplete("article", "lead_photo", PHOTO_ALT)
    assert photo_path == f"/admin/articles/photo/{photo_id}/change/"
    article.set("lead_photo", photo_id)
    article.set("lead_photo_caption", "县妇联执委会议现场。")
    [(reporter_id, _text)] = editor.autocomplete("byline", "reporter", REPORTER)
    article.set("bylines-TOTAL_FORMS", "1")
    for name, value in [("id", ""), ("article", ""), ("order", "0"), ("reporter", reporter_id)]:
        article.set(f"bylines-0-{name}", value)
    article.set("bylines-0-role", article.choice("bylines-__prefix__-role", "记者"))
    change_path = save_and_continue(editor, "/admin/articles/article/add/", article)

    # The workflow buttons of its change page: submit for review, then publish (which signs the one review level).
    page = editor.page(change_path)
    assert workflow_buttons(page) == ["submit"], workflow_buttons(page)
    page = workflow_step(editor, change_path, "submit")
    assert [level for level, _text in messages(page)] == ["success"], messages(page)
    assert "publish" in workflow_buttons(page), workflow_buttons(page)
    page = workflow_step(editor, change_path, "publish")
    assert [level for level, _text in messages(page)] == ["success"], messages(page)
    assert workflow_buttons(page) == ["unpublish"], workflow_buttons(page)
    history = re.search(r'<div class="module workflow-history".*?</table>', page, re.S).group(0)
    assert history.count("<td>cluster-editor</td>") == 3  # submitted, signed off, published: by the editor

    # "View on site" from the change page: the story's public address.
    view_on_site = re.search(r'<a href="(/admin/r/\d+/\d+/)" class="viewsitelink"', page).group(1)
    response = editor.request("GET", view_on_site)
    assert response.status_code == 302, response.status_code
    return urllib.parse.urlsplit(response.headers["Location"]).path


def test_readers_see_the_story_on_both_app_servers_with_photos_from_object_storage(cluster, published):
    assert wait_until(lambda: replica_caught_up(cluster), attempts=200)

    # Within a second of the replica catching up, every app server shows it to a reader (who reads the replica).
    for app in cluster["apps"]:
        assert wait_until(lambda app=app: requests.get(app + published, timeout=10).status_code == 200, attempts=20)
        page = requests.get(app + published, timeout=10)
        assert HEADLINE in page.text
    page = requests.get(cluster["NGINX_URL"] + published, timeout=10)
    assert page.status_code == 200 and HEADLINE in page.text
    assert REPORTER in page.text  # the byline added in the form's inline

    pictures = re.findall(r"<picture>.*?</picture>", page.text, re.S)
    assert len(pictures) >= 2  # the lead photo, and the same photo in the body
    image_urls = set()
    for picture in pictures:
        urls = set(re.findall(r"(https?://[^\s\"]+\.(?:webp|jpg))", picture))
        assert len(urls) >= 4, picture  # renditions in WebP and JPEG
        image_urls |= urls
    for url in image_urls:
        assert url.startswith(f"{cluster['S3_ENDPOINT']}/{cluster['S3_BUCKET']}/renditions/")
        image = requests.get(url, timeout=10)
        assert image.status_code == 200
        assert image.headers["Content-Type"] in ("image/webp", "image/jpeg") and image.content
    # No app server keeps a file of its own.
    assert not [p for p in Path(CLUSTER).glob("app*/media/**/*") if p.is_file()]
    assert not [p for p in Path(CLUSTER).glob("app*/cwd/**/*") if p.is_file()]


def rename_story(cluster, headline, new_headline):
    """The editor's change of a headline, saved on the primary (as the admin saves it)."""
    manage_shell(
        cluster,
        "from articles.models import Article\n"
        f"article = Article.objects.get(headline={headline!r}); article.headline = {new_headline!r}; article.save()\n",
    )


def test_a_change_is_on_every_app_server_at_once_while_the_replica_lags(cluster, published):
    """The replica stops replaying, as when it falls behind: a headline changed on the primary is on the very next
    page every app server gives (read from the primary, since the replica has not replayed the change) and on the
    pages they keep; once the replica has caught up, it serves readers again."""
    lagging = "集群测试：县妇联执委会议改在周五"
    replica = cluster["DATABASE_REPLICA_URL"]
    assert wait_until(lambda: replica_caught_up(cluster), attempts=200)
    psql(replica, "SELECT pg_wal_replay_pause()")
    try:
        rename_story(cluster, HEADLINE, lagging)
        assert psql(replica, f"SELECT count(*) FROM articles_article WHERE headline = '{HEADLINE}'") == "1"
        for app in cluster["apps"]:
            for _attempt in range(3):  # rendered, then from the page cache
                page = requests.get(app + published, timeout=10)
                assert page.status_code == 200
                assert lagging in page.text and HEADLINE not in page.text, app
    finally:
        psql(replica, "SELECT pg_wal_replay_resume()")
        rename_story(cluster, lagging, HEADLINE)

    assert wait_until(lambda: replica_caught_up(cluster), attempts=200)
    for app in cluster["apps"]:
        page = requests.get(app + published, timeout=10)
        assert HEADLINE in page.text and lagging not in page.text, app


def test_killing_an_app_server_under_load_costs_readers_nothing(cluster, published):
    assert len(cluster["apps"]) >= 2
    statuses = []
    killed = threading.Event()

    def read(worker):
        for n in range(60):  # a unique query string each time: past the micro-cache, to the app servers
            path = published if n % 2 else "/"
            statuses.append(requests.get(f"{cluster['NGINX_URL']}{path}?load={worker}-{n}", timeout=30).status_code)
            if n == 10 and worker == 0:
                pid = int((Path(CLUSTER) / "app1" / "gunicorn.pid").read_text())
                os.killpg(pid, signal.SIGKILL)  # the master and its workers, mid-load
                killed.set()

    readers = [threading.Thread(target=read, args=(worker,)) for worker in range(3)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()

    assert killed.is_set()
    assert len(statuses) == 180
    assert set(statuses) == {200}
    with pytest.raises(requests.ConnectionError):
        requests.get(cluster["apps"][0] + "/healthz", timeout=5)
    assert requests.get(cluster["apps"][1] + "/healthz", timeout=5).json()["status"] == "ok"


def test_public_reads_fall_back_to_the_primary_when_the_replica_stops(cluster, published):
    as_pg = ["runuser", "-u", cluster["PG_USER"], "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*as_pg, f"{cluster['PG_BIN']}/pg_ctl", "-D", cluster["PG_REPLICA_DATA"], "-m", "fast", "-w", "stop"],
        check=True,
        capture_output=True,
    )

    for n in range(20):
        for path in (published, "/", "/news/"):
            response = requests.get(f"{cluster['NGINX_URL']}{path}?after-replica={n}", timeout=30)
            assert response.status_code == 200, (path, response.status_code)
    assert HEADLINE in requests.get(f"{cluster['NGINX_URL']}{published}?final", timeout=30).text

    health = requests.get(cluster["NGINX_URL"] + "/healthz", timeout=10)
    assert health.status_code == 200  # the app server still serves: the load balancer keeps it
    assert health.json()["checks"]["replica"].startswith("error")
