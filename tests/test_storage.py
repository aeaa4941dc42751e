"""Media on S3-compatible object storage (django-storages), against a real S3 server: moto in server mode.

Photos, their renditions and rich-text uploads go through Django's storage API only, so with a bucket configured
nothing is written under MEDIA_ROOT and every URL a page shows is served by the object store.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from articles import services
from articles.widgets import UPLOAD_URL
from tests.factories import ArticleFactory, image_bytes

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")

BUCKET = "newsroom-test-media"
BASE_DIR = Path(__file__).resolve().parent.parent


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """A moto S3 server on a free port, with a bucket anyone may read from (as a public media bucket is)."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(100):
            try:
                urllib.request.urlopen(endpoint, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        client = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        client.create_bucket(Bucket=BUCKET)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
            ],
        }
        client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
        yield endpoint, client
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture
def object_storage(settings, s3_endpoint, monkeypatch):
    """The settings newsroom/settings.py derives from AWS_STORAGE_BUCKET_NAME and AWS_S3_ENDPOINT_URL."""
    endpoint, client = s3_endpoint
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "t")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "t")
    derived = settings_from_environment(AWS_STORAGE_BUCKET_NAME=BUCKET, AWS_S3_ENDPOINT_URL=endpoint)
    settings.STORAGES = {**settings.STORAGES, "default": derived["STORAGES"]["default"]}
    settings.MEDIA_URL = derived["MEDIA_URL"]
    return client


def settings_from_environment(**variables):
    """newsroom.settings loaded in a fresh interpreter with these environment variables: the STORAGES, MEDIA_URL
    and CSP it derives."""
    code = (
        "import json; from newsroom import settings as s; print(json.dumps({'STORAGES': s.STORAGES, "
        "'MEDIA_URL': s.MEDIA_URL, 'IMG_SRC': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']}, default=str))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DJANGO_MEDIA"))}
    env.update(DJANGO_SECRET_KEY="t", **variables)
    output = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output)


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("Content-Type"), response.read()


def stored_keys(client):
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_local_disk_is_the_default():
    derived = settings_from_environment()

    assert derived["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert derived["MEDIA_URL"] == "/media/"


def test_a_bucket_setting_moves_media_to_object_storage_and_the_csp_allows_it():
    derived = settings_from_environment(
        AWS_STORAGE_BUCKET_NAME="paper-media", AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000/"
    )

    assert derived["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert derived["MEDIA_URL"] == "http://127.0.0.1:9000/paper-media/"
    assert "http://127.0.0.1:9000" in derived["IMG_SRC"]


def test_a_custom_media_domain_is_what_pages_link_to():
    derived = settings_from_environment(AWS_STORAGE_BUCKET_NAME="paper-media", AWS_S3_CUSTOM_DOMAIN="img.example.cn")

    assert derived["MEDIA_URL"] == "https://img.example.cn/"
    assert "https://img.example.cn" in derived["IMG_SRC"]
    assert derived["STORAGES"]["default"]["OPTIONS"]["querystring_auth"] is False


@pytest.mark.django_db
def test_photo_and_renditions_are_stored_in_the_bucket_and_served_from_it(client, object_storage, settings):
    photo = services.create_photo(
        SimpleUploadedFile("会场.jpg", image_bytes("JPEG", size=(1300, 900)), "image/jpeg"), alt_text="会场"
    )
    article = ArticleFactory(published=True, lead_photo=photo)

    keys = stored_keys(object_storage)
    assert photo.image.name in keys
    assert {r.file.name for r in photo.renditions.all()} <= keys
    assert photo.renditions.count() >= 6
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).rglob("*.*"))

    html = client.get(article.get_absolute_url()).content.decode()
    picture = re.search(r"<picture>.*?</picture>", html, re.S).group(0)
    urls = set(re.findall(r"(http://127\.0\.0\.1:\d+/[^\s\"]+\.(?:webp|jpg))", picture))
    assert len(urls) >= 6 and all(url.startswith(settings.MEDIA_URL) for url in urls)
    for url in urls:
        status, content_type, body = fetch(url)
        assert status == 200
        assert content_type in ("image/webp", "image/jpeg") and body


@pytest.mark.django_db
def test_rich_text_uploads_go_to_the_bucket_and_stay_in_saved_text(editor_client, object_storage, settings):
    response = editor_client.post(
        UPLOAD_URL, {"upload": SimpleUploadedFile("插图.png", image_bytes("PNG", size=(640, 480)), "image/png")}
    )

    assert response.status_code == 200
    url = response.json()["url"]
    assert url.startswith(settings.MEDIA_URL)
    assert fetch(url)[0] == 200
    # The sanitiser keeps images from our own media storage (the bucket) and drops others.
    cleaned = services.sanitize_html(f'<p><img src="{url}" alt="插图"><img src="http://evil.example/x.png"></p>')
    assert url in cleaned and "evil.example" not in cleaned


@pytest.mark.django_db
def test_a_photo_deleted_from_the_bucket_takes_its_keys_with_it(object_storage, django_capture_on_commit_callbacks):
    """Nothing to tidy after the delete: an object store has no folders (and its storage no local path)."""
    before = stored_keys(object_storage)  # the bucket is shared by this module's tests
    photo = services.create_photo(
        SimpleUploadedFile("会场.jpg", image_bytes(size=(640, 480)), "image/jpeg"), alt_text="会场"
    )
    assert len(stored_keys(object_storage) - before) > 1

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_photos([photo])

    assert stored_keys(object_storage) == before


@pytest.mark.parametrize(
    "variables",
    [
        {"AWS_S3_CUSTOM_DOMAIN": "img.example.cn", "AWS_S3_URL_PROTOCOL": "https"},
        {"AWS_S3_CUSTOM_DOMAIN": "https://img.example.cn/"},
        {"AWS_S3_CUSTOM_DOMAIN": "img.example.cn/", "AWS_S3_URL_PROTOCOL": "https:"},
    ],
)
def test_a_media_domain_written_as_a_url_or_a_scheme_without_colon_still_gives_working_links(variables):
    """Operators write the CDN as a URL and the scheme as `https`: pages must not link to https//img... or
    https://https://img... (broken images on every page)."""
    derived = settings_from_environment(AWS_STORAGE_BUCKET_NAME="paper-media", **variables)

    assert derived["MEDIA_URL"] == "https://img.example.cn/"
    assert derived["STORAGES"]["default"]["OPTIONS"]["custom_domain"] == "img.example.cn"
    assert derived["STORAGES"]["default"]["OPTIONS"]["url_protocol"] == "https:"
    assert "https://img.example.cn" in derived["IMG_SRC"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"AWS_S3_URL_PROTOCOL": "ftp"}, "AWS_S3_URL_PROTOCOL='ftp': use https: or http:"),
        (
            {"AWS_S3_ENDPOINT_URL": "s3.example.internal"},
            "AWS_S3_ENDPOINT_URL='s3.example.internal': write it as a URL",
        ),
    ],
)
def test_a_media_address_that_cannot_work_stops_startup(variables, message):
    with pytest.raises(subprocess.CalledProcessError) as failure:
        settings_from_environment(AWS_STORAGE_BUCKET_NAME="paper-media", **variables)
    assert message in failure.value.stderr.strip().splitlines()[-1]
