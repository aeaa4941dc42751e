"""Work that spans models or the outside world: sanitising rich text, checking uploads, roles."""

import contextlib
import datetime
import functools
import hashlib
import io
import logging
import re
import threading
import unicodedata
import uuid
import warnings
from dataclasses import dataclass
from html import unescape as html_unescape
from pathlib import Path
from urllib.parse import unquote

import nh3
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext, pgettext
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from articles import cache as page_cache
from articles import cards

logger = logging.getLogger(__name__)

# --- Rich text ------------------------------------------------------------------------------------

# What CKEditor 5 produces with the plugins our widget enables, and nothing more.
RICH_TEXT_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "s", "sub", "sup",
    "a", "ul", "ol", "li", "blockquote", "hr",
    "figure", "figcaption", "img",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
}  # fmt: skip
RICH_TEXT_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start", "reversed"},
}
RICH_TEXT_CLASSES = {
    "figure": {"image", "table", "image-style-side", "image-style-align-left", "image-style-align-right"},
}
RICH_TEXT_URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Tags whose content goes with them: the text inside a script or style is never body text.
REMOVED_WITH_CONTENT = {
    "script",
    "style",
    "template",
    "iframe",
    "object",
    "embed",
    "noscript",
    "svg",
    "math",
    "textarea",
    "select",
}

# Text the database cannot store or a reader should not get: NUL, other C0 controls but tab and newline,
# lone surrogates, bidirectional overrides, and Unicode's noncharacters (U+FFFE and U+FFFF, which a mis-decoded
# UTF-16 paste leaves, are not allowed in XML: one in a headline broke every feed and the Google News sitemap).
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(plane + last) for plane in range(0, 0x110000, 0x10000) for last in (0xFFFE, 0xFFFF)
)
_FORBIDDEN_CHARACTERS = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\u202a-\u202e\u2066-\u2069{_NONCHARACTERS}]"
)


def clean_text(value):
    """Remove characters that break databases, feeds or display from plain text."""
    if not value:
        return value
    return _FORBIDDEN_CHARACTERS.sub("", value)


def _only_safe_image_sources(element, attribute, value):
    """Images in rich text come from our own media storage only: no tracking pixels from other sites, nor from
    elsewhere on an object store's endpoint by way of ``..`` (``/bucket/../other-bucket/``), plain or escaped."""
    if element == "img" and attribute == "src":
        media_url = settings.MEDIA_URL
        if "\\" in value or not value.startswith(media_url) or (media_url.startswith("/") and value.startswith("//")):
            return None
        path = unquote(value[len(media_url) :].split("?", 1)[0].split("#", 1)[0])
        if any(segment in (".", "..") for segment in path.replace("\\", "/").split("/")):
            return None
    return value


def sanitize_html(value):
    """Return the HTML with everything outside the rich-text allow-list removed.

    Applied whenever a rich-text field is saved, whatever the editor sent: no scripts, event handlers,
    inline styles, iframes, ``javascript:`` or ``data:`` URLs.
    """
    if not value:
        return ""
    cleaned = nh3.clean(
        clean_text(value),
        tags=RICH_TEXT_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=RICH_TEXT_ATTRIBUTES,
        allowed_classes=RICH_TEXT_CLASSES,
        attribute_filter=_only_safe_image_sources,
        url_schemes=RICH_TEXT_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    # Again after parsing: entities such as &#x202e; come out of nh3 as the characters they encode.
    return tidy_paragraphs(clean_text(cleaned).strip())


# White space as it comes in a paste from Word, WPS or plain text: spaces, no-break spaces, ideographic spaces.
_BLANK = r"(?:\s|&nbsp;)"
_BLANK_PARAGRAPH = re.compile(rf"<p>(?:{_BLANK}|<br>)*</p>")
_PARAGRAPH_INDENT = re.compile(rf"<p>{_BLANK}+")
_PARAGRAPH_TAIL = re.compile(rf"{_BLANK}+</p>")


def tidy_paragraphs(html):
    """Sanitised rich text without what a paste leaves that a reader sees as gaps: blank paragraphs (Word's empty
    lines: each a line-high gap on a phone) and white space at a paragraph's start or end (a pasted 　　 indent
    doubles the stylesheet's own 2em). White space inside a paragraph, and in table cells, stays."""
    html = _BLANK_PARAGRAPH.sub("", html)
    return _PARAGRAPH_TAIL.sub("</p>", _PARAGRAPH_INDENT.sub("<p>", html))


# --- Images -------------------------------------------------------------------------------------
# One way in for every photo (the photo admin, the rich-text editor's upload button, reporter portraits):
# check_image_upload decodes the whole file under Pillow's limits and our own, prepare_image_upload re-encodes it
# (upright, sRGB, no location tags, nothing appended), create_photo stores it with its renditions in one go.

ACCEPTED_IMAGE_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}
# The longest side a photo may have: JPEG's own limit (65,535), with a margin. A WebP rendition can be at most
# 16,383 pixels on a side: a taller picture (a long infographic, 长图) gets JPEG renditions only where it is taller.
MAX_IMAGE_SIDE = 65_000
PORTRAIT_MAX_SIDE = 480  # a reporter's portrait is stored no larger: pages show it at 96 CSS pixels
WEBP_MAX_SIDE = 16_383
WEBP_ROUNDING_MARGIN = 8
# Formats Pillow may open only to name them in the refusal (never decoded).
_NAMED_IMAGE_FORMATS = ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "ICO", "PSD"]
_SAVE_FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}
MAX_METADATA_BYTES = 1024 * 1024  # any one embedded block (EXIF, colour profile, XMP, a PNG text chunk)
EXIF_ORIENTATION = 0x0112
# The EXIF fields a re-encoded photo keeps: camera, time and photographer. Everything else goes, GPS first of all.
KEPT_EXIF_TAGS = {0x010F: "Make", 0x0110: "Model", 0x0132: "DateTime", 0x013B: "Artist", 0x8298: "Copyright"}
KEPT_EXIF_IFD_TAGS = {0x9003: "DateTimeOriginal"}
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def configure_pillow():
    """Pillow's own guards at our limits (called once at start-up): bombs, text-chunk bombs, truncated files."""
    Image.MAX_IMAGE_PIXELS = settings.NEWSROOM_MAX_IMAGE_PIXELS
    PngImagePlugin.MAX_TEXT_CHUNK = 256 * 1024
    PngImagePlugin.MAX_TEXT_MEMORY = MAX_METADATA_BYTES
    ImageFile.LOAD_TRUNCATED_IMAGES = False


_image_slots = {}  # the number of slots: the semaphore (made when first needed, from the settings)
_image_slot_held = threading.local()


@contextlib.contextmanager
def full_size_image_slot():
    """Hold one of this process's ``NEWSROOM_FULL_SIZE_IMAGES_AT_ONCE`` slots (1 by default) while a full-size
    image is decoded and worked on; other threads wait for a free one. A 60-megapixel photo takes several hundred
    MB while it is decoded, converted and resized: eight uploads at once in one worker's threads would take
    gigabytes. A thread that already holds a slot goes on (a slot inside a slot never waits for itself)."""
    if getattr(_image_slot_held, "depth", 0):
        _image_slot_held.depth += 1
        try:
            yield
        finally:
            _image_slot_held.depth -= 1
        return
    count = max(1, settings.NEWSROOM_FULL_SIZE_IMAGES_AT_ONCE)
    slots = _image_slots.get(count) or _image_slots.setdefault(count, threading.BoundedSemaphore(count))
    with slots:
        _image_slot_held.depth = 1
        try:
            yield
        finally:
            _image_slot_held.depth = 0


def _refused(message, code, **params):
    return ValidationError(message % params if params else message, code=code)


# The brands of an ISO media file's first box (``ftyp``) that name a HEIF photo (an iPhone's HEIC) or an AVIF one.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


def _sniffed_kind(data):
    """A name for a file Pillow cannot read, from its first bytes: "HEIC", "AVIF", "SVG", "HTML", "PDF", or ""."""
    if data[4:8] == b"ftyp":
        if data[8:12] in _HEIF_BRANDS:
            return "HEIC"
        if data[8:12] in _AVIF_BRANDS:
            return "AVIF"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf"):
        return "PDF"
    if b"<svg" in head:
        return "SVG"
    if head.startswith(b"<"):
        return "HTML"
    return ""


def _format_refusal(kind):
    if kind == "HEIC":
        return _refused(
            _(
                "HEIC photos (an iPhone's own format) are not accepted. Export the photo as JPEG, or set the "
                "iPhone's camera to the most compatible format, and upload it again."
            ),
            "format",
        )
    return _refused(
        _("%(kind)s files are not accepted. Upload a photo in JPEG, PNG or WebP format."), "format", kind=kind
    )


def _check_metadata(info):
    for key, value in info.items():
        if isinstance(value, bytes | str) and len(value) > MAX_METADATA_BYTES:
            raise _refused(_("The photo carries too much embedded data (%(block)s)."), "metadata", block=key)


def _read_upload(uploaded):
    max_bytes = settings.NEWSROOM_MAX_UPLOAD_BYTES
    if uploaded.size is not None and uploaded.size > max_bytes:
        raise _refused(
            _("The file is too large (%(size)d MB). The limit is %(limit)d MB."),
            "too_large",
            size=uploaded.size // (1024 * 1024),
            limit=max_bytes // (1024 * 1024),
        )
    uploaded.seek(0)
    data = uploaded.read(max_bytes + 1)
    uploaded.seek(0)
    if len(data) > max_bytes:
        raise _refused(
            _("The file is too large (%(size)d MB). The limit is %(limit)d MB."),
            "too_large",
            size=len(data) // (1024 * 1024),
            limit=max_bytes // (1024 * 1024),
        )
    if not data:
        raise _refused(_("The file is empty."), "empty")
    return data


# A JPEG cut short in transfer (a camera's card, a phone's upload cut off) that still ends with an end-of-image
# marker decodes without an error: libjpeg fills what is missing with grey, and the page shows a photo half grey.
# Its structure shows some of it: a progressive JPEG then lacks the scans that would have followed. A sequential one
# (one scan: what cameras and phones write) is decoded from its scan with the end marker replaced by
# _JPEG_FILLER: a whole scan is decoded before the filler is reached, one cut short takes the filler as image data
# and runs out before its last row, which Pillow refuses (LOAD_TRUNCATED_IMAGES stays False). A cut within the last
# few hundred bytes (the filler completes it) or within a progressive JPEG's last scan (a refinement only) passes.
_JPEG_MARKER_AFTER_SCAN = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")  # not a stuffed 0xFF, a restart marker or fill
_JPEG_FILLER = bytes(64)
_JPEG_PROGRESSIVE_FRAMES = {0xC2, 0xC6, 0xCA, 0xCE}


def _jpeg_layout(data):
    """Follow a JPEG's markers to the end of its first picture: (the offset of the end-of-image marker, the frame
    marker, the frame's component ids, the scans as (component ids, first and last coefficient, last bit)), or None
    when the data ends before that marker or its structure cannot be followed (the decoder then decides)."""
    position, frame, components, scans = 2, None, [], []
    try:
        while position + 2 <= len(data):
            if data[position] != 0xFF:
                return None
            marker = data[position + 1]
            if marker == 0xFF:  # a fill byte
                position += 1
            elif marker == 0xD9:
                return position, frame, components, scans
            elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
                position += 2
            else:
                length = int.from_bytes(data[position + 2 : position + 4], "big")
                segment = data[position + 4 : position + 2 + length]
                if length < 2 or len(segment) != length - 2:
                    return None
                position += 2 + length
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame, not DHT, JPG or DAC
                    frame, components = marker, [segment[6 + 3 * index] for index in range(segment[5])]
                elif marker == 0xDA:
                    count = segment[0]
                    first, last, bits = segment[1 + 2 * count : 4 + 2 * count]
                    scans.append(([segment[1 + 2 * index] for index in range(count)], first, last, bits & 0x0F))
                    found = _JPEG_MARKER_AFTER_SCAN.search(data, position)
                    if found is None:
                        return None
                    position = found.start()
    except (IndexError, ValueError):
        return None
    return None


def _jpeg_scans_missing(frame, components, scans):
    """Whether the picture's scans leave a component (or, progressive, a coefficient's last bits) without data."""
    if frame not in _JPEG_PROGRESSIVE_FRAMES:
        return not set(components) <= {component for ids, *_ in scans for component in ids}
    finished = {
        (component, coefficient)
        for ids, first, last, bit in scans
        if bit == 0
        for component in ids
        for coefficient in range(first, last + 1)
    }
    return any((component, coefficient) not in finished for component in components for coefficient in range(64))


class _JpegSource(io.RawIOBase):
    """The bytes of a JPEG up to ``end``, then ``filler``, read as a file without copying the upload; ``ran_out``
    tells whether the decoder asked for more than there is."""

    def __init__(self, data, end, filler=b""):
        super().__init__()
        self._head, self._filler = memoryview(data)[:end], filler
        self._size = end + len(filler)
        self._position = 0
        self.ran_out = False

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._position

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer):
        count = max(0, min(len(buffer), self._size - self._position))
        if not count:
            self.ran_out = self.ran_out or len(buffer) > 0
            return 0
        start, head = self._position, len(self._head)
        from_head = max(0, min(count, head - start))
        buffer[:from_head] = self._head[start : start + from_head]
        skip = max(0, start - head)
        buffer[from_head:count] = self._filler[skip : skip + count - from_head]
        self._position += count
        return count


def _truncated_refusal():
    return _refused(
        _(
            "The photo file is incomplete: it was cut short while it was copied or sent, and part of the picture "
            "would show grey. Copy or export it again from the camera or phone and upload that."
        ),
        "truncated",
    )


def _jpeg_source(data):
    """What the decoder reads of a JPEG (see _JPEG_FILLER), or a refusal when scans are missing."""
    layout = _jpeg_layout(data)
    if layout is None:
        return _JpegSource(data, len(data))
    end, frame, components, scans = layout
    if _jpeg_scans_missing(frame, components, scans):
        raise _truncated_refusal()
    if len(scans) != 1 or frame in _JPEG_PROGRESSIVE_FRAMES:
        return _JpegSource(data, len(data))
    while data[end - 1] == 0xFF:  # fill bytes before the marker: the filler must not follow them as a marker
        end -= 1
    return _JpegSource(data, end, _JPEG_FILLER)


def _decode_upload(data):
    """Open and fully decode image bytes, or raise ValidationError; returns the loaded Pillow image (close it)."""
    max_pixels = settings.NEWSROOM_MAX_IMAGE_PIXELS
    image_format = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_NAMED_IMAGE_FORMATS) as header:
                image_format = header.format
                if image_format not in ACCEPTED_IMAGE_FORMATS:
                    raise _format_refusal(image_format)
                width, height = header.size
                if width * height > max_pixels:
                    raise _refused(
                        _(
                            "The photo has too many pixels (%(mp).0f megapixels). The limit is %(limit).0f: save it "
                            "smaller (for example 4,000 pixels on its longest side) and upload it again."
                        ),
                        "too_many_pixels",
                        mp=width * height / 1e6,
                        limit=max_pixels / 1e6,
                    )
                if max(width, height) > MAX_IMAGE_SIDE:
                    raise _refused(
                        _(
                            "The photo is %(width)d × %(height)d pixels: no side may be longer than %(limit)d "
                            "pixels. Save it smaller (or cut a long picture into parts) and upload it again."
                        ),
                        "too_long",
                        width=width,
                        height=height,
                        limit=MAX_IMAGE_SIDE,
                    )
                if image_format != "MPO" and getattr(header, "is_animated", False):
                    raise _refused(_("Animated images are not accepted."), "animated")
                _check_metadata(header.info)
                if image_format == "PNG":
                    header.verify()  # every chunk's checksum, the ones after the image data included
            source = _jpeg_source(data) if image_format in ("JPEG", "MPO") else io.BytesIO(data)
            image = Image.open(source, formats=[image_format if image_format != "MPO" else "JPEG"])
            try:
                image.load()
                _check_metadata(image.info)
            except BaseException:
                image.close()
                if getattr(source, "ran_out", False):  # the data ended before the picture did
                    raise _truncated_refusal() from None
                raise
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refused(
            _(
                "The photo is too large to be decoded safely (the limit is %(limit).0f megapixels): save it smaller "
                "(for example 4,000 pixels on its longest side) and upload it again."
            ),
            "bomb",
            limit=settings.NEWSROOM_MAX_IMAGE_PIXELS / 1e6,
        ) from None
    except Image.UnidentifiedImageError:
        kind = _sniffed_kind(data)
        if kind:
            raise _format_refusal(kind) from None
        raise _refused(
            _(
                "The file is not a readable photo. It may be damaged or not an image at all: open it in an image "
                "viewer to check, or save it again as JPEG and upload that."
            ),
            "invalid",
        ) from None
    except ValueError as error:
        if "MAX_TEXT" in str(error):
            raise _refused(
                _("The photo carries too much embedded data (%(block)s)."), "metadata", block="text"
            ) from None
        raise _refused(_("The photo is damaged or incomplete. Export or copy it again."), "damaged") from None
    except Exception:
        raise _refused(_("The photo is damaged or incomplete. Export or copy it again."), "damaged") from None
    return image


def check_image_upload(uploaded):
    """Decode an uploaded image fully and return its file extension, or raise ValidationError.

    The format is decided by decoding the content, not by the file's name. Oversized and empty files, other
    formats (SVG, HTML, PDF, GIF, TIFF, BMP...), decompression bombs, truncated and corrupt images (a PNG chunk
    with a wrong checksum, a JPEG cut short though it ends with an end marker) and metadata bombs are refused with
    a message for the person uploading.
    """
    data = _read_upload(uploaded)
    with full_size_image_slot(), _decode_upload(data) as image:
        return ACCEPTED_IMAGE_FORMATS[image.format]


def _upright(image, orientation):
    method = _TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


def _is_srgb(profile):
    try:
        description = ImageCms.getProfileDescription(profile) or ""
    except ImageCms.PyCMSError:
        return False
    return "srgb" in description.lower().replace(" ", "")


def _to_srgb(image, icc_profile):
    """Colours converted from the embedded profile to sRGB (what browsers assume for an untagged image).

    CMYK comes out RGB; greyscale stays grey. An unreadable or unsupported profile is ignored: the pixels are taken
    as sRGB.
    """
    if icc_profile and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            if not (image.mode != "CMYK" and _is_srgb(profile)):
                output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
                if output_mode == image.mode:  # in place: no second copy of a full-size photo
                    ImageCms.profileToProfile(image, profile, _srgb_profile(), inPlace=True)
                    return image
                return ImageCms.profileToProfile(image, profile, _srgb_profile(), outputMode=output_mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass
    if icc_profile and image.mode in ("L", "LA"):
        try:
            return _grey_to_srgb(image, ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)))
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass
    if image.mode == "CMYK":
        return image.convert("RGB")
    return image


def _grey_to_srgb(image, profile):
    """A greyscale image (with or without transparency) through its grey profile to sRGB's tones, still grey: a
    black-and-white photo tagged Gray Gamma 1.8 or a dot-gain profile came out darker than the desk saw it."""
    grey = image.getchannel("L") if image.mode == "LA" else image
    toned = ImageCms.profileToProfile(grey, profile, _srgb_profile(), outputMode="RGB").convert("L")
    return Image.merge("LA", (toned, image.getchannel("A"))) if image.mode == "LA" else toned


_SRGB = []


def _srgb_profile():
    if not _SRGB:
        _SRGB.append(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")))
    return _SRGB[0]


def _has_alpha(image):
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )


def _normalized(image, allowed_modes):
    """The image in one of ``allowed_modes`` (a subset of RGB, RGBA, L, LA), transparency and 16-bit grey kept right."""
    if image.mode in allowed_modes:
        return image
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        # 16-bit grey: scale 0..65535 to 0..255 (a plain convert("L") would clip everything above 255 to white).
        image = image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    elif image.mode == "1":
        image = image.convert("L")
    elif _has_alpha(image):
        image = image.convert("LA" if image.mode in ("L", "LA", "La") and "LA" in allowed_modes else "RGBA")
    elif image.mode != "L":
        image = image.convert("RGB")
    if image.mode in allowed_modes:
        return image
    if image.mode == "L":
        return image.convert("RGB")
    if image.mode == "LA":
        return image.convert("RGBA")
    if image.mode == "RGBA" and "RGBA" not in allowed_modes:
        return _flattened(image)
    return image.convert("RGB")


def _flattened(image):
    """An image with transparency on a white background, for formats without alpha (JPEG)."""
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image.convert("RGBA"), mask=image.getchannel("A") if "A" in image.getbands() else None)
    return background


_OUTPUT_MODES = {"JPEG": {"RGB", "L"}, "PNG": {"RGB", "RGBA", "L", "LA"}, "WEBP": {"RGB", "RGBA"}}


def _kept_exif(exif):
    """A new EXIF block with the camera, time and photographer fields only: no GPS, no orientation, no serials."""
    kept = Image.Exif()
    for tag in KEPT_EXIF_TAGS:
        if isinstance(exif.get(tag), str):
            kept[tag] = exif[tag]
    details = exif.get_ifd(0x8769)
    for tag in KEPT_EXIF_IFD_TAGS:
        if isinstance(details.get(tag), str):
            kept.get_ifd(0x8769)[tag] = details[tag]
    return kept


