"""Every way a photo comes in refuses hostile and broken files the same way, and stores good ones clean.

The bad files are made here with Pillow (and a few bytes by hand): each is refused with its own message through
the rich-text editor's upload endpoint AND the photo admin's form, leaving no row and no file behind.
"""

import io
import re
import struct
import zlib
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image, ImageCms, ImageFilter, PngImagePlugin

from articles import services
from articles.models import Photo, Rendition
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    ExperienceEntryFactory,
    PhotoFactory,
    UserFactory,
    image_bytes,
)

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("articles:editor_image_upload")
PHOTO_ADD_URL = reverse("admin:articles_photo_add")


def stored_files(media_root):
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def empty_folders(media_root):
    return [path for path in media_root.rglob("*") if path.is_dir() and not any(path.iterdir())]


def message(msgid, **params):
    """The message a person sees (the site speaks Chinese), as the service words it."""
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    return text % params if params else text


# --- The corpus --------------------------------------------------------------------------------------


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width, height):
    """A tiny PNG whose header claims width x height pixels: a decompression bomb once decoded."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")


def png_with_bad_checksum():
    """A real PNG with one wrong byte in the checksum of its image data."""
    data = bytearray(image_bytes("PNG", size=(40, 30)))
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    data[idat + 4 + length] ^= 0xFF  # first byte of the chunk's CRC
    return bytes(data)


def png_with_text_bomb():
    """A small PNG whose compressed text chunk inflates to megabytes."""
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "炸" * 1_000_000, zip=True)
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def jpeg_with_huge_colour_profile():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buffer, "JPEG", icc_profile=b"\0" * (2 * 1024 * 1024))
    return buffer.getvalue()


def truncated_jpeg():
    data = image_bytes("JPEG", size=(200, 150), color=(10, 120, 200))
    return data[: len(data) // 2]


def encoded(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def camera_photo(size=(320, 240)):
    """A picture with a photo's detail (noise, a gradient, a blur): its JPEG scan data is most of the file."""
    grain = Image.effect_noise(size, 60).convert("L")
    light = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (grain, light, grain.point(lambda value: 255 - value))).filter(
        ImageFilter.GaussianBlur(1)
    )


def camera_exif():
    exif = Image.Exif()
    exif[0x010F], exif[0x0112] = "Canon", 6  # the camera's maker, and "turn it to be upright"
    return exif.tobytes()


# Good JPEGs as cameras, phones and editing software write them.
GOOD_JPEGS = {
    "baseline": {},
    "progressive": {"progressive": True},
    "with exif": {"exif": camera_exif()},
    "optimized tables, 4:4:4": {"optimize": True, "subsampling": 0, "quality": 95},
    "restart markers": {"restart_marker_rows": 1},
    "progressive with exif": {"progressive": True, "exif": camera_exif()},
}


def cut_short(data, fraction=0.5):
    """A JPEG cut off in transfer, ended with an end-of-image marker (FF D9) as some tools and cameras leave it."""
    return data[: int(len(data) * fraction)] + b"\xff\xd9"


def animated_webp():
    frames = [Image.new("RGB", (20, 20), color) for color in ("red", "blue")]
    return encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:])


FORMAT = "%(kind)s files are not accepted. Upload a photo in JPEG, PNG or WebP format."
DAMAGED = "The photo is damaged or incomplete. Export or copy it again."
TRUNCATED = (
    "The photo file is incomplete: it was cut short while it was copied or sent, and part of the picture would show "
    "grey. Copy or export it again from the camera or phone and upload that."
)
NOT_A_PHOTO = (
    "The file is not a readable photo. It may be damaged or not an image at all: open it in an image viewer to check, "
    "or save it again as JPEG and upload that."
)
BOMB = (
    "The photo is too large to be decoded safely (the limit is %(limit).0f megapixels): save it smaller (for example "
    "4,000 pixels on its longest side) and upload it again."
)
METADATA = "The photo carries too much embedded data (%(block)s)."
HEIC = (
    "HEIC photos (an iPhone's own format) are not accepted. Export the photo as JPEG, or set the iPhone's camera to "
    "the most compatible format, and upload it again."
)
TOO_LONG = (
    "The photo is %(width)d × %(height)d pixels: no side may be longer than %(limit)d pixels. Save it smaller (or cut "
    "a long picture into parts) and upload it again."
)


def heic_header():
    """The first box of an iPhone photo (ISO media, brand heic) and some of what follows: Pillow here reads none."""
    return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00\x00\x00\x08free" * 20


