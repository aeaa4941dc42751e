"""The rich-text editor's image upload: who may upload, what is accepted, and that refusals leave nothing."""

import re
import threading

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from articles import services
from articles.models import Photo
from tests.factories import UserFactory, image_bytes

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("articles:editor_image_upload")


def stored_files(media_root):
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def stored_originals(media_root):
    """Stored files but the photos' renditions (which every accepted photo gets, see test_renditions.py)."""
    return [path for path in stored_files(media_root) if "renditions" not in path.relative_to(media_root).parts]


def upload(client, name, data, content_type="image/jpeg", **extra):
    return client.post(UPLOAD_URL, {"upload": SimpleUploadedFile(name, data, content_type=content_type), **extra})


def jpeg(size=(40, 30)):
    return image_bytes("JPEG", size=size)


# --- Who may upload -------------------------------------------------------------------------------


def test_anonymous_upload_is_sent_to_login_and_stores_nothing(client, media_root):
    response = upload(client, "会场.jpg", jpeg())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not Photo.objects.exists()
    assert stored_files(media_root) == []


def test_upload_needs_post(reporter_client):
    assert reporter_client.get(UPLOAD_URL).status_code == 405


def test_non_staff_user_with_photo_permission_is_refused(client, media_root):
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="add_photo"))
    client.force_login(user)
    assert upload(client, "会场.jpg", jpeg()).status_code == 403
    assert not Photo.objects.exists()
    assert stored_files(media_root) == []


def test_staff_user_without_photo_permission_is_refused(client, media_root):
    client.force_login(UserFactory(staff=True))
    assert upload(client, "会场.jpg", jpeg()).status_code == 403
    assert not Photo.objects.exists()
    assert stored_files(media_root) == []


# --- Accepted photos -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_reporter_uploads_a_real_photo(
    reporter_client, reporter_user, media_root, image_format, content_type, extension
):
    response = upload(reporter_client, f"会场.{extension}", image_bytes(image_format, size=(64, 48)), content_type)

    assert response.status_code == 200
    payload = response.json()
    photo = Photo.objects.get()
    assert payload["url"] == photo.image.url
    assert re.fullmatch(rf"/media/photos/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\.{extension}", payload["url"])
    assert (photo.width, photo.height) == (64, 48)
    assert (payload["width"], payload["height"]) == (64, 48)
    assert photo.original_filename == f"会场.{extension}"
    assert photo.uploaded_by == reporter_user
    assert photo.alt_text  # a default until the editor sets the alternative text
    assert stored_originals(media_root) == [media_root / photo.image.name]
    assert photo.renditions.exists()


def test_uploaded_photo_takes_the_alt_text_sent(reporter_client):
    upload(reporter_client, "a.jpg", jpeg(), alt="郴州会场全景")
    assert Photo.objects.get().alt_text == "郴州会场全景"


def test_long_chinese_file_name_is_kept_as_data_and_stored_under_a_generated_name(reporter_client, media_root):
    name = "全省妇联系统改革工作现场推进会会场全景照片" * 15 + ".jpg"  # 300 characters, 900 bytes
    response = upload(reporter_client, name, jpeg())

    assert response.status_code == 200
    photo = Photo.objects.get()
    assert re.fullmatch(r"photos/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", photo.image.name)
    assert photo.original_filename.startswith("全省妇联") and photo.original_filename.endswith(".jpg")
    assert (media_root / photo.image.name).is_file()


def test_stored_extension_follows_the_content_not_the_senders_name(reporter_client):
    response = upload(reporter_client, "照片.jpg", image_bytes("PNG"), "image/jpeg")
    assert response.status_code == 200
    assert Photo.objects.get().image.name.endswith(".png")


# --- Refused files -----------------------------------------------------------------------------------