def prepare_image_upload(uploaded, max_side=None):
    """Check an upload, then re-encode it: a clean file under a generated name, ready for an ImageField.

    Re-encoding applies the EXIF orientation, converts the colours to sRGB (CMYK becomes RGB), keeps only the
    camera, time and photographer EXIF fields (GPS and every other location tag are gone) and drops everything
    appended to the image data (image/HTML polyglots). Palette, 16-bit and grey images come out 8-bit; a PNG or
    WebP with transparency keeps it.
    """
    data = _read_upload(uploaded)
    with full_size_image_slot(), _decode_upload(data) as decoded:
        extension = ACCEPTED_IMAGE_FORMATS[decoded.format]
        save_format = _SAVE_FORMATS[extension]
        exif = decoded.getexif()
        image = _upright(decoded, exif.get(EXIF_ORIENTATION, 1))
        image = _to_srgb(image, decoded.info.get("icc_profile"))
        image = _normalized(image, _OUTPUT_MODES[save_format])
        if max_side and max(image.size) > max_side:  # e.g. a portrait: pages never show it larger
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
        image.info = {}  # the source's profile and metadata must not ride along: only what is passed below
        kept_exif = _kept_exif(exif)
        options = {"exif": kept_exif.tobytes()} if len(kept_exif) or kept_exif.get_ifd(0x8769) else {}
        if save_format == "JPEG":
            options.update(quality=90)
        elif save_format == "WEBP":
            options.update(quality=90, method=4)
        buffer = io.BytesIO()
        image.save(buffer, format=save_format, **options)
    uploaded.seek(0)
    return ContentFile(buffer.getvalue(), name=f"upload.{extension}")


class MediaWriteError(ValidationError):
    """A file could not be written to the media storage (a full disk, a read-only or failing one)."""


def storage_errors():
    """The exceptions a media storage raises when it cannot store a file: OSError (a full or read-only disk), and
    with S3 object storage botocore's (the endpoint unreachable, the bucket missing, access refused)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # no object storage support installed
        return (OSError,)
    return (OSError, BotoCoreError, ClientError)


def store_file(field_file, filename, content):
    """Write ``content`` for a file field through its storage, as ``FieldFile.save(..., save=False)`` does.

    A write that fails (ENOSPC from a full media disk, any other OSError, an object store that cannot be reached
    or refuses the write) leaves no partial file (Django's file system storage keeps what it wrote before the
    error) and becomes a refusal with a clear message.
    """
    field, storage = field_file.field, field_file.storage
    errors = storage_errors()
    name = field.generate_filename(field_file.instance, filename)
    written = False
    try:
        name = storage.get_available_name(name, max_length=field.max_length)  # the name save() will use
        written = True  # from here on, a failure may leave part of the file under that name
        name = storage.save(name, content, max_length=field.max_length)
    except errors as error:
        if written:
            with contextlib.suppress(*errors):
                storage.delete(name)
        logger.error("Could not write %s to the media storage: %s", name, error)
        raise MediaWriteError(
            _(
                "The photo could not be stored: the server's media disk is full or cannot be written. Nothing was "
                "saved; please try again later or tell the technical staff."
            ),
            code="media_write_failed",
        ) from error
    field_file.name = name
    setattr(field_file.instance, field.attname, name)
    field_file._committed = True


UPLOAD_WINDOW = datetime.timedelta(hours=1)


def check_upload_allowance(user):
    """Refuse a new photo from ``user`` past ``NEWSROOM_UPLOADS_PER_HOUR`` photos of theirs in the last hour, saying
    when they may go on: a leaked login or a script gone wrong cannot fill the media storage at 25 MB a file.
    Counted from the photos themselves (their uploader and time), so every app server agrees."""
    from articles.models import Photo

    if user is None or not user.is_authenticated:
        return
    limit = settings.NEWSROOM_UPLOADS_PER_HOUR
    since = timezone.now() - UPLOAD_WINDOW
    recent = Photo.objects.filter(uploaded_by=user, created_at__gt=since).order_by("-created_at")
    times = list(recent.values_list("created_at", flat=True)[:limit])
    if len(times) < limit:
        return
    free_at = times[-1] + UPLOAD_WINDOW  # when the oldest of the last ``limit`` leaves the hour
    minutes = max(1, -(-int((free_at - timezone.now()).total_seconds()) // 60))
    raise _refused(
        _(
            "You have uploaded %(limit)d photos in the last hour, the most allowed. Try again in %(minutes)d "
            "minutes; if the work needs more, ask the site's administrator to raise the limit."
        ),
        "upload_limit",
        limit=limit,
        minutes=minutes,
    )


def create_photo(uploaded, *, alt_text, user=None, credit_text=""):
    """Check an upload and store it as a Photo with its renditions, in one transaction.

    Nothing is left behind (no row, no file) if the upload is refused or anything fails on the way.
    """
    from articles.models import Photo

    check_upload_allowance(user)
    clean_file = prepare_image_upload(uploaded)
    original_name = clean_text(getattr(uploaded, "name", "") or "")[-255:]
    photo = Photo(alt_text=clean_text(alt_text).strip(), credit_text=credit_text, original_filename=original_name)
    photo.uploaded_by = user if user is not None and user.is_authenticated else None
    store_file(photo.image, clean_file.name, clean_file)
    try:
        with transaction.atomic():
            photo.save()
            make_renditions(photo)
    except BaseException:
        photo.image.delete(save=False)
        raise
    return photo


def delete_file_after_commit(storage, name):
    """Delete a media file once the transaction that dropped it commits (a rollback keeps it: its row is back).
    A storage that fails is logged: the row is gone either way, and ``manage.py`` can find files without rows."""

    def delete():
        try:
            storage.delete(name)
        except storage_errors() as error:
            logger.error("Could not delete %s from the media storage: %s", name, error)
        else:
            remove_empty_folders(storage, name)

    transaction.on_commit(delete)


def remove_empty_folders(storage, name):
    """Remove the folders that deleting the media file ``name`` left empty: a photo's own folder of renditions,
    then a month's or a year's that held nothing else. Only folders on local disk inside MEDIA_ROOT (which stays),
    and only empty ones; a storage without local files (S3 object storage, which has no folders) is left alone."""
    try:
        folder = Path(storage.path(name)).parent.resolve()
    except NotImplementedError:
        return
    root = Path(settings.MEDIA_ROOT).resolve()
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()  # refuses a folder that is not empty, e.g. one a new upload has just written to
        except OSError:
            return
        folder = folder.parent


def delete_photos(photos):
    """Delete photos with their renditions, and their files once that commits: a photo deleted for rights or
    privacy reasons must not stay public at its old address, nor in every backup. (The admin refuses a photo a
    story shows before this is called: ``on_delete=PROTECT`` and ``stories_using_photos``.)"""
    from articles.models import Photo, Rendition

    photos = list(photos)
    with transaction.atomic():
        renditions = list(Rendition.objects.filter(photo__in=photos).only("file"))
        Photo.objects.filter(pk__in=[photo.pk for photo in photos]).delete()
        for field_file in [*(photo.image for photo in photos), *(rendition.file for rendition in renditions)]:
            if field_file:
                delete_file_after_commit(field_file.storage, field_file.name)


def delete_reporters(reporters):
    """Delete reporters (none with a byline: ``on_delete=PROTECT``) and their portraits' files once that commits."""
    from articles.models import Reporter

    reporters = list(reporters)
    with transaction.atomic():
        Reporter.objects.filter(pk__in=[reporter.pk for reporter in reporters]).delete()
        for reporter in reporters:
            if reporter.portrait:
                delete_file_after_commit(reporter.portrait.storage, reporter.portrait.name)


def replace_portrait(reporter, old_name):
    """After a reporter's portrait was replaced or cleared (``old_name``: the file before the save), delete the old
    file once the save commits: a portrait taken down must not stay public at its address."""
    if old_name and old_name != (reporter.portrait.name or ""):
        delete_file_after_commit(reporter.portrait.storage, old_name)


def save_photo(photo, *, new_image=False, moved_focal_point=False, user=None):
    """Save a photo edited in the admin and bring its renditions up to date, in one transaction.

    A new image (already checked and re-encoded by prepare_image_upload) gets all its renditions made again; a
    moved focal point, its card crops. If anything fails, the new file is removed with the rolled-back row. A new
    image in place of another changes every story that shows the photo (``_photo_replaced_in_stories``; ``user``
    replaced it).
    """
    from articles.models import Photo

    replaced = ""
    if new_image and photo.pk:  # the file it replaces goes once the new one is saved: no copy left at its address
        replaced = Photo.objects.filter(pk=photo.pk).values_list("image", flat=True).first() or ""
    if new_image and photo.image and not photo.image._committed:
        store_file(photo.image, photo.image.name, photo.image.file)  # a full disk is a refusal, not a partial file
    try:
        with transaction.atomic():
            if replaced and replaced != photo.image.name:
                photo.former_names = [*photo.former_names, replaced]
            photo.save()
            if replaced and replaced != photo.image.name:
                _point_texts_at(replaced, photo.image.name)  # stories showing it in their text show the new file
                delete_file_after_commit(photo.image.storage, replaced)
                transaction.on_commit(lambda: cache.delete(_rich_text_photo_key(replaced)))
                _photo_replaced_in_stories(photo, user)
            if new_image:
                make_renditions(photo, replace=True)
            elif moved_focal_point:
                make_renditions(photo, kinds=("card",), replace=True)
    except BaseException:
        if new_image and photo.image:
            photo.image.delete(save=False)
        raise


# --- Renditions ---------------------------------------------------------------------------------
# Made from the stored photo when it is stored (create_photo, the photo admin), measured fast enough for that
# (`make bench`: all renditions of a 24-megapixel JPEG well under a second); `manage.py make_renditions` fills in
# those of older photos. Pages read them from a prefetch and fall back to the nearest existing one, then to the
# original, so a page never waits for one.

RENDITION_WIDTHS = (480, 800, 1200, 1600)
CARD_WIDTHS = (480, 800, 1200)
CARD_RATIO = 3 / 2
# WebP with a JPEG fallback. AVIF works in Pillow here but its encoder doubles the time of a photo's renditions
# (measured with bench/renditions.py), so it is not made; the model accepts it should that change.
RENDITION_FORMATS = ("webp", "jpeg")
_RENDITION_SAVE = {
    "webp": ("WEBP", {"quality": 80, "method": 1}),
    "jpeg": ("JPEG", {"quality": 82, "progressive": True}),
    "avif": ("AVIF", {"quality": 60, "speed": 8}),
}


def rendition_widths(width, widths=RENDITION_WIDTHS):
    """The widths to make for an image ``width`` pixels wide: never wider than it, and its own when it is narrower."""
    chosen = [w for w in widths if w <= width]
    if width < max(widths) and width not in chosen:
        chosen.append(width)
    return chosen


def expected_renditions(photo, kinds=("full", "card"), formats=RENDITION_FORMATS):
    """The (kind, width, format) renditions a photo of its stored width and height gets."""
    crop = focal_crop(photo.width, photo.height, photo.focal_x, photo.focal_y) if photo.width and photo.height else None
    keys = []
    if "full" in kinds and photo.width:
        keys += [
            ("full", width, fmt)
            for width in rendition_widths(photo.width)
            for fmt in formats
            # With a margin: the renditions' heights are rounded step by step as they narrow (render_photo), so one
            # that comes out a pixel or two under WebP's limit is made but not counted on.
            if _encodable(fmt, width, round(photo.height * width / photo.width) + WEBP_ROUNDING_MARGIN)
        ]
    if "card" in kinds and crop:
        keys += [("card", width, fmt) for width in rendition_widths(crop[2] - crop[0], CARD_WIDTHS) for fmt in formats]
    return keys


def focal_crop(width, height, focal_x=0.5, focal_y=0.5, ratio=CARD_RATIO):
    """The largest ``ratio`` box inside width x height, centred on the focal point as far as the edges allow."""
    if width / height > ratio:
        crop_width, crop_height = max(1, round(height * ratio)), height
    else:
        crop_width, crop_height = width, max(1, round(width / ratio))
    left = min(max(round(focal_x * width - crop_width / 2), 0), width - crop_width)
    top = min(max(round(focal_y * height - crop_height / 2), 0), height - crop_height)
    return left, top, left + crop_width, top + crop_height


def _scaled(size, width):
    return width, max(1, round(size[1] * width / size[0]))


def render_photo(source, *, focal=(0.5, 0.5), kinds=("full", "card")):
    """Decode ``source`` (a file) once and yield (kind, width, Pillow image) for every rendition of ``kinds``.

    Lean on large JPEGs: the decoder's draft mode decodes at the smallest 1/2, 1/4 or 1/8 scale still large
    enough; ``reducing_gap`` averages whole blocks before the final resize; orientation and colour profile are
    applied to the reduced image, never to the full-size one.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(source, formats=["JPEG", "PNG", "WEBP"])
    with image:
        orientation = image.getexif().get(EXIF_ORIENTATION, 1)
        icc_profile = image.info.get("icc_profile")
        turned = orientation in (5, 6, 7, 8)
        raw_width, raw_height = image.size
        width, height = (raw_height, raw_width) if turned else (raw_width, raw_height)
        crop = focal_crop(width, height, *focal)
        crop_width = crop[2] - crop[0]
        full_widths = rendition_widths(width) if "full" in kinds else []
        card_widths = rendition_widths(crop_width, CARD_WIDTHS) if "card" in kinds else []
        # The smallest scale at which every rendition can still be cut: the base image all of them come from.
        scale = min(1.0, max([w / width for w in full_widths] + [w / crop_width for w in card_widths] + [0]))
        base_raw = (max(1, round(raw_width * scale)), max(1, round(raw_height * scale)))
        if image.format == "JPEG":
            image.draft(image.mode, base_raw)
        image.load()
        if image.mode not in ("RGB", "RGBA", "CMYK", "L", "LA"):
            image = _normalized(image, {"RGB", "RGBA", "L", "LA"})
        base = image.resize(base_raw, Image.Resampling.LANCZOS, reducing_gap=2.0) if image.size != base_raw else image
        base = _to_srgb(_upright(base, orientation), icc_profile)
        base = _normalized(base, {"RGB", "RGBA"})
        base.info = {}  # converted to sRGB: the source's profile and EXIF are not carried into renditions
        yield from _narrowing("full", base, full_widths)
        if card_widths:
            factor = base.width / width
            yield from _narrowing("card", base.crop(tuple(round(edge * factor) for edge in crop)), card_widths)


def _narrowing(kind, image, widths):
    """Each width from the next larger one (never more than halving with Lanczos: as sharp, much cheaper)."""
    for target in sorted(widths, reverse=True):
        if target < image.width:
            image = image.resize(_scaled(image.size, target), Image.Resampling.LANCZOS)
        yield kind, target, image


def _encodable(rendition_format, width, height):
    """Whether a rendition of this size can be written in ``rendition_format`` (WebP: 16,383 pixels a side)."""
    return rendition_format != "webp" or max(width, height) <= WEBP_MAX_SIDE


def encode_rendition(image, rendition_format):
    save_format, options = _RENDITION_SAVE[rendition_format]
    if save_format != "WEBP" and image.mode == "RGBA":
        image = _flattened(image) if save_format == "JPEG" else image
    buffer = io.BytesIO()
    image.save(buffer, format=save_format, **options)
    return buffer.getvalue()


def make_renditions(photo, *, kinds=("full", "card"), replace=False, formats=RENDITION_FORMATS):
    """Make the photo's missing renditions of ``kinds`` (all of them again with ``replace``); return the new ones.

    One transaction: if anything fails, no new row and no new file is left. Replaced files are deleted once the
    transaction commits. Safe to run twice.
    """
    from articles.models import Rendition

    existing = {(r.kind, r.width, r.format): r for r in Rendition.objects.filter(photo=photo, kind__in=kinds)}
    if not replace and existing and set(expected_renditions(photo, kinds, formats)) <= set(existing):
        if not photo.rendition_set:
            store_rendition_set(photo)  # made before pages read them from the photo
        return []  # all there: the photo is not even opened
    stored, made = [], []
    try:
        with transaction.atomic():
            making = ""  # what names this making of the renditions, when they are made again
            if replace and existing:  # their files go once this commits
                Rendition.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
                for rendition in existing.values():
                    delete_file_after_commit(rendition.file.storage, rendition.file.name)
                existing = {}
                making = uuid.uuid4().hex[:8]  # new addresses: the old ones may be kept by browsers and CDNs
            wanted = None
            with full_size_image_slot(), photo.image.open("rb") as source:
                for kind, width, image in render_photo(source, focal=(photo.focal_x, photo.focal_y), kinds=kinds):
                    for rendition_format in formats:
                        if (kind, width, rendition_format) in existing:
                            continue
                        if not _encodable(rendition_format, *image.size):
                            continue
                        wanted = Rendition(
                            photo=photo, kind=kind, width=width, height=image.height, format=rendition_format
                        )
                        wanted.making = making
                        content = encode_rendition(image, rendition_format)
                        store_file(wanted.file, "rendition", ContentFile(content))
                        stored.append(wanted.file.name)
                        wanted.save()
                        made.append(wanted)
            store_rendition_set(photo)
    except BaseException:
        storage = Rendition._meta.get_field("file").storage
        for name in stored:
            storage.delete(name)
        raise
    return made


def rendition_set_of(renditions):
    """What Photo.rendition_set keeps of its renditions: [kind, width, height, format, stored name] each."""
    return [[r.kind, r.width, r.height, r.format, r.file.name] for r in sorted(renditions, key=_rendition_order)]


def _rendition_order(rendition):
    return (rendition.kind, rendition.format, rendition.width)


def store_rendition_set(photo):
    """Copy the photo's renditions onto the photo itself (pages then show them without a query) and forget what
    pages remembered of the photo's image in rich text."""
    from articles.models import Photo, Rendition

    photo.rendition_set = rendition_set_of(Rendition.objects.filter(photo=photo))
    Photo.objects.filter(pk=photo.pk).update(rendition_set=photo.rendition_set)
    name = photo.image.name
    transaction.on_commit(lambda: cache.delete(_rich_text_photo_key(name)))


def photos_missing_renditions():
    """Photos without a full set of renditions (a photo stored before renditions existed, or the demo seed's)."""
    from articles.models import Photo

    return Photo.objects.annotate(rendition_count=Count("renditions")).filter(rendition_count=0).order_by("id")


