"""Renditions: the widths and formats made (never upscaled), upright and clean, the card crop around the focal
point, the command that fills in missing ones, and the pages that use them (<picture>, srcset, sizes, width, height).
"""

import io
import re
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from articles import services
from articles.models import Photo, Rendition
from tests.factories import ArticleFactory, ArticlePhotoFactory, ExperienceEntryFactory, PhotoFactory, image_bytes

pytestmark = pytest.mark.django_db


def jpeg(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, **options)
    return buffer.getvalue()


def stored_photo(image_or_size, **fields):
    """A photo stored as is (like the demo seed or an old photo: no upload service), without renditions."""
    data = image_bytes("JPEG", size=image_or_size) if isinstance(image_or_size, tuple) else image_or_size
    return PhotoFactory(image=ContentFile(data, name="a.jpg"), **fields)


def opened(rendition):
    with rendition.file.open("rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


def made(photo, kind="full", rendition_format="jpeg"):
    return sorted(photo.renditions.filter(kind=kind, format=rendition_format).values_list("width", "height"))


# --- Sizes and formats -----------------------------------------------------------------------------------


def test_a_large_photo_gets_four_widths_and_three_card_widths_in_webp_and_jpeg():
    photo = stored_photo((2400, 1600))
    services.make_renditions(photo)

    assert made(photo) == [(480, 320), (800, 533), (1200, 800), (1600, 1067)]
    assert made(photo, rendition_format="webp") == made(photo)
    assert made(photo, "card") == [(480, 320), (800, 533), (1200, 800)]
    assert set(photo.renditions.values_list("format", flat=True)) == {"webp", "jpeg"}
    for rendition in photo.renditions.all():
        image = opened(rendition)
        assert image.format == {"webp": "WEBP", "jpeg": "JPEG"}[rendition.format]
        assert image.size == (rendition.width, rendition.height)
        assert re.fullmatch(
            rf"renditions/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}/{rendition.kind}-{rendition.width}\.(webp|jpg)",
            rendition.file.name,
        )


@pytest.mark.parametrize(
    ("size", "widths"),
    [((1000, 700), [480, 800, 1000]), ((300, 200), [300]), ((800, 1200), [480, 800]), ((40, 30), [40])],
)
def test_renditions_are_never_wider_than_the_photo(size, widths):
    photo = stored_photo(size)
    services.make_renditions(photo)
    assert [width for width, _height in made(photo)] == widths
    assert all(width <= size[0] for width, _height in made(photo, "card"))


def test_card_renditions_are_three_by_two():
    photo = stored_photo((900, 1600))  # portrait
    services.make_renditions(photo)
    assert made(photo, "card") == [(480, 320), (800, 533), (900, 600)]


def test_making_renditions_twice_makes_nothing_new():
    photo = stored_photo((1000, 700))
    first = services.make_renditions(photo)
    files = sorted(photo.renditions.values_list("file", flat=True))

    assert len(first) == 2 * (3 + 3)
    assert services.make_renditions(photo) == []
    assert sorted(photo.renditions.values_list("file", flat=True)) == files


def test_unique_per_photo_kind_width_and_format():
    photo = stored_photo((500, 400))
    services.make_renditions(photo)
    rendition = photo.renditions.first()
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Rendition.objects.create(
            photo=photo, kind=rendition.kind, width=rendition.width, height=1, format=rendition.format, file="x"
        )


# --- Upright, clean, colour ---------------------------------------------------------------------------------


def red_top_half(size=(600, 400)):
    image = Image.new("RGB", size, (20, 60, 200))
    image.paste((220, 20, 20), (0, 0, size[0], size[1] // 2))
    return image


def test_renditions_apply_the_exif_orientation_of_a_stored_photo():
    exif = Image.Exif()
    exif[0x0112] = 3  # upside down: red must come out at the bottom
    exif.get_ifd(0x8825)[1] = "N"
    photo = stored_photo(jpeg(red_top_half(), exif=exif))
    services.make_renditions(photo)

    for rendition in photo.renditions.all():
        image = opened(rendition).convert("RGB")
        top, bottom = image.getpixel((image.width // 2, 2)), image.getpixel((image.width // 2, image.height - 3))
        assert bottom[0] > 180 and top[2] > 150, rendition
        assert not image.getexif().get_ifd(0x8825) and 0x0112 not in image.getexif()


def test_renditions_of_a_turned_phone_photo_are_upright_through_the_upload():
    exif = Image.Exif()
    exif[0x0112] = 6  # turned: shown rotated 90° clockwise, so the red top half ends up on the right
    exif.get_ifd(0x8825)[2] = (28.0, 12.0, 0.0)
    upload = SimpleUploadedFile("手机.jpg", jpeg(red_top_half((1200, 600)), exif=exif), "image/jpeg")
    photo = services.create_photo(upload, alt_text="会场")

    assert (photo.width, photo.height) == (600, 1200)
    assert made(photo) == [(480, 960), (600, 1200)]
    for rendition in photo.renditions.filter(kind="full"):
        image = opened(rendition).convert("RGB")
        left, right = image.getpixel((3, image.height // 2)), image.getpixel((image.width - 4, image.height // 2))
        assert right[0] > 180 and left[2] > 150
        assert "exif" not in image.info or not image.getexif().get_ifd(0x8825)


@pytest.mark.parametrize(
    ("mode", "image_format", "value"),
    [
        ("RGBA", "PNG", (0, 90, 200, 128)),
        ("LA", "PNG", (128, 100)),
        ("P", "PNG", 1),
        ("I;16", "PNG", 40000),
        ("L", "JPEG", 128),
        ("CMYK", "JPEG", (0, 255, 255, 0)),
        ("RGB", "WEBP", (0, 90, 200)),
    ],
)
def test_photos_in_every_mode_get_renditions(mode, image_format, value):
    buffer = io.BytesIO()
    Image.new(mode, (900, 600), value).save(buffer, image_format)
    photo = PhotoFactory(image=ContentFile(buffer.getvalue(), name=f"a.{image_format.lower()}"))
    services.make_renditions(photo)

    assert made(photo) == [(480, 320), (800, 533), (900, 600)]
    for rendition in photo.renditions.all():
        image = opened(rendition)
        assert image.mode in ({"RGB", "RGBA"} if rendition.format == "webp" else {"RGB"})
    if mode == "RGBA":
        webp = opened(photo.renditions.get(kind="full", format="webp", width=480))
        assert webp.mode == "RGBA" and webp.getpixel((10, 10))[3] == pytest.approx(128, abs=3)
        flat = opened(photo.renditions.get(kind="full", format="jpeg", width=480))
        assert flat.getpixel((10, 10))[0] > 100  # on white, not black
    if mode == "I;16":
        grey = opened(photo.renditions.get(kind="full", format="jpeg", width=480)).getpixel((10, 10))
        assert grey[0] == pytest.approx(40000 / 257, abs=3)


# --- The card crop keeps the focal point ---------------------------------------------------------------


def wide_photo_with_blue_square(**fields):
    """3000x1000 grey, a blue square near the right edge at about (0.9, 0.2)."""
    image = Image.new("RGB", (3000, 1000), (128, 128, 128))
    image.paste((0, 0, 255), (2650, 150, 2750, 250))
    return stored_photo(jpeg(image), **fields)


def has_blue(image):
    return any(b > 200 and r < 60 for r, _g, b in image.convert("RGB").get_flattened_data())


def test_card_crop_keeps_the_focal_point():
    photo = wide_photo_with_blue_square(focal_x=0.9, focal_y=0.2)
    services.make_renditions(photo)

    for rendition in photo.renditions.filter(kind="card"):
        assert has_blue(opened(rendition)), rendition
    assert (photo.renditions.get(kind="card", format="jpeg", width=1200).height) == 800


def test_card_crop_of_a_centred_focal_point_leaves_the_corner_out():
    photo = wide_photo_with_blue_square()
    services.make_renditions(photo)
    assert not has_blue(opened(photo.renditions.get(kind="card", format="jpeg", width=800)))
    assert has_blue(opened(photo.renditions.get(kind="full", format="jpeg", width=800)))


@pytest.mark.parametrize(
    ("size", "focal", "box"),
    [
        ((3000, 1000), (0.5, 0.5), (750, 0, 2250, 1000)),
        ((3000, 1000), (0.0, 0.5), (0, 0, 1500, 1000)),
        ((3000, 1000), (1.0, 0.5), (1500, 0, 3000, 1000)),
        ((1000, 1000), (0.5, 0.0), (0, 0, 1000, 667)),
        ((1000, 1000), (0.5, 1.0), (0, 333, 1000, 1000)),
        ((1200, 800), (0.9, 0.9), (0, 0, 1200, 800)),
    ],
)
def test_focal_crop_box(size, focal, box):
    assert services.focal_crop(*size, *focal) == box


# --- Falling back --------------------------------------------------------------------------------------


def test_a_photo_without_renditions_shows_its_original():
    photo = stored_photo((900, 600))
    Photo.objects.filter(pk=photo.pk).prefetch_related("renditions")
    picture = Photo.objects.prefetch_related("renditions").get(pk=photo.pk).card_picture
    assert (picture.src, picture.width, picture.height, picture.webp_srcset) == (photo.image.url, 900, 600, "")


def test_a_missing_card_falls_back_to_the_whole_photo_and_a_missing_jpeg_to_the_original():
    photo = stored_photo((900, 600))
    services.make_renditions(photo, kinds=("full",), formats=("webp",))
    picture = Photo.objects.prefetch_related("renditions").get(pk=photo.pk).card_picture

    assert "full-480.webp 480w" in picture.webp_srcset and picture.jpeg_srcset == ""
    assert picture.src == photo.image.url and (picture.width, picture.height) == (900, 600)


def test_a_photo_loaded_without_its_renditions_never_queries_for_them(django_assert_num_queries):
    photo = stored_photo((900, 600))
    services.make_renditions(photo)
    photo = Photo.objects.get(pk=photo.pk)
    with django_assert_num_queries(0):  # the renditions are kept on the photo: src is the 800-px JPEG
        assert photo.full_picture.src.endswith("full-800.jpg")


# --- The command -----------------------------------------------------------------------------------------


def test_make_renditions_fills_in_missing_ones_and_is_safe_to_run_twice():
    old = stored_photo((900, 600))
    done = stored_photo((500, 400))
    services.make_renditions(done)
    before = Rendition.objects.filter(photo=done).count()

    out = StringIO()
    call_command("make_renditions", stdout=out)
    assert f"Photo {old.pk}: 12 renditions" in out.getvalue()
    assert "12 renditions made for 1 photos." in out.getvalue()
    assert Rendition.objects.filter(photo=done).count() == before

    out = StringIO()
    call_command("make_renditions", stdout=out)
    assert "0 renditions made for 0 photos." in out.getvalue()


def test_make_renditions_all_makes_them_again_and_removes_the_old_files(django_capture_on_commit_callbacks):
    photo = stored_photo((500, 400))
    services.make_renditions(photo)
    old_files = set(photo.renditions.values_list("file", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("make_renditions", "--all", stdout=StringIO())

    new_files = set(photo.renditions.values_list("file", flat=True))
    assert len(new_files) == len(old_files) and not new_files & old_files
    storage = photo.image.storage
    assert all(storage.exists(name) for name in new_files)
    assert not any(storage.exists(name) for name in old_files)


def test_make_renditions_reports_a_photo_whose_file_is_gone_and_goes_on():
    gone = stored_photo((500, 400))
    gone.image.storage.delete(gone.image.name)
    fine = stored_photo((500, 400))
    out, err = StringIO(), StringIO()

    call_command("make_renditions", stdout=out, stderr=err)

    assert f"Photo {gone.pk}" in err.getvalue() and "skipped" in err.getvalue()
    assert fine.renditions.exists() and not gone.renditions.exists()
    assert "1 photos were skipped" in out.getvalue()


# --- Pages ------------------------------------------------------------------------------------------------


def photo_with_renditions(size=(2000, 1333), **fields):
    return PhotoFactory(image=ContentFile(image_bytes("JPEG", size=size), name="a.jpg"), renditions=True, **fields)


def test_article_page_shows_photos_as_pictures_with_srcset_sizes_width_and_height(client):
    lead = photo_with_renditions(alt_text="会场全景")
    article = ArticleFactory(published=True, lead_photo=lead)
    ArticlePhotoFactory(article=article, photo=photo_with_renditions(size=(1000, 800), alt_text="参观"))

    html = client.get(article.get_absolute_url()).content.decode()

    pictures = re.findall(r"<picture>.*?</picture>", html, re.S)
    assert len(pictures) == 2
    lead_html, second = pictures
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)" sizes="([^"]+)">', lead_html)
    assert webp and webp.group(2) == "(max-width: 40em) 100vw, 36em"
    assert [item.rsplit(" ", 1)[1] for item in webp.group(1).split(", ")] == ["480w", "800w", "1200w", "1600w"]
    img = re.search(r"<img [^>]+>", lead_html).group(0)
    assert 'srcset="' in img and "full-1600.jpg 1600w" in img and 'sizes="(max-width: 40em) 100vw, 36em"' in img
    assert 'width="1600" height="1066"' in img or 'width="1600" height="1067"' in img
    assert 'alt="会场全景"' in img and 'loading="eager"' in img  # the article's first photo
    assert 'loading="lazy"' in second and 'width="1000" height="800"' in second
    assert lead.image.url not in html.split("<main", 1)[1].split("</main>")[0]


def test_cards_use_the_card_crop(client):
    ArticleFactory(published=True, lead_photo=photo_with_renditions(alt_text="会场"))
    html = client.get(reverse("articles:article_list")).content.decode()

    card = re.search(r'<picture class="card-photo">.*?</picture>', html, re.S).group(0)
    assert "card-480.webp 480w" in card and "card-1200.jpg 1200w" in card
    assert 'sizes="(min-width: 48rem) 14rem, 100vw"' in card
    assert 'width="1200" height="800"' in card and 'loading="lazy"' in card


def test_rich_text_images_get_srcset_and_size_on_the_page_and_stay_plain_in_the_database(client):
    photo = photo_with_renditions(size=(1200, 900))
    body = f'<p>正文</p><figure class="image"><img src="{photo.image.url}" alt="正文里的照片"></figure>'
    unknown = '<figure class="image"><img src="/media/photos/2020/01/nothing.jpg" alt="旧图"></figure>'
    article = ArticleFactory(published=True, body=body + unknown)
    ExperienceEntryFactory(
        article=article, body=f'<figure class="image"><img src="{photo.image.url}" alt="经验"></figure>'
    )

    html = client.get(article.get_absolute_url()).content.decode()

    assert html.count('<source type="image/webp" srcset="') == 2
    rewritten = re.search(
        r'<img src="[^"]+" srcset="[^"]+" sizes="[^"]+" width="1200" height="900" alt="正文里的照片"', html
    )
    assert rewritten and 'loading="lazy"' in html
    assert '<img src="/media/photos/2020/01/nothing.jpg" alt="旧图">' in html
    article.refresh_from_db()
    assert article.body == body + unknown  # the stored, sanitised HTML stays the source of truth


def test_rich_text_pictures_follow_each_texts_alt_text_and_the_photos_renditions_of_the_moment(
    client, django_capture_on_commit_callbacks
):
    """The <picture> of a photo in rich text is made once per process and kept (services.responsive_images): never
    with another text's alt text, nor with renditions the photo no longer has."""
    photo = photo_with_renditions(size=(1200, 900))
    first, second = (
        ArticleFactory(published=True, body=f'<figure class="image"><img src="{photo.image.url}" alt="{alt}"></figure>')
        for alt in ("江边的渡口", "清晨的码头")
    )

    for article, alt, other in ((first, "江边的渡口", "清晨的码头"), (second, "清晨的码头", "江边的渡口")):
        html = client.get(article.get_absolute_url()).content.decode()
        assert f'height="900" alt="{alt}" loading="lazy"' in html and other not in html

    with django_capture_on_commit_callbacks(execute=True):
        services.make_renditions(photo, kinds=("full",), formats=("jpeg",), replace=True)  # no WebP any more
    html = client.get(first.get_absolute_url()).content.decode()

    assert '<source type="image/webp"' not in html and 'alt="江边的渡口"' in html
    assert re.search(r'<img src="[^"]+full-\d+[^"]*\.jpg" srcset=', html)


def test_seeded_demo_photos_have_renditions(settings, tmp_path):
    settings.DEBUG = True
    call_command("seed_demo_content", stdout=StringIO())
    assert Photo.objects.exists()
    assert not Photo.objects.filter(renditions__isnull=True).exists()
