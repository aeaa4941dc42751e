"""An object store that refuses or cannot be reached is a clean refusal of the upload, as a full disk is
(services.store_file), against a real S3 server (moto in server mode, from tests/test_storage.py)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from articles.models import Photo, Rendition
from articles.widgets import UPLOAD_URL
from tests.factories import image_bytes

pytest.importorskip("boto3")
pytest.importorskip("moto")

from tests.test_storage import s3_endpoint, settings_from_environment  # noqa: E402, F401 - the fixture is used

pytestmark = pytest.mark.django_db

REFUSAL = "照片无法保存"


@pytest.fixture
def storage_settings(settings, monkeypatch):
    """Object storage settings as newsroom/settings.py derives them, for a bucket and endpoint given."""

    def configure(bucket, endpoint):
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "t")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "t")
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # no retries against a port nothing listens on
        derived = settings_from_environment(AWS_STORAGE_BUCKET_NAME=bucket, AWS_S3_ENDPOINT_URL=endpoint)
        settings.STORAGES = {**settings.STORAGES, "default": derived["STORAGES"]["default"]}
        settings.MEDIA_URL = derived["MEDIA_URL"]

    return configure


def upload(client):
    data = image_bytes("JPEG", size=(800, 600))
    return client.post(UPLOAD_URL, {"upload": SimpleUploadedFile("会场.jpg", data, "image/jpeg")})


def test_a_bucket_that_refuses_the_write_is_a_refusal_not_a_500(
    reporter_client,
    storage_settings,
    s3_endpoint,  # noqa: F811 - the fixture imported above
):
    endpoint, _client = s3_endpoint
    storage_settings("no-such-bucket", endpoint)  # S3 answers NoSuchBucket: botocore's ClientError

    response = upload(reporter_client)

    assert response.status_code == 400
    assert REFUSAL in response.json()["error"]["message"]
    assert not Photo.objects.exists() and not Rendition.objects.exists()


def test_an_object_store_that_cannot_be_reached_is_a_refusal_not_a_500(reporter_client, storage_settings):
    storage_settings("newsroom-media", "http://127.0.0.1:1")  # nothing listens: botocore's EndpointConnectionError

    response = upload(reporter_client)

    assert response.status_code == 400
    assert REFUSAL in response.json()["error"]["message"]
    assert not Photo.objects.exists()