def make_missing_renditions(*, missing_only=True, report=None):
    """Make renditions for every photo lacking them (or all again); returns (photos done, renditions made).

    Each photo in its own transaction, so a photo whose file is gone or unreadable is reported and skipped.
    ``report(photo, made, error)`` is called after each photo.
    """
    from articles.models import Photo

    photos = photos_missing_renditions() if missing_only else Photo.objects.order_by("id")
    done = total = 0
    for photo in photos.iterator():
        try:
            made = make_renditions(photo, replace=not missing_only)
        except (
            OSError,
            ValueError,
            ValidationError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as error:
            if report:
                report(photo, [], error)
            continue
        done += 1
        total += len(made)
        if report:
            report(photo, made, None)
    return done, total


@dataclass
class Picture:
    """What a page needs to show a photo: a fallback ``src``, width and height, and a srcset per format."""

    src: str
    width: int
    height: int
    srcsets: dict  # format -> "url 480w, url 800w"

    @property
    def webp_srcset(self):
        return self.srcsets.get("webp", "")

    @property
    def avif_srcset(self):
        return self.srcsets.get("avif", "")

    @property
    def jpeg_srcset(self):
        return self.srcsets.get("jpeg", "")

    @classmethod
    def of(cls, photo, kind="full", preferred_width=800):
        """Built from the renditions kept on the photo (``rendition_set``), else from renditions prefetched with it,
        never with a query; missing kinds fall back to the whole photo's renditions, a missing JPEG set to the
        original as ``src``, no renditions to the original."""
        rows = photo.__dict__.get("rendition_set")  # not read when deferred: that would be a query
        if not rows:
            prefetched = getattr(photo, "_prefetched_objects_cache", {}).get("renditions")
            rows = rendition_set_of(prefetched) if prefetched is not None else []
        return cls.of_rows(rows, photo.image.name, photo.width, photo.height, kind, preferred_width)

    @classmethod
    def of_rows(cls, rows, image_name, image_width, image_height, kind="full", preferred_width=800):
        """From rendition_set rows ([kind, width, height, format, name], sorted by kind, format and width)."""
        chosen = [row for row in rows if row[0] == kind] or [row for row in rows if row[0] == "full"]
        if not chosen:
            return cls(
                src=_media_url(image_name) if image_name else "", width=image_width, height=image_height, srcsets={}
            )
        by_format = {}
        for row in chosen:
            by_format.setdefault(row[3], []).append(row)
        webp, jpeg = by_format.get("webp"), by_format.get("jpeg")
        if webp and jpeg and {row[1] for row in jpeg} - {row[1] for row in webp}:
            # A browser that reads WebP takes the WebP source whole: one lacking the widest widths (a long
            # infographic, too tall for WebP there) held it to the narrow ones. JPEG alone, every width.
            del by_format["webp"]
        srcsets = {
            fmt: ", ".join(f"{_media_url(row[4])} {row[1]}w" for row in items) for fmt, items in by_format.items()
        }
        largest = max(chosen, key=lambda row: row[1])
        jpegs = by_format.get("jpeg")
        if jpegs:
            fallback = next((row for row in jpegs if row[1] >= preferred_width), jpegs[-1])
            src = _media_url(fallback[4])
        else:
            src = _media_url(image_name)
        return cls(src=src, width=largest[1], height=largest[2], srcsets=srcsets)


# What a shared link shows: wide enough for a large preview card (Open Graph, Google's article image), far below
# the size limits of X (5 MB) and Facebook (8 MB) that a camera original can pass.
SHARE_IMAGE_WIDTH = 1200


def share_image(photo):
    """(URL, width, height) of ``photo`` for og:image and the JSON-LD: its whole-photo JPEG rendition 1,200 pixels
    wide (or the widest one, for a narrower photo), read from the renditions kept on it; the original when it has
    none. No query. A portrait photo is shared as its card crop (3:2 around the focal point): the platforms show a
    shared link's picture in a wide frame and cut a tall one around its middle."""
    rows = photo.__dict__.get("rendition_set") or []  # sorted by kind, format and width
    jpegs = [row for row in rows if row[0] == "full" and row[3] == "jpeg"]
    if (photo.height or 0) > (photo.width or 0):
        jpegs = [row for row in rows if row[0] == "card" and row[3] == "jpeg"] or jpegs
    if not jpegs:
        return photo.image.url, photo.width, photo.height
    row = next((row for row in jpegs if row[1] >= SHARE_IMAGE_WIDTH), jpegs[-1])
    return _media_url(row[4]), row[1], row[2]


def _media_url(name):
    """The URL of a stored file (what ``FieldFile.url`` gives) without building a FieldFile."""
    from django.core.files.storage import default_storage

    return default_storage.url(name)


_RICH_TEXT_IMAGE = re.compile(r"<img\s[^>]*>")
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')


def _media_name(src):
    media_url = settings.MEDIA_URL
    if not src.startswith(media_url):
        return ""
    return unquote(src[len(media_url) :])


def rich_text_image_names(*fragments):
    """Stored names of our own photos shown in rich text (``<img src="/media/photos/...">``)."""
    names = set()
    for html in fragments:
        for tag in _RICH_TEXT_IMAGE.findall(html or ""):
            src = dict(_ATTRIBUTE.findall(tag)).get("src", "")
            name = _media_name(html_unescape(src))
            if name.startswith("photos/"):
                names.add(name)
    return names


def _rich_text_photo_key(name):
    return "newsroom:rich-text-photo:" + hashlib.sha256(name.encode()).hexdigest()[:32]


RICH_TEXT_PHOTO_SECONDS = 24 * 3600  # a photo's renditions rarely change; making them forgets the entry at once


def stories_using_photos(photos):
    """The stories (the trash's included) that show one of ``photos``: as their lead photo, one of their photos or
    an entry's, or in their text or an entry's by its address (put there with CKEditor). Deleting such a photo
    would leave a hole in the story."""
    from articles.models import Article

    ids = [photo.pk for photo in photos]
    used = Q(lead_photo__in=ids) | Q(article_photos__photo__in=ids) | Q(experience_entries__photo__in=ids)
    for name in (photo.image.name for photo in photos if photo.image):
        used |= Q(body__contains=name) | Q(experience_entries__body__contains=name)
    return list(Article.all_objects.filter(pk__in=Article.all_objects.filter(used).values("pk")).order_by("pk"))


def _photo_replaced_in_stories(photo, user):
    """After ``photo``'s file was replaced, every story that shows it has changed, as an edit would have changed
    it: a form opened before is refused as out of date (saved, it would put the old address back: a deleted file);
    a story in review loses its sign-offs and a scheduled one its schedule (what goes out is what was checked); a
    live one is modified now (its dateModified, the feeds' and the sitemaps' times); each story's workflow history
    says who replaced which photo. Stories in the trash only stop old forms."""
    from django.db.models import F

    from articles.models import Article, Transition
    from articles.querysets import Status

    stories = stories_using_photos([photo])
    if not stories:
        return
    unrecorded = [story for story in stories if story.deleted_at is not None or story.status == Status.DRAFT]
    # A workflow step counts as an edit (``_record``); the stories that get none count this one here.
    Article.all_objects.filter(pk__in=[story.pk for story in unrecorded]).update(edit_count=F("edit_count") + 1)
    comment = _("The file of photo %(photo)s (%(alt)s) was replaced.") % {"photo": photo.pk, "alt": photo.alt_text}
    for story in stories:
        if story in unrecorded:
            continue
        if not reset_review_after_change(story, user) and story.is_published():
            Article.all_objects.filter(pk=story.pk).update(updated_at=timezone.now())
        story.refresh_from_db(fields=["status"])
        _record(story, user, Transition.Action.PHOTO_REPLACED, story.status, comment=comment)
    page_cache.content_changed()


def _replaced_image_names(*fragments):
    """{old stored name: current stored name} for the images of rich-text ``fragments`` whose photo's file has been
    replaced since (``Photo.former_names``)."""
    from articles.models import Photo

    names = rich_text_image_names(*fragments)
    gone = names - set(Photo.objects.filter(image__in=names).values_list("image", flat=True)) if names else set()
    if not gone:
        return {}
    moved = {}
    for current, former in Photo.objects.exclude(former_names=[]).values_list("image", "former_names"):
        moved.update({name: current for name in former if name in gone})
    return moved


def with_current_files(html):
    """Rich text whose images of photos replaced since (``Photo.former_names``) show their current file: a form
    opened before a replacement and saved after it (a deliberate save past the conflict) put the deleted file's
    address back."""
    for old_name, new_name in _replaced_image_names(html).items():
        html = html.replace(old_name, new_name)
    return html


def _point_texts_at(old_name, new_name):
    """Stories' and entries' texts showing the stored image ``old_name`` (by its address) show ``new_name``
    instead: a photo's file replaced in the admin is replaced in every text that shows it (the old file is then
    deleted: a replacement made for rights or privacy leaves no copy in use)."""
    from django.db.models import F, Value
    from django.db.models.functions import Replace

    from articles.models import Article, ExperienceEntry

    for model in (Article.all_objects, ExperienceEntry.objects):
        model.filter(body__contains=old_name).update(body=Replace(F("body"), Value(old_name), Value(new_name)))


def rich_text_photos(*fragments):
    """{stored name: (rendition_set rows, width, height)} of our own photos shown in the rich-text ``fragments``.

    Read from Django's cache; the photos not found there come in ONE query on photos (their renditions are kept on
    the photo), on the primary database (what is remembered must not come from a read replica that has not
    replayed the new renditions yet), and are remembered. Making a photo's renditions forgets its entry
    (``store_rendition_set``). Nothing runs when the text shows no photo of ours.
    """
    from articles.models import Photo

    names = rich_text_image_names(*fragments)
    if not names:
        return {}
    keys = {_rich_text_photo_key(name): name for name in names}
    found = {keys[key]: value for key, value in cache.get_many(list(keys)).items()}
    missing = names - set(found)
    if missing:
        fresh = {
            name: (rows, width, height)
            for name, rows, width, height in Photo.objects.using("default")
            .filter(image__in=missing)
            .values_list("image", "rendition_set", "width", "height")
        }
        cache.set_many({_rich_text_photo_key(name): value for name, value in fresh.items()}, RICH_TEXT_PHOTO_SECONDS)
        found.update(fresh)
    return found


_TABLE_FIGURE = re.compile(r'<figure class="table">')
_TABLE_OWN_CAPTION = re.compile(r"\s*<table[^>]*>\s*<caption>(.*?)</caption>", re.S)  # right after <table>
_TABLE_FIGCAPTION = re.compile(r"\s*<figcaption>(.*?)</figcaption>", re.S)  # right after </table>


def scrollable_tables(html):
    """Rich text whose tables (CKEditor wraps each in ``<figure class="table">``) are named regions a keyboard can
    reach: on a phone a wide table scrolls sideways inside its figure (static/css/site.css), and a region that scrolls
    must take the focus for arrow keys to move it. Each region is named by its table's own caption (not a photo's
    inside a cell), or numbered when a text has several (two regions of one name are one too many for a screen
    reader's list of them). A table that fits its column is neither a region nor a stop of the Tab key:
    static/js/site-nav.js takes both away while it fits. ``html`` was sanitised on save; only attributes are added."""
    if not html or "<figure" not in html:
        return html
    figures = list(_TABLE_FIGURE.finditer(html))
    parts, done = [], 0
    for number, figure in enumerate(figures, start=1):
        caption = _TABLE_OWN_CAPTION.match(html, figure.end())
        if caption is None:
            table_end = html.find("</table>", figure.end())
            caption = _TABLE_FIGCAPTION.match(html, table_end + len("</table>")) if table_end != -1 else None
        caption_text = html_to_text(caption.group(1)).strip() if caption else ""
        if caption_text:
            label = _("%(caption)s (table, scrolls sideways)") % {"caption": caption_text}
        elif len(figures) > 1:
            label = _("Table %(number)d, scrolls sideways") % {"number": number}
        else:
            label = _("Table, scrolls sideways")
        parts += [html[done : figure.start()], format_html(
            '<figure class="table" tabindex="0" role="region" aria-label="{}">', label
        )]  # fmt: skip
        done = figure.end()
    return "".join([*parts, html[done:]])


def responsive_images(html, photos, sizes):
    """Rich text with each of our own photos as a <picture>: WebP and JPEG srcsets, sizes, width and height.

    ``html`` was sanitised on save (so its <img> tags hold only src, alt, width and height, double-quoted);
    ``photos`` is what rich_text_photos returned; images that are not ours or have no renditions stay as they are.
    """
    if not html or not photos:
        return html

    def picture(name, found, alt):
        rendered = Picture.of_rows(found[0], name, found[1], found[2], "full")
        source = ""
        if rendered.webp_srcset:
            source = format_html('<source type="image/webp" srcset="{}" sizes="{}">', rendered.webp_srcset, sizes)
        return format_html(
            '<picture>{}<img src="{}"{} sizes="{}" width="{}" height="{}" alt="{}" loading="lazy" decoding="async">'
            "</picture>",
            source,
            rendered.src,
            format_html(' srcset="{}"', rendered.jpeg_srcset) if rendered.jpeg_srcset else "",
            sizes,
            rendered.width,
            rendered.height,
            alt,
        )

    def replace(match):
        attributes = dict(_ATTRIBUTE.findall(match.group(0)))
        name = _media_name(html_unescape(attributes.get("src", "")))
        found = photos.get(name)
        if not found or not found[0]:  # not ours, or no renditions yet
            return match.group(0)
        alt = html_unescape(attributes.get("alt", ""))
        key = ("rich text", name, tuple(map(tuple, found[0])), found[1], found[2], alt, sizes)
        return cards.memo_markup(key, lambda: picture(name, found, alt))  # made once per photo, text and size

    return _RICH_TEXT_IMAGE.sub(replace, html)


# --- Roles --------------------------------------------------------------------------------------

REPORTER_GROUP = "记者"
EDITOR_GROUP = "编辑"
CHIEF_EDITOR_GROUP = "主编"

_REPORTER_PERMISSIONS = [
    "add_article", "change_article", "view_article", "delete_article",
    "add_byline", "change_byline", "delete_byline", "view_byline",
    "add_articlephoto", "change_articlephoto", "delete_articlephoto", "view_articlephoto",
    "add_experienceentry", "change_experienceentry", "delete_experienceentry", "view_experienceentry",
    "add_photo", "change_photo", "view_photo",
    "view_reporter", "view_section", "view_topic", "view_organization", "view_bylinerole",
    "view_transition",
]  # fmt: skip
_EDITOR_PERMISSIONS = _REPORTER_PERMISSIONS + [
    "publish_article", "edit_any_article", "review_article", "share_article",
    "add_reporter", "change_reporter", "add_section", "change_section", "add_topic", "change_topic",
    "add_organization", "change_organization", "add_bylinerole", "change_bylinerole", "delete_photo",
    "add_correction", "change_correction", "delete_correction", "view_correction",
    "view_frontpageslot", "change_frontpageslot", "add_frontpageslot",
    "add_sharelink", "change_sharelink", "view_sharelink",
    "add_watchword", "change_watchword", "delete_watchword", "view_watchword",
    "view_trashedarticle", "change_trashedarticle",
]  # fmt: skip
_CHIEF_EDITOR_PERMISSIONS = _EDITOR_PERMISSIONS + [
    "override_checks", "purge_article", "delete_trashedarticle",
    "delete_reporter", "delete_section", "delete_topic", "delete_organization", "delete_bylinerole",
    "delete_frontpageslot", "delete_sharelink",
    # Marking a colleague who has left as departed, which deactivates her login (editors could lock colleagues out).
    "end_reporter_login",
    # Lifting a colleague's login lock (django-axes) by deleting its attempt; reading the logins and failures.
    "axes.view_accessattempt", "axes.delete_accessattempt", "axes.view_accesslog", "axes.view_accessfailurelog",
    # Finding a new colleague's login (made by the site's administrator) to link to her reporter's profile: the
    # profile's lookup of logins was refused (403), and only a user id typed blind was left.
    "auth.view_user",
]  # fmt: skip
ROLE_PERMISSIONS = {
    REPORTER_GROUP: _REPORTER_PERMISSIONS,
    EDITOR_GROUP: _EDITOR_PERMISSIONS,
    CHIEF_EDITOR_GROUP: _CHIEF_EDITOR_PERMISSIONS,
}


def grant_newsroom_permissions(apps, schema_editor=None):
    """A data migration's step (``RunPython(services.grant_newsroom_permissions)``): the permissions of the models as
    that migration knows them are created now (Django creates them only after all migrations), then the newsroom's
    groups get theirs (``ensure_newsroom_groups``)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_newsroom_groups(apps)


def ensure_newsroom_groups(apps=None):
    """Create (or complete) the reporter, editor and chief-editor groups with their permissions.

    Called by data migrations (with the historical ``apps``) and by the demo content; returns the groups in
    that order. A permission is the newsroom's own codename or another app's ``app_label.codename``; each is
    granted once the models in ``apps`` define it: on a new database migration 0006 may run before django-axes' own
    migrations, and 0023 (which follows them) grants its permissions; a permission a later migration adds to one of
    ours (0035's ``end_reporter_login``) is granted by that migration.
    """
    live = apps is None  # the models as they are now define every permission: a misspelt one is an error
    if live:
        from django.apps import apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    defined = None if live else _defined_permissions(apps)

    groups = []
    for name, permissions in ROLE_PERMISSIONS.items():
        wanted = {pair for pair in map(_app_and_codename, permissions) if defined is None or pair in defined}
        candidates = Permission.objects.filter(
            content_type__app_label__in={app_label for app_label, _codename in wanted},
            codename__in={codename for _app_label, codename in wanted},
        ).select_related("content_type")
        found = [p for p in candidates if (p.content_type.app_label, p.codename) in wanted]
        missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
        if missing:
            raise RuntimeError(f"Permissions missing (run migrate first): {sorted(missing)}")
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(found)
        groups.append(group)
    return tuple(groups)


def _defined_permissions(apps):
    """The (app_label, codename) of every permission the models in ``apps`` define, their own and Django's."""
    defined = set()
    for model in apps.get_models():
        opts = model._meta
        defined.update((opts.app_label, f"{action}_{opts.model_name}") for action in opts.default_permissions)
        defined.update((opts.app_label, codename) for codename, _name in opts.permissions)
    return defined


def _app_and_codename(permission):
    """("axes", "view_accessattempt") for "axes.view_accessattempt"; ("articles", codename) for a bare codename."""
    app_label, _dot, codename = permission.rpartition(".")
    return app_label or "articles", codename


# --- Reporters who have left ---------------------------------------------------------------------
# A reporter marked as departed (在职 unticked) loses her login at once: before, only the site's administrator
# could deactivate it, and she went on logging in and editing her drafts. Her stories and page stay.


def check_may_end_login(user, login):
    """Raise a ValidationError saying why, unless ``user`` may deactivate ``login`` by marking its reporter as
    departed: a chief editor or the site's administrator may, but nobody ends her own login this way, and a chief
    editor never ends the administrator's (either would lock out the one who can undo it)."""
    if login.pk == user.pk:
        raise ValidationError(
            _(
                "This is your own login: marking yourself as departed would lock you out at once. "
                "Ask the site's administrator."
            ),
            code="own_login",
        )
    if not user.has_perm("articles.end_reporter_login"):
        raise ValidationError(
            _(
                "Only a chief editor may mark a reporter with a login as departed: it deactivates her login "
                "(%(username)s)."
            )
            % {"username": login.get_username()},
            code="chief_editors_only",
        )
    if login.is_superuser and not user.is_superuser:
        raise ValidationError(
            _("%(username)s is the site administrator's login: only the administrator may deactivate it.")
            % {"username": login.get_username()},
            code="administrator_login",
        )


def end_login(login):
    """Deactivate ``login`` (Django's ``is_active``) and end its sessions now; returns how many were ended. Making
    it active again is left to the site's administrator, deliberately."""
    login.is_active = False
    login.save(update_fields=["is_active"])
    return end_sessions(login)


def end_sessions(login):
    """End every session of ``login`` in the store the settings use (DJANGO_SESSION_STORE): each is deleted, from the
    database and, for ``cached_db``, from the cache as well. Sessions kept in the cache alone cannot be listed: their
    login is refused at the next request all the same (Django does not let an inactive user in), and the session is
    flushed there (``articles.middleware.SessionActivityMiddleware``)."""
    from importlib import import_module

    from django.contrib.auth import SESSION_KEY

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    login_id = login._meta.pk.value_to_string(login)
    ended = 0
    # Only staff have sessions (readers never log in): the newsroom's, not one per reader.
    sessions = store_class.get_model_class().objects.filter(expire_date__gt=timezone.now())
    for key, data in sessions.values_list("session_key", "session_data").iterator():
        store = store_class(key)
        if store.decode(data).get(SESSION_KEY) == login_id:
            store.delete()
            ended += 1
    return ended


# --- History ------------------------------------------------------------------------------------
# Versions are stored by django-reversion (an article with its bylines, photo links and entries in one revision);
# reading them as snapshots, comparing two and restoring one is ours, so that a restore brings back the text and
# never the publishing state.

HISTORY_TEXT_FIELDS = [
    "kicker", "headline", "subtitle", "summary", "pull_quote", "body", "source", "dateline_place",
    "lead_photo_caption", "print_page_number", "print_page_name",
]  # fmt: skip
HISTORY_RESTORED_FIELDS = HISTORY_TEXT_FIELDS + [
    "section_id",
    "dateline_on",
    "lead_photo_id",
    "print_issue_on",
]
_BYLINE_FIELDS = ["reporter_id", "role_id", "order"]
_PHOTO_FIELDS = ["photo_id", "caption", "order"]
_ENTRY_FIELDS = ["organization_id", "title", "highlight", "body", "photo_id", "caption", "form", "order"]


def register_history():
    """Put the article and its parts under version control (called once from the app's ready())."""
    import reversion

    from articles.models import Article, ArticlePhoto, Byline, ExperienceEntry

    for model in (Byline, ArticlePhoto, ExperienceEntry):
        if not reversion.is_registered(model):
            reversion.register(model)
    if not reversion.is_registered(Article):
        reversion.register(Article, follow=("bylines", "article_photos", "experience_entries"))


def article_versions(article):
    """The article's versions, newest first, with their revision (time, user, comment) loaded."""
    from reversion.models import Version

    return Version.objects.get_for_object(article).select_related("revision", "revision__user__reporter")


def _rows(version, model):
    """The field dicts of one model's versions in the same revision that belong to the versioned article."""
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(model)
    rows = [v.field_dict for v in version.revision.version_set.all() if v.content_type_id == content_type.pk]
    article_id = int(version.object_id)
    return sorted((row for row in rows if row["article_id"] == article_id), key=lambda row: (row["order"], row["id"]))


def version_snapshot(version):
    """A version as plain data: the article's fields, and its bylines, photo links and entries in order."""
    from articles.models import ArticlePhoto, Byline, ExperienceEntry

    return {
        "fields": version.field_dict,
        "bylines": _rows(version, Byline),
        "photos": _rows(version, ArticlePhoto),
        "entries": _rows(version, ExperienceEntry),
    }


def _readable_parts(snapshot):
    """The snapshot as (label, text) pairs a person can compare: names instead of ids."""
    from articles.models import (
        Article,
        ArticlePhoto,
        Byline,
        BylineRole,
        ExperienceEntry,
        Organization,
        Photo,
        Reporter,
        Section,
    )

    fields, bylines, photos, entries = (snapshot[key] for key in ("fields", "bylines", "photos", "entries"))
    reporters = _names_with_merged(Reporter, [b["reporter_id"] for b in bylines])
    roles = dict(BylineRole.objects.filter(pk__in=[b["role_id"] for b in bylines]).values_list("pk", "name"))
    photo_ids = [p["photo_id"] for p in photos] + [e["photo_id"] for e in entries if e["photo_id"]]
    alt_texts = dict(Photo.objects.filter(pk__in=photo_ids).values_list("pk", "alt_text"))
    organizations = _names_with_merged(Organization, [e["organization_id"] for e in entries])
    section = Section.objects.filter(pk=fields.get("section_id")).values_list("name", flat=True).first() or ""

    def label(model, name=None):
        return capfirst(model._meta.get_field(name).verbose_name if name else model._meta.verbose_name_plural)

    parts = []
    for name in HISTORY_TEXT_FIELDS:
        value = fields.get(name) or ""
        parts.append((label(Article, name), html_to_text(value) if name == "body" else str(value)))
    parts.append((label(Article, "section"), section))
    parts.append((label(Article, "dateline_on"), str(fields.get("dateline_on") or "")))
    gone = _("(deleted since)")  # a person, role, photo or organisation no longer there: it was shown as "?"
    byline_lines = [f"{roles.get(b['role_id'], gone)} {reporters.get(b['reporter_id'], gone)}" for b in bylines]
    parts.append((label(Byline), "\n".join(byline_lines)))
    photo_lines = [f"{alt_texts.get(p['photo_id'], gone)}：{p['caption']}" for p in photos]
    parts.append((label(ArticlePhoto), "\n".join(photo_lines)))
    for number, entry in enumerate(entries, start=1):
        heading = f"{organizations.get(entry['organization_id'], gone)}：{entry['title']}"
        body = "\n".join(filter(None, [heading, entry["highlight"], html_to_text(entry["body"]), entry["caption"]]))
        parts.append((f"{capfirst(ExperienceEntry._meta.verbose_name)} {number}", body))
    return parts


# Comparing two sequences (the lines of two texts, or the characters of two lines) costs up to the product of their
# lengths: a reporter's two saves of a 300,000-character body took a worker 543 s per view of the history page. The
# lines the two texts begin and end with in common are set aside first, which is all most edits leave to compare;
# what remains is compared line by line and then, within changed lines, character by character, while the work
# (the products of the lengths compared) stays within this budget, shared by every part of one comparison. Past it,
# a changed place is shown removed and added whole.
DIFF_BUDGET = 4_000_000


def _diff_html(old, new, budget=None):
    """The differences of two texts as HTML with <del> and <ins>, line by line and, within changed lines,
    character by character, within ``budget`` (a one-item list, shared by the calls of one comparison); everything
    escaped, line breaks as <br>."""
    import difflib

    from django.utils.html import escape

    budget = budget if budget is not None else [DIFF_BUDGET]
    old_lines, new_lines = old.split("\n"), new.split("\n")
    shortest = min(len(old_lines), len(new_lines))
    head = 0
    while head < shortest and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    while tail < shortest - head and old_lines[-1 - tail] == new_lines[-1 - tail]:
        tail += 1
    old_middle = old_lines[head : len(old_lines) - tail]
    new_middle = new_lines[head : len(new_lines) - tail]
    pieces = [escape(line) for line in old_lines[:head]]
    if len(old_middle) * len(new_middle) <= budget[0]:
        budget[0] -= len(old_middle) * len(new_middle)
        opcodes = difflib.SequenceMatcher(a=old_middle, b=new_middle, autojunk=False).get_opcodes()
    else:  # too much to compare: the whole changed stretch, removed and added
        opcodes = [("replace", 0, len(old_middle), 0, len(new_middle))]
        budget[0] = 0
    for tag, a_start, a_end, b_start, b_end in opcodes:
        if tag == "equal":
            pieces.extend(escape(line) for line in old_middle[a_start:a_end])
            continue
        removed, added = old_middle[a_start:a_end], new_middle[b_start:b_end]
        # Changed lines side by side, in order; what one side has more of is removed or added whole.
        for old_line, new_line in zip(removed, added, strict=False):
            work = len(old_line) * len(new_line)
            if work <= budget[0]:
                budget[0] -= work
                pieces.append(_character_diff_html(old_line, new_line))
            else:
                pieces.append(f"<del>{escape(old_line)}</del><ins>{escape(new_line)}</ins>")
        paired = min(len(removed), len(added))
        pieces.extend(f"<del>{escape(line)}</del>" for line in removed[paired:])
        pieces.extend(f"<ins>{escape(line)}</ins>" for line in added[paired:])
    pieces.extend(escape(line) for line in old_lines[len(old_lines) - tail :])
    return "<br>".join(pieces)


def _character_diff_html(old, new):
    import difflib

    from django.utils.html import escape

    pieces = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(escape(old[a_start:a_end]))
            continue
        if a_end > a_start:
            pieces.append(f"<del>{escape(old[a_start:a_end])}</del>")
        if b_end > b_start:
            pieces.append(f"<ins>{escape(new[b_start:b_end])}</ins>")
    return "".join(pieces)


def _names_with_merged(model, ids):
    """{id: name} of the reporters or organisations ``ids``, one merged since into another (``FormerSlug``) named as
    the one kept, as a restore brings it back (``_existing_targets_only``): a version from before a merge compared
    with one after it showed its byline or entry changed from （已删除） to the one kept, though nobody changed it."""
    from articles.models import FormerSlug

    names = dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))
    gone = set(ids) - set(names)
    if gone:
        merged = dict(
            FormerSlug.objects.filter(model=model._meta.model_name, former_object_id__in=gone).values_list(
                "former_object_id", "object_id"
            )
        )
        kept = dict(model.objects.filter(pk__in=merged.values()).values_list("pk", "name"))
        names.update({old: kept[new] for old, new in merged.items() if new in kept})
    return names


