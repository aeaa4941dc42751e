"""The load balancers' health endpoint (/healthz): 200 when the database works (degraded without the cache), else 503."""

import json

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from articles import services
from newsroom import health as health_module
from tests.factories import image_bytes


def health(client):
    response = client.get(reverse("healthz"))
    return response, json.loads(response.content)


@pytest.mark.django_db
def test_healthy_server_answers_ok_never_cached_and_without_a_session(client):
    response, body = health(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "generation": "ok", "migrations": "ok", "media": "ok"},
    }
    assert "no-store" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    assert not response.cookies  # no session, no CSRF cookie


@pytest.mark.django_db
def test_only_reads_are_allowed(client):
    assert client.post(reverse("healthz")).status_code == 405


@pytest.mark.django_db
def test_unreachable_cache_reports_degraded_but_keeps_the_server_in_the_balancer(client, settings):
    """Pages render without the cache; every app server shares one Redis, so failing the check would empty the
    load balancer."""
    pytest.importorskip("redis")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }

    response, body = health(client)

    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("error: ")


@pytest.mark.django_db
def test_an_unreadable_content_generation_reports_degraded(client, settings, tmp_path):
    """Without Redis, every process reads the content generation from a file in NEWSROOM_CACHE_DIR: when it cannot
    (a folder another user made, a path that is not a folder), every page is rendered without the page cache and
    each logs a failure, and the check must say so rather than "ok"."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.CACHES = {
        **settings.CACHES,
        "generation": {"BACKEND": "newsroom.file_cache.SharedFileBasedCache", "LOCATION": str(blocker / "generation")},
    }

    response, body = health(client)

    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["cache"] == "ok"
    assert body["checks"]["generation"].startswith("error: ")


@pytest.fixture
def unreachable_database():
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("an in-memory SQLite test database cannot be made unreachable; run on PostgreSQL")
    connection.close()
    saved = dict(connection.settings_dict)
    connection.settings_dict.update(HOST="127.0.0.1", PORT=1)
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_unreachable_database_fails_the_check(client, unreachable_database):
    response, body = health(client)

    assert response.status_code == 503
    assert body == {
        "status": "unavailable",
        "checks": {"database": "error: OperationalError", "cache": "ok", "generation": "ok", "media": "ok"},
    }


@pytest.mark.django_db
def test_concurrent_polls_do_not_report_a_spurious_cache_failure(client, monkeypatch):
    """Load balancers poll every app server at once, and the servers share Redis: a poll that writes between
    another's write and read must not make that other one report the cache as failing."""
    shared = caches["default"]
    real_get = shared.get
    other_polls = []

    def get_while_another_poll_writes(key, *args, **kwargs):
        if not other_polls:
            other_polls.append(None)
            other_polls[0] = health_module._check_cache()  # another server's poll, in between
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(shared, "get", get_while_another_poll_writes)
    response, body = health(client)

    assert other_polls == ["ok"]
    assert response.status_code == 200
    assert body["status"] == "ok" and body["checks"]["cache"] == "ok"


@pytest.mark.django_db
def test_a_plain_http_probe_is_answered_even_with_the_https_redirect_on(client, settings):
    """Load balancers often probe the app server over plain HTTP: /healthz answers; pages still redirect."""
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(reverse("healthz")).status_code == 200
    assert client.get("/").status_code == 301