# name, bytes, content type, expected message (msgid, params)
REFUSED = {
    "bomb: header claims 100k x 100k": ("大图.png", png_claiming(100_000, 100_000), "image/png", (BOMB, {"limit": 60})),
    "truncated jpeg": ("a.jpg", truncated_jpeg(), "image/jpeg", (DAMAGED, {})),
    "jpeg cut short, an end marker appended": (
        "会场.jpg",
        cut_short(encoded(camera_photo(), "JPEG")),
        "image/jpeg",
        (TRUNCATED, {}),
    ),
    "jpeg cut short near its end, an end marker appended": (
        "会场.jpg",
        cut_short(encoded(camera_photo(), "JPEG", exif=camera_exif()), 0.95),
        "image/jpeg",
        (TRUNCATED, {}),
    ),
    "jpeg cut short in its picture data": (
        "会场.jpg",
        cut_short(encoded(camera_photo(), "JPEG"))[:-2],
        "image/jpeg",
        (TRUNCATED, {}),
    ),
    "progressive jpeg cut short, an end marker appended": (
        "会场.jpg",
        cut_short(encoded(camera_photo(), "JPEG", progressive=True)),
        "image/jpeg",
        (TRUNCATED, {}),
    ),
    "png with a wrong checksum": ("a.png", png_with_bad_checksum(), "image/png", (DAMAGED, {})),
    "png text-chunk bomb": ("a.png", png_with_text_bomb(), "image/png", (METADATA, {"block": "text"})),
    "jpeg with a 2 MB colour profile": (
        "a.jpg",
        jpeg_with_huge_colour_profile(),
        "image/jpeg",
        (METADATA, {"block": "icc_profile"}),
    ),
    "svg with script": (
        "logo.svg",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
        (FORMAT, {"kind": "SVG"}),
    ),
    "svg renamed .jpg": (
        "a.jpg",
        b'<svg xmlns="http://www.w3.org/2000/svg"/>',
        "image/jpeg",
        (FORMAT, {"kind": "SVG"}),
    ),
    "html renamed .png": (
        "a.png",
        b"<!DOCTYPE html><script>alert(1)</script>",
        "image/png",
        (FORMAT, {"kind": "HTML"}),
    ),
    "pdf renamed .jpg": ("a.jpg", b"%PDF-1.7\n1 0 obj<<>>endobj\n", "image/jpeg", (FORMAT, {"kind": "PDF"})),
    "gif": ("a.gif", image_bytes("GIF", mode="P", color=1), "image/gif", (FORMAT, {"kind": "GIF"})),
    "gif renamed .jpg": ("a.jpg", image_bytes("GIF", mode="P", color=1), "image/jpeg", (FORMAT, {"kind": "GIF"})),
    "tiff": ("a.tif", image_bytes("TIFF"), "image/tiff", (FORMAT, {"kind": "TIFF"})),
    "bmp renamed .png": ("a.png", image_bytes("BMP"), "image/png", (FORMAT, {"kind": "BMP"})),
    "animated webp": ("a.webp", animated_webp(), "image/webp", ("Animated images are not accepted.", {})),
    "text renamed .jpg": ("会场.jpg", "这不是图片，只是一段文字。".encode(), "image/jpeg", (NOT_A_PHOTO, {})),
    "zero bytes": ("a.jpg", b"", "image/jpeg", ("The file is empty.", {})),
    "an iphone's heic": ("IMG_0001.HEIC", heic_header(), "image/heic", (HEIC, {})),
    "avif": ("a.avif", encoded(Image.new("RGB", (20, 20), "red"), "AVIF"), "image/avif", (FORMAT, {"kind": "AVIF"})),
    "a side longer than jpeg allows": (
        "长图.png",
        encoded(Image.new("L", (2, 65_001)), "PNG"),
        "image/png",
        (TOO_LONG, {"width": 2, "height": 65_001, "limit": 65_000}),
    ),
}


def through_editor(client, name, data, content_type):
    response = client.post(UPLOAD_URL, {"upload": SimpleUploadedFile(name, data, content_type=content_type)})
    if response.status_code == 200:
        return True, ""
    assert response.status_code == 400
    return False, response.json()["error"]["message"]


def through_admin(client, name, data, content_type):
    response = client.post(
        PHOTO_ADD_URL, {"image": SimpleUploadedFile(name, data, content_type=content_type), "alt_text": "会场"}
    )
    if response.status_code == 302:
        return True, ""
    assert response.status_code == 200
    return False, " ".join(response.context["adminform"].form.errors["image"])


WAYS_IN = {"editor": through_editor, "admin": through_admin}


@pytest.fixture(params=WAYS_IN)
def way_in(request, admin_client):
    return lambda *args: WAYS_IN[request.param](admin_client, *args)


@pytest.mark.parametrize(("name", "data", "content_type", "expected"), REFUSED.values(), ids=REFUSED.keys())
def test_bad_file_is_refused_with_its_message_and_leaves_nothing(
    way_in, media_root, name, data, content_type, expected
):
    accepted, text = way_in(name, data, content_type)

    assert not accepted
    assert text == message(expected[0], **expected[1])
    assert not Photo.objects.exists() and not Rendition.objects.exists()
    assert stored_files(media_root) == []