def compare_versions(old_version, new_version):
    """The parts that differ between two versions: a list of (label, diff HTML)."""
    from django.utils.safestring import mark_safe

    old_parts = dict(_readable_parts(version_snapshot(old_version)))
    new_parts = _readable_parts(version_snapshot(new_version))
    labels = [label for label, _text in new_parts] + [label for label in old_parts if label not in dict(new_parts)]
    new_by_label = dict(new_parts)
    changes = []
    budget = [DIFF_BUDGET]  # one for the whole comparison: a roundup has many parts
    for label in labels:
        old_text, new_text = old_parts.get(label, ""), new_by_label.get(label, "")
        if old_text != new_text:
            # _diff_html escapes every piece of both texts; only its own <ins>/<del> tags are markup.
            diff = _diff_html(old_text, new_text, budget)
            changes.append((label, mark_safe(diff)))  # noqa: S308  # nosec B308, B703
    return changes


def _existing_targets_only(snapshot):
    """Leave out the bylines, photo links and entries whose reporter, role, photo or organisation no longer exists,
    and links to a lead photo or section that is gone; ``snapshot["skipped"]`` counts what was left out."""
    from articles.models import BylineRole, FormerSlug, Organization, Photo, Reporter, Section

    def existing(model, ids):
        return set(model.objects.filter(pk__in=[i for i in ids if i]).values_list("pk", flat=True))

    reporters = existing(Reporter, [b["reporter_id"] for b in snapshot["bylines"]])
    # A reporter merged since into another (merge_reporters): her bylines come back as the kept one's, rather than
    # being left out (a repeat of a byline the version already gives the kept one is left out as the merge did).
    gone = {b["reporter_id"] for b in snapshot["bylines"]} - reporters
    merged = dict(
        FormerSlug.objects.filter(model="reporter", former_object_id__in=gone).values_list(
            "former_object_id", "object_id"
        )
    )
    seen = {(b["reporter_id"], b["role_id"]) for b in snapshot["bylines"] if b["reporter_id"] not in merged}
    for byline in list(snapshot["bylines"]):
        if byline["reporter_id"] in merged:
            byline["reporter_id"] = merged[byline["reporter_id"]]
            if (byline["reporter_id"], byline["role_id"]) in seen:
                snapshot["bylines"].remove(byline)
            seen.add((byline["reporter_id"], byline["role_id"]))
    reporters |= existing(Reporter, merged.values())
    roles = existing(BylineRole, [b["role_id"] for b in snapshot["bylines"]])
    photos = existing(
        Photo,
        [p["photo_id"] for p in snapshot["photos"]]
        + [e["photo_id"] for e in snapshot["entries"]]
        + [snapshot["fields"].get("lead_photo_id")],
    )
    organizations = existing(Organization, [e["organization_id"] for e in snapshot["entries"]])
    # An organisation merged since into another (services.merge_organizations): its entries come back as the kept
    # one's, rather than being left out.
    gone = {e["organization_id"] for e in snapshot["entries"]} - organizations
    merged = dict(
        FormerSlug.objects.filter(model="organization", former_object_id__in=gone).values_list(
            "former_object_id", "object_id"
        )
    )
    for entry in snapshot["entries"]:
        if entry["organization_id"] in merged:
            entry["organization_id"] = merged[entry["organization_id"]]
    organizations |= existing(Organization, merged.values())
    kept = {
        "bylines": [b for b in snapshot["bylines"] if b["reporter_id"] in reporters and b["role_id"] in roles],
        "photos": [p for p in snapshot["photos"] if p["photo_id"] in photos],
        "entries": [e for e in snapshot["entries"] if e["organization_id"] in organizations],
    }
    for entry in kept["entries"]:
        if entry["photo_id"] not in photos:
            entry["photo_id"] = None
    fields = dict(snapshot["fields"])
    if fields.get("lead_photo_id") not in photos:
        fields["lead_photo_id"] = None
    if not Section.objects.filter(pk=fields.get("section_id")).exists():
        fields.pop("section_id", None)  # keep the current section rather than none
    skipped = sum(len(snapshot[key]) - len(kept[key]) for key in kept)
    # Named in the restore's record (a count said nothing of which entry's words did not come back): an entry by
    # its title, a photo by its caption; a byline's person is what is gone.
    left_out = [
        _("the entry “%(title)s”") % {"title": entry["title"]}
        for entry in snapshot["entries"]
        if entry not in kept["entries"]
    ] + [
        _("the photo “%(caption)s”") % {"caption": photo["caption"]} if photo["caption"] else _("a photo")
        for photo in snapshot["photos"]
        if photo not in kept["photos"]
    ]
    bylines = len(snapshot["bylines"]) - len(kept["bylines"])
    if bylines:
        left_out.append(ngettext("%(count)d byline", "%(count)d bylines", bylines) % {"count": bylines})
    return {**snapshot, **kept, "fields": fields, "skipped": skipped, "left_out": left_out}


# What a reader sees of a story and of its entries, as the publication findings read it (True: rich text): what a
# save or a restore of a live story may not bring a sensitive word or an image without alt text into.
LIVE_TEXT_FIELDS = {
    "kicker": False,
    "headline": False,
    "subtitle": False,
    "summary": False,
    "pull_quote": False,
    "body": True,
    "lead_photo_caption": False,
}
LIVE_ENTRY_TEXT_FIELDS = {"title": False, "highlight": False, "body": True, "caption": False}


def _live_restore_findings(article, snapshot):
    """What restoring ``snapshot`` on the live ``article`` would put on the site unchecked, as a save of the live
    story is refused for it: an image without alt text in a text that changes, a sensitive word the story does
    not hold now."""
    fields = snapshot["fields"]
    entries = list(article.experience_entries.order_by("order", "id"))
    changes = [
        (name, getattr(article, name) or "", fields.get(name) or "", rich)
        for name, rich in LIVE_TEXT_FIELDS.items()
        if name in fields and (fields.get(name) or "") != (getattr(article, name) or "")
    ]
    for name, rich in LIVE_ENTRY_TEXT_FIELDS.items():
        now = "\n".join(getattr(entry, name) or "" for entry in entries)
        changes += [
            (f"entry {number} {name}", now, row[name] or "", rich)
            for number, row in enumerate(snapshot["entries"], start=1)
            if (row[name] or "") not in now
        ]
    captions = "\n".join(article.article_photos.values_list("caption", flat=True))
    changes += [
        (f"photo {number} caption", captions, row["caption"] or "", False)
        for number, row in enumerate(snapshot["photos"], start=1)
        if (row["caption"] or "") not in captions
    ]
    findings = new_sensitive_words(changes)
    for field, _old, new, rich in changes:
        if rich:
            part = "body image" if field == "body" else f"{field} image"
            findings += [Finding(Finding.MISSING, f"{part} {number}") for number in images_without_alt(new)]
    return findings


def _free_ids(model, rows):
    """{id: id} of the ``rows``' ids that no row of ``model`` holds now."""
    ids = [row["id"] for row in rows if row.get("id")]
    taken = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return {pk: pk for pk in ids if pk not in taken}


def restore_version(article, version, user):
    """Bring back a version's text, bylines, photo links and entries; the publishing state stays as it is.

    The restore is itself saved as a new version, so nothing is ever lost.
    """
    import reversion
    from django.db import transaction

    from articles.models import ArticlePhoto, Byline, ExperienceEntry, Transition

    if int(version.object_id) != article.pk:
        raise ValidationError(_("That version belongs to another article."))
    snapshot = _existing_targets_only(version_snapshot(version))
    texts = [snapshot["fields"].get("body") or "", *(row["body"] or "" for row in snapshot["entries"])]
    for old_name, new_name in _replaced_image_names(*texts).items():  # a photo's file replaced since: its new one
        if snapshot["fields"].get("body"):
            snapshot["fields"]["body"] = snapshot["fields"]["body"].replace(old_name, new_name)
        for row in snapshot["entries"]:
            row["body"] = (row["body"] or "").replace(old_name, new_name)
    if article.is_published():
        problems = _live_restore_findings(article, snapshot)
        if problems:
            raise WorkflowError(
                _(
                    "The version was not restored: the story is live, and it would bring in what a publish does not "
                    "let through:"
                ),
                "restore_checks",
                findings=problems,
            )
    with transaction.atomic(), reversion.create_revision():
        for name in HISTORY_RESTORED_FIELDS:
            if name in snapshot["fields"]:
                setattr(article, name, snapshot["fields"][name])
        # A print page has one name: the version's may be the page's former one (renamed since in the page's other
        # stories, which keep no version of it); the page's name on the site wins.
        if page_name := print_page_name_on_site(article):
            article.print_page_name = page_name
        article.edit_count += 1
        article.save()
        if "topics" in snapshot["fields"]:
            article.topics.set(snapshot["fields"]["topics"])
        # Each part comes back under its id of that version where it is free (nearly always): an edit form opened
        # before the restore still names its rows, and is refused as out of date rather than made to repeat them.
        # The name a byline was printed under (kept when its reporter was renamed or merged since) stays with it
        # while the byline is that reporter's, as an entry's organisation name does below.
        printed_bylines = {
            (byline_id, reporter_id): name
            for byline_id, reporter_id, name in article.bylines.exclude(printed_name="").values_list(
                "pk", "reporter_id", "printed_name"
            )
        }
        article.bylines.all().delete()
        ids = _free_ids(Byline, snapshot["bylines"])
        Byline.objects.bulk_create(
            Byline(
                article=article,
                pk=ids.get(row["id"]),
                printed_name=row.get("printed_name") or printed_bylines.get((row["id"], row["reporter_id"]), ""),
                **{name: row[name] for name in _BYLINE_FIELDS},
            )
            for row in snapshot["bylines"]
        )
        article.article_photos.all().delete()
        ids = _free_ids(ArticlePhoto, snapshot["photos"])
        ArticlePhoto.objects.bulk_create(
            ArticlePhoto(article=article, pk=ids.get(row["id"]), **{name: row[name] for name in _PHOTO_FIELDS})
            for row in snapshot["photos"]
        )
        # The name an entry was printed under (kept when its organisation was renamed since) stays with it while
        # the entry is that organisation's; a version saved before the rename holds none.
        printed = {
            (entry_id, organization_id): name
            for entry_id, organization_id, name in article.experience_entries.exclude(printed_name="").values_list(
                "pk", "organization_id", "printed_name"
            )
        }
        article.experience_entries.all().delete()
        ids = _free_ids(ExperienceEntry, snapshot["entries"])
        for row in snapshot["entries"]:
            # Saved one by one (not in bulk) so that rich text is sanitised again and each entry is versioned.
            ExperienceEntry.objects.create(
                article=article,
                pk=ids.get(row["id"]),
                printed_name=row.get("printed_name") or printed.get((row["id"], row["organization_id"]), ""),
                **{name: row[name] for name in _ENTRY_FIELDS},
            )
        for part in [*article.bylines.all(), *article.article_photos.all()]:
            reversion.add_to_revision(part)
        when = timezone.localtime(version.revision.date_created)
        comment = _("Restored the version of %(when)s") % {"when": local_time_text(when, seconds=True)}
        if snapshot["skipped"]:
            comment += _(
                " (left out, as their reporter, role, photo or organisation no longer exists: %(parts)s; their words "
                "stay in that version)"
            ) % {"parts": "、".join(snapshot["left_out"])}
        reversion.set_user(user)
        reversion.set_comment(comment)
        Transition.objects.create(
            article=article,
            action=Transition.Action.RESTORE_VERSION,
            from_status=article.status,
            to_status=article.status,
            user=user,
            comment=comment,
        )
        reindex_article(article)
    article.restore_comment = comment
    return article


# --- Checks -------------------------------------------------------------------------------------

CONTEXT_CHARACTERS = 15  # shown on each side of a word found in the text

# Tags that end a line of text: words never run across them ("<p>做</p><p>为</p>" is not 做为).
_BLOCK_TAGS = {
    "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "hr",
    "figure", "figcaption", "img", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "div",
}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """Something to look at before publishing: a missing part, a sensitive word or a miswritten word."""

    kind: str  # "missing" | "sensitive" | "miswritten"
    field: str  # model field or part name, e.g. "headline", "body", "bylines", "photo 2", "entry 3 body"
    word: str = ""
    correction: str = ""
    context: str = ""  # the text around the word, for showing the finding in place
    start: int = 0  # where the word (as written in the text) begins in ``context``
    length: int = 0  # how long it is there (full-width letters or another case may differ from ``word``)

    MISSING = "missing"
    CONFLICT = "conflict"
    SENSITIVE = "sensitive"
    MISWRITTEN = "miswritten"

    @property
    def blocks(self):
        """Missing parts, conflicts with what is on the site and sensitive words stop publication (a chief editor
        may override a sensitive word)."""
        return self.kind in {self.MISSING, self.CONFLICT, self.SENSITIVE}

    @property
    def kind_label(self):
        return {
            self.MISSING: _("Missing"),
            self.CONFLICT: _("Does not match the site"),
            self.SENSITIVE: _("Sensitive word"),
            self.MISWRITTEN: _("Miswritten word"),
        }.get(self.kind, self.kind)

    @property
    def field_label(self):
        return _field_label(self.field)

    @property
    def message(self):
        """One sentence describing the finding."""
        if self.kind == self.MISSING:
            if self.field == "headline":
                return _("The headline is missing.")
            if self.field == "section":
                return _("No section is chosen.")
            if self.field == "bylines":
                return _("There is no byline.")
            if self.field.endswith(" caption"):
                return _("%(caption)s has no photo: attach one or delete the caption.") % {"caption": self.field_label}
            if _BODY_IMAGE_FIELD.match(self.field):
                # An image put in with CKEditor keeps its alt text in the text: written from the image's toolbar.
                return _(
                    "%(photo)s has no alt text: click the image in the text, then “%(button)s” on its toolbar."
                ) % {"photo": self.field_label, "button": _("Change image alternative text")}
            return _("%(photo)s has no alt text.") % {"photo": self.field_label}
        if self.kind == self.CONFLICT:  # the only one: the print page's name (``print_page_name_conflict``)
            return _(
                "The site already calls page %(page)s of this issue “%(name)s”: give the story the same page name, "
                "or leave it empty to take the page's."
            ) % {"page": self.correction, "name": self.word}
        if self.kind == self.MISWRITTEN:
            return _("“%(word)s” in %(field)s should be written “%(correction)s”.") % {
                "word": self.word,
                "field": self.field_label,
                "correction": self.correction,
            }
        return _("Sensitive word “%(word)s” in %(field)s.") % {"word": self.word, "field": self.field_label}

    @property
    def context_before(self):
        return self.context[: self.start]

    @property
    def context_match(self):
        return self.context[self.start : self.start + self.length]

    @property
    def context_after(self):
        return self.context[self.start + self.length :]


_ENTRY_FIELD = re.compile(r"^entry (\d+) (\w+)$")
_PHOTO_FIELD = re.compile(r"^photo (\d+)(?: (\w+))?$")
_BODY_IMAGE_FIELD = re.compile(r"^(?:entry (\d+) )?body image (\d+)$")


def _field_label(field):
    """A reader's name for a Finding's field: "entry 3 body" is "第3条经验交流：正文"."""
    from articles.models import Article, ArticlePhoto, ExperienceEntry

    if match := _BODY_IMAGE_FIELD.match(field):
        image = _("image %(number)d in the body") % {"number": int(match[2])}
        return _("entry %(number)d: %(part)s") % {"number": int(match[1]), "part": image} if match[1] else image
    if match := _ENTRY_FIELD.match(field):
        number, part = int(match[1]), match[2]
        return _("entry %(number)d: %(part)s") % {
            "number": number,
            "part": ExperienceEntry._meta.get_field(part).verbose_name,
        }
    if match := _PHOTO_FIELD.match(field):
        number, part = int(match[1]), match[2]
        if part:
            return _("photo %(number)d: %(part)s") % {
                "number": number,
                "part": ArticlePhoto._meta.get_field(part).verbose_name,
            }
        return _("photo %(number)d") % {"number": number}
    if field == "bylines":
        return _("bylines")
    try:
        return str(Article._meta.get_field(field).verbose_name)
    except Exception:
        return field


# Sanitised rich text (services.sanitize_html: nh3 keeps no comment, script or unquoted "<" in text) is read with
# two regular expressions: a block's tags are line breaks, every other tag vanishes, then entities are decoded. An
# HTML parser gave the same text 15 times slower (1.1 ms for a 4 KB body), which every search result paid.
_BLOCK_TAG_PATTERN = r"</?(?:" + "|".join(sorted(_BLOCK_TAGS, key=len, reverse=True)) + r")\b[^>]*>"
_BLOCK_TAG = re.compile(_BLOCK_TAG_PATTERN)
_ANY_TAG = re.compile(r"<[^>]*>")


def html_to_text(value):
    """The text a reader sees in a piece of sanitised rich text, one block per line."""
    if not value:
        return ""
    text = html_unescape(_ANY_TAG.sub("", _BLOCK_TAG.sub("\n", value)))
    return re.sub(r"\n{2,}", "\n", text).strip()


def _is_invisible(character):
    """Format characters (zero-width spaces and joiners, soft hyphens, BOM), variation selectors, CGJ."""
    return unicodedata.category(character) == "Cf" or "\ufe00" <= character <= "\ufe0f" or character == "\u034f"


def _normalize_for_matching(value):
    """NFKC + casefold, invisible characters dropped: full-width letters, case and a zero-width space hide no word."""
    return "".join(c for c in unicodedata.normalize("NFKC", value).casefold() if not _is_invisible(c))


def _normalize_with_positions(text):
    """Return the text normalised for matching and, for each of its characters, the original index it came from.

    Each base character is normalised together with the combining marks that follow it, so an accent composes.
    """
    clusters = []
    for index, character in enumerate(text):
        if clusters and unicodedata.combining(character):
            clusters[-1][1] += character
        else:
            clusters.append([index, character])
    normalised, positions = [], []
    for index, cluster in clusters:
        piece = _normalize_for_matching(cluster)
        normalised.append(piece)
        positions.extend([index] * len(piece))
    return "".join(normalised), positions


