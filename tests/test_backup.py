"""`make backup` / `make restore` (manage.py backup_site / restore_site) round-trip the whole site.

A site with the demo content (articles, bylines, photos and their renditions) is backed up, restored into an empty
database and an empty media folder, and compared: every article, byline, photo and rendition file (by checksum)
and every public page as rendered. On SQLite, and on PostgreSQL for real (pg_dump, then pg_restore into a second
database of a cluster this module owns, so it runs the same under both `make test` stages). Each step is a
separate `manage.py` process, as an operator would run it.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import pgcluster

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def snapshot():
    """What a reader and an editor would see of the site (run inside a configured Django process)."""
    from django.test import Client

    from articles import backups
    from articles.models import Article, Byline, Photo, Rendition, Reporter, Section, Topic

    def checksum(field_file):
        with field_file.open("rb") as stream:
            return hashlib.sha256(stream.read()).hexdigest()

    articles = Article.all_objects.order_by("pk")
    state = {
        "rows": backups.row_counts(),
        "articles": [
            [a.pk, a.status, str(a.published_at), a.kicker, a.headline, a.subtitle, a.summary, a.body, a.section_id]
            for a in articles
        ],
        "bylines": list(Byline.objects.order_by("pk").values_list("article_id", "reporter__name", "role_id", "order")),
        "photos": [
            [p.pk, p.image.name, checksum(p.image), p.alt_text, p.width, p.height, p.focal_x, p.focal_y]
            for p in Photo.objects.order_by("pk")
        ],
        "renditions": [
            [r.photo_id, r.kind, r.width, r.height, r.format, r.file.name, checksum(r.file)]
            for r in Rendition.objects.order_by("pk")
        ],
    }
    paths = ["/", "/news/", "/topics/", "/experience/", "/archive/", "/print/", "/feeds/latest.rss"]
    paths += ["/sitemap.xml", "/sitemap-news.xml", "/search/?q=妇联"]
    paths += [article.get_absolute_url() for article in Article.objects.published().order_by("pk")]
    paths += [section.get_absolute_url() for section in Section.objects.order_by("pk")]
    paths += [reporter.get_absolute_url() for reporter in Reporter.objects.order_by("pk")]
    paths += [topic.get_absolute_url() for topic in Topic.objects.order_by("pk")]
    client = Client(HTTP_HOST="localhost")
    pages = {}
    for path in paths:
        response = client.get(path, follow=True)
        body = re.sub(r'nonce="[^"]*"', 'nonce=""', response.content.decode())  # a new nonce per response
        pages[path] = [response.status_code, hashlib.sha256(body.encode()).hexdigest(), len(body)]
    state["pages"] = pages
    return state


class Site:
    """One site: a database URL and a media folder, driven through manage.py like an operator would."""

    def __init__(self, database_url, media_root):
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_URL", "PG", "NEWSROOM_", "REDIS_URL"))
            or key == "DJANGO_SETTINGS_MODULE"
        }
        self.env.update(
            DATABASE_URL=database_url,
            DJANGO_MEDIA_ROOT=str(media_root),
            DJANGO_DEBUG="true",  # static files without collectstatic; the backup itself does not depend on it
            DJANGO_SECRET_KEY="backup-test-secret-key",
            NEWSROOM_PAGE_CACHE="false",  # every page rendered from the database it is compared on
            NEWSROOM_CACHE_DIR=str(Path(media_root).parent / "cache"),
        )
        self.media_root = Path(media_root)

    def manage(self, *argv, check=True):
        result = subprocess.run(  # noqa: S603 - fixed argv
            [PYTHON, "manage.py", *argv], cwd=BASE_DIR, env=self.env, capture_output=True, text=True
        )
        if check and result.returncode != 0:
            pytest.fail(f"manage.py {' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def snapshot(self):
        code = (
            "import json, django; django.setup(); from tests.test_backup import snapshot; print(json.dumps(snapshot()))"
        )
        result = subprocess.run(  # noqa: S603 - fixed argv
            [PYTHON, "-c", code], cwd=BASE_DIR, env=self.env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def cluster():
    reason = pgcluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    cluster = pgcluster.Cluster().init()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def source(request, tmp_path_factory):
    """A site seeded with the demo content, its snapshot and one backup of it (made once per database kind)."""
    folder = tmp_path_factory.mktemp(f"backup-source-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'source.sqlite3'}"
    else:
        cluster = request.getfixturevalue("cluster")
        cluster.create_database("source")
        url = cluster.url("source")
    site = Site(url, folder / "media")
    site.manage("migrate", "--noinput")
    site.manage("seed_demo_content")
    site.manage("backup_site", "--output", str(folder / "backups"))
    (backup,) = (folder / "backups").iterdir()
    return {"site": site, "backup": backup, "vendor": request.param, "snapshot": site.snapshot()}


@pytest.fixture
def empty_target(source, request, tmp_path):
    """A site with an empty database (none created yet for SQLite, a fresh `createdb` for PostgreSQL)."""
    if source["vendor"] == "sqlite":
        url = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    else:
        cluster = request.getfixturevalue("cluster")
        name = re.sub(r"[^a-z0-9_]", "_", f"target_{request.node.name}".lower())[:60]
        cluster.create_database(name)
        url = cluster.url(name)
    return Site(url, tmp_path / "media")


def test_backup_restores_into_an_empty_site_as_the_same_site(source, empty_target):
    before, folder = source["snapshot"], source["backup"]
    assert before["photos"] and before["renditions"] and before["bylines"], "the demo content has photos and bylines"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == source["vendor"]
    media_files = [path for path in source["site"].media_root.rglob("*") if path.is_file()]
    assert manifest["media"]["files"] == len(media_files) > 0
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        ["manifest.json", "media.tar", manifest["database"]["file"]]
    )

    empty_target.manage("restore_site", str(folder))
    after = empty_target.snapshot()

    assert after["rows"] == before["rows"]
    assert after["articles"] == before["articles"]
    assert after["bylines"] == before["bylines"]
    assert after["photos"] == before["photos"]
    assert after["renditions"] == before["renditions"]
    assert all(status == 200 for status, _digest, _length in before["pages"].values())
    assert after["pages"] == before["pages"], "every public page renders the same after the restore"


def test_restore_refuses_a_site_that_is_not_empty_unless_forced(source, empty_target):
    target = empty_target
    target.manage("migrate", "--noinput")  # a database with tables: someone's site
    refused = target.manage("restore_site", str(source["backup"]), check=False)
    assert refused.returncode != 0
    assert "database is not empty" in refused.stderr

    target.manage("flush", "--noinput")  # rows gone, tables still there: still not empty, still refused
    assert target.manage("restore_site", str(source["backup"]), check=False).returncode != 0

    (target.media_root / "photos").mkdir(parents=True)
    (target.media_root / "photos" / "someone-elses.jpg").write_bytes(b"x")
    target.manage("restore_site", str(source["backup"]), "--force")
    assert not (target.media_root / "photos" / "someone-elses.jpg").exists()
    assert target.snapshot() == source["snapshot"]


def test_restore_refuses_a_non_empty_media_folder(source, empty_target):
    (empty_target.media_root / "photos").mkdir(parents=True)
    (empty_target.media_root / "photos" / "someone-elses.jpg").write_bytes(b"x")
    refused = empty_target.manage("restore_site", str(source["backup"]), check=False)
    assert refused.returncode != 0
    assert "is not empty" in refused.stderr
    assert (empty_target.media_root / "photos" / "someone-elses.jpg").read_bytes() == b"x"


def test_restore_refuses_a_damaged_backup(source, empty_target, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(source["backup"], damaged)
    with (damaged / "media.tar").open("r+b") as archive:
        archive.seek(1000)
        archive.write(b"damage")

    refused = empty_target.manage("restore_site", str(damaged), check=False)
    assert refused.returncode != 0
    assert "damaged" in refused.stderr
    assert not empty_target.media_root.exists()