@pytest.mark.django_db
def test_a_probe_by_the_app_servers_address_is_answered_though_only_the_site_name_is_allowed(client, settings):
    """Load balancers probe each app server by its address (Host: 10.0.0.5:8000), not by the site's name: with
    DJANGO_ALLOWED_HOSTS=www.example.cn that must not be a 400, or every server leaves the balancer."""
    settings.ALLOWED_HOSTS = ["www.example.cn"]
    settings.SECURE_SSL_REDIRECT = True

    response = client.get(reverse("healthz"), HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    assert json.loads(response.content)["status"] == "ok"
    assert client.head(reverse("healthz"), HTTP_HOST="10.0.0.5").status_code == 200
    assert client.post(reverse("healthz"), HTTP_HOST="10.0.0.5").status_code == 405
    # Every other page still refuses a host the site does not own.
    assert client.get("/", HTTP_HOST="10.0.0.5:8000", secure=True).status_code == 400
    assert client.get("/healthz/", HTTP_HOST="10.0.0.5:8000").status_code == 400


@pytest.mark.django_db
def test_a_server_without_collectstatic_fails_the_check(client, settings, tmp_path):
    """With debug off, pages name their CSS and scripts through collectstatic's manifest: without it every page is a
    500 (Missing staticfiles manifest entry), so the balancer must not send readers to that server."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    response, body = health(client)
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["static"] == "error: no staticfiles.json in STATIC_ROOT (run collectstatic)"

    (settings.STATIC_ROOT / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "paths": {"css/site.css": "css/site.0123456789ab.css"}, "hash": "0123"})
    )
    settings.STATIC_ROOT = settings.STATIC_ROOT  # a new storage reads the manifest, as a restarted server does
    response, body = health(client)
    assert response.status_code == 200
    assert body == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "cache": "ok",
            "generation": "ok",
            "migrations": "ok",
            "static": "ok",
            "media": "ok",
        },
    }


@pytest.mark.django_db
def test_a_server_whose_code_is_ahead_of_the_database_fails_the_check(client):
    """New code started before `migrate` ran: its pages fail on the missing columns and tables, so the balancer
    keeps the servers still running the old code (a rolling deploy migrates first)."""
    from django.db.migrations.recorder import MigrationRecorder

    latest = MigrationRecorder.Migration.objects.filter(app="articles").order_by("-id").first()
    latest.delete()

    response, body = health(client)
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["migrations"] == "error: 1 migration not applied (run migrate)"

    MigrationRecorder.Migration.objects.create(app=latest.app, name=latest.name)
    response, body = health(client)
    assert response.status_code == 200 and body["checks"]["migrations"] == "ok"


@pytest.mark.django_db
def test_a_media_folder_that_cannot_be_written_reports_degraded(client, settings, tmp_path):
    """A MEDIA_ROOT through a file (a typo in DJANGO_MEDIA_ROOT) fails every upload: the check says so before the
    first reporter finds it, and keeps the server in the balancer (readers are served)."""
    blocker = tmp_path / "media-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = str(blocker / "media")

    response, body = health(client)

    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["media"] == f"error: MEDIA_ROOT {blocker / 'media'} is not a folder"


@pytest.mark.django_db
def test_a_media_folder_not_made_yet_is_fine(client, settings, tmp_path):
    """Django makes MEDIA_ROOT at the first upload: a folder that does not exist yet, under one that can be written
    to, is no fault."""
    settings.MEDIA_ROOT = str(tmp_path / "not-yet" / "media")

    response, body = health(client)

    assert body["checks"]["media"] == "ok" and body["status"] == "ok"


@pytest.mark.django_db
def test_a_media_folder_through_a_broken_link_reports_degraded(client, settings, tmp_path):
    """MEDIA_ROOT a symbolic link to the photos' disk (articles/backups.py restores through one), that disk not
    mounted: the link names nothing, Django cannot make the folder and every upload fails. The link's own folder
    can be written to, which is no sign that the uploads can."""
    link = tmp_path / "media"
    link.symlink_to(tmp_path / "photos-disk" / "media")  # not there: the disk is not mounted
    settings.MEDIA_ROOT = str(link)

    response, body = health(client)

    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["media"].startswith(f"error: MEDIA_ROOT {link} ")


@pytest.mark.django_db
def test_a_media_folder_under_a_broken_link_reports_degraded(client, settings, tmp_path):
    """The same with the link higher up the path (MEDIA_ROOT made under a linked folder)."""
    link = tmp_path / "srv"
    link.symlink_to(tmp_path / "unmounted")
    settings.MEDIA_ROOT = str(link / "newsroom" / "media")

    response, body = health(client)

    assert body["status"] == "degraded" and body["checks"]["media"].startswith("error: MEDIA_ROOT ")


@pytest.mark.django_db
def test_a_media_folder_through_a_link_to_a_folder_is_fine(client, settings, tmp_path):
    (tmp_path / "photos-disk").mkdir()
    link = tmp_path / "media"
    link.symlink_to(tmp_path / "photos-disk")
    settings.MEDIA_ROOT = str(link)

    response, body = health(client)

    assert body["checks"]["media"] == "ok" and body["status"] == "ok"


def this_month():
    return timezone.now().strftime("%Y/%m")  # the month in the uploads' folder names (articles/models.py)


def upload_a_photo():
    upload = SimpleUploadedFile("会场.png", image_bytes("PNG", size=(30, 20)), content_type="image/png")
    return services.create_photo(upload, alt_text="会场")


@pytest.mark.django_db
@pytest.mark.parametrize("blocked", ["photos", "photos/{month}", "renditions/{month}", "portraits"])
def test_an_upload_folder_that_is_no_folder_reports_degraded_naming_it(client, media_root, blocked):
    """MEDIA_ROOT can be written to, but a folder the uploads go to cannot (left to root by a command run as root;
    here a file in its place): every upload failed while /healthz said ok."""
    path = media_root / blocked.format(month=this_month())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("not a folder")
    if blocked.startswith("photos"):
        with pytest.raises(services.MediaWriteError):
            upload_a_photo()

    response, body = health(client)

    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["media"] == f"error: upload folder {path} is not a folder"


@pytest.mark.django_db
def test_upload_folders_made_by_earlier_uploads_are_fine(client, media_root):
    upload_a_photo()
    (media_root / "portraits" / this_month()).mkdir(parents=True)
    (media_root / "photos" / "2019" / "01").mkdir(parents=True)  # an old month's folder, written no more
    (media_root / "photos" / "2019" / "01").chmod(0o500)

    response, body = health(client)

    assert body["checks"]["media"] == "ok" and body["status"] == "ok"