def _one_line(value):
    return re.sub(r"\s+", " ", value)


def _word_findings(field, text, words):
    """Every occurrence of each watch word in ``text`` (original text kept for the context)."""
    if not text or not words:
        return []
    normalised, positions = _normalize_with_positions(text)
    findings = []
    covered = {Finding.SENSITIVE: [], Finding.MISWRITTEN: []}
    for key, kind, word, correction in words:  # longest first: a word inside a longer finding is not repeated
        start = normalised.find(key)
        while start != -1:
            end = start + len(key)
            if not any(a <= start and end <= b for a, b in covered[kind]):
                covered[kind].append((start, end))
                first = positions[start]
                last = positions[end - 1]
                while last + 1 < len(text) and unicodedata.combining(text[last + 1]):
                    last += 1
                before_from = max(0, first - CONTEXT_CHARACTERS)
                after_to = min(len(text), last + 1 + CONTEXT_CHARACTERS)
                before = ("…" if before_from > 0 else "") + _one_line(text[before_from:first])
                after = _one_line(text[last + 1 : after_to]) + ("…" if after_to < len(text) else "")
                matched = text[first : last + 1]
                finding = Finding(
                    kind=kind,
                    field=field,
                    word=word,
                    correction=correction,
                    context=before + matched + after,
                    start=len(before),
                    length=len(matched),
                )
                findings.append((first, finding))
            start = normalised.find(key, end)
    findings.sort(key=lambda item: item[0])
    return [finding for _first, finding in findings]


def _related(instance, name, queryset):
    """The rows of a relation: from the prefetch cache when the caller loaded it, else with ``queryset`` (one query)."""
    cache = getattr(instance, "_prefetched_objects_cache", {})
    if name in cache:
        return list(cache[name])
    if instance.pk is None:
        return []
    return list(queryset)


def images_without_source(html):
    """The numbers (from 1, in reading order) of the images of sanitised rich text left without an address: the
    sanitiser keeps only images of our own media (an image pasted from Word or WPS points at the reporter's own
    disk, file:///…; one copied from a web page at another site)."""
    return [number for number, tag in enumerate(_RICH_TEXT_IMAGE.findall(html or ""), start=1) if " src=" not in tag]


def images_without_alt(html):
    """The numbers (from 1, in reading order) of the images of sanitised rich text with no alt text: an image put in
    with the editor has none until someone writes it."""
    images = _RICH_TEXT_IMAGE.findall(html or "")
    return [
        number
        for number, tag in enumerate(images, start=1)
        if not html_unescape(dict(_ATTRIBUTE.findall(tag)).get("alt", "")).strip()
    ]


# What the editor's image upload stores as a photo's alt text when none was written (views.editor_image_upload):
# it says nothing of the photo, so a story showing it as a photo of its own still needs one.
BODY_PHOTO_STAND_IN = gettext_noop("Photo in the article body")


def has_alt_text(photo):
    """Whether ``photo`` has alt text saying what it shows: not blank, and not the upload's stand-in."""
    text = photo.alt_text.strip()
    return bool(text) and text not in {BODY_PHOTO_STAND_IN, str(_(BODY_PHOTO_STAND_IN))}


def publication_findings(article) -> list[Finding]:
    """Everything to look at before ``article`` is published, in reading order.

    Required parts (headline, section, a byline, alt text on every photo, the rich text's images included), a
    print page named otherwise on the site, then every occurrence of an active watch word (sensitive or
    miswritten) in the text a reader sees. A fixed number of queries whatever the number of words, bylines, photos
    and entries: the word list, bylines, the print page's name (for a story in print), lead photo, photos,
    entries.
    """
    from articles.models import ArticlePhoto, Byline, ExperienceEntry, WatchWord

    findings = []
    if not (article.headline or "").strip():
        findings.append(Finding(Finding.MISSING, "headline"))
    if article.section_id is None:
        findings.append(Finding(Finding.MISSING, "section"))
    if not _related(article, "bylines", Byline.objects.filter(article=article)[:1]):
        findings.append(Finding(Finding.MISSING, "bylines"))
    # Two names of one print page on the site (a reporter's draft could not see an editor's; a story restored
    # from the trash kept its old one): the issue's page showed one, the story's own reference the other.
    if page_name := print_page_name_conflict(article):
        findings.append(
            Finding(Finding.CONFLICT, "print_page_name", word=page_name, correction=article.print_page_number)
        )

    lead_photo = article.lead_photo if article.lead_photo_id else None
    photos = _related(
        article,
        "article_photos",
        ArticlePhoto.objects.filter(article=article).select_related("photo").order_by("order", "id"),
    )
    entries = _related(
        article,
        "experience_entries",
        ExperienceEntry.objects.filter(article=article).select_related("photo").order_by("order", "id"),
    )
    findings += [Finding(Finding.MISSING, f"body image {image}") for image in images_without_alt(article.body)]
    if lead_photo is not None and not has_alt_text(lead_photo):
        findings.append(Finding(Finding.MISSING, "lead_photo"))
    for number, article_photo in enumerate(photos, start=1):
        if article_photo.photo is None:  # a caption placeholder from an imported manuscript
            findings.append(Finding(Finding.MISSING, f"photo {number} caption"))
        elif not has_alt_text(article_photo.photo):
            findings.append(Finding(Finding.MISSING, f"photo {number}"))
    for number, entry in enumerate(entries, start=1):
        if entry.photo_id and not has_alt_text(entry.photo):
            findings.append(Finding(Finding.MISSING, f"entry {number} photo"))
        elif entry.caption.strip() and not entry.photo_id:
            findings.append(Finding(Finding.MISSING, f"entry {number} caption"))
        findings += [
            Finding(Finding.MISSING, f"entry {number} body image {image}") for image in images_without_alt(entry.body)
        ]

    words = {}
    for word, kind, correction in WatchWord.objects.filter(is_active=True).values_list("word", "kind", "correction"):
        key = _normalize_for_matching(word.strip())
        if key and kind in {Finding.SENSITIVE, Finding.MISWRITTEN}:
            words.setdefault((key, kind), (key, kind, word.strip(), correction.strip()))
    ordered_words = sorted(words.values(), key=lambda item: (-len(item[0]), item[1], item[0]))
    if not ordered_words:
        return findings

    texts = [
        ("kicker", article.kicker),
        ("headline", article.headline),
        ("subtitle", article.subtitle),
        ("summary", article.summary),
        ("pull_quote", article.pull_quote),
        ("body", html_to_text(article.body)),
        ("lead_photo_caption", article.lead_photo_caption),
    ]
    texts += [(f"photo {number} caption", item.caption) for number, item in enumerate(photos, start=1)]
    for number, entry in enumerate(entries, start=1):
        texts += [
            (f"entry {number} title", entry.title),
            (f"entry {number} highlight", entry.highlight),
            (f"entry {number} body", html_to_text(entry.body)),
            (f"entry {number} caption", entry.caption),
        ]
    for field, text in texts:
        findings.extend(_word_findings(field, text, ordered_words))
    return findings


def _sensitive_words():
    from articles.models import WatchWord

    words = {}
    for word in WatchWord.objects.filter(is_active=True, kind=Finding.SENSITIVE).values_list("word", flat=True):
        key = _normalize_for_matching(word.strip())
        if key:
            words.setdefault(key, (key, Finding.SENSITIVE, word.strip(), ""))
    return sorted(words.values(), key=lambda item: (-len(item[0]), item[0]))


def new_sensitive_words(changes):
    """The sensitive words (active watch words) that ``changes`` bring into a text: for each (field, old text, new
    text, rich), the findings of the new text whose word the old text did not hold. ``rich`` texts are HTML."""
    words = _sensitive_words() if changes else []
    found = []
    for field, old, new, rich in changes:
        old_text, new_text = (html_to_text(old), html_to_text(new)) if rich else (old or "", new or "")
        had = {finding.word for finding in _word_findings(field, old_text, words)}
        found += [finding for finding in _word_findings(field, new_text, words) if finding.word not in had]
    return found


# --- Concurrent editing -------------------------------------------------------------------------

PRESENCE_WINDOW_SECONDS = 120


def note_presence(article, user, now=None):
    """Mark the user as having the article's edit form open (at ``now``); return the others who have it open now."""
    from articles.models import EditPresence

    now = now or timezone.now()
    EditPresence.objects.update_or_create(article=article, user=user, defaults={"last_seen_at": now})
    since = now - datetime.timedelta(seconds=PRESENCE_WINDOW_SECONDS)
    return list(
        EditPresence.objects.filter(article=article, last_seen_at__gte=since)
        .exclude(user=user)
        .select_related("user__reporter")
    )


def leave_presence(article, user, seen):
    """The user left a page of the article's edit form that was last marked at ``seen``: they no longer have it
    open, unless a later page of theirs marked them since (a save opens the story again on a new page)."""
    from articles.models import EditPresence

    EditPresence.objects.filter(article=article, user=user, last_seen_at__lte=seen).delete()


def full_name(user):
    """The user's first and last names as people write them: a Chinese name family name first, with no space
    between (郑晓岚; Django's get_full_name gives 晓岚 郑), others as Django writes them."""
    from articles import search

    first, last = user.first_name.strip(), user.last_name.strip()
    if first and last and search.is_cjk(last + first):
        return f"{last}{first}"
    return user.get_full_name()


def staff_name(user):
    """How colleagues know a user: their full name, else the byline name of their reporter profile, else their
    login name."""
    reporter = getattr(user, "reporter", None)
    return full_name(user) or (reporter.name if reporter else "") or user.get_username()


def presence_text(presence):
    """E.g. "王编辑 也打开了这篇稿件（14:05）"."""
    user = presence.user
    name = staff_name(user)
    when = timezone.localtime(presence.last_seen_at)
    return _("%(name)s also has this article open (seen at %(time)s).") % {"name": name, "time": f"{when:%H:%M}"}


# --- Share links --------------------------------------------------------------------------------

_SHARE_LINK_SALT = "articles.share_link"


def can_share(user, article):
    """Whether ``user`` may create or revoke preview links of ``article``: the permission, and the story."""
    from articles.models import Article

    if not (user.is_authenticated and user.is_active and user.has_perm("articles.share_article")):
        return False
    return Article.objects.editable_by(user).filter(pk=article.pk).exists()


def create_share_link(article, user, note="", days=None):
    """A new preview link for an outside source, valid ``days`` days (``NEWSROOM_SHARE_LINK_DAYS`` by default)."""
    from articles.models import ShareLink

    if not can_share(user, article):
        raise PermissionDenied(_("You may not create preview links for this article."))
    days = settings.NEWSROOM_SHARE_LINK_DAYS if days is None else days
    if days <= 0:
        raise ValidationError(_("A preview link must be valid for at least one day."), code="days")
    now = timezone.now()
    return ShareLink.objects.create(
        article=article,
        note=clean_text(note or "").strip(),
        created_by=user,
        created_at=now,
        expires_at=now + datetime.timedelta(days=days),
    )


def revoke_share_link(link, user):
    """Stop a preview link from working at once; revoking it again changes nothing."""
    if not can_share(user, link.article):
        raise PermissionDenied(_("You may not revoke preview links of this article."))
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def share_link_token(link):
    """The link's key signed with the site's secret: a key that was not issued here cannot be forged."""
    return signing.Signer(salt=_SHARE_LINK_SALT).sign(link.key.hex)


def share_link_url(link):
    """The path of the public preview (build the absolute URL with ``request.build_absolute_uri``)."""
    return reverse("articles:share_preview", kwargs={"token": share_link_token(link)})


