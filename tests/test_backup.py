"""`make backup` / `make restore` (manage.py backup_site / restore_site) round-trip the whole site.

A site with the demo content (articles, bylines, photos and their renditions) is backed up, restored into an empty
database and an empty media folder, and compared: every article, byline, photo and rendition file (by checksum)
and every public page as rendered. On SQLite, and on PostgreSQL for real (pg_dump, then pg_restore into a second
database of a cluster this module owns, so it runs the same under both `make test` stages). Each step is a
separate `manage.py` process, as an operator would run it.
"""

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from contextlib import closing
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
    # Not the news sitemap: it lists the last 48 hours, so a demo story leaves it while the module runs when the
    # clock passes its time two days on (a story of 09:00 the day before yesterday at 09:00; the backup was fine).
    paths += ["/sitemap.xml", "/search/?q=妇联"]
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

    def python(self, code, *argv):
        """Run ``code`` in a configured Django process of this site (argv in sys.argv[1:]); return its stdout."""
        result = subprocess.run(  # noqa: S603 - fixed argv
            [PYTHON, "-c", f"import django, sys\ndjango.setup()\n{code}", *argv],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

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
    yield from pgcluster.throwaway_cluster()


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


def test_restore_given_the_backups_folder_or_a_missing_one_says_what_to_give_it(source, empty_target, tmp_path):
    """`make restore BACKUP=backups` (the folder of backups, not one of them) or a path mistyped: the operator is
    told which it is and, for the folder of backups, which backups it holds."""
    parent = tmp_path / "backups"
    for name in ("20261128T020000Z", "20261129T020000Z"):
        shutil.copytree(source["backup"], parent / name)

    refused = empty_target.manage("restore_site", str(parent), check=False)
    assert refused.returncode != 0
    assert "holds 2 backups" in refused.stderr
    assert str(parent / "20261129T020000Z") in refused.stderr  # the latest, to copy

    missing = empty_target.manage("restore_site", str(tmp_path / "bakups"), check=False)
    assert missing.returncode != 0
    assert "does not exist" in missing.stderr
    assert not empty_target.media_root.exists()


def tarinfo(name, kind=tarfile.REGTYPE, linkname=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    if info.isfile():
        info.size = len(b"written outside")
    return info


EVIL_ENTRIES = {  # each given the folder outside the media folder that it aims at
    "a path out of the folder": lambda outside: tarinfo("../outside.txt"),
    "an absolute path": lambda outside: tarinfo(f"{outside}/absolute.txt"),
    "a symbolic link": lambda outside: tarinfo("photos/link", tarfile.SYMTYPE, linkname=str(outside)),
    "a hard link": lambda outside: tarinfo("photos/hard", tarfile.LNKTYPE, linkname="/etc/hostname"),
    "a device": lambda outside: tarinfo("photos/null", tarfile.CHRTYPE),
}


@pytest.mark.parametrize("entry", EVIL_ENTRIES, ids=list(EVIL_ENTRIES))
def test_restore_refuses_a_media_archive_with_entries_a_backup_never_writes(entry, tmp_path):
    """A backup folder that someone changed (the archive replaced, its checksum in the manifest with it) must not
    write outside the media folder or plant links in it: the restore stops, having changed nothing."""
    source = Site(f"sqlite:///{tmp_path / 'source.sqlite3'}", tmp_path / "media")
    source.manage("migrate", "--noinput")
    (tmp_path / "media" / "photos").mkdir(parents=True)
    (tmp_path / "media" / "photos" / "hall.jpg").write_bytes(b"\xff\xd8\xff\xe0 a photo")
    source.manage("backup_site", "--output", str(tmp_path / "backups"))
    backup = next((tmp_path / "backups").glob("2*"))
    outside = tmp_path / "outside"
    outside.mkdir()
    evil = EVIL_ENTRIES[entry](outside)
    with tarfile.open(backup / "media.tar", "a") as archive:
        archive.addfile(evil, io.BytesIO(b"written outside") if evil.isfile() else None)
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["media"]["sha256"] = hashlib.sha256((backup / "media.tar").read_bytes()).hexdigest()
    (backup / "manifest.json").write_text(json.dumps(manifest))

    target = Site(f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path / "target" / "media")
    refused = target.manage("restore_site", str(backup), check=False)
    assert refused.returncode != 0
    assert "which a backup never writes" in refused.stderr
    assert not target.media_root.exists()
    assert list((tmp_path / "target").glob(".media.restoring-*")) == []  # no half-extracted folder left beside it
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "outside.txt").exists()
    with closing(sqlite3.connect(tmp_path / "target.sqlite3")) as database:  # the database was not restored either
        assert database.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def cut_short_with_its_checksum(backup):
    """The media archive cut in the middle of a file (a copy that ran out of disk), the manifest rewritten to match."""
    archive = backup / "media.tar"
    archive.write_bytes(archive.read_bytes()[:700])
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["media"]["sha256"] = hashlib.sha256(archive.read_bytes()).hexdigest()
    (backup / "manifest.json").write_text(json.dumps(manifest))


BROKEN_BACKUPS = {
    "a media archive cut short": (cut_short_with_its_checksum, "media.tar cannot be read"),
    "a manifest that is not JSON": (
        lambda backup: (backup / "manifest.json").write_text('{"format": 1, "database": {"file": '),
        "manifest.json is damaged",
    ),
    "a manifest without its parts": (
        lambda backup: (backup / "manifest.json").write_text('{"format": 1}'),
        "manifest.json is damaged",
    ),
}


@pytest.mark.parametrize("broken", BROKEN_BACKUPS, ids=list(BROKEN_BACKUPS))
def test_restore_says_what_is_wrong_with_a_broken_backup_and_changes_nothing(broken, tmp_path):
    """The operator gets a sentence naming the file, not a Python traceback (tarfile's ReadError, a JSONDecodeError)."""
    source = Site(f"sqlite:///{tmp_path / 'source.sqlite3'}", tmp_path / "media")
    source.manage("migrate", "--noinput")
    (tmp_path / "media" / "photos").mkdir(parents=True)
    (tmp_path / "media" / "photos" / "hall.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"a photo " * 200)
    source.manage("backup_site", "--output", str(tmp_path / "backups"))
    backup = next((tmp_path / "backups").glob("2*"))
    damage, message = BROKEN_BACKUPS[broken]
    damage(backup)

    target = Site(f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path / "target" / "media")
    refused = target.manage("restore_site", str(backup), check=False)
    assert refused.returncode != 0
    assert message in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not target.media_root.exists()
    assert list((tmp_path / "target").glob(".media.restoring-*")) == []
    with closing(sqlite3.connect(tmp_path / "target.sqlite3")) as database:
        assert database.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def media_state(root):
    """Every file under a media folder with its checksum."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(root).rglob("*"))
        if path.is_file()
    }


# An editor saves (a new user, from another process) while the backup runs: during pg_dump (inside the snapshot's
# transaction, PostgreSQL only) and after the database was dumped, before the media is archived.
WRITE_DURING_BACKUP = """
import subprocess
from articles import backups

def editor_saves(name):
    subprocess.run([sys.executable, "manage.py", "createsuperuser", "--noinput", "--username", name,
                    "--email", name + "@example.com"], check=True, capture_output=True)

run, archive_media = backups._run, backups._archive_media

def run_while_an_editor_saves(argv, database):
    if "pg_dump" in argv[0]:
        editor_saves("saved-during-dump")
    return run(argv, database)

def archive_after_an_editor_saved(folder):
    editor_saves("saved-after-dump")
    return archive_media(folder)

backups._run, backups._archive_media = run_while_an_editor_saves, archive_after_an_editor_saved
print(backups.create_backup(sys.argv[1]))
"""


def test_a_backup_of_a_site_being_written_restores_with_the_counts_of_its_dump(source, empty_target, tmp_path):
    site = source["site"]
    site.env["DJANGO_SUPERUSER_PASSWORD"] = "a-long-enough-password-1"
    users_before = source["snapshot"]["rows"]["auth_user"]
    try:
        folder = Path(site.python(WRITE_DURING_BACKUP, str(tmp_path / "backups")).strip().splitlines()[-1])
        users_now = json.loads(
            site.python("from articles import backups; print(__import__('json').dumps(backups.row_counts()))")
        )["auth_user"]
    finally:
        site.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User; User.objects.filter(username__startswith='saved-').delete()",
        )
    expected_late_users = 2 if source["vendor"] == "postgresql" else 1
    assert users_now == users_before + expected_late_users, "the editor's saves reached the live database"

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["rows"]["auth_user"] == users_before, "the manifest counts the rows of the dump, not the live site"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert all(part.stat().st_mode & 0o077 == 0 for part in folder.iterdir())

    restored = empty_target.manage("restore_site", str(folder), check=False)
    assert restored.returncode == 0, restored.stderr
    after = empty_target.snapshot()
    assert after["rows"] == manifest["rows"] == source["snapshot"]["rows"]
    assert after["articles"] == source["snapshot"]["articles"]


def test_a_backup_skips_a_media_file_removed_while_it_runs(source, tmp_path):
    site = source["site"]
    vanishing = site.media_root / "renditions" / "replaced-meanwhile.webp"
    vanishing.parent.mkdir(parents=True, exist_ok=True)
    vanishing.write_bytes(b"an old rendition")
    code = """
from pathlib import Path
from articles import backups
listed = backups._media_files
def listed_then_one_removed(root):
    files = listed(root)
    (Path(root) / "renditions" / "replaced-meanwhile.webp").unlink()
    return files
backups._media_files = listed_then_one_removed
print(backups.create_backup(sys.argv[1]))
"""
    try:
        folder = Path(site.python(code, str(tmp_path / "backups")).strip().splitlines()[-1])
    finally:
        vanishing.unlink(missing_ok=True)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["media"]["skipped"] == ["renditions/replaced-meanwhile.webp"]
    assert manifest["media"]["files"] == len(media_state(site.media_root)) > 0
    with tarfile.open(folder / "media.tar") as archive:
        assert sorted(archive.getnames()) == sorted(media_state(site.media_root))


def damaged_database_copy(backup, destination):
    """The backup with its database file cut in half and a manifest whose checksum matches it: the checksum check
    passes, the database restore itself fails."""
    shutil.copytree(backup, destination)
    manifest = json.loads((destination / "manifest.json").read_text())
    dump = destination / manifest["database"]["file"]
    content = dump.read_bytes()
    dump.write_bytes(content[: len(content) // 2])
    manifest["database"]["sha256"] = hashlib.sha256(dump.read_bytes()).hexdigest()
    manifest["database"]["bytes"] = dump.stat().st_size
    (destination / "manifest.json").write_text(json.dumps(manifest))
    return destination


def test_a_forced_restore_that_fails_leaves_the_database_and_media_as_they_were(source, empty_target, tmp_path):
    target = empty_target
    target.manage("restore_site", str(source["backup"]))
    # The site lives on after the backup: a new editor, a changed story, a new photo file.
    target.env["DJANGO_SUPERUSER_PASSWORD"] = "a-long-enough-password-1"
    target.manage("createsuperuser", "--noinput", "--username", "new-editor", "--email", "new@example.com")
    target.manage(
        "shell",
        "-c",
        "from articles.models import Article; a = Article.objects.first(); a.headline = 'Changed'; a.save()",
    )
    (target.media_root / "photos" / "uploaded-since.jpg").write_bytes(b"new photo")
    before, media_before = target.snapshot(), media_state(target.media_root)
    assert before["rows"]["auth_user"] == source["snapshot"]["rows"]["auth_user"] + 1

    damaged = damaged_database_copy(source["backup"], tmp_path / "damaged")
    failed = target.manage("restore_site", str(damaged), "--force", check=False)
    assert failed.returncode != 0
    assert "pg_restore failed" in failed.stderr or "database.sqlite3" in failed.stderr, failed.stderr

    assert target.snapshot() == before, "the database is the one from before the failed restore"
    assert media_state(target.media_root) == media_before, "the media folder is the one from before"
    assert sorted(path.name for path in target.media_root.parent.iterdir() if "media" in path.name) == ["media"]

    # The same backup undamaged replaces the site: a database with tables and rows, a media folder with files.
    target.manage("restore_site", str(source["backup"]), "--force")
    assert target.snapshot() == source["snapshot"]
    assert media_state(target.media_root) == media_state(source["site"].media_root)


RESTORE_AFTER_A_CACHED_PAGE = """
from django.test import Client
from articles import backups
from articles.models import Article

client = Client(HTTP_HOST="localhost")
article = Article.objects.published().order_by("pk").first()
article.headline = "Headline edited after the backup"
article.save()
url = article.get_absolute_url()
client.get(url)
cached = client.get(url)
backups.restore_backup(sys.argv[1], force=True)
served = client.get(url)
print(json.dumps({
    "cached": [cached["X-Newsroom-Cache"], "edited after the backup" in cached.content.decode()],
    "served": [served.status_code, served.get("X-Newsroom-Cache"), "edited after the backup" in served.content.decode()],
}))
"""


def test_a_restore_retires_the_pages_cached_before_it(source, empty_target):
    target = empty_target
    target.manage("restore_site", str(source["backup"]))
    target.env["NEWSROOM_PAGE_CACHE"] = "true"
    result = json.loads(
        target.python("import json\n" + RESTORE_AFTER_A_CACHED_PAGE, str(source["backup"])).strip().splitlines()[-1]
    )
    assert result["cached"] == ["hit", True], "the edited page was served from the cache before the restore"
    assert result["served"] == [200, "miss", False], "after the restore the page is rendered from the restored rows"


def test_a_backup_of_a_site_with_media_in_a_bucket_says_the_bucket_is_not_in_it(tmp_path):
    """With AWS_STORAGE_BUCKET_NAME set the photos live in the bucket: the backup holds the database only, and the
    operator is told so rather than reading "0 media files" as a complete backup."""
    site = Site(f"sqlite:///{tmp_path / 'site.sqlite3'}", tmp_path / "media")
    # The bucket is never contacted: neither migrate nor the backup touch stored files.
    site.env.update(AWS_STORAGE_BUCKET_NAME="newsroom-media", AWS_S3_ENDPOINT_URL="http://127.0.0.1:9")
    site.manage("migrate", "--noinput")

    result = site.manage("backup_site", "--output", str(tmp_path / "backups"))

    assert "Backup written to" in result.stdout
    assert "0 media files" not in result.stdout
    assert "media in the bucket newsroom-media: not in this backup" in result.stdout
    assert "back the bucket up with its own versioning or replication" in result.stderr
    manifest = json.loads(next((tmp_path / "backups").glob("2*/manifest.json")).read_text())
    assert manifest["media"]["bucket"] == "newsroom-media"

    restored = Site(f"sqlite:///{tmp_path / 'restored.sqlite3'}", tmp_path / "restored-media")
    restored.env.update(AWS_STORAGE_BUCKET_NAME="newsroom-media", AWS_S3_ENDPOINT_URL="http://127.0.0.1:9")
    result = restored.manage("restore_site", str(next((tmp_path / "backups").glob("2*"))))
    assert "media files into" not in result.stdout
    assert "the photos are in the bucket newsroom-media, which a restore does not touch" in result.stdout


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root may give files to another user")
def test_a_restore_run_as_root_leaves_the_media_to_the_owner_of_the_media_folder(tmp_path):
    """The operator runs `make restore` with sudo; the site runs as its own user, which must still be able to write
    renditions into the restored month folders and delete replaced files."""
    source = Site(f"sqlite:///{tmp_path / 'source.sqlite3'}", tmp_path / "media")
    source.manage("migrate", "--noinput")
    photo = tmp_path / "media" / "photos" / "2026" / "11" / "hall.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff\xe0 a photo")
    source.manage("backup_site", "--output", str(tmp_path / "backups"))

    site_user = 65534  # nobody: the site's own user on the server
    target = Site(f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path / "target-media")
    target.media_root.mkdir()
    os.chown(target.media_root, site_user, site_user)
    target.manage("restore_site", str(next((tmp_path / "backups").glob("2*"))))

    restored = [target.media_root, *target.media_root.rglob("*")]
    assert target.media_root / "photos" / "2026" / "11" / "hall.jpg" in restored
    assert {(path.stat().st_uid, path.stat().st_gid) for path in restored} == {(site_user, site_user)}


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root may give files to another user")
def test_a_restore_run_as_root_leaves_the_content_generation_readable_by_the_site(tmp_path):
    """Without Redis the content generation is a file in NEWSROOM_CACHE_DIR, which the site's own user made. The
    operator's `sudo make restore` (or `sudo manage.py retire_cached_pages`) starts a new generation: it must stay the
    site's, or the site can no longer read it and renders every page without its page cache, logging a traceback
    for each, until an editor's change replaces the file."""
    source = Site(f"sqlite:///{tmp_path / 'source.sqlite3'}", tmp_path / "media")
    source.manage("migrate", "--noinput")
    source.manage("backup_site", "--output", str(tmp_path / "backups"))

    site_user = 65534  # nobody: the site's own user on the server
    target = Site(f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path / "target-media")
    cache_dir = tmp_path / "var-cache-newsroom"  # systemd's CacheDirectory=newsroom, made for the site's user
    cache_dir.mkdir()
    os.chown(cache_dir, site_user, site_user)
    target.env["NEWSROOM_CACHE_DIR"] = str(cache_dir)

    for argv in (["restore_site", str(next((tmp_path / "backups").glob("2*")))], ["retire_cached_pages"]):
        target.manage(*argv)
        written = list(cache_dir.rglob("*"))
        assert written, "the generation is kept in the folder"
        assert {(path.stat().st_uid, path.stat().st_gid) for path in written} == {(site_user, site_user)}, argv


EARLIER_RELEASE = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("DROP TABLE django_tasks_database_dbtaskresult")
    cursor.execute("DELETE FROM django_migrations WHERE app = 'django_tasks_database'")
"""


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_a_backup_of_an_earlier_release_restores_and_says_to_migrate(vendor, request, tmp_path):
    """A site still on an earlier release (here: before the task queue's table) is backed up and moved to a server
    with the current code: no traceback about the table it never had; the restore says to run migrate, after which
    the site works. A forced restore over a database of the current release is refused on PostgreSQL, whose
    pg_restore would leave the later tables behind (SQLite's file is replaced whole)."""
    if vendor == "sqlite":
        urls = [f"sqlite:///{tmp_path / name}.sqlite3" for name in ("source", "empty", "current")]
    else:
        cluster = request.getfixturevalue("cluster")
        urls = []
        for name in ("earlier_source", "earlier_empty", "earlier_current"):
            cluster.create_database(name)
            urls.append(cluster.url(name))
    source = Site(urls[0], tmp_path / "media")
    source.manage("migrate", "--noinput")
    source.manage("seed_demo_content")
    source.python(EARLIER_RELEASE)
    source.manage("backup_site", "--output", str(tmp_path / "backups"))
    backup = str(next((tmp_path / "backups").glob("2*")))

    empty = Site(urls[1], tmp_path / "empty-media")
    result = empty.manage("restore_site", backup)
    assert "made by an earlier release: run manage.py migrate" in result.stdout
    empty.manage("migrate", "--noinput")
    status = empty.python(
        "from articles.models import Article\n"
        "from django.test import Client\n"
        "print(Client(HTTP_HOST='localhost').get(Article.objects.published().first().get_absolute_url()).status_code)"
    )
    assert status.strip() == "200"

    current = Site(urls[2], tmp_path / "current-media")
    current.manage("migrate", "--noinput")
    forced = current.manage("restore_site", "--force", backup, check=False)
    if vendor == "sqlite":
        assert forced.returncode == 0, forced.stderr
        assert "made by an earlier release" in forced.stdout
    else:
        assert forced.returncode != 0
        assert "the backup was made by an earlier release than this database's" in forced.stderr
        assert "restore it into an empty database" in forced.stderr
    current.manage("migrate", "--noinput")


@pytest.mark.parametrize("force", [False, True], ids=["empty", "forced"])
def test_a_restore_into_a_media_folder_that_is_a_link_fills_the_folder_it_names(force, tmp_path):
    """The photos live on a larger disk and MEDIA_ROOT is a symbolic link to their folder there (nginx may serve
    that folder by its own path). The restore fills that folder: the link stays, and no copy of the photos ends up
    on the link's disk."""
    source = Site(f"sqlite:///{tmp_path / 'source.sqlite3'}", tmp_path / "media")
    source.manage("migrate", "--noinput")
    photo = tmp_path / "media" / "photos" / "2026" / "11" / "hall.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff\xe0 a photo")
    source.manage("backup_site", "--output", str(tmp_path / "backups"))

    disk = tmp_path / "data-disk" / "media"
    disk.mkdir(parents=True)
    if force:
        (disk / "photos").mkdir()
        (disk / "photos" / "before.jpg").write_bytes(b"x")
    app = tmp_path / "app"
    app.mkdir()
    (app / "media").symlink_to(disk)
    target = Site(f"sqlite:///{app / 'db.sqlite3'}", app / "media")
    target.manage("restore_site", str(next((tmp_path / "backups").glob("2*"))), *(["--force"] if force else []))

    assert (app / "media").is_symlink() and (app / "media").resolve() == disk.resolve()
    assert (disk / "photos" / "2026" / "11" / "hall.jpg").read_bytes() == photo.read_bytes()
    assert not (disk / "photos" / "before.jpg").exists()
    assert not [path.name for path in app.iterdir() if path.name.startswith(".")], "nothing left beside the link"
    assert sorted(path.name for path in disk.parent.iterdir()) == ["media"], "nothing left beside the folder"
