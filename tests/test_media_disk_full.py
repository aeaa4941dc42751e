"""A full media disk refuses an upload cleanly, whichever way the photo comes in: a clear message, no row, and no
file left behind (not even the part written before the disk filled up).

The media folder is a real 1-page-granular tmpfs of a few hundred kilobytes (`mount -t tmpfs -o size=...`), so the
kernel answers ENOSPC in the middle of a write, as a full disk does. Mounting needs root; without it the tests use
a storage that writes until a byte budget is spent and then raises ENOSPC itself, leaving the partial file on disk
exactly as Django's file system storage does on a real full disk.
"""

import errno
import io
import os
import subprocess

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from articles import services
from articles.models import Photo, Rendition

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("articles:editor_image_upload")
PHOTO_ADD_URL = reverse("admin:articles_photo_add")
DISK_FULL_MESSAGE = "照片无法保存：服务器的媒体磁盘已满或无法写入"


def noise_jpeg(size=(600, 400)):
    """A photo that does not compress: about 200 KB as JPEG, its renditions about as much again."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def stored_files(root):
    return sorted(path for path in root.rglob("*") if path.is_file())


class FillingUpStorage(FileSystemStorage):
    """Fallback when no tmpfs can be mounted: a file system storage on a "disk" with ``budget`` bytes left. The
    write that crosses it stops there with ENOSPC, leaving what it wrote, like a real full disk."""

    budget = 0

    def _save(self, name, content):
        full_path = self.path(name)
        os.makedirs(os.path.dirname(full_path), exist_ok=True)
        with open(full_path, "xb") as target:
            for chunk in content.chunks():
                room = type(self).budget
                target.write(chunk[:room])
                type(self).budget = max(0, room - len(chunk))
                if len(chunk) > room:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), full_path)
        return name


@pytest.fixture
def small_media_disk(settings, tmp_path):
    """``make(size_bytes)``: MEDIA_ROOT on a disk with that much room; a file already there must survive."""
    mounted = []

    def make(size_bytes):
        root = tmp_path / "small-disk"
        root.mkdir()
        mount = subprocess.run(  # noqa: S603, S607 - fixed argv
            ["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(root)], capture_output=True
        )
        if mount.returncode == 0:
            mounted.append(root)
        else:  # not root, or no permission to mount here: see the module's docstring
            FillingUpStorage.budget = size_bytes
            settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.FillingUpStorage"}}
        settings.MEDIA_ROOT = root
        (root / "earlier.txt").write_text("an earlier file")
        if not mounted:
            FillingUpStorage.budget -= len("an earlier file")
        return root

    yield make
    for root in mounted:
        subprocess.run(["umount", str(root)], check=True)  # noqa: S603, S607 - fixed argv


def prepared_size(data):
    return len(services.prepare_image_upload(SimpleUploadedFile("p.jpg", data, "image/jpeg")).read())


def assert_nothing_kept(root):
    assert not Photo.objects.exists()
    assert not Rendition.objects.exists()
    assert stored_files(root) == [root / "earlier.txt"], "no partial or orphaned file is left"


def test_editor_upload_of_a_photo_larger_than_the_free_space_is_refused(reporter_client, small_media_disk):
    data = noise_jpeg()
    root = small_media_disk(prepared_size(data) // 2)  # the write stops half-way through the original

    response = reporter_client.post(UPLOAD_URL, {"upload": SimpleUploadedFile("会场.jpg", data, "image/jpeg")})

    assert response.status_code == 400
    assert DISK_FULL_MESSAGE in response.json()["error"]["message"]
    assert_nothing_kept(root)


def test_disk_filling_up_during_the_renditions_removes_the_original_too(reporter_client, small_media_disk):
    data = noise_jpeg()
    root = small_media_disk(prepared_size(data) + 64 * 1024)  # the original fits, its renditions do not

    response = reporter_client.post(UPLOAD_URL, {"upload": SimpleUploadedFile("会场.jpg", data, "image/jpeg")})

    assert response.status_code == 400
    assert DISK_FULL_MESSAGE in response.json()["error"]["message"]
    assert_nothing_kept(root)


@pytest.mark.parametrize("room", ["half_the_original", "original_only"])
def test_admin_photo_upload_on_a_full_disk_comes_back_with_the_message(admin_client, small_media_disk, room):
    data = noise_jpeg()
    size = prepared_size(data)
    root = small_media_disk(size // 2 if room == "half_the_original" else size + 64 * 1024)

    response = admin_client.post(
        PHOTO_ADD_URL, {"image": SimpleUploadedFile("会场.jpg", data, "image/jpeg"), "alt_text": "会场全景"}
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert any(DISK_FULL_MESSAGE in message for message in form.errors["image"])
    assert form["alt_text"].value() == "会场全景", "what the editor typed stays in the form"
    assert_nothing_kept(root)


def test_the_same_upload_is_stored_when_there_is_room(reporter_client, small_media_disk):
    root = small_media_disk(16 * 1024 * 1024)

    response = reporter_client.post(UPLOAD_URL, {"upload": SimpleUploadedFile("会场.jpg", noise_jpeg(), "image/jpeg")})

    assert response.status_code == 200
    photo = Photo.objects.get()
    assert (root / photo.image.name).is_file() and photo.renditions.exists()