def share_link_for_token(token):
    """The ShareLink a token was issued for (revoked and expired ones included), or None if it is not genuine."""
    from articles.models import ShareLink

    try:
        key = uuid.UUID(hex=signing.Signer(salt=_SHARE_LINK_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return ShareLink.objects.filter(key=key).first()


# --- Workflow -----------------------------------------------------------------------------------
# Every change of an article's state goes through these functions. Each one checks the user's permission and the
# article's state, runs in one transaction and records a Transition (who, when, from and to, level, comment).
#
# Rules, with settings.NEWSROOM_REVIEW_LEVELS = N levels (1 by default; 3 gives 初审/复审/终审):
# - submit: a draft (new or returned) goes to review; its reporters (creator or bylined) or an editor submit it.
#   A new review round starts: no level is signed.
# - approve: an editor (review_article) signs the next level. Nobody signs two levels in the same round (a round
#   starts at the last submit or reset).
# - return: an editor sends a story in review back to its reporter as a draft, with a comment.
# - publish: an editor (publish_article) publishes a story in review once every level is signed. With ONE level,
#   publishing a story nobody has signed yet signs that level and publishes in the same step (two transitions:
#   approve, then publish or schedule); with more levels each level is signed with its own approve first. A
#   future time schedules (the story goes live by itself then); a scheduled story may be rescheduled the same way.
#   Missing parts block; sensitive words block unless the user may override the checks and gives a reason (an
#   override transition records it); miswritten words are warnings, returned to the caller.
# - unpublish: an editor takes a live or scheduled story back to draft, with a reason.
# - a change to the text, bylines or entries of a story in review after a sign-off sends it back to the first level.

REVIEWED_TEXT_FIELDS = (
    "kicker", "headline", "subtitle", "summary", "body", "pull_quote", "source", "section_id",
    "dateline_place", "dateline_on", "lead_photo_id", "lead_photo_caption",
)  # fmt: skip


class WorkflowError(ValidationError):
    """A workflow step was refused: the article's state does not allow it, or something is missing.

    ``findings`` holds the pre-publication findings that blocked a publish, if any.
    """

    def __init__(self, message, code=None, findings=()):
        super().__init__(message, code=code)
        self.findings = list(findings)


class WorkflowPermissionError(WorkflowError):
    """The user's role does not allow the step (the admin answers 403)."""


def review_levels():
    """How many levels sign a story off before it may be published (at least one)."""
    return max(1, int(settings.NEWSROOM_REVIEW_LEVELS))


def review_level_name(level, levels=None):
    """The name of review level ``level`` (1-based): 初审/复审/终审 with three levels, 审核 with one (签发, in a
    newsroom, is the release itself: publishing)."""
    levels = levels or review_levels()
    if levels == 1:
        return _("Sign-off")
    if levels == 3 and 1 <= level <= 3:
        return [_("First review"), _("Second review"), _("Final review")][level - 1]
    return _("Review level %(level)d") % {"level": level}


def may_edit_article(user, article):
    """Editors edit any story; reporters their own (created or bylined on) while it is a draft, returned ones too.

    A story in review or published is read-only to its reporters; a story in the trash is read-only to everyone.
    """
    from articles.models import Article
    from articles.querysets import Status, edits_any_article

    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if article.deleted_at is not None or not user.has_perm("articles.change_article"):
        return False
    if edits_any_article(user):
        return True
    if article.status != Status.DRAFT:
        return False
    return Article.objects.editable_by(user).filter(pk=article.pk).exists()


def _is_reporter_or_editor_of(user, article):
    from articles.models import Article
    from articles.querysets import edits_any_article

    if not (user.is_authenticated and user.is_active and user.is_staff and user.has_perm("articles.change_article")):
        return False
    return edits_any_article(user) or Article.objects.editable_by(user).filter(pk=article.pk).exists()


def _require(condition, message, code, permission=False):
    if not condition:
        raise (WorkflowPermissionError if permission else WorkflowError)(message, code=code)


def _require_perm(user, codename, message):
    _require(user.is_active and user.is_staff and user.has_perm(f"articles.{codename}"), message, "permission", True)


def _require_not_trashed(article):
    _require(article.deleted_at is None, _("The story is in the trash; restore it first."), "trashed")


def round_signers(article):
    """The ids of the users who signed a level of ``article`` in the current round (since the last submit/reset)."""
    from articles.models import Transition

    signers = set()
    steps = Transition.objects.filter(
        article=article,
        action__in=[
            Transition.Action.SUBMIT,
            Transition.Action.RESET,
            Transition.Action.RETURN,
            Transition.Action.APPROVE,
        ],
    ).order_by("id")
    for action, user_id in steps.values_list("action", "user_id"):
        if action == Transition.Action.APPROVE:
            signers.add(user_id)
        else:
            signers = set()
    return signers


def check_submit(article, user):
    from articles.querysets import Status

    _require(
        _is_reporter_or_editor_of(user, article),
        _("Only the story's reporters or an editor may submit it for review."),
        "permission",
        permission=True,
    )
    _require_not_trashed(article)
    _require(article.status == Status.DRAFT, _("Only a draft can be submitted for review."), "state")


def check_approve(article, user):
    from articles.querysets import Status

    _require_perm(user, "review_article", _("Only editors may sign off a review level."))
    _require_not_trashed(article)
    _require(article.status == Status.IN_REVIEW, _("Only a story in review can be signed off."), "state")
    _require(article.review_level < review_levels(), _("Every review level is already signed off."), "state")
    _require(
        user.pk not in round_signers(article),
        _("You have already signed off a level of this story; the next level needs another person."),
        "same_person",
    )


def check_return(article, user):
    from articles.querysets import Status

    _require_perm(user, "review_article", _("Only editors may return a story to its reporter."))
    _require_not_trashed(article)
    _require(article.status == Status.IN_REVIEW, _("Only a story in review can be returned."), "state")


def check_publish(article, user):
    """Whether ``user`` may publish (or reschedule) ``article`` now, before the pre-publication checks."""
    from articles.querysets import Status

    _require_perm(user, "publish_article", _("Only editors may publish or schedule a story."))
    _require_not_trashed(article)
    levels = review_levels()
    if article.status == Status.PUBLISHED:
        _require(article.is_scheduled(), _("The story is already published."), "state")  # rescheduling is allowed
        return
    _require(
        article.status == Status.IN_REVIEW,
        _("A draft must be submitted for review before it is published."),
        "state",
    )
    if article.review_level >= levels:
        return
    if levels == 1:  # the one level is signed by publishing
        check_approve(article, user)
        return
    raise WorkflowError(
        _("Every review level must be signed off before publishing (%(signed)d of %(levels)d are).")
        % {"signed": article.review_level, "levels": levels},
        code="not_signed",
    )


def check_unpublish(article, user):
    from articles.querysets import Status

    _require_perm(user, "publish_article", _("Only editors may unpublish a story."))
    _require_not_trashed(article)
    _require(article.status == Status.PUBLISHED, _("Only a published or scheduled story can be unpublished."), "state")


WORKFLOW_CHECKS = {
    "submit": check_submit,
    "approve": check_approve,
    "return": check_return,
    "publish": check_publish,
    "schedule": check_publish,
    "unpublish": check_unpublish,
}


def allowed_actions(article, user):
    """The workflow steps ``user`` may take on ``article`` now (the admin shows their buttons)."""
    allowed = []
    for name, check in WORKFLOW_CHECKS.items():
        try:
            check(article, user)
        except WorkflowError:
            continue
        allowed.append(name)
    return allowed


def _locked(article):
    """The article's row, locked until the end of the transaction, read afresh."""
    from articles.models import Article

    return Article.all_objects.select_for_update().get(pk=article.pk)


_PAGE_NUMBER = re.compile(r"([A-Z]{0,3})0*(\d{1,3})")


def normalized_page_number(value):
    """A print page number as the paper writes it: "a3", "A 3", "Ａ０３", "A3版" → "A03" (letters upper case, the
    number in two digits), so that one page is one page on the print-edition view and pages sort A03 before A10.
    Anything else (头版) is kept as typed, trimmed."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).upper()
    match = _PAGE_NUMBER.fullmatch(text.removesuffix("版"))  # "A3版" as the page is printed
    return f"{match[1]}{int(match[2]):02d}" if match else text


# Page numbers that name the front page: it comes first in an issue, before A01.
FRONT_PAGE_NAMES = {"头版", "一版", "封面"}


def is_numbered_page(number):
    """Whether a stored page number is a numbered page (A03), as ``normalized_page_number`` writes one."""
    return bool(_PAGE_NUMBER.fullmatch(number or ""))


def local_time_text(moment, seconds=False):
    """A moment in newsroom time as the admin writes dates elsewhere ("2026年12月24日 09:00"; to the second
    with ``seconds``, e.g. to tell versions saved in the same minute apart)."""
    from django.utils.formats import date_format

    local = timezone.localtime(moment)
    if seconds:
        return f"{date_format(local, 'DATE_FORMAT')} {date_format(local, 'H:i:s')}"
    return date_format(local, "DATETIME_FORMAT")


def _save_state(locked, article, fields):
    """Save the workflow ``fields`` of the locked row and copy them to the caller's instance."""
    locked.save(update_fields=fields)
    for name in fields:
        setattr(article, name, getattr(locked, name))


def _record(article, user, action, from_status, to_status="", level=None, comment="", scheduled_for=None):
    """Put a workflow step on the story's record. A step counts as an edit (``edit_count``): a form or a step's
    button on a page opened before it is refused as out of date (``edit_conflict``, ``step_conflict``)."""
    import reversion
    from django.db.models import F

    from articles.models import Article, Transition

    Article.all_objects.filter(pk=article.pk).update(edit_count=F("edit_count") + 1)
    article.edit_count += 1
    step = Transition.objects.create(
        article=article,
        action=action,
        from_status=from_status,
        to_status=to_status or from_status,
        level=level,
        user=user,
        comment=clean_text(comment or "").strip(),
        scheduled_for=scheduled_for,
    )
    if reversion.is_active():  # the version this step keeps says which step it was ("提交审核：请审核")
        name = step.get_action_display()
        if level:
            name += f"（{review_level_name(level)}）"  # as the workflow history on the story's page
        separator = pgettext("label separator", ": ")
        reversion.set_comment(f"{name}{separator}{step.comment}" if step.comment else name)
    return step


def submit_for_review(article, user, comment=""):
    """Draft → in review: a new review round starts with no level signed."""
    from django.db import transaction

    from articles.models import Transition
    from articles.querysets import Status

    with transaction.atomic():
        locked = _locked(article)
        check_submit(locked, user)
        locked.status, locked.review_level, locked.submitted_at = Status.IN_REVIEW, 0, timezone.now()
        _save_state(locked, article, ["status", "review_level", "submitted_at"])
        return _record(locked, user, Transition.Action.SUBMIT, Status.DRAFT, Status.IN_REVIEW, comment=comment)


def approve(article, user, comment=""):
    """Sign the next review level of a story in review."""
    from django.db import transaction

    from articles.models import Transition
    from articles.querysets import Status

    with transaction.atomic():
        locked = _locked(article)
        check_approve(locked, user)
        locked.review_level += 1
        _save_state(locked, article, ["review_level"])
        return _record(
            locked, user, Transition.Action.APPROVE, Status.IN_REVIEW, level=locked.review_level, comment=comment
        )


def return_to_reporter(article, user, comment):
    """In review → draft, with a comment for the reporter (required)."""
    from django.db import transaction

    from articles.models import Transition
    from articles.querysets import Status

    with transaction.atomic():
        locked = _locked(article)
        check_return(locked, user)
        _require(
            (comment or "").strip(), _("Say what the reporter should change before returning the story."), "comment"
        )
        locked.status, locked.review_level = Status.DRAFT, 0
        _save_state(locked, article, ["status", "review_level"])
        return _record(locked, user, Transition.Action.RETURN, Status.IN_REVIEW, Status.DRAFT, comment=comment)


def publish(article, user, at=None, override_reason=""):
    """Publish a signed-off story now, or at ``at`` (a future time schedules it). Returns the warnings.

    The warnings are the miswritten-word findings; missing parts and sensitive words raise WorkflowError (with
    ``findings``), unless the sensitive words are overridden by a user with override_checks and a reason.
    """
    from django.db import transaction

    from articles.models import Transition
    from articles.querysets import Status

    with transaction.atomic():
        locked = _locked(article)
        check_publish(locked, user)
        findings = publication_findings(locked)
        missing = [finding for finding in findings if finding.kind in {Finding.MISSING, Finding.CONFLICT}]
        sensitive = [finding for finding in findings if finding.kind == Finding.SENSITIVE]
        warnings = [finding for finding in findings if not finding.blocks]
        if missing:
            raise WorkflowError(  # the findings say what is missing, each as a message of its own
                _("The story cannot be published yet:"),
                code="missing",
                findings=missing + sensitive,
            )
        reason = clean_text(override_reason or "").strip()
        if sensitive:
            if not user.has_perm("articles.override_checks"):
                raise WorkflowError(
                    _("The story contains sensitive words; only a chief editor may publish it, with a reason."),
                    code="sensitive",
                    findings=sensitive,
                )
            if not reason:
                raise WorkflowError(
                    _("Give a reason for publishing despite the sensitive words."),
                    code="override_reason",
                    findings=sensitive,
                )
        now = timezone.now()
        when = at or now
        back_online = at is None and locked.first_published_at is not None and locked.first_published_at <= now
        if back_online:  # taken offline (or to the trash) before: back under its first date, not as a new story
            when = locked.first_published_at
        elif locked.first_published_at is None or locked.first_published_at > now:  # never live yet
            locked.first_published_at = when
        from_status = locked.status
        levels = review_levels()
        if locked.status == Status.IN_REVIEW and locked.review_level < levels:  # one level: signed by publishing
            locked.review_level = levels
            _record(locked, user, Transition.Action.APPROVE, from_status, level=levels)
        if sensitive:
            words = "、".join(dict.fromkeys(finding.word for finding in sensitive))
            _record(
                locked,
                user,
                Transition.Action.OVERRIDE,
                from_status,
                Status.PUBLISHED,
                comment=_("%(reason)s (sensitive words: %(words)s)") % {"reason": reason, "words": words},
            )
        locked.status, locked.published_at = Status.PUBLISHED, when
        _save_state(locked, article, ["status", "published_at", "review_level", "first_published_at"])
        scheduled = when > now
        at_time = local_time_text(when, seconds=scheduled and when.second != 0)  # a time typed to the second
        if scheduled:
            comment = _("Goes live at %(time)s") % {"time": at_time}
        elif back_online:
            comment = _("Back online under its first publishing time, %(time)s") % {"time": at_time}
        else:
            comment = ""
        _record(
            locked,
            user,
            Transition.Action.SCHEDULE if scheduled else Transition.Action.PUBLISH,
            from_status,
            Status.PUBLISHED,
            comment=comment,
            scheduled_for=when if scheduled else None,
        )
        reindex_article(locked)  # found at once; a scheduled story is found from its time on (search filters)
    return warnings


def unpublish(article, user, reason):
    """A live or scheduled story goes back to draft, with a reason (required)."""
    from django.db import transaction

    from articles.models import Transition
    from articles.querysets import Status

    with transaction.atomic():
        locked = _locked(article)
        check_unpublish(locked, user)
        _require((reason or "").strip(), _("Give a reason for unpublishing the story."), "comment")
        locked.status, locked.published_at, locked.review_level = Status.DRAFT, None, 0
        _forget_a_time_never_reached(locked)
        _save_state(locked, article, ["status", "published_at", "review_level", "first_published_at"])
        reindex_article(locked)
        return _record(locked, user, Transition.Action.UNPUBLISH, Status.PUBLISHED, Status.DRAFT, comment=reason)


def _forget_a_time_never_reached(article):
    """A scheduled story taken back before its time never went live: it has no first publishing time yet."""
    if article.first_published_at is not None and article.first_published_at > timezone.now():
        article.first_published_at = None


# White space before and after a block's tags: no reader sees it, and CKEditor gives a body back without the line
# breaks that the manuscript import and the demo content put between blocks.
# ASCII white space only: an ideographic space (U+3000) is text a reader sees.
_AROUND_BLOCK_TAGS = re.compile(r"[ \t\r\n]*(" + _BLOCK_TAG_PATTERN + r")[ \t\r\n]*")


# A start tag with attributes as the sanitiser writes it (html5ever: every value double-quoted, " as &quot;).
_START_TAG = re.compile(r'<([a-z][a-z0-9]*)((?:\s+[a-z-]+="[^"]*")+)>')


def _attributes_in_order(match):
    attributes = " ".join(f'{name}="{value}"' for name, value in sorted(_ATTRIBUTE.findall(match.group(2))))
    return f"<{match.group(1)} {attributes}>"


def reviewed_rich_text(html):
    """Rich text as a sign-off approves it: without the white space around its blocks' tags, and each tag's
    attributes in one order (CKEditor writes an image's back in its own: the same image); a text stored before
    ``tidy_paragraphs`` was, as it would be stored now."""
    return _START_TAG.sub(_attributes_in_order, _AROUND_BLOCK_TAGS.sub(r"\1", tidy_paragraphs(html or "")))


def _reviewed_value(value):
    """A plain value as a sign-off approves it: browsers send a text box's line breaks as CRLF, stored text (the
    import, the demo content, an earlier save) may have LF; the same lines either way."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def reviewed_text(article):
    """What a sign-off approves, as comparable data: the text, the bylines in order and the entries. Rich text is
    compared as ``reviewed_rich_text`` gives it, so that saving a story unchanged changes nothing."""
    from articles.models import Article

    fresh = {
        name: _reviewed_value(value)
        for name, value in (
            Article.all_objects.filter(pk=article.pk).values(*REVIEWED_TEXT_FIELDS).first() or {}
        ).items()
    }
    fresh["body"] = reviewed_rich_text(fresh.get("body"))
    bylines = list(article.bylines.order_by("order", "id").values_list("order", "role_id", "reporter_id"))
    entries = [
        entry._make(map(_reviewed_value, entry))._replace(body=reviewed_rich_text(entry.body))
        for entry in article.experience_entries.order_by("order", "id").values_list(
            "order", "form", "organization_id", "title", "highlight", "body", "photo_id", "caption", named=True
        )
    ]
    photos = [
        tuple(map(_reviewed_value, photo))
        for photo in article.article_photos.order_by("order", "id").values_list("order", "photo_id", "caption")
    ]
    return (tuple(fresh.get(name) for name in REVIEWED_TEXT_FIELDS), bylines, entries, photos)


def reset_review_after_change(article, user):
    """A change to the text after a sign-off sends the story back to the first level. True if it did.

    A story in review loses its sign-offs; a scheduled story also loses its schedule and goes back to review, so
    that what goes out at the scheduled time is what was signed off and checked.
    """
    from django.db import transaction

    from articles.models import Transition
    from articles.querysets import Status

    with transaction.atomic():
        locked = _locked(article)
        if locked.is_scheduled():
            signed, cancelled = locked.review_level, locked.published_at
            locked.status, locked.published_at = Status.IN_REVIEW, None
            locked.review_level, locked.submitted_at = 0, timezone.now()
            _forget_a_time_never_reached(locked)
            _save_state(
                locked, article, ["status", "published_at", "review_level", "submitted_at", "first_published_at"]
            )
            _record(
                locked,
                user,
                Transition.Action.RESET,
                Status.PUBLISHED,
                Status.IN_REVIEW,
                level=signed or None,
                comment=_("Edited after it was scheduled: the schedule is cancelled and the story is back in review."),
                scheduled_for=cancelled,
            )
            reindex_article(locked)
            return True
        if locked.status != Status.IN_REVIEW or locked.review_level == 0:
            return False
        signed = locked.review_level
        locked.review_level = 0
        _save_state(locked, article, ["review_level"])
        _record(
            locked,
            user,
            Transition.Action.RESET,
            Status.IN_REVIEW,
            level=signed,
            comment=_("A change to the text after a sign-off sends it back to the first level."),
        )
    return True


def desk_counts(user):
    """The admin index's counts for ``user``: stories in review, scheduled, their drafts, returned to them."""
    from django.db.models import Count, Q

    from articles.models import Article
    from articles.querysets import Status

    mine = Article.objects.filed_by(user).values("pk")
    visible = Article.objects.filter(pk__in=Article.objects.editable_by(user).values("pk"))
    return visible.with_last_action().aggregate(
        in_review=Count("pk", filter=Q(status=Status.IN_REVIEW)),
        scheduled=Count("pk", filter=Q(status=Status.PUBLISHED, published_at__gt=timezone.now())),
        my_drafts=Count("pk", filter=Q(status=Status.DRAFT, pk__in=mine)),
        returned_to_me=Count("pk", filter=Q(status=Status.DRAFT, last_action="return", pk__in=mine)),
    )


def rename_print_page(issue_on, number, name, *, keep=None):
    """Give page ``number`` of the ``issue_on`` issue the name ``name`` in every story on it (outside the trash) but
    ``keep``: an editor renamed the page in one of them. Each renamed story counts an edit (a form opened before is
    refused rather than putting the old name back) and is modified now (its page shows the name). Returns how many
    were renamed."""
    from django.db.models import F

    from articles.models import Article

    renamed = (
        Article.objects.filter(print_issue_on=issue_on, print_page_number=number)
        .exclude(pk=keep)
        .exclude(print_page_name=name)
        .update(print_page_name=name, edit_count=F("edit_count") + 1, updated_at=timezone.now())
    )
    if renamed:
        page_cache.content_changed()
    return renamed


def _names_of_its_print_page(article):
    """The names the site's published stories (``article`` aside) give ``article``'s print page."""
    from articles.models import Article

    return (
        Article.objects.published()
        .filter(print_issue_on=article.print_issue_on, print_page_number=article.print_page_number)
        .exclude(pk=article.pk)
        .exclude(print_page_name="")
        .values_list("print_page_name", flat=True)
    )


def print_page_name_on_site(article):
    """The name the site's published stories give ``article``'s print page ("" when none names it, or when the story
    is on no page)."""
    if not (article.print_issue_on and article.print_page_number):
        return ""
    return _names_of_its_print_page(article).first() or ""


def print_page_name_conflict(article):
    """The name the site already gives ``article``'s print page, when a published story there calls it otherwise
    than ``article`` does ("" when they agree, or when the story names no page)."""
    if not (article.print_issue_on and article.print_page_number and article.print_page_name):
        return ""
    return _names_of_its_print_page(article).exclude(print_page_name=article.print_page_name).first() or ""


def merge_organizations(sources, target):
    """Merge the organisations ``sources`` into ``target`` (federations merged, or one entered twice): their entries
    and member organisations go to ``target``, their addresses lead to its page (``FormerSlug``), and they are
    deleted. The entries of stories that have come out keep the name they were printed under. Refused
    (ValidationError) when ``target`` is among them or below one of them. Returns the number of entries moved; the
    caller has the target's stories reindexed (entries are searched by organisation)."""
    from articles.models import ExperienceEntry, FormerSlug, Organization, keep_printed_names

    sources = list(sources)
    ids = {source.pk for source in sources}
    if target.pk in ids:
        raise ValidationError(_("An organisation cannot be merged into itself."))
    above, seen = target.parent, set()
    while above is not None and above.pk not in seen:
        if above.pk in ids:
            raise ValidationError(
                _("%(target)s belongs to %(source)s: choose an organisation outside the ones merged.")
                % {"target": target.name, "source": above.name}
            )
        seen.add(above.pk)
        above = above.parent
    with transaction.atomic():
        for source in sources:
            keep_printed_names(source.pk, source.short_name or source.name)
        moved = ExperienceEntry.objects.filter(organization__in=sources).update(organization=target)
        Organization.objects.filter(parent__in=sources).update(parent=target)
        FormerSlug.objects.filter(model="organization", object_id__in=ids).update(object_id=target.pk)
        for source in sources:
            FormerSlug.objects.update_or_create(
                model="organization",
                slug=source.slug,
                defaults={"object_id": target.pk, "former_object_id": source.pk},
            )
        Organization.objects.filter(pk__in=ids).delete()
        page_cache.content_changed()  # the updates above send no signal
    return moved


def merge_reporters(sources, target):
    """Merge the reporters ``sources`` into ``target`` (a correspondent entered twice: by hand and by a manuscript's
    import, or with a typo such as 刘 敏 for 刘敏): their bylines and photo credits go to ``target``, their addresses
    lead to its page (``FormerSlug``), a login of theirs becomes the target's, and they are deleted. The bylines and
    photo credits of stories that have come out keep the name they were printed under; a byline that would repeat one of the
    target's (the same story and role) is dropped. Refused (ValidationError) when ``target`` is among them, or when
    they would bring together two logins. Returns the number of bylines moved; the caller has the target's stories
    reindexed (bylines are searched by name)."""
    from articles.models import Byline, FormerSlug, Photo, Reporter, keep_printed_byline_names, keep_printed_credits

    sources = list(sources)
    ids = {source.pk for source in sources}
    if target.pk in ids:
        raise ValidationError(_("A reporter cannot be merged into itself."))
    # A login ended (its reporter marked as departed, or deactivated by the administrator) is not passed on: the one
    # kept would hold a deactivated login and drop out of the byline box. It stays, deactivated, without a profile.
    carried = [source for source in sources if source.user_id is not None and source.user.is_active]
    logins = [target, *carried] if target.user_id is not None else carried
    if len(logins) > 1:
        raise ValidationError(
            _("%(names)s each have a login: only one of them may be merged, or give up the others' logins first.")
            % {"names": "、".join(reporter.name for reporter in logins)}
        )
    if carried and not target.is_active:
        # A departed reporter has no active login (end_login): merged into her, a login would stay in use.
        raise ValidationError(
            _(
                "%(target)s has left (“active” unticked) and %(name)s's login (%(username)s) is active: merged, it "
                "would stay in use. Merge into a reporter at work, or tick “active” on %(target)s first."
            )
            % {"target": target.name, "name": carried[0].name, "username": carried[0].user.get_username()}
        )
    moved = 0
    with transaction.atomic():
        for source in sources:
            keep_printed_byline_names(source.pk, source.name)
            keep_printed_credits(source.pk, source.name)
            # One byline per story and role: the target's (or one moved before) stays, the repeat goes.
            repeats = Byline.objects.filter(reporter=target, article=OuterRef("article"), role=OuterRef("role"))
            Byline.objects.filter(Exists(repeats), reporter=source).delete()
            moved += Byline.objects.filter(reporter=source).update(reporter=target)
        Photo.objects.filter(credit_reporter__in=sources).update(credit_reporter=target)
        FormerSlug.objects.filter(model="reporter", object_id__in=ids).update(object_id=target.pk)
        for source in sources:
            FormerSlug.objects.update_or_create(
                model="reporter",
                slug=source.slug,
                defaults={"object_id": target.pk, "former_object_id": source.pk},
            )
        login = carried[0].user_id if carried else None
        delete_reporters(sources)
        if login is not None:  # her stories stay hers to edit: the bylines that let her are the target's now
            Reporter.objects.filter(pk=target.pk).update(user_id=login)
            target.user_id = login
        page_cache.content_changed()  # the updates above send no signal
    return moved


def record_correction_change(article, user, before, *, removed):
    """Put on the story's workflow history that ``user`` changed (or took down) one of its corrections, with what it
    said before (``before``: the correction's kind, text and noted_at as the form had them). Not a step of the
    workflow: it counts as no further edit (the save it comes with counted) and names no version."""
    from articles.models import Correction, Transition

    moment = before["noted_at"]
    said = _("Before: %(kind)s, %(time)s: %(text)s") % {
        "kind": Correction.Kind(before["kind"]).label,
        "time": f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else "",
        "text": before["text"],
    }
    action = Transition.Action.CORRECTION_REMOVED if removed else Transition.Action.CORRECTION_CHANGED
    Transition.objects.create(
        article=article, action=action, from_status=article.status, to_status=article.status, user=user, comment=said
    )


# --- Trash --------------------------------------------------------------------------------------
# Deleting an article in the admin moves it to the trash: hidden everywhere (the default manager leaves it out),
# kept with its bylines, photos, entries, transitions and versions. Editors restore it (as a draft: a story that
# was published goes through the workflow again); only the chief editor deletes it for good, and
# ``manage.py empty_trash`` deletes what has been in the trash longer than settings.NEWSROOM_TRASH_DAYS.


def what_the_trash_takes(articles):
    """What else changes on the site when each of ``articles`` goes to the trash, as sentences for the confirmation
    pages ({article id: [sentence, ...]}): the home-page slot a live story fills, the package it leads, its special
    topics, its print page. Four queries whatever the number of stories."""
    from articles.models import Article, FrontPageSlot, TopicLink

    articles = list(articles)
    notes = {article.pk: [] for article in articles}
    # Only a story on the site leaves anything there (a draft, or one still scheduled, is on no public page).
    ids = [article.pk for article in articles if article.is_published()]
    articles = [article for article in articles if article.pk in ids]
    for slot in FrontPageSlot.objects.filter(article_id__in=ids):
        notes[slot.article_id].append(
            _("It fills the home page's “%(slot)s”: the latest story takes its place.")
            % {"slot": slot.get_position_display()}
        )
    companions = Article.objects.published().filter(package_lead_id__in=ids).exclude(pk__in=ids)
    companions = companions.values("package_lead_id")
    for row in companions.annotate(count=Count("pk")).order_by():
        notes[row["package_lead_id"]].append(
            ngettext(
                "It leads a package: %(count)d other story stops listing it among the package's stories.",
                "It leads a package: %(count)d other stories stop listing it among the package's stories.",
                row["count"],
            )
            % {"count": row["count"]}
        )
    topics = {}
    for link in (
        TopicLink.objects.filter(article_id__in=ids)
        .select_related("topic")
        .order_by("-topic__starts_on", "topic__title")
    ):
        topics.setdefault(link.article_id, []).append(f"“{link.topic.title}”")
    for pk, titles in topics.items():
        notes[pk].append(_("The special topics %(topics)s stop listing it.") % {"topics": "、".join(titles)})
    for article in articles:
        if article.print_issue_on:
            notes[article.pk].append(
                _("The print edition's %(page)s stops listing it on the site.") % {"page": article.print_reference}
            )
    return notes


def move_to_trash(article, user):
    """Move an article to the trash. Reporters may trash their own drafts; editors any story."""
    from django.db import transaction

    from articles.models import Transition

    with transaction.atomic():
        locked = _locked(article)
        _require(locked.deleted_at is None, _("The story is already in the trash."), "state")
        _require(
            user.has_perm("articles.delete_article") and may_edit_article(user, locked),
            _("You may not delete this story."),
            "permission",
            permission=True,
        )
        locked.deleted_at, locked.deleted_by = timezone.now(), user
        _forget_a_time_never_reached(locked)  # a scheduled story trashed before its time never went live
        _save_state(locked, article, ["deleted_at", "deleted_by", "first_published_at"])
        # Preview links die with the trash: a restored story needs new ones.
        locked.share_links.filter(revoked_at__isnull=True).update(revoked_at=locked.deleted_at)
        reindex_article(locked)  # out of search at once
        return _record(locked, user, Transition.Action.TRASH, locked.status)


def restore_from_trash(article, user):
    """Take an article out of the trash, as a draft."""
    from django.db import transaction

    from articles.models import Transition
    from articles.querysets import Status, edits_any_article

    with transaction.atomic():
        locked = _locked(article)
        _require(
            user.is_active and user.is_staff and edits_any_article(user),
            _("Only editors may restore a story from the trash."),
            "permission",
            permission=True,
        )
        _require(locked.deleted_at is not None, _("The story is not in the trash."), "state")
        from_status = locked.status
        locked.deleted_at, locked.deleted_by = None, None
        locked.status, locked.published_at, locked.review_level = Status.DRAFT, None, 0
        _forget_a_time_never_reached(locked)
        fields = ["deleted_at", "deleted_by", "status", "published_at", "review_level", "first_published_at"]
        _save_state(locked, article, fields)
        reindex_article(locked)
        return _record(locked, user, Transition.Action.RESTORE, from_status, Status.DRAFT)


def purge_from_trash(article, user):
    """Delete an article in the trash for good, with its parts. Chief editors only."""
    from django.db import transaction

    _require_perm(user, "purge_article", _("Only the chief editor may delete a story for good."))
    with transaction.atomic():
        locked = _locked(article)
        _require(locked.deleted_at is not None, _("Only a story in the trash can be deleted for good."), "state")
        _forget_history_of([locked.pk])
        locked.delete()


def _forget_history_of(article_ids):
    """Delete the kept versions of these articles (each of the history's revisions holds one article with its
    parts, as it was at one save): a story deleted for good must not live on, whole, in the history's tables and
    in every backup."""
    from django.contrib.contenttypes.models import ContentType
    from reversion.models import Revision, Version

    from articles.models import Article

    if not article_ids:
        return
    versions = Version.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), object_id__in=[str(pk) for pk in article_ids]
    )
    Revision.objects.filter(pk__in=versions.values("revision_id")).delete()