def test_a_jpeg_cut_short_is_refused_in_the_admin_keeping_what_was_typed(admin_client, media_root):
    """Pillow decodes a JPEG cut off in transfer but ended with FF D9 without an error (libjpeg fills the rest with
    grey): it was stored, and the page showed a photo half grey."""
    response = admin_client.post(
        PHOTO_ADD_URL,
        {
            "image": SimpleUploadedFile("会场.jpg", cut_short(encoded(camera_photo(), "JPEG")), "image/jpeg"),
            "alt_text": "郴州会场全景",
            "credit_text": "刘敏",
        },
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["image"] == [message(TRUNCATED)]
    assert "灰色" in form.errors["image"][0]
    assert (form["alt_text"].value(), form["credit_text"].value()) == ("郴州会场全景", "刘敏")
    assert not Photo.objects.exists() and stored_files(media_root) == []


@pytest.mark.parametrize("options", GOOD_JPEGS.values(), ids=GOOD_JPEGS.keys())
def test_good_jpegs_are_accepted_whole(way_in, options):
    """The check for a JPEG cut short refuses none written whole, and the picture stored is the one sent."""
    sent = camera_photo()
    accepted, text = way_in("会场.jpg", encoded(sent, "JPEG", **options), "image/jpeg")

    assert (accepted, text) == (True, "")
    photo = Photo.objects.get()
    upright = (240, 320) if "exif" in options else (320, 240)
    assert (photo.width, photo.height) == upright


def test_refusal_messages_are_in_chinese(admin_client):
    _accepted, text = through_editor(admin_client, "a.svg", b"<svg/>", "image/svg+xml")
    assert re.search(r"[\u4e00-\u9fff]", text), text


def test_file_over_the_byte_limit_is_refused_through_every_way_in(way_in, media_root, settings):
    data = image_bytes("PNG", size=(300, 300))
    settings.NEWSROOM_MAX_UPLOAD_BYTES = len(data) - 1

    accepted, text = way_in("a.png", data, "image/png")

    assert not accepted and text == message(
        "The file is too large (%(size)d MB). The limit is %(limit)d MB.", size=0, limit=0
    )
    assert not Photo.objects.exists() and stored_files(media_root) == []


def test_photo_over_the_pixel_limit_is_refused_through_every_way_in(way_in, media_root, settings):
    settings.NEWSROOM_MAX_IMAGE_PIXELS = 100 * 100
    accepted, text = way_in("a.png", image_bytes("PNG", size=(101, 100)), "image/png")
    assert not accepted
    assert text == message(
        "The photo has too many pixels (%(mp).0f megapixels). The limit is %(limit).0f: save it smaller (for example "
        "4,000 pixels on its longest side) and upload it again.",
        mp=0.0101,
        limit=0.01,
    )
    assert not Photo.objects.exists() and stored_files(media_root) == []


def test_a_staff_member_uploads_at_most_the_hourly_allowance_through_every_way_in(
    way_in, media_root, settings, admin_user, editor_user, clock
):
    """A leaked login or a runaway script cannot fill the media storage: past NEWSROOM_UPLOADS_PER_HOUR new photos
    of one person within an hour the next is refused, saying when to go on; a colleague is not held up, and the
    hour moves on."""
    settings.NEWSROOM_UPLOADS_PER_HOUR = 2
    clock.advance(minutes=0)
    PhotoFactory(uploaded_by=admin_user)
    clock.advance(minutes=20)
    PhotoFactory(uploaded_by=admin_user)
    PhotoFactory(uploaded_by=editor_user)
    clock.advance(minutes=30)
    files_before = stored_files(media_root)

    accepted, text = way_in("a.png", image_bytes("PNG", size=(30, 20)), "image/png")

    assert not accepted
    assert text == message(
        "You have uploaded %(limit)d photos in the last hour, the most allowed. Try again in %(minutes)d minutes; "
        "if the work needs more, ask the site's administrator to raise the limit.",
        limit=2,
        minutes=30,
    )
    assert Photo.objects.count() == 3 and stored_files(media_root) == files_before
    clock.advance(minutes=60, seconds=1)  # the first has left the hour
    assert way_in("a.png", image_bytes("PNG", size=(30, 20)), "image/png") == (True, "")


def test_a_picture_taller_than_webp_allows_gets_jpeg_renditions_there(way_in):
    """A long infographic (长图) is taller than a WebP may be (16,383 pixels): where a rendition would be, it is made
    in JPEG only (it was a server error), and the page offers WebP only where it exists."""
    accepted, text = way_in("长图.png", image_bytes("PNG", size=(40, 16_400)), "image/png")

    assert (accepted, text) == (True, "")
    photo = Photo.objects.get()
    assert sorted((r.kind, r.width, r.height, r.format) for r in photo.renditions.all()) == [
        ("card", 40, 27, "jpeg"),
        ("card", 40, 27, "webp"),
        ("full", 40, 16_400, "jpeg"),
    ]
    picture = services.Picture.of(photo)
    assert picture.webp_srcset == "" and picture.jpeg_srcset.endswith(" 40w")
    assert services.make_renditions(photo) == []  # nothing counted missing: not tried again at every call


def test_a_long_infographic_offers_every_width_to_a_browser_that_reads_webp(media_root, editor_user):
    """Its WebP renditions stop where WebP's height limit begins: a WebP source of the narrow widths alone held every
    WebP browser to 480 pixels, the infographic's text unreadable on a sharp phone screen."""
    upload = SimpleUploadedFile("长图.png", image_bytes("PNG", size=(1080, 30_000)), content_type="image/png")
    photo = services.create_photo(upload, alt_text="长图", user=editor_user)

    picture = services.Picture.of(photo)

    assert picture.webp_srcset == ""
    assert [item.rsplit(" ", 1)[1] for item in picture.jpeg_srcset.split(", ")] == ["480w", "800w", "1080w"]


def test_a_picture_whose_height_nears_webps_limit_is_not_decoded_again_at_every_call(media_root, monkeypatch):
    """Counted from the photo's size, the 480-pixel WebP rendition of an 811 × 27,681 picture fits; made by narrowing
    step by step, it came out too tall and was skipped: every later call took it as missing and decoded the whole
    picture again."""
    photo = services.create_photo(
        SimpleUploadedFile("长图.png", image_bytes("PNG", size=(811, 27_681)), content_type="image/png"),
        alt_text="长图",
    )
    opened = []
    decode = services.render_photo
    monkeypatch.setattr(services, "render_photo", lambda *args, **kwargs: opened.append(1) or decode(*args, **kwargs))

    assert services.make_renditions(photo) == [] and opened == []


def test_html_appended_to_a_png_is_accepted_but_stored_clean(way_in):
    polyglot = image_bytes("PNG", size=(30, 20)) + b"<html><script>alert(document.cookie)</script></html>"
    accepted, _text = way_in("看起来是图.png", polyglot, "image/png")

    assert accepted
    photo = Photo.objects.get()
    for stored in [photo.image, *(r.file for r in photo.renditions.all())]:
        with stored.open("rb") as file:
            data = file.read()
        assert b"<script" not in data and b"<html" not in data


def test_renditions_failing_leaves_neither_the_photo_nor_any_file(admin_client, media_root, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "encode_rendition", broken)
    with pytest.raises(OSError):
        services.create_photo(
            SimpleUploadedFile("a.jpg", image_bytes("JPEG", size=(900, 600))), alt_text="会场", user=None
        )
    assert not Photo.objects.exists() and not Rendition.objects.exists()
    assert stored_files(media_root) == []


def test_user_without_photo_permission_cannot_upload_through_the_editor(client, media_root):
    client.force_login(UserFactory(staff=True))
    response = client.post(UPLOAD_URL, {"upload": SimpleUploadedFile("a.jpg", image_bytes(), "image/jpeg")})
    assert response.status_code == 403
    assert not Photo.objects.exists() and stored_files(media_root) == []


# --- Good files in every mode -------------------------------------------------------------------------


def stored_image(photo):
    with photo.image.open("rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


def upload(way_in, name, data, content_type="image/png"):
    accepted, text = way_in(name, data, content_type)
    assert accepted, text
    return Photo.objects.get()


def test_sixteen_bit_grey_png_is_scaled_to_eight_bits_not_clipped(way_in):
    image = Image.new("I;16", (40, 30), 40000)
    photo = upload(way_in, "灰度.png", encoded(image, "PNG"))

    stored = stored_image(photo)
    assert stored.format == "PNG" and stored.mode == "L"
    assert stored.getpixel((5, 5)) == pytest.approx(40000 / 257, abs=1)  # not 255 (clipped)


def test_palette_png_with_transparency_keeps_it(way_in):
    image = Image.new("P", (40, 30), 1)
    image.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    image.paste(0, (0, 0, 20, 30))  # left half: index 0, the transparent one
    photo = upload(way_in, "调色板.png", encoded(image, "PNG", transparency=0))

    stored = stored_image(photo).convert("RGBA")
    assert stored.getpixel((5, 5))[3] == 0
    assert stored.getpixel((30, 5)) == (200, 30, 30, 255)


@pytest.mark.parametrize(("image_format", "content_type"), [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_photo_with_alpha_keeps_its_format_and_transparency(way_in, image_format, content_type):
    image = Image.new("RGBA", (40, 30), (0, 90, 200, 255))
    image.paste((0, 0, 0, 0), (0, 0, 20, 30))
    photo = upload(way_in, "透明.img", encoded(image, image_format, lossless=True), content_type)

    stored = stored_image(photo)
    assert stored.format == image_format and stored.mode == "RGBA"
    assert stored.getpixel((5, 5))[3] == 0 and stored.getpixel((30, 5))[3] == 255
    assert photo.image.name.endswith(".png" if image_format == "PNG" else ".webp")


def test_grey_png_with_alpha_stays_grey_with_alpha(way_in):
    photo = upload(way_in, "a.png", encoded(Image.new("LA", (20, 20), (128, 100)), "PNG"))
    stored = stored_image(photo)
    assert stored.mode == "LA" and stored.getpixel((1, 1)) == (128, 100)


def test_cmyk_jpeg_is_stored_as_rgb(way_in):
    photo = upload(way_in, "印刷.jpg", encoded(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG"), "image/jpeg")
    stored = stored_image(photo)
    assert stored.format == "JPEG" and stored.mode == "RGB"
    red, green, blue = stored.getpixel((20, 15))
    assert red > 200 and green < 60 and blue < 60  # CMYK (0, 100%, 100%, 0) is red


def test_colour_profile_is_converted_to_srgb_and_not_carried_along(way_in):
    # sRGB primaries under another name: taken as a foreign profile, so the conversion runs (and changes nothing).
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes().replace(b"sRGB", b"xRGB")
    data = encoded(Image.new("RGB", (40, 30), (10, 120, 200)), "JPEG", icc_profile=profile, quality=95)
    photo = upload(way_in, "a.jpg", data, "image/jpeg")

    stored = stored_image(photo)
    assert "icc_profile" not in stored.info
    assert stored.getpixel((20, 15)) == pytest.approx((10, 120, 200), abs=4)


def grey_gamma_profile(gamma):
    """An ICC profile of a grey space with the tone curve ``gamma`` (as Photoshop's Gray Gamma 1.8): header, tag
    table, and three tags (description, white point, grey tone curve)."""

    def fixed(value):
        return struct.pack(">i", round(value * 65536))

    white = fixed(0.9642) + fixed(1.0) + fixed(0.8249)
    name = b"Gray Gamma test\0"
    tags = [
        (b"desc", b"desc\0\0\0\0" + struct.pack(">I", len(name)) + name + b"\0" * 79),
        (b"wtpt", b"XYZ \0\0\0\0" + white),
        (b"kTRC", b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"),
    ]
    table, data, offset = b"", b"", 128 + 4 + 12 * len(tags)
    for signature, tag in tags:
        tag += b"\0" * (-len(tag) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(tag))
        data += tag
    body = struct.pack(">I", len(tags)) + table + data
    header = (
        struct.pack(">I", 128 + len(body))
        + b"lcms"
        + struct.pack(">I", 0x02100000)
        + b"mntrGRAYXYZ "
        + b"\0" * 12
        + b"acsp"
        + b"APPL"
        + b"\0" * 24
        + white
        + b"\0" * 48
    )
    return header + body


def test_a_black_and_white_photo_keeps_its_tones_through_its_grey_profile(way_in):
    """A grey profile was dropped unconverted: mid-grey 128 under Gray Gamma 1.8 is sRGB's 146, and the photo came
    out darker than the desk saw it."""
    profile = grey_gamma_profile(1.8)
    expected = ImageCms.profileToProfile(
        Image.new("L", (1, 1), 128),
        ImageCms.ImageCmsProfile(io.BytesIO(profile)),
        ImageCms.createProfile("sRGB"),
        outputMode="RGB",
    ).getpixel((0, 0))[0]
    data = encoded(Image.new("L", (40, 30), 128), "JPEG", icc_profile=profile, quality=95)

    stored = stored_image(upload(way_in, "黑白.jpg", data, "image/jpeg"))

    assert expected > 140
    assert stored.mode == "L" and "icc_profile" not in stored.info
    assert stored.getpixel((20, 15)) == pytest.approx(expected, abs=2)


def phone_photo():
    """60x20: red left third; EXIF orientation 6 (shown turned 90° clockwise), camera make and a GPS position."""
    image = Image.new("RGB", (60, 20), (20, 60, 200))
    image.paste((220, 20, 20), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Phone maker"
    exif[0x0132] = "2026:11:19 09:30:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (28.0, 12.0, 0.0)
    return encoded(image, "JPEG", exif=exif, quality=95)


def test_phone_photo_is_stored_upright_without_location_but_with_camera_and_time(way_in):
    photo = upload(way_in, "手机照片.jpg", phone_photo(), "image/jpeg")

    stored = stored_image(photo)
    assert stored.size == (20, 60) and (photo.width, photo.height) == (20, 60)
    assert stored.getpixel((10, 5))[0] > 180  # the red third is on top once turned clockwise
    assert stored.getpixel((10, 55))[2] > 150
    exif = stored.getexif()
    assert not exif.get_ifd(0x8825) and 0x8825 not in exif  # no GPS block
    assert exif.get(0x0112) in (None, 1)
    assert exif.get(0x010F) == "Phone maker" and exif.get(0x0132) == "2026:11:19 09:30:00"


def test_long_chinese_name_is_kept_as_data_through_every_way_in(way_in):
    name = "全省妇联系统改革工作现场推进会会场全景照片" * 15 + ".jpg"
    photo = upload(way_in, name, image_bytes("JPEG", size=(40, 30)), "image/jpeg")
    assert re.fullmatch(r"photos/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", photo.image.name)
    assert photo.original_filename.startswith("全省妇联") and photo.original_filename.endswith(".jpg")


# --- Alt text, the library ------------------------------------------------------------------------------


def test_database_refuses_a_photo_without_alt_text():
    with pytest.raises(IntegrityError):
        PhotoFactory(alt_text="")


def test_photo_admin_requires_alt_text(admin_client, media_root):
    response = admin_client.post(PHOTO_ADD_URL, {"image": SimpleUploadedFile("a.jpg", image_bytes(), "image/jpeg")})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["alt_text"]
    assert not Photo.objects.exists() and stored_files(media_root) == []
    # The browser does not send the file again: the empty file box says so instead of looking as if it were there.
    assert errors["image"] == ["所选的图片文件没有保存：请先改正其他错误，再重新选择该文件。"]


def test_publishing_is_blocked_while_a_photo_has_only_blank_alt_text():
    article = ArticleFactory(lead_photo=PhotoFactory())
    Photo.objects.filter(pk=article.lead_photo_id).update(alt_text="  ")
    article.refresh_from_db()
    assert "lead_photo" in [finding.field for finding in services.publication_findings(article)]


@pytest.mark.parametrize("stored", ["正文配图", "Photo in the article body"])
def test_a_body_photo_reused_as_a_storys_photo_still_needs_alt_text_of_its_own(stored):
    """A photo uploaded into a text without alt text is kept in the library as "正文配图": chosen as a lead photo
    or a captioned photo, that stand-in passed the check and reached blind readers as the photo's description."""
    photo = PhotoFactory(alt_text=stored)
    article = ArticleFactory(lead_photo=photo)
    ArticlePhotoFactory(article=article, photo=photo)

    fields = [finding.field for finding in services.publication_findings(article)]

    assert "lead_photo" in fields and "photo 1" in fields


def photo_file(size):
    return ContentFile(image_bytes("JPEG", size=size), name="a.jpg")


def changelist(admin_client, **params):
    response = admin_client.get(reverse("admin:articles_photo_changelist"), params)
    assert response.status_code == 200
    return [str(photo) for photo in response.context["cl"].result_list]


def test_photo_library_finds_photos_by_caption_credit_and_uploader(admin_client, admin_user):
    ArticlePhotoFactory(photo=PhotoFactory(alt_text="会场"), caption="郴州市妇联主席发言")
    PhotoFactory(alt_text="刺绣", credit_text="受访者供图")
    PhotoFactory(alt_text="直播", uploaded_by=admin_user)

    assert changelist(admin_client, q="主席发言") == ["会场"]
    assert changelist(admin_client, q="受访者") == ["刺绣"]
    assert changelist(admin_client, q=admin_user.username) == ["直播"]


def test_a_photo_names_its_uploader_as_colleagues_know_them(admin_client, make_reporter_user):
    """The photo's 上传人 showed the login (demo-reporter) where the story pages say 王雨桐; and she is found by it."""
    uploader = make_reporter_user(username="desk-reporter", name="王雨桐")
    photo = PhotoFactory(alt_text="会场", uploaded_by=uploader)

    page = admin_client.get(reverse("admin:articles_photo_change", args=[photo.pk])).content.decode()

    assert "王雨桐" in page and "desk-reporter" not in page
    assert changelist(admin_client, q="王雨桐") == ["会场"]


def test_photo_library_shows_small_renditions_and_filters_by_date(admin_client):
    photo = PhotoFactory(alt_text="会场", image=photo_file((1000, 700)), renditions=True)
    response = admin_client.get(reverse("admin:articles_photo_changelist"), {"created_at__year": photo.created_at.year})

    html = response.content.decode()
    smallest = photo.renditions.get(kind="full", format="jpeg", width=480)
    assert f'src="{smallest.file.url}"' in html
    assert photo.image.url not in html


def test_focal_point_is_set_in_the_admin_and_recrops_the_cards(admin_client):
    photo = PhotoFactory(alt_text="会场", image=photo_file((900, 900)), renditions=True)
    old_card = photo.renditions.get(kind="card", format="jpeg", width=480).file.name
    page = admin_client.get(reverse("admin:articles_photo_change", args=[photo.pk])).content.decode()
    assert 'class="focal-point-picker"' in page and "js/focal-point.js" in page

    response = admin_client.post(
        reverse("admin:articles_photo_change", args=[photo.pk]),
        {"alt_text": "会场", "focal_x": "0.2", "focal_y": "0.9"},
    )

    assert response.status_code == 302
    photo.refresh_from_db()
    assert (photo.focal_x, photo.focal_y) == (0.2, 0.9)
    assert photo.renditions.get(kind="card", format="jpeg", width=480).file.name != old_card


def test_a_card_crop_made_again_never_takes_an_address_served_before(
    admin_client, media_root, django_capture_on_commit_callbacks
):
    """Moved twice, the crop came back at the first one's address (the old files are deleted only after the save
    commits, so the storage handed out whichever name was free): browsers and CDNs, which keep media for a day or
    a month, went on showing the old crop, even one re-cropped to take someone out of the picture."""
    photo = services.create_photo(SimpleUploadedFile("会场.jpg", image_bytes(size=(900, 600))), alt_text="会场")
    served = {r.file.name for r in photo.renditions.filter(kind="card")}
    for focal in ("0.2", "0.8", "0.3"):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:articles_photo_change", args=[photo.pk]),
                {"alt_text": "会场", "focal_x": focal, "focal_y": "0.5"},
            )
        assert response.status_code == 302
        names = {r.file.name for r in photo.renditions.filter(kind="card")}
        assert names and not names & served, (names, served)
        assert all((media_root / name).exists() for name in names)
        served |= names


@pytest.mark.parametrize("value", ["-0.1", "1.5"])
def test_focal_point_outside_the_photo_is_refused(admin_client, value):
    photo = PhotoFactory(alt_text="会场")
    response = admin_client.post(
        reverse("admin:articles_photo_change", args=[photo.pk]), {"alt_text": "会场", "focal_x": value}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["focal_x"]


def test_database_refuses_a_focal_point_outside_the_photo():
    with pytest.raises(IntegrityError):
        PhotoFactory(focal_x=1.5)


# --- Deleting and replacing photos ---------------------------------------------------------------


@pytest.mark.parametrize("use", ["lead photo", "entry photo", "in the body"])
def test_a_photo_a_story_shows_is_not_deleted_from_under_it(admin_client, use):
    """The delete page names the story instead; before, a lead or entry photo vanished from live stories."""
    from tests.factories import ExperienceEntryFactory

    photo = PhotoFactory()
    if use == "lead photo":
        article = ArticleFactory(published=True, headline="用着这张图的稿件", lead_photo=photo)
    elif use == "entry photo":
        article = ArticleFactory(published=True, headline="用着这张图的稿件")
        ExperienceEntryFactory(article=article, photo=photo)
    else:
        body = f'<p>正文</p><figure class="image"><img src="{photo.image.url}" alt="会场"></figure>'
        article = ArticleFactory(published=True, headline="用着这张图的稿件", body=body)
    delete_url = reverse("admin:articles_photo_delete", args=[photo.pk])

    page = admin_client.get(delete_url).content.decode()
    admin_client.post(delete_url, {"post": "yes"})

    assert "用着这张图的稿件" in page and reverse("admin:articles_article_change", args=[article.pk]) in page
    assert Photo.objects.filter(pk=photo.pk).exists()
    article.refresh_from_db()
    assert use != "lead photo" or article.lead_photo == photo


def test_a_deleted_photo_takes_its_files_with_it(admin_client, media_root, django_capture_on_commit_callbacks):
    """A photo deleted for rights or privacy reasons must not stay public at its address (nor in the backups)."""
    photo = services.create_photo(SimpleUploadedFile("会场.jpg", image_bytes(size=(64, 48))), alt_text="会场")
    assert len(stored_files(media_root)) > 1  # the original and its renditions

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:articles_photo_delete", args=[photo.pk]), {"post": "yes"})

    assert not Photo.objects.filter(pk=photo.pk).exists() and not Rendition.objects.exists()
    assert stored_files(media_root) == []


def test_a_deleted_photo_leaves_no_empty_folder_behind(admin_client, media_root, django_capture_on_commit_callbacks):
    """Its renditions had a folder of their own (renditions/YYYY/MM/<name>/), left empty on the disk."""
    kept = services.create_photo(SimpleUploadedFile("合影.jpg", image_bytes(size=(64, 48))), alt_text="合影")
    photo = services.create_photo(SimpleUploadedFile("会场.jpg", image_bytes(size=(64, 48))), alt_text="会场")
    kept_files = sorted(
        media_root / name for name in [kept.image.name, *kept.renditions.values_list("file", flat=True)]
    )

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:articles_photo_delete", args=[photo.pk]), {"post": "yes"})

    assert sorted(stored_files(media_root)) == kept_files  # the other photo of the month keeps its folders
    assert empty_folders(media_root) == []

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_photos([kept])

    assert media_root.is_dir() and list(media_root.iterdir()) == []  # MEDIA_ROOT itself stays


def test_only_empty_folders_inside_media_root_are_removed(media_root, tmp_path, django_capture_on_commit_callbacks):
    from django.core.files.storage import FileSystemStorage

    inside, outside = FileSystemStorage(), FileSystemStorage(location=tmp_path / "elsewhere")
    for storage in (inside, outside):
        storage.save("files/2026/11/a.txt", ContentFile(b"a"))
        storage.save("files/2026/11/b.txt", ContentFile(b"b"))

    with django_capture_on_commit_callbacks(execute=True):
        for storage in (inside, outside):
            services.delete_file_after_commit(storage, "files/2026/11/a.txt")
    assert (media_root / "files/2026/11/b.txt").exists()  # a folder still holding a file stays
    with django_capture_on_commit_callbacks(execute=True):
        for storage in (inside, outside):
            services.delete_file_after_commit(storage, "files/2026/11/b.txt")

    assert list(media_root.iterdir()) == []
    assert (tmp_path / "elsewhere/files/2026/11").is_dir()  # not under MEDIA_ROOT: not ours to tidy


def test_a_replaced_image_leaves_no_copy_at_its_old_address(
    admin_client, media_root, django_capture_on_commit_callbacks
):
    photo = services.create_photo(SimpleUploadedFile("旧.jpg", image_bytes(size=(64, 48))), alt_text="会场")
    old = media_root / photo.image.name
    change_url = reverse("admin:articles_photo_change", args=[photo.pk])
    new_file = SimpleUploadedFile("新.png", image_bytes("PNG", size=(60, 40)), content_type="image/png")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            change_url, {"image": new_file, "alt_text": "会场", "focal_x": "0.5", "focal_y": "0.5"}
        )

    assert response.status_code == 302
    photo.refresh_from_db()
    assert (photo.width, photo.height) == (60, 40) and (media_root / photo.image.name).exists()
    assert not old.exists()
    names = {path.relative_to(media_root).as_posix() for path in stored_files(media_root)}
    assert names == {photo.image.name, *(rendition.file.name for rendition in photo.renditions.all())}
    assert empty_folders(media_root) == []  # nor the old file's folder of renditions


def test_a_replaced_image_is_replaced_in_the_texts_that_show_it(
    admin_client, client, media_root, django_capture_on_commit_callbacks
):
    """The text points at the file by its address: deleting the old file broke the image for readers, and keeping
    it kept a picture replaced for rights or privacy in use. Now the texts show the new file, with its renditions."""
    from articles.models import Article

    photo = services.create_photo(SimpleUploadedFile("旧.jpg", image_bytes(size=(640, 480))), alt_text="会场")
    old = photo.image.name
    body = f'<p>正文</p><figure class="image"><img src="{photo.image.url}" alt="会场"></figure>'
    article = ArticleFactory(published=True, body=body)
    old_stem = old.rsplit("/", 1)[-1].split(".")[0]  # in the addresses of the file and of its renditions
    assert old_stem in client.get(article.get_absolute_url()).content.decode()  # remembered by pages
    new_file = SimpleUploadedFile("新.png", image_bytes("PNG", size=(600, 400)), content_type="image/png")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:articles_photo_change", args=[photo.pk]),
            {"image": new_file, "alt_text": "会场", "focal_x": "0.5", "focal_y": "0.5"},
        )

    photo.refresh_from_db()
    assert not (media_root / old).exists()
    assert (
        photo.image.name in Article.objects.get(pk=article.pk).body
        and old not in Article.objects.get(pk=article.pk).body
    )
    html = client.get(article.get_absolute_url()).content.decode()
    new_stem = photo.image.name.rsplit("/", 1)[-1].split(".")[0]
    assert old_stem not in html and new_stem in html
    shown = re.findall(r'/media/(renditions/[^" ,]+)', html)
    assert shown and all((media_root / name).exists() for name in shown)  # no rendition of the old file


def replace_file(client, photo, size=(600, 400)):
    new_file = SimpleUploadedFile("新.png", image_bytes("PNG", size=size), content_type="image/png")
    return client.post(
        reverse("admin:articles_photo_change", args=[photo.pk]),
        {"image": new_file, "alt_text": photo.alt_text, "focal_x": "0.5", "focal_y": "0.5"},
    )


@pytest.mark.parametrize("state", ["in review", "signed off", "scheduled", "published"])
@pytest.mark.parametrize("shown_as", ["lead photo", "in the body", "in an entry's text"])
def test_a_reporter_may_not_replace_her_photo_once_a_story_beyond_its_draft_shows_it(
    reporter_client, reporter_user, media_root, state, shown_as
):
    """Replacing the file changed a live story (or one the desk had checked) with no review and no record: a
    reporter's own upload is hers to replace only while every story showing it, by any means, is a draft."""
    from articles.models import Article
    from articles.querysets import Status

    photo = services.create_photo(
        SimpleUploadedFile("会场.jpg", image_bytes(size=(64, 48))), alt_text="会场", user=reporter_user
    )
    figure = f'<figure class="image"><img src="{photo.image.url}" alt="会场"></figure>'
    story = ArticleFactory(created_by=reporter_user, status=Status.DRAFT)
    if shown_as == "lead photo":
        story.lead_photo = photo
    elif shown_as == "in the body":
        story.body = f"<p>正文</p>{figure}"
    else:
        ExperienceEntryFactory(article=story, body=f"<p>经验</p>{figure}")
    story.save()
    assert replace_file(reporter_client, photo, size=(60, 40)).status_code == 302  # a draft's: hers to change
    photo.refresh_from_db()
    if shown_as != "lead photo":  # the texts now show the new file
        figure = f'<figure class="image"><img src="{photo.image.url}" alt="会场"></figure>'
    shown_name = photo.image.name
    changes = {
        "in review": {"status": Status.IN_REVIEW, "submitted_at": timezone.now()},
        "signed off": {"status": Status.IN_REVIEW, "submitted_at": timezone.now(), "review_level": 1},
        "scheduled": {"status": Status.PUBLISHED, "published_at": timezone.now() + timedelta(days=1)},
        "published": {"status": Status.PUBLISHED, "published_at": timezone.now()},
    }[state]
    Article.objects.filter(pk=story.pk).update(**changes)

    response = replace_file(reporter_client, photo)

    photo.refresh_from_db()
    assert photo.image.name == shown_name and (media_root / shown_name).exists()
    assert response.status_code in {302, 403} or 'name="image"' not in response.content.decode()


def test_an_editor_replacing_a_photo_changes_the_stories_showing_it_as_an_edit_would(
    admin_client, client, admin_user, django_capture_on_commit_callbacks
):
    """The swap is on the record of every story showing the photo; a live story is modified now; a story signed off
    goes back to the first level and a scheduled one back to review (what goes out is what was checked); a draft
    is left as it is."""
    from articles.models import Article, Transition
    from articles.querysets import Status

    photo = PhotoFactory(alt_text="会场全景")
    live = ArticleFactory(published=True, lead_photo=photo)
    signed = ArticleFactory(status=Status.IN_REVIEW, submitted_at=timezone.now(), review_level=1, lead_photo=photo)
    scheduled = ArticleFactory(
        status=Status.PUBLISHED, published_at=timezone.now() + timedelta(days=1), review_level=1, lead_photo=photo
    )
    draft = ArticleFactory(status=Status.DRAFT, lead_photo=photo)
    Article.objects.filter(pk=live.pk).update(updated_at=timezone.now() - timedelta(days=3))
    before = {story.pk: Article.objects.get(pk=story.pk) for story in (live, signed, scheduled, draft)}

    with django_capture_on_commit_callbacks(execute=True):
        assert replace_file(admin_client, photo).status_code == 302

    after = {pk: Article.objects.get(pk=pk) for pk in before}
    assert all(after[pk].edit_count > before[pk].edit_count for pk in before)  # forms opened before: stale
    assert after[live.pk].updated_at > before[live.pk].updated_at + timedelta(days=2)
    assert after[live.pk].is_published() and after[live.pk].status == Status.PUBLISHED
    assert (after[signed.pk].status, after[signed.pk].review_level) == (Status.IN_REVIEW, 0)
    assert after[scheduled.pk].status == Status.IN_REVIEW and after[scheduled.pk].published_at is None
    assert after[draft.pk].status == Status.DRAFT
    replaced = Transition.objects.filter(action=Transition.Action.PHOTO_REPLACED)
    assert sorted(replaced.values_list("article_id", flat=True)) == sorted([live.pk, signed.pk, scheduled.pk])
    step = replaced.get(article=live)
    assert step.user == admin_user and step.comment == message(
        "The file of photo %(photo)s (%(alt)s) was replaced.", photo=photo.pk, alt="会场全景"
    )
    assert step.get_action_display() == "稿件中的照片被替换"


def test_an_edit_form_opened_before_a_photo_was_replaced_is_refused_as_out_of_date(
    admin_client, client, django_capture_on_commit_callbacks
):
    """Saved, the stale form put the old address back into the text: a file deleted with the replacement, a broken
    image on the page."""
    from tests.test_admin import admin_url, form_data

    photo = services.create_photo(SimpleUploadedFile("旧.jpg", image_bytes(size=(64, 48))), alt_text="会场")
    body = f'<p>正文</p><figure class="image"><img src="{photo.image.url}" alt="会场"></figure>'
    story = ArticleFactory(published=True, body=body)
    stale = form_data(admin_client.get(admin_url(story, "change", story.pk)))
    with django_capture_on_commit_callbacks(execute=True):
        replace_file(admin_client, photo)

    response = admin_client.post(
        admin_url(story, "change", story.pk), {**stale, "summary": "改了摘要", "_save": "保存"}
    )

    story.refresh_from_db()
    photo.refresh_from_db()
    assert response.status_code == 200  # the form comes back, saying someone else changed the story
    assert story.summary != "改了摘要" and photo.image.name in story.body


def test_replacing_a_file_asks_for_its_words_to_be_checked(admin_client, django_capture_on_commit_callbacks):
    """The new picture kept the old one's alt text and captions, and nothing asked whether they still fit it."""
    photo = PhotoFactory(alt_text="会场全景")
    ArticlePhotoFactory(photo=photo, caption="会场。")
    ArticleFactory(published=True, lead_photo=photo)
    unused = PhotoFactory(alt_text="备用照片")

    with django_capture_on_commit_callbacks(execute=True):
        said = [str(m) for m in admin_client.get(replace_file(admin_client, photo).url).context["messages"]]
        alone = [str(m) for m in admin_client.get(replace_file(admin_client, unused).url).context["messages"]]

    assert "文件已替换：请核对替代文字是否仍然描述新的照片，以及用到它的 2 篇稿件中的图说。" in said
    assert "文件已替换：请核对替代文字是否仍然描述新的照片。" in alone


def test_a_step_refused_after_a_photo_was_replaced_names_who_replaced_it(
    admin_client, admin_user, editor_user, django_capture_on_commit_callbacks
):
    """The message named the author of the story's latest version (the editor who had it open), not the person who
    replaced the photo since."""
    import reversion

    from articles.models import Article

    photo = PhotoFactory(alt_text="会场全景")
    story = ArticleFactory(published=True, lead_photo=photo)
    with reversion.create_revision():
        reversion.set_user(editor_user)
        story.save()
    seen = Article.objects.get(pk=story.pk).edit_count
    with django_capture_on_commit_callbacks(execute=True):
        assert replace_file(admin_client, photo).status_code == 302

    said = services.step_conflict(Article.objects.get(pk=story.pk), seen)

    assert services.staff_name(admin_user) in said and services.staff_name(editor_user) not in said


def test_saving_again_past_the_conflict_after_a_photo_was_replaced_keeps_the_new_file(
    admin_client, client, media_root, django_capture_on_commit_callbacks
):
    """The conflict message invites saving again; the form still held the old address, and the second save put the
    deleted file back into the live story (a broken image), in its text and its entries' alike."""
    from articles.models import Article
    from tests.test_admin import admin_url, form_data

    photo = services.create_photo(SimpleUploadedFile("旧.jpg", image_bytes(size=(64, 48))), alt_text="会场")
    old_name = photo.image.name
    figure = f'<figure class="image"><img src="{photo.image.url}" alt="会场"></figure>'
    story = ArticleFactory(published=True, body=f"<p>正文</p>{figure}")
    ExperienceEntryFactory(article=story, body=f"<p>经验</p>{figure}")
    url = admin_url(story, "change", story.pk)
    stale = form_data(admin_client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        replace_file(admin_client, photo)
    refused = admin_client.post(url, {**stale, "summary": "改了摘要", "_save": "保存"})
    assert refused.status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        saved = admin_client.post(url, {**form_data(refused), "_save": "保存"})

    assert saved.status_code == 302
    photo.refresh_from_db()
    story = Article.objects.get(pk=story.pk)
    assert story.summary == "改了摘要"
    for text in (story.body, story.experience_entries.get().body):
        assert old_name not in text and photo.image.name in text
    assert old_name.rsplit("/", 1)[-1].split(".")[0] not in client.get(story.get_absolute_url()).content.decode()


def test_restoring_a_version_from_before_a_photo_was_replaced_shows_the_new_file(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    from reversion.models import Version

    from articles.models import Article
    from tests.test_history import save_version

    photo = services.create_photo(SimpleUploadedFile("旧.jpg", image_bytes(size=(64, 48))), alt_text="会场")
    old_name = photo.image.name
    figure = f'<figure class="image"><img src="{photo.image.url}" alt="会场"></figure>'
    story = ArticleFactory(published=True, body=f"<p>第一版</p>{figure}")
    entry = ExperienceEntryFactory(article=story, body=f"<p>经验</p>{figure}")
    save_version(story, entry, comment="第一版")
    first = Version.objects.get_for_object(story).first()
    with django_capture_on_commit_callbacks(execute=True):
        replace_file(admin_client, photo)
    photo.refresh_from_db()
    assert photo.former_names == [old_name]

    services.restore_version(Article.objects.get(pk=story.pk), first, admin_user)

    story.refresh_from_db()
    assert "第一版" in story.body and photo.image.name in story.body and old_name not in story.body
    assert photo.image.name in story.experience_entries.get().body


def test_a_story_in_the_trash_is_linked_from_the_photo_delete_page_where_it_can_be_opened(admin_client):
    from articles.models import Article

    photo = PhotoFactory()
    article = ArticleFactory(headline="回收站里的稿件", lead_photo=photo)
    Article.objects.filter(pk=article.pk).update(deleted_at=timezone.now())

    page = admin_client.get(reverse("admin:articles_photo_delete", args=[photo.pk])).content.decode()

    assert reverse("admin:articles_trashedarticle_change", args=[article.pk]) in page


def test_a_photo_is_stored_at_an_address_nobody_can_guess_and_its_renditions_beside_it(way_in, media_root):
    """Media are served without a login (README, Photos): the photo of a story not yet published stays unseen only
    because its address cannot be guessed. The sender's name, the date or a counter in it would let anyone try."""
    first = upload(way_in, "县妇联会场.png", image_bytes("PNG"))
    Photo.objects.all().delete()
    second = upload(way_in, "县妇联会场.png", image_bytes("PNG"))

    names = []
    for photo in (first, second):
        match = re.fullmatch(r"photos/\d{4}/\d{2}/([0-9a-f]{32})\.png", photo.image.name)
        assert match, photo.image.name
        names.append(match.group(1))
        assert "县妇联" not in photo.image.name
    assert names[0] != names[1]
    renditions = list(second.renditions.values_list("file", flat=True))
    assert renditions and all(
        name.startswith(f"renditions/{second.image.name[7:15]}{names[1]}/") for name in renditions
    )