def truncated_jpeg():
    data = image_bytes("JPEG", size=(200, 150), color=(10, 120, 200))
    return data[: len(data) // 2]


def gif():
    return image_bytes("GIF", mode="P", color=1)


REFUSED = {
    "text renamed .jpg": ("会场.jpg", "这不是图片，只是一段文字。".encode(), "image/jpeg"),
    "html renamed .jpg": ("a.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),
    "svg": ("a.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', "image/svg+xml"),
    "svg renamed .png": ("a.png", b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "image/png"),
    "gif": ("a.gif", gif(), "image/gif"),
    "gif renamed .jpg": ("a.jpg", gif(), "image/jpeg"),
    "truncated jpeg": ("a.jpg", truncated_jpeg(), "image/jpeg"),
    "empty file": ("a.jpg", b"", "image/jpeg"),
    "jpeg header then html": ("a.jpg", jpeg()[:20] + b"<script>alert(1)</script>", "image/jpeg"),
}


@pytest.mark.parametrize(("name", "data", "content_type"), REFUSED.values(), ids=REFUSED.keys())
def test_file_that_is_not_an_accepted_photo_is_refused_and_leaves_nothing(
    reporter_client, media_root, name, data, content_type
):
    response = upload(reporter_client, name, data, content_type)

    assert response.status_code == 400
    assert response.json()["error"]["message"]
    assert not Photo.objects.exists()
    assert stored_files(media_root) == []


def test_photo_with_too_many_pixels_is_refused(reporter_client, media_root, settings):
    settings.NEWSROOM_MAX_IMAGE_PIXELS = 100 * 100
    response = upload(reporter_client, "大图.png", image_bytes("PNG", size=(101, 100)), "image/png")

    assert response.status_code == 400
    assert response.json()["error"]["message"]
    assert not Photo.objects.exists()
    assert stored_files(media_root) == []


def test_photo_just_within_the_pixel_limit_is_accepted(reporter_client, settings):
    settings.NEWSROOM_MAX_IMAGE_PIXELS = 100 * 100
    assert upload(reporter_client, "a.png", image_bytes("PNG", size=(100, 100)), "image/png").status_code == 200


def test_too_large_file_is_refused(reporter_client, media_root, settings):
    data = image_bytes("PNG", size=(300, 300))
    settings.NEWSROOM_MAX_UPLOAD_BYTES = len(data) - 1
    response = upload(reporter_client, "a.png", data, "image/png")

    assert response.status_code == 400
    assert response.json()["error"]["message"]
    assert not Photo.objects.exists()
    assert stored_files(media_root) == []


def test_request_without_a_file_is_refused(reporter_client):
    response = reporter_client.post(UPLOAD_URL, {})
    assert response.status_code == 400
    assert response.json()["error"]["message"]


# --- The admin's photo form -------------------------------------------------------------------------------


PHOTO_ADD_URL = reverse("admin:articles_photo_add")


def test_photo_uploaded_in_the_admin_is_stored_under_a_generated_name(admin_client, admin_user, media_root):
    name = "郴州会场全景" * 50 + ".jpg"
    response = admin_client.post(
        PHOTO_ADD_URL,
        {"image": SimpleUploadedFile(name, image_bytes("PNG", size=(30, 20)), "image/jpeg"), "alt_text": "会场全景"},
    )

    assert response.status_code == 302
    photo = Photo.objects.get()
    assert re.fullmatch(r"photos/\d{4}/\d{2}/[0-9a-f]{32}\.png", photo.image.name)
    assert photo.original_filename.startswith("郴州会场全景") and photo.original_filename.endswith(".jpg")
    assert (photo.width, photo.height, photo.uploaded_by) == (30, 20, admin_user)
    assert stored_originals(media_root) == [media_root / photo.image.name]
    assert photo.renditions.exists()


@pytest.mark.parametrize(("name", "data", "content_type"), REFUSED.values(), ids=REFUSED.keys())
def test_admin_photo_form_refuses_what_the_editor_upload_refuses(admin_client, media_root, name, data, content_type):
    response = admin_client.post(
        PHOTO_ADD_URL, {"image": SimpleUploadedFile(name, data, content_type), "alt_text": "会场"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["image"]
    assert not Photo.objects.exists()
    assert stored_files(media_root) == []


# --- What is stored is a clean re-encoding -------------------------------------------------------------


def stored_photo_bytes():
    photo = Photo.objects.get()
    with photo.image.open("rb") as stored:
        return photo, stored.read()


def test_html_appended_to_a_png_does_not_reach_the_stored_file(reporter_client):
    polyglot = image_bytes("PNG", size=(30, 20)) + b"<html><script>alert(document.cookie)</script></html>"
    response = upload(reporter_client, "看起来是图.png", polyglot, content_type="image/png")

    assert response.status_code == 200
    _photo, data = stored_photo_bytes()
    assert b"<script" not in data and b"<html" not in data


def test_location_tags_are_removed_and_orientation_applied(reporter_client):
    from io import BytesIO

    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned, the picture must be rotated 90° to show upright
    exif[0x010F] = "相机厂商"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (28.0, 12.0, 0.0)  # latitude of the photographer
    buffer = BytesIO()
    Image.new("RGB", (60, 20), (10, 120, 200)).save(buffer, format="JPEG", exif=exif)

    response = upload(reporter_client, "手机照片.jpg", buffer.getvalue())

    assert response.status_code == 200
    photo, data = stored_photo_bytes()
    with Image.open(BytesIO(data)) as stored:
        assert stored.size == (20, 60)  # upright: width and height swapped
        assert not stored.getexif().get_ifd(0x8825)  # no GPS block
    assert (photo.width, photo.height) == (20, 60)


def test_one_full_size_image_at_a_time_in_a_process_the_next_upload_waits_its_turn(settings):
    """Decoding a 60-megapixel photo takes hundreds of MB: eight uploads at once in a worker's threads must not
    take eight times that (NEWSROOM_FULL_SIZE_IMAGES_AT_ONCE, 1 by default)."""
    settings.NEWSROOM_FULL_SIZE_IMAGES_AT_ONCE = 1
    done = threading.Event()

    def another_upload():
        services.prepare_image_upload(SimpleUploadedFile("a.jpg", jpeg()))
        done.set()

    with services.full_size_image_slot():  # an upload being decoded
        waiting = threading.Thread(target=another_upload)
        waiting.start()
        assert not done.wait(1.5)  # the second upload waits for the slot
        with services.full_size_image_slot():  # the thread holding the slot never waits for itself
            pass
    assert done.wait(30)  # and goes on once it is free
    waiting.join()