def empty_trash(days=None, dry_run=False):
    """Delete the articles that have been in the trash more than ``days`` days; return how many (would) go."""
    from datetime import timedelta

    from django.db import transaction

    from articles.models import Article

    days = settings.NEWSROOM_TRASH_DAYS if days is None else days
    with transaction.atomic():
        expired = Article.all_objects.filter(deleted_at__lt=timezone.now() - timedelta(days=days))
        count = expired.count()
        if not dry_run and count:
            _forget_history_of(list(expired.values_list("pk", flat=True)))
            expired.delete()
    return count


def step_conflict(article, seen_edit_count):
    """Why a workflow step sent from a page showing an older state of the story must be refused (someone saved it,
    scheduled it, published it… since the page was opened), or "" when the page showed it as it is. A publish
    clicked on such a page would sign off text its editor never saw, or break a colleague's schedule."""
    if seen_edit_count is None or article.edit_count == seen_edit_count:
        return ""
    who, when = _latest_change(article)
    return _(
        "The story changed after you opened this page (%(who)s, %(when)s): the step was not taken. Check the story "
        "as it is now, then take the step again."
    ) % {"who": who, "when": when}


def _latest_change(article):
    """Who made the story's latest change and when ("刘敏", "09:41:05"): a save keeps a version, a workflow step (a
    photo replaced, a move to the trash) a step on its record without one; the later of the two."""
    from articles.models import Transition

    latest = article_versions(article).first()
    step = (
        Transition.objects.filter(article=article)
        .select_related("user__reporter")
        .order_by("-created_at", "-id")
        .first()
    )
    moments = []
    if latest is not None:
        moments.append((latest.revision.date_created, latest.revision.user))
    if step is not None:
        moments.append((step.created_at, step.user))
    if not moments:
        return _("Someone else"), "—"
    moment, user = max(moments, key=lambda pair: pair[0])
    return (staff_name(user) if user else _("Someone else")), f"{timezone.localtime(moment):%H:%M:%S}"


def edit_conflict(article, seen_edit_count, seen_version_id):
    """Why a save from a form opened on an older state must be refused, or "" when there is no conflict.

    The message names who saved in between and when, and links to the comparison of their changes.
    """
    from django.urls import reverse
    from django.utils.html import format_html

    from articles.models import Article

    # Locked until the admin's transaction ends, so that two saves arriving together are checked one after the other.
    current = Article.objects.select_for_update().filter(pk=article.pk).values_list("edit_count", flat=True).first()
    if current is None or seen_edit_count is None or current == seen_edit_count:
        return ""
    latest = article_versions(article).first()
    link = ""
    if latest is not None and seen_version_id and seen_version_id != latest.pk:
        history = reverse("admin:articles_article_history", args=[article.pk])
        link = f"{history}?old={seen_version_id}&new={latest.pk}#version-diff"
    who, when = _latest_change(article)
    message = _(
        "%(who)s saved this article at %(when)s, after you opened it. Your text is still in the form below and "
        "has not been saved. Compare the two; saving again replaces their version with yours (theirs stays in the "
        "history)."
    ) % {"who": who, "when": when}
    if link:
        return format_html('{} <a href="{}" target="_blank">{}</a>', message, link, _("See what they changed"))
    return message


# --- Manuscripts --------------------------------------------------------------------------------
# A manuscript file becomes drafts (the lead article and any companions of its package) in one transaction: the
# parser (articles/manuscripts.py) reads the text, these functions match its names to reporters, organisations and
# byline roles (creating what is new) and store the drafts. Imports never publish: every article is a DRAFT.


class ManuscriptImport:
    """What became of one manuscript file: drafts created, an earlier import of the same text, or why it failed.

    Before anything is stored (a preview or a dry run) it also says how the names will be matched.
    """

    def __init__(self, filename=""):
        self.filename = filename
        self.manuscript = None
        self.drafts = []  # created articles, the package lead first
        self.duplicate_of = None  # the lead article of an earlier import of the same text
        self.duplicate_of_file = ""  # or an earlier file of the same batch
        self.copy_of_unseen = False  # or a story its reader may not open (the import summary does not name it)
        self.failure = ""
        self.notes = []
        self.reporters = {}  # byline name -> Reporter, or None for a new correspondent
        self.organizations = {}  # entry organisation -> Organization, or None for a new one
        self.levels = {}  # new organisation -> guessed Organization.Level
        self.new_roles = []  # byline roles not in the vocabulary yet

    @property
    def status(self):
        if self.failure:
            return "failed"
        if self.duplicate_of is not None or self.duplicate_of_file or self.copy_of_unseen:
            return "duplicate"
        return "created" if self.drafts else "ready"

    @property
    def status_label(self):
        return {
            "failed": _("failed"),
            "duplicate": _("skipped as a duplicate"),
            "created": _("created"),
            "ready": _("ready to import"),
        }[self.status]


def read_manuscript(text_or_bytes):
    """Parse a manuscript with the current byline-role vocabulary and organisations (raises
    manuscripts.ManuscriptError)."""
    from articles import manuscripts
    from articles.models import BylineRole, Organization

    def is_organization(name):
        forms = {name, _organization_canon(name), _organization_canon(name, long=True)}
        return Organization.objects.filter(Q(name__in=forms) | Q(short_name__in=forms)).exists()

    roles = BylineRole.objects.values_list("name", flat=True)
    return manuscripts.parse(
        text_or_bytes, roles=list(roles), today=timezone.localdate(), is_organization=is_organization
    )


def imported_article(manuscript_hashes):
    """The lead draft an earlier import of the same (normalised) text created, if it is still there: by any of the
    text's hashes (``Manuscript.hashes``: articles imported before the hash changed hold its earlier form)."""
    from articles.models import Article

    return (
        Article.objects.filter(manuscript_hash__in=manuscript_hashes, package_lead__isnull=True).order_by("id").first()
    )


def _default_section():
    from articles.models import Section

    return Section.objects.order_by("order", "name").first()


def _match_names(result):
    """Which reporters, organisations and roles the manuscript's names are: read only, for preview and import."""
    from articles import manuscripts
    from articles.models import BylineRole, Organization, Reporter

    drafts = result.manuscript.drafts
    names = list(dict.fromkeys(item.name for draft in drafts for item in draft.bylines))
    found = {}
    for reporter in Reporter.objects.filter(name__in=names).order_by("-is_active", "id"):
        if reporter.name in found:
            result.notes.append(
                _("Several reporters are called %(name)s: the byline goes to the first; check it.")
                % {"name": reporter.name}
            )
        found.setdefault(reporter.name, reporter)
    result.reporters = {name: found.get(name) for name in names}

    organizations = list(dict.fromkeys(entry.organization for draft in drafts for entry in draft.entries))
    # The written name however short (省妇联, 团市委), and every tail of it of three characters or more, in both
    # spellings of the suffix: "岚州市清河区妇联" is looked for as 岚州市清河区妇女联合会, and as 清河区妇联 (held with its
    # parent's place, 岚州市, apart) ... A tail's match is judged by _matched_organization.
    tails = {
        form
        for name in organizations
        for start in range(len(name))
        if start == 0 or len(name) - start >= SHORTEST_ORGANIZATION_TAIL
        for form in {name[start:], _organization_canon(name[start:]), _organization_canon(name[start:], long=True)}
    }
    found = list(
        Organization.objects.filter(Q(name__in=tails) | Q(short_name__in=tails))
        .select_related("parent__parent__parent")
        .order_by("pk")
    )
    result.organizations = {}
    for name in organizations:
        result.organizations[name] = _matched_organization(name, found, result.notes)
    for name, organization in result.organizations.items():
        if organization is None:
            level = manuscripts.guess_level(name)
            if not level:
                level = Organization.Level.CITY
                result.notes.append(
                    _("The level of the new organisation %(name)s could not be read from its name: it is set to "
                      "city; check it.") % {"name": name}
                )  # fmt: skip
            result.levels[name] = Organization.Level(level)

    known = set(BylineRole.objects.values_list("name", flat=True))
    result.new_roles = list(
        dict.fromkeys(item.role for draft in drafts for item in draft.bylines if item.role not in known)
    )


# The shortest tail of a written organisation name looked for among names held (县妇联, 团市委: a level and a kind).
SHORTEST_ORGANIZATION_TAIL = 3


def _organization_canon(name, long=False):
    """One spelling of the suffix, 妇联 (or 妇女联合会 with ``long``): written copy and the system use both."""
    short, full = "妇联", "妇女联合会"
    if name.endswith(full) and not long:
        return name[: -len(full)] + short
    if name.endswith(short) and long:
        return name[: -len(short)] + full
    return name


def _places_above(organization):
    """The place names of an organisation's parents, top down (岚州市妇女联合会 → 岚州市)."""
    from articles import manuscripts

    places, parent, seen = [], organization.parent, set()
    while parent is not None and parent.pk not in seen and len(seen) < 3:  # loaded three up (select_related)
        seen.add(parent.pk)
        names = {manuscripts.bare_organization_name(_organization_canon(parent.name))}
        if parent.short_name:
            names.add(manuscripts.bare_organization_name(_organization_canon(parent.short_name)))
        places.insert(0, names - {""})
        parent = parent.parent if "parent" in parent._state.fields_cache else None
    return places


def _written_with_places_above(prefix, places):
    """Whether ``prefix`` is the place names of some of the parents, top down ("岚州市", "云岭州龙山县")."""
    if not prefix:
        return True
    for index, names in enumerate(places):
        for place in names:
            if prefix.startswith(place) and _written_with_places_above(prefix[len(place) :], places[index + 1 :]):
                return True
    return False


def _matched_organization(written, organizations, notes):
    """The organisation among ``organizations`` that an entry heading's ``written`` name is, or None for a new one.

    The same name, or short name, in either spelling of the suffix; else one whose name or short name ends the
    written one after its parents' place names (岚州市 + 清河区妇联). Two candidates are never chosen between: the
    preview says so.
    """
    canon = _organization_canon(written)
    same = [organization for organization in organizations if _organization_canon(organization.name) == canon]
    if same:
        return next((organization for organization in same if organization.name == written), same[0])
    sharing = [
        organization
        for organization in organizations
        if organization.short_name and _organization_canon(organization.short_name) == canon
    ]
    if len(sharing) > 1:  # 城关镇妇联: a town's name repeats across counties
        notes.append(
            _("Several organisations are called %(name)s for short (%(names)s): the entry goes to the first; "
              "check it.") % {"name": written, "names": "、".join(organization.name for organization in sharing)}
        )  # fmt: skip
    if sharing:
        return sharing[0]
    placed, unplaced = [], []
    for organization in organizations:
        held = {_organization_canon(name) for name in (organization.name, organization.short_name) if name}
        ends = [name for name in held if len(name) < len(canon) and canon.endswith(name)]
        if any(_written_with_places_above(canon[: -len(name)], _places_above(organization)) for name in ends):
            placed.append(organization)
        elif organization.parent_id is None and any(len(name) > SHORTEST_ORGANIZATION_TAIL for name in ends):
            # No parents to read the place names from: a candidate to name. Not for a three-character name (县妇联,
            # 团市委 are a level and a kind, no place): every 龙山县妇联 ends with one, so naming it would be noise.
            unplaced.append(organization)
    if len(placed) == 1:
        return placed[0]
    candidates = placed or unplaced
    if candidates:
        notes.append(
            _("%(name)s may be the existing %(names)s: it will be added as a new organisation. If it is one of "
              "them, write its name as the system has it.")
            % {"name": written, "names": "、".join(organization.name for organization in candidates)}
        )  # fmt: skip
    return None


def _body_html(blocks):
    """A body's blocks as rich text: the Markdown the manuscript typed (bold, lists, quotes, links) as the tags the
    editor would have made, through the sanitiser as whatever rich text is saved."""
    from articles import manuscripts

    return sanitize_html(manuscripts.blocks_html(blocks))


def unique_slug(model, prefix):
    while True:
        slug = f"{prefix}-{uuid.uuid4().hex[:8]}"
        if not model.objects.filter(slug=slug).exists():
            return slug


def _short(text, length=30):
    return text if len(text) <= length else f"{text[: length - 1]}…"


def _checked(instance, what, exclude=None):
    """``instance.full_clean()``, its refusal said for the preview and the summary: which story or name (``what``),
    which field by its label, and why ("headline: Ensure this value…" named neither the story nor the field in
    Chinese)."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            message = _("In %(what)s: %(messages)s") % {"what": what, "messages": " ".join(error.messages)}
            raise ValidationError(message) from None
        parts = []
        for name, messages in error.message_dict.items():
            if name == "__all__":
                parts.append(_("In %(what)s: %(messages)s") % {"what": what, "messages": " ".join(messages)})
                continue
            label = str(instance._meta.get_field(name).verbose_name)
            parts.append(
                _("In %(what)s, %(field)s: %(messages)s")
                % {"what": what, "field": label, "messages": " ".join(messages)}
            )
        raise ValidationError(" ".join(parts)) from None


def _create_drafts(result, user, section):
    """Store the manuscript's drafts and whatever new reporters, organisations and roles they need."""
    from articles.models import Article, ArticlePhoto, Byline, BylineRole, ExperienceEntry, Organization, Reporter

    roles = {role.name: role for role in BylineRole.objects.all()}
    for name in result.new_roles:
        role = BylineRole(name=name, order=900)
        _checked(role, _("the new byline role %(name)s") % {"name": _short(name)})
        role.save()
        roles[name] = role
    reporters = dict(result.reporters)
    first_roles = {}
    for draft in result.manuscript.drafts:
        for item in draft.bylines:
            first_roles.setdefault(item.name, item.role)
    for name, reporter in reporters.items():
        if reporter is None:  # a new correspondent: no login
            reporter = Reporter(name=name, slug=unique_slug(Reporter, "reporter"), title=first_roles[name])
            _checked(reporter, _("the new reporter %(name)s") % {"name": _short(name)})
            reporter.save()
            reporters[name] = reporter
    organizations = dict(result.organizations)
    for name, organization in organizations.items():
        if organization is None:
            organization = Organization(name=name, level=result.levels[name], slug=unique_slug(Organization, "org"))
            _checked(organization, _("the new organisation %(name)s") % {"name": _short(name)})
            organization.save()
            organizations[name] = organization

    created = []
    for number, draft in enumerate(result.manuscript.drafts):
        article = Article(
            kicker=clean_text(draft.kicker),
            headline=clean_text(draft.headline),
            subtitle=clean_text(draft.subtitle),
            pull_quote=clean_text(draft.pull_quote),
            body=_body_html(draft.blocks),
            section=section,
            dateline_on=draft.dateline_on,
            status="draft",  # imports never publish
            created_by=user,
            manuscript_hash=result.manuscript.hash if number == 0 else "",
            package_lead=created[0] if created else None,
        )
        if draft.source:
            article.source = clean_text(draft.source)
        story = _("the story “%(headline)s”") % {"headline": _short(draft.headline)}
        _checked(article, story, exclude=["section"] if section is None else None)
        article.save()
        created.append(article)
        bylines, seen = [], set()
        for item in draft.bylines:
            key = (item.name, item.role)
            if key not in seen:
                seen.add(key)
                bylines.append(
                    Byline(article=article, reporter=reporters[item.name], role=roles[item.role], order=len(bylines))
                )
        Byline.objects.bulk_create(bylines)
        captions = list(draft.captions)
        for order, entry in enumerate(draft.entries):
            part = ExperienceEntry(
                article=article,
                organization=organizations[entry.organization],
                title=clean_text(entry.title),
                highlight=clean_text(entry.highlight),
                body=_body_html(entry.blocks),
                caption=entry.captions[0] if entry.captions else "",
                form=entry.form or ExperienceEntry.Form.WRITTEN,
                order=order,
            )
            _checked(
                part,
                _("the entry of %(organization)s in the story “%(headline)s”")
                % {"organization": _short(entry.organization), "headline": _short(draft.headline)},
            )
            part.save()
            if len(entry.captions) > 1:
                captions += entry.captions[1:]
                result.notes.append(
                    _("%(organization)s has more than one caption: the others are with the article's photos.")
                    % {"organization": entry.organization}
                )
        ArticlePhoto.objects.bulk_create(
            ArticlePhoto(article=article, photo=None, caption=caption, order=order)
            for order, caption in enumerate(captions)
        )
    return created


NEW_NAME_KINDS = ("reporter", "organization", "bylinerole")  # what an import creates for names it does not know


def creatable_by(user):
    """The kinds of ``NEW_NAME_KINDS`` that ``user`` may add in the admin, and so through an import there."""
    return {kind for kind in NEW_NAME_KINDS if user.has_perm(f"articles.add_{kind}")}


def _names_not_allowed(result, may_create):
    """A failure message naming the manuscript's new reporters, organisations and roles that the importer may not
    create (``may_create``: kinds of ``NEW_NAME_KINDS``), or ""."""
    new = {
        "reporter": [name for name, reporter in result.reporters.items() if reporter is None],
        "organization": [name for name, organization in result.organizations.items() if organization is None],
        "bylinerole": list(result.new_roles),
    }
    messages = {
        "reporter": _("Reporters not in the system yet: %(names)s."),
        "organization": _("Organisations not in the system yet: %(names)s."),
        "bylinerole": _("Byline roles not in the system yet: %(names)s."),
    }
    refused = [
        messages[kind] % {"names": "、".join(new[kind])}
        for kind in NEW_NAME_KINDS
        if new[kind] and kind not in may_create
    ]
    if not refused:
        return ""
    return " ".join(
        [*refused, str(_("You may not add them: ask an editor to add them first, or use the names in the system."))]
    )


class _DryRunDone(Exception):
    """Raised inside a dry run's transaction so that what it stored is rolled back."""


def import_manuscript(text_or_bytes, *, user, filename="", section=None, dry_run=False, may_create=NEW_NAME_KINDS):
    """Import one manuscript (a file's bytes or pasted text) as drafts created by ``user``; returns a ManuscriptImport.

    Atomic: a manuscript that fails leaves nothing behind. The same text imported again creates nothing and points
    to the earlier draft. ``section`` defaults to the first section; ``dry_run`` reads, matches and
    checks everything as the import would, and stores nothing.
    ``may_create``: which kinds of ``NEW_NAME_KINDS`` the import may add for names it does not know (the admin
    passes the user's, ``creatable_by``); a manuscript that needs another fails, naming them.
    """
    from django.db import DatabaseError

    from articles import manuscripts

    result = ManuscriptImport(filename)
    try:
        result.manuscript = read_manuscript(text_or_bytes)
    except manuscripts.ManuscriptError as error:
        result.failure = error.message
        return result
    result.notes = list(result.manuscript.notes)
    result.duplicate_of = imported_article(result.manuscript.hashes)
    if result.duplicate_of is not None:
        return result
    section = section or _default_section()
    if section is None:
        result.failure = _("There is no section yet: create one in the admin first.")
        return result
    _match_names(result)
    result.failure = _names_not_allowed(result, may_create)
    if result.failure:
        return result
    try:
        # A dry run (the admin's preview) stores the drafts as the import would, and takes them back: what the
        # preview lets through the confirmation stores, and what the confirmation would refuse the preview names.
        with transaction.atomic():
            result.drafts = _create_drafts(result, user, section)
            if dry_run:
                raise _DryRunDone
    except _DryRunDone:
        result.drafts = []
    except ValidationError as error:
        result.drafts = []
        result.failure = " ".join(error.messages)
    except DatabaseError as error:
        result.drafts = []
        result.failure = _("The database refused the manuscript: %(error)s") % {"error": error}
    return result


def import_manuscripts(files, *, user, section=None, dry_run=False, progress=None, may_create=NEW_NAME_KINDS):
    """Import ``files`` ((filename, bytes or text) pairs) one by one; ``progress(number, total, result)`` after each.

    The same text twice in one batch is imported once. ``may_create``: as for ``import_manuscript``.
    """
    files = list(files)
    results, seen = [], {}
    for number, (filename, data) in enumerate(files, start=1):
        result = import_manuscript(
            data, user=user, filename=filename, section=section, dry_run=dry_run, may_create=may_create
        )
        if result.manuscript is not None and result.status != "duplicate":
            earlier = seen.get(result.manuscript.hash)
            if earlier is not None and result.status == "ready":  # a dry run: nothing stored to find it by
                result.duplicate_of_file = earlier.filename
            seen.setdefault(result.manuscript.hash, result)
        results.append(result)
        if progress is not None:
            progress(number, len(files), result)
    return results


# --- Search -------------------------------------------------------------------------------------
# Public search (articles/search.py has the tokenizer, the checks and the highlighting). Only stories whose status
# is published are in the index, scheduled ones included; every search goes through Article.objects.published(), so
# a scheduled story is found the moment its time passes, with no job. reindex_article is called by every workflow
# step that changes what is public (publish, unpublish, trash, restore, a reset of a scheduled story, a restored
# version) and by the admin after a save; ``manage.py rebuild_search_index`` rebuilds everything.

