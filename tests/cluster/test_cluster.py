"""End to end against a running `make cluster` (cluster/start.sh): skipped unless NEWSROOM_CLUSTER names its folder.

    make test-cluster          starts a cluster, runs these tests, stops it

The tests run in this order and change the cluster: app server 1 is killed, then the replica is stopped.
"""

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

requests = pytest.importorskip("requests")

CLUSTER = os.environ.get("NEWSROOM_CLUSTER", "")
pytestmark = pytest.mark.skipif(not CLUSTER, reason="set NEWSROOM_CLUSTER to a running cluster (make test-cluster)")
ROOT = Path(__file__).resolve().parents[2]
HEADLINE = "集群测试：县妇联召开执委会议"
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


class Browser:
    """A browser on plain HTTP: the cluster runs production settings, whose cookies are marked Secure, so they are
    kept and sent back by hand (requests would hold them back over http)."""

    def __init__(self, base):
        self.base = base
        self.cookies = {}

    def request(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = requests.request(
            method, self.base + path, headers=headers, allow_redirects=False, timeout=30, **kwargs
        )
        self.cookies.update(response.cookies.get_dict())
        return response

    def csrf_token(self, path):
        page = self.request("GET", path)
        assert page.status_code == 200, (path, page.status_code)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def replica_caught_up(cluster):
    primary = subprocess.run(
        ["psql", "-XAtq", cluster["DATABASE_URL"], "-c", "SELECT pg_current_wal_lsn()"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    caught = subprocess.run(
        ["psql", "-XAtq", cluster["DATABASE_REPLICA_URL"], "-c", f"SELECT pg_last_wal_replay_lsn() >= '{primary}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return caught == "t"


def wait_until(condition, attempts=100, pause=0.05):
    for _attempt in range(attempts):
        if condition():
            return True
        time.sleep(pause)
    return False


@pytest.fixture(scope="module")
def published(cluster):
    """An editor logs in on app server 1, uploads a photo there and publishes a story with it."""
    manage_shell(
        cluster,
        "from django.contrib.auth import get_user_model; from articles.services import ensure_newsroom_groups\n"
        "from articles.models import Section, Reporter\n"
        "groups = {g.name: g for g in ensure_newsroom_groups()}\n"
        "user, _ = get_user_model().objects.get_or_create(username='cluster-editor', defaults={'is_staff': True})\n"
        f"user.set_password({PASSWORD!r}); user.save(); user.groups.add(groups['编辑'])\n"
        "Section.objects.get_or_create(slug='cluster', defaults={'name': '集群'})\n"
        "Reporter.objects.get_or_create(slug='cluster-reporter', defaults={'name': '覃晓岚'})\n",
    )
    editor = Browser(cluster["apps"][0])
    token = editor.csrf_token("/admin/login/")
    login = editor.request(
        "POST",
        "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token, "username": "cluster-editor", "password": PASSWORD, "next": "/admin/"},
    )
    assert login.status_code == 302 and "sessionid" in editor.cookies, login.text[:500]

    photo_bytes = (ROOT / "tests" / "cluster" / "photo.jpg").read_bytes()
    token = editor.csrf_token("/admin/articles/photo/add/")
    upload = editor.request(
        "POST",
        "/admin/articles/photo/add/",
        data={
            "csrfmiddlewaretoken": token,
            "alt_text": "执委会议现场",
            "credit_text": "本报记者",
            "focal_x": "0.5",
            "focal_y": "0.5",
        },
        files={"image": ("会议现场.jpg", photo_bytes, "image/jpeg")},
    )
    assert upload.status_code == 302, upload.text[:2000]
    assert "newsroom_primary" in editor.cookies  # this browser now reads its own writes from the primary

    article_url = manage_shell(
        cluster,
        "from django.contrib.auth import get_user_model; from articles import services\n"
        "from articles.models import Article, Byline, BylineRole, Photo, Reporter, Section\n"
        "editor = get_user_model().objects.get(username='cluster-editor')\n"
        "photo = Photo.objects.filter(alt_text='执委会议现场').latest('pk')\n"
        f"article = Article.objects.create(headline={HEADLINE!r}, section=Section.objects.get(slug='cluster'),\n"
        "    body='<p>会议通报了全年工作。</p>', lead_photo=photo, created_by=editor)\n"
        "role = BylineRole.objects.order_by('order').first() or BylineRole.objects.create(name='记者')\n"
        "Byline.objects.create(article=article, reporter=Reporter.objects.get(slug='cluster-reporter'), role=role,\n"
        "    order=0)\n"
        "services.submit_for_review(article, editor)\n"
        "services.publish(article, editor)\n"
        "print(article.get_absolute_url())",
    ).splitlines()[-1]
    return article_url


def test_readers_see_the_story_on_both_app_servers_with_photos_from_object_storage(cluster, published):
    assert wait_until(lambda: replica_caught_up(cluster), attempts=200)

    # Within a second of the replica catching up, every app server shows it to a reader (who reads the replica).
    for app in cluster["apps"]:
        assert wait_until(lambda app=app: requests.get(app + published, timeout=10).status_code == 200, attempts=20)
        page = requests.get(app + published, timeout=10)
        assert HEADLINE in page.text
    page = requests.get(cluster["NGINX_URL"] + published, timeout=10)
    assert page.status_code == 200 and HEADLINE in page.text

    picture = re.search(r"<picture>.*?</picture>", page.text, re.S).group(0)
    image_urls = set(re.findall(r"(https?://[^\s\"]+\.(?:webp|jpg))", picture))
    assert len(image_urls) >= 4  # renditions in WebP and JPEG
    for url in image_urls:
        assert url.startswith(f"{cluster['S3_ENDPOINT']}/{cluster['S3_BUCKET']}/renditions/")
        image = requests.get(url, timeout=10)
        assert image.status_code == 200
        assert image.headers["Content-Type"] in ("image/webp", "image/jpeg") and image.content
    # No app server keeps a file of its own.
    assert not [p for p in Path(CLUSTER).glob("app*/media/**/*") if p.is_file()]
    assert not [p for p in Path(CLUSTER).glob("app*/cwd/**/*") if p.is_file()]


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