SEARCH_CANDIDATES = 500  # matches checked and ranked per search (headline hits, then the newest): 25 pages of 20
FTS_TABLE = "articles_searchdocument_fts"  # SQLite's FTS5 table (created by the search_index migration)
GIN_INDEX = "articles_searchdocument_grams_idx"  # PostgreSQL's index (created by the search_speed migration)
_SEARCH_COLUMNS = ["kind", "article_id", "entry_id", "title", "meta", "body", "published_at", "grams"]


def _search_documents(article):
    """The SearchDocuments of an article (prefetched as in ``_articles_to_index``), each with its index tokens: token
    codes on PostgreSQL (kept in ``grams``), token strings for SQLite's FTS5 table."""
    from django.db import connection

    from articles import search
    from articles.models import SearchDocument

    captions = [article.lead_photo_caption, *(item.caption for item in article.article_photos.all())]
    parts = {
        "title": "\n".join(filter(None, [article.kicker, article.headline, article.subtitle])),
        "meta": "\n".join(
            filter(
                None,
                [
                    article.summary,
                    article.pull_quote,
                    article.dateline_place,
                    # The name printed too: a reader searching for a reporter's former name finds her stories.
                    " ".join(
                        " ".join(filter(None, [byline.reporter.name, byline.printed_name]))
                        for byline in article.bylines.all()
                    ),
                ],
            )
        ),
        "body": "\n".join(filter(None, [html_to_text(article.body), *captions])),
    }
    documents = [SearchDocument(kind=SearchDocument.Kind.ARTICLE, article=article, **parts)]
    for entry in article.experience_entries.all():
        organization = entry.organization
        parts = {
            "title": entry.title,
            # The name printed too: a reader searching for the organisation's former name finds its entries.
            "meta": "\n".join(
                filter(None, [organization.name, organization.short_name, entry.printed_name, entry.highlight])
            ),
            "body": "\n".join(filter(None, [html_to_text(entry.body), entry.caption])),
        }
        documents.append(SearchDocument(kind=SearchDocument.Kind.ENTRY, article=article, entry=entry, **parts))
    pairs = []
    for document in documents:
        document.published_at = article.published_at
        document.title, document.meta, document.body = (
            search.prepare(clean_text(text)) for text in (document.title, document.meta, document.body)
        )
        if connection.vendor == "postgresql":
            document.grams = search.document_codes(document.title, document.meta, document.body)
            pairs.append((document, document.grams))
        else:
            pairs.append((document, search.document_tokens(document.title, document.meta, document.body)))
    return pairs


def _store_search_documents(pairs):
    """Insert (SearchDocument, tokens) pairs and their index entries."""
    from django.db import connection

    from articles.models import SearchDocument

    if not pairs:
        return
    SearchDocument.objects.bulk_create([document for document, _tokens in pairs])
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # FTS_TABLE is our own constant; the values are parameters.
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE}(rowid, tokens) VALUES (%s, %s)",  # noqa: S608  # nosec B608
                [(document.pk, " ".join(tokens)) for document, tokens in pairs],
            )


def _copy_search_documents(cursor, pairs):
    """PostgreSQL: load (SearchDocument, codes) pairs with COPY, many times faster than INSERTs for a rebuild."""
    columns = ", ".join(_SEARCH_COLUMNS)
    with cursor.cursor.copy(f"COPY articles_searchdocument ({columns}) FROM STDIN") as copy:
        for document, codes in pairs:
            row = [getattr(document, name) for name in _SEARCH_COLUMNS[:-1]]
            copy.write_row([*row, "{" + ",".join(map(str, codes)) + "}"])  # an int4[] literal: quick to write


def _articles_to_index():
    """Articles whose text belongs in the index: published or scheduled, not in the trash, with their parts."""
    from django.db.models import Prefetch

    from articles.models import Article, Byline, ExperienceEntry
    from articles.querysets import Status

    return Article.objects.filter(status=Status.PUBLISHED).prefetch_related(
        Prefetch("bylines", queryset=Byline.objects.select_related("reporter").order_by("order", "id")),
        Prefetch(
            "experience_entries",
            queryset=ExperienceEntry.objects.select_related("organization").order_by("order", "id"),
        ),
        "article_photos",
    )


def reindex_article(article):
    """Bring the search index up to date with one article: its documents are replaced, or removed if it is not
    published (or scheduled) any more. Called by the workflow steps and the admin."""
    from articles.models import SearchDocument

    with transaction.atomic():
        SearchDocument.objects.filter(article_id=article.pk).delete()  # SQLite: a trigger empties the FTS rows
        fresh = _articles_to_index().filter(pk=article.pk).first()
        if fresh is not None:
            _store_search_documents(_search_documents(fresh))
        page_cache.content_changed()  # retires the rankings kept for searches (search_documents)


def reindex_articles(articles):
    """reindex_article for each of ``articles`` (e.g. those naming a renamed reporter or organisation)."""
    for article in articles:
        reindex_article(article)


def rebuild_search_index(batch_size=500, progress=None):
    """Rebuild the whole index in one transaction; ``progress(done, total)`` after each batch. Returns the number of
    articles indexed. Safe to run twice."""
    from django.db import connection

    from articles.models import SearchDocument

    postgresql = connection.vendor == "postgresql"
    with transaction.atomic():
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                # FTS_TABLE is our own constant.
                cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608  # nosec B608
        elif postgresql:
            # Filling a GIN index row by row is many times slower than building it once over the loaded rows.
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE articles_searchdocument")
        else:
            SearchDocument.objects.all().delete()
        ids = list(_articles_to_index().order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), batch_size):
            batch = ids[start : start + batch_size]
            pairs = []
            for article in _articles_to_index().filter(pk__in=batch).order_by("pk"):
                pairs.extend(_search_documents(article))
            if postgresql:
                with connection.cursor() as cursor:
                    _copy_search_documents(cursor, pairs)
            else:
                _store_search_documents(pairs)
            if progress is not None:
                progress(min(start + batch_size, len(ids)), len(ids))
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check the deferred foreign keys now: an index
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # cannot be created with their checks pending
                cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")  # the whole index in memory: one pass
                # No pending list: a saved story is searchable at once and searches never scan unsorted entries.
                cursor.execute(
                    f"CREATE INDEX {GIN_INDEX} ON articles_searchdocument USING gin (grams) WITH (fastupdate = off)"
                )
                # Fresh statistics: the planner weighs a word's matches against a span of time by them (a table
                # just filled has none until autovacuum gets to it).
                cursor.execute("ANALYZE articles_searchdocument")
        page_cache.content_changed()  # retires the rankings kept for searches (search_documents)
    return len(ids)


@dataclass
class SearchResult:
    document_id: int
    entry_id: int | None
    hit: object  # search.Hit
    document: dict = None  # what the results page shows of the document: see load_search_page

    @property
    def is_entry(self):
        return self.entry_id is not None


@dataclass
class SearchResults:
    query: object  # search.Query
    results: list
    capped: bool = False  # more matches than SEARCH_CANDIDATES: only the newest were ranked


def _search_matches(query, *, now, section=None, year=None, kind=None):
    """Visible SearchDocuments that have every index token of ``query`` (GIN codes or FTS5), filtered; nothing is
    read from their texts yet. A query of single characters has no code on PostgreSQL: then every document."""
    from django.db import connection
    from django.db.models.expressions import RawSQL

    from articles.models import SearchDocument

    # The document's copy of the publishing time finds the newest public matches with no join.
    documents = SearchDocument.objects.filter(published_at__lte=now)
    if connection.vendor == "postgresql":
        if query.codes():
            documents = documents.filter(grams__contains=query.codes())
    else:
        # FTS_TABLE is our own constant; the reader's query is a parameter, built by the tokenizer (search.py).
        documents = documents.filter(
            pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (query.fts5(),))  # noqa: S608, S611  # nosec B608, B611
        )
    if section is not None:
        documents = documents.filter(article__section=section)
    if year is not None:
        documents = documents.filter(published_at__year=year)
    if kind is not None:
        documents = documents.filter(kind=kind)
    return documents


def _containing(documents, query):
    """``documents`` that contain each CJK word of ``query`` as it is (``strpos``/``instr``): pairs scattered over a
    text, or a shared code, do not count. The short title is tested first, the long body last."""
    from django.db.models import Value
    from django.db.models.functions import StrIndex
    from django.db.models.lookups import GreaterThan

    for text in query.substrings():
        documents = documents.filter(
            GreaterThan(StrIndex("title", Value(text)), 0)
            | GreaterThan(StrIndex("meta", Value(text)), 0)
            | GreaterThan(StrIndex("body", Value(text)), 0)
        )
    return documents


_TEXT_COLUMNS = ("pk", "entry_id", "title", "meta", "body", "published_at", "article_id")


def _candidate_rows(matches, size, after=None):
    """Up to ``size`` of ``matches``, newest first, as (publishing time, pk, entry id, title, meta, body, article id,
    is the article public); after the row keyed (time, pk) ``after`` if given. One query.

    The candidates are chosen from ids and times alone, then only they are joined to their texts and their
    articles. PostgreSQL would otherwise walk the publishing-time index and test every row's codes (thousands for
    a rare word): the inner subquery's OFFSET 0 makes it take the GIN index's matches first and sort only their
    times, or, for a short span of time, read the span by that index.
    """
    from django.db import connection
    from django.db.models import F
    from django.db.models.expressions import RawSQL

    from articles.models import Article

    keys = matches.annotate(m_time=F("published_at"), m_id=F("pk"))
    keys_sql, params = keys.order_by().values_list("m_time", "m_id").query.sql_with_params()
    public = Article.objects.published().filter(pk=RawSQL("d.article_id", ())).order_by().values("pk")
    public_sql, public_params = public.query.sql_with_params()
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    where = ""
    if after is not None:
        where = " WHERE (k.m_time, k.m_id) < (%s, %s)"
        params = (*params, *after)
    # The inner SQL is Django's, with its parameters; the reader's words reach the database only as parameters.
    # PostgreSQL reads the texts in a LATERAL subquery kept apart (OFFSET 0): one lookup by id per chosen row,
    # rather than a hash join over the whole table. SQLite does that lookup for a plain join.
    texts = f"EXISTS ({public_sql}) AS public FROM articles_searchdocument AS d"
    if connection.vendor == "postgresql":
        texts = f"CROSS JOIN LATERAL (SELECT d.*, {texts} WHERE d.id = m.m_id OFFSET 0) AS d"
    else:
        texts = f"JOIN (SELECT d.*, {texts}) AS d ON d.id = m.m_id"
    sql = (
        "SELECT m.m_time, m.m_id, d.entry_id, d.title, d.meta, d.body, d.article_id, d.public "  # noqa: S608  # nosec B608
        f"FROM (SELECT k.m_time, k.m_id FROM ({keys_sql}{fence}) AS k{where} "
        f"ORDER BY k.m_time DESC, k.m_id DESC LIMIT %s) AS m {texts} "
        "ORDER BY m.m_time DESC, m.m_id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, size, *public_params))
        return cursor.fetchall()


def _aware(value):
    """A time read by raw SQL as an aware datetime (SQLite gives the stored UTC text)."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, datetime.UTC)


# Where the newest matches are looked for (PostgreSQL), one span of time after another going back from now, until
# enough are found: the first span is SEARCH_FIRST_SPAN_DAYS long, each next one long enough for what is still wanted
# at the rate found so far (and half again), at most SEARCH_SPANS of them, the last one everything older. A common
# word has enough in the first span, and its thousands of older matches are never read; a word with nothing recent
# is looked for in all the rest at once. SQLite reads all matches at once (its FTS5 query would run once per span).
SEARCH_FIRST_SPAN_DAYS = 7
SEARCH_SPANS = 4
# Spans only for a word the planner expects in this many documents or more (its statistics know the commonest
# codes): a rarer word's matches are read at once, one query rather than several small ones.
SEARCH_SPANS_FROM = 2000


def _estimated_rows(queryset):
    """The planner's estimate of the rows of ``queryset`` (PostgreSQL's EXPLAIN: no row is read)."""
    import json

    return json.loads(queryset.explain(format="json"))[0]["Plan"]["Plan Rows"]


def _in_title(query):
    """A query word is in the document's title (lower-cased: a cheap test of the short title)."""
    from django.db.models import Value
    from django.db.models.functions import Lower, StrIndex
    from django.db.models.lookups import GreaterThan

    in_title = Q()
    for term in query.terms:
        in_title |= GreaterThan(StrIndex(Lower("title"), Value(term.text)), 0)
    return in_title


def _candidate_groups(query, matches, now):
    """``matches`` in the order candidates are taken: those with a query word in the title (however old), then the
    others in spans of time, newest first. A generator: after each group it is sent (how many candidates that group
    gave, how many are still wanted), which sizes the next span. On PostgreSQL the title's own codes
    (``search.title_code``) find the headline hits through the index, and the spans keep a common word's older
    matches unread."""
    from django.db import connection

    postgresql = connection.vendor == "postgresql"
    in_title = _in_title(query)
    headline_hits = matches.filter(in_title)
    if postgresql and all(term.title_codes for term in query.terms):
        in_title_codes = Q()
        for term in query.terms:
            in_title_codes |= Q(grams__contains=term.title_codes)
        headline_hits = headline_hits.filter(in_title_codes)
    yield headline_hits
    others = matches.exclude(in_title)
    if not postgresql or _estimated_rows(others) < SEARCH_SPANS_FROM:
        yield others
        return
    days, newer, seen = SEARCH_FIRST_SPAN_DAYS, None, 0
    for _span in range(SEARCH_SPANS - 1):
        older = now - datetime.timedelta(days=days)
        span = others.filter(published_at__gte=older)
        taken, wanted = yield span if newer is None else span.filter(published_at__lt=newer)
        newer, seen = older, seen + taken
        if not seen:  # nothing recent: all the rest at once
            break
        days += 1.5 * wanted * days / seen
        if days > 36500:  # a century back: all the rest
            break
    yield others.filter(published_at__lt=newer)


def _candidates(query, matches, limit, now):
    """The texts of up to ``limit`` documents of ``matches`` that contain the query's CJK words as they are, as
    ``_TEXT_COLUMNS``: those with a query word in the headline first (newest first), then the newest others.

    Few texts are read, each once: the candidates are chosen from ids and times (``_candidate_groups``), then only
    those are fetched and tested here for the words as they are (pairs scattered over a text, or a shared code, do
    not count), batch after batch, until ``limit`` are found or the matches run out. A query of single characters
    has no index on PostgreSQL: then the database reads the newest texts in one query until ``limit`` contain it.
    """
    from django.db import connection
    from django.db.models import Exists, OuterRef

    from articles.models import Article

    if connection.vendor == "postgresql" and not query.codes():
        public = Exists(Article.objects.published().filter(pk=OuterRef("article_id")))
        documents = _containing(matches, query).filter(public).order_by("-published_at", "-id")
        return list(documents.values_list(*_TEXT_COLUMNS)[:limit])
    words = query.substrings()
    # A few candidates do not contain the words as they are: a shared code, or pairs scattered over the text. A
    # two-character word is one pair, which cannot be scattered: a small margin will do (any shortfall is read in
    # the next batch), and fewer long texts are read for the commonest queries.
    margin = 50 if all(len(word) == 2 for word in words) else 5
    found = []
    groups = _candidate_groups(query, matches, now)
    group = next(groups)
    while True:
        before, after = len(found), None
        while len(found) < limit:
            wanted = limit - len(found)
            size = wanted + wanted // margin + 10
            rows = _candidate_rows(group, size, after)
            for _time, pk, entry_id, title, meta, body, article_id, public in rows:
                if public and all(word in title or word in meta or word in body for word in words):
                    found.append((pk, entry_id, title, meta, body, _aware(_time), article_id))
            if len(rows) < size:
                break
            after = rows[-1][:2]
        if len(found) >= limit:
            return found[:limit]
        try:
            group = groups.send((len(found) - before, limit - len(found)))
        except StopIteration:
            return found


SEARCH_RESULTS_KEPT = datetime.timedelta(minutes=10)  # a ranking is kept at most this long (freshness counts in it)
# Part of a kept ranking's key, raised whenever what is kept changes shape (search.Hit's fields): during a rolling
# deploy, servers of the old and the new code share the cache, and neither may read the other's rankings.
SEARCH_RANKING_FORMAT = 2


def search_documents(raw_query, *, section=None, year=None, kind=None, limit=SEARCH_CANDIDATES):
    """Published articles and experience entries matching ``raw_query`` (anything a reader types), ranked: headline
    hits first, then density, then freshness. Filters: a Section, a year (Beijing time), a kind.

    At most ``limit`` candidates: the documents that have every token of the query (GIN index or FTS5) and contain
    each CJK word as it is, those with a query word in the headline first (however old: headline hits rank first
    across all matches), then the newest others, whose articles are public (checked as every public page does).
    They come as plain rows (ids, texts, time) and are checked for word boundaries and ranked here. The page shown
    is loaded by load_search_page.

    The ranking is kept in the cache under the content generation (any change to what is published retires it),
    until the next scheduled story goes live and for at most SEARCH_RESULTS_KEPT: the next page of the same
    results, or the same words searched by many readers at once, cost one cache read.
    """
    from articles import search

    query = search.parse_query(raw_query)
    if not query:
        return SearchResults(query=query, results=[])

    def compute():
        results = _ranked(query, section=section, year=year, kind=kind, limit=limit)
        until = timezone.now() + SEARCH_RESULTS_KEPT
        scheduled = page_cache.next_change_moment()
        return results, until if scheduled is None else min(until, scheduled)

    terms = "\0".join(term.text for term in query.terms)
    key = hashlib.sha256(f"{terms}\n{section}\n{year}\n{kind}\n{limit}".encode()).hexdigest()
    ranked, capped = page_cache.kept_for_generation(f"search:{SEARCH_RANKING_FORMAT}:{key}", compute)
    return SearchResults(query=query, results=[SearchResult(*row) for row in ranked], capped=capped)


def _ranked(query, *, section, year, kind, limit):
    """The ranking of search_documents as plain data: ([(document id, entry id, Hit)], capped)."""
    from articles import search

    now = timezone.now()
    matches = _search_matches(query, now=now, section=section, year=year, kind=kind)
    candidates = _candidates(query, matches, limit, now)
    results = []
    for pk, entry_id, title, meta, body, published_at, _article_id in candidates:
        hit = search.check(query, title, meta, body, (now - published_at).total_seconds() / 86400)
        if hit.ok:
            results.append((pk, entry_id, hit))
    results.sort(key=lambda row: (-row[2].in_title, -row[2].score))
    return results, len(candidates) >= limit


def load_search_page(results):
    """Load what one page of results shows (one query) into ``result.document``: a dict of the document's ids, its
    article's ``headline``, ``kicker``, ``subtitle``, ``article_published_at``, ``section_slug`` and ``section_name``,
    the texts a snippet is taken from as readers read them (``search_result_snippet``), and the ``heading`` shown (an
    entry's is its organisation's short name and its title). Returns the results whose document is still there. Read
    from the primary, like the candidates: a replica a moment behind may not have a story published a second ago, and a
    story unpublished in between is simply left out."""
    from django.db import DEFAULT_DB_ALIAS
    from django.db.models import F

    from articles.models import SearchDocument

    rows = (
        SearchDocument.objects.using(DEFAULT_DB_ALIAS)
        .filter(pk__in=[result.document_id for result in results])
        .values(
            "pk",
            "entry_id",
            "article_id",
            headline=F("article__headline"),
            kicker=F("article__kicker"),
            subtitle=F("article__subtitle"),
            article_published_at=F("article__published_at"),
            section_slug=F("article__section__slug"),
            section_name=F("article__section__name"),
            entry_title=F("entry__title"),
            organization_name=F("entry__organization__name"),
            organization_short_name=F("entry__organization__short_name"),
            printed_name=F("entry__printed_name"),
            # What readers read, as written (search_result_snippet): the snippet is taken from it.
            summary=F("article__summary"),
            pull_quote=F("article__pull_quote"),
            article_body=F("article__body"),
            lead_photo_caption=F("article__lead_photo_caption"),
            entry_highlight=F("entry__highlight"),
            entry_body=F("entry__body"),
            entry_caption=F("entry__caption"),
        )
    )
    by_id = {row["pk"]: row for row in rows}
    loaded = []
    for result in results:
        row = result.document = by_id.get(result.document_id)
        if row is None:
            continue
        # An entry's heading is its card's: the organisation's short name and the entry's title.
        organization = row["printed_name"] or row["organization_short_name"] or row["organization_name"]
        row["heading"] = f"{organization}：{row['entry_title']}" if row["entry_id"] else row["headline"]
        loaded.append(result)
    return loaded


def search_result_snippet(row, hit, query):
    """The snippet of a row of ``load_search_page`` (safe HTML, ``search.snippet``), taken from what readers read:
    an article's summary, pull quote, body and lead photo's caption (the other photos' captions are not read: a
    match only there shows the summary); an entry's highlight, body and caption. The body and caption are looked
    through only when the index found a word of the query in that part (``hit.in_body``); with no match (the words
    are in the headline, a name or the dateline), the snippet is the start of the first non-empty text."""
    from articles import search

    if row["entry_id"]:
        short, body, after = [row["entry_highlight"]], row["entry_body"], [row["entry_caption"]]
    else:
        short, body, after = [row["summary"], row["pull_quote"]], row["article_body"], [row["lead_photo_caption"]]
    body_text = functools.cache(lambda: html_to_text(body))

    def texts():
        yield from short
        if hit.in_body:
            yield body_text()
            yield from after

    otherwise = next((text for text in short if text), None) or body_text()
    return search.snippet(texts(), query, otherwise)
