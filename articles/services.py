"""Work that spans models or the outside world: sanitising rich text, checking uploads, roles."""

import io
import re
import warnings

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

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
# lone surrogates, bidirectional overrides.
_FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def clean_text(value):
    """Remove characters that break databases, feeds or display from plain text."""
    if not value:
        return value
    return _FORBIDDEN_CHARACTERS.sub("", value)


def _only_safe_image_sources(element, attribute, value):
    """Images in rich text come from our own media storage only: no tracking pixels from other sites."""
    if element == "img" and attribute == "src":
        media_url = settings.MEDIA_URL
        if "\\" in value or not value.startswith(media_url) or (media_url.startswith("/") and value.startswith("//")):
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
    return clean_text(cleaned).strip()


# --- Images -------------------------------------------------------------------------------------

ACCEPTED_IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def check_image_upload(uploaded):
    """Decode an uploaded image fully and return its file extension, or raise ValidationError.

    The format is decided by decoding the content, not by the file's name. Oversized files,
    decompression bombs, truncated and corrupt images are refused.
    """
    max_bytes = settings.NEWSROOM_MAX_UPLOAD_BYTES
    if uploaded.size is not None and uploaded.size > max_bytes:
        raise ValidationError(
            _("The file is too large (%(size)d MB). The limit is %(limit)d MB.")
            % {"size": uploaded.size // (1024 * 1024), "limit": max_bytes // (1024 * 1024)},
            code="too_large",
        )
    uploaded.seek(0)
    data = uploaded.read()
    uploaded.seek(0)
    max_pixels = settings.NEWSROOM_MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format
                if image_format not in ACCEPTED_IMAGE_FORMATS:
                    raise ValidationError(_("Only JPEG, PNG and WebP photos are accepted."), code="format")
                width, height = image.size
                if width * height > max_pixels:
                    raise ValidationError(
                        _("The photo has too many pixels (%(mp).0f megapixels). The limit is %(limit).0f.")
                        % {"mp": width * height / 1e6, "limit": max_pixels / 1e6},
                        code="too_many_pixels",
                    )
                if getattr(image, "is_animated", False):
                    raise ValidationError(_("Animated images are not accepted."), code="animated")
                image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("The photo is too large to be decoded safely."), code="bomb") from None
    except Exception:
        raise ValidationError(
            _("The file is not a readable photo. It may be damaged or not an image at all."), code="invalid"
        ) from None
    return ACCEPTED_IMAGE_FORMATS[image_format]


def prepare_image_upload(uploaded):
    """Check an upload, then re-encode it: a clean file under a generated name, ready for an ImageField.

    Re-encoding applies the EXIF orientation and drops every metadata block (GPS included) and anything
    appended to the image data (image/HTML polyglots); the colour profile is kept.
    """
    extension = check_image_upload(uploaded)
    uploaded.seek(0)
    with Image.open(uploaded) as image:
        image_format = image.format
        icc_profile = image.info.get("icc_profile")
        upright = ImageOps.exif_transpose(image)
        options = {"icc_profile": icc_profile} if icc_profile else {}
        if image_format == "JPEG":
            if upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            options.update(quality=90, optimize=True)
        elif image_format == "WEBP":
            options.update(quality=90)
        buffer = io.BytesIO()
        upright.save(buffer, format=image_format, **options)
    uploaded.seek(0)
    return ContentFile(buffer.getvalue(), name=f"upload.{extension}")


def create_photo(uploaded, *, alt_text, user=None, credit_text=""):
    """Check an upload and store it as a Photo under a generated name. Nothing is saved if it is refused."""
    from articles.models import Photo

    clean_file = prepare_image_upload(uploaded)
    original_name = clean_text(getattr(uploaded, "name", "") or "")[-255:]
    photo = Photo(alt_text=clean_text(alt_text).strip(), credit_text=credit_text, original_filename=original_name)
    photo.uploaded_by = user if user is not None and user.is_authenticated else None
    photo.image.save(clean_file.name, clean_file, save=False)
    try:
        photo.save()
    except Exception:
        photo.image.delete(save=False)
        raise
    return photo


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
]  # fmt: skip
ROLE_PERMISSIONS = {
    REPORTER_GROUP: _REPORTER_PERMISSIONS,
    EDITOR_GROUP: _EDITOR_PERMISSIONS,
    CHIEF_EDITOR_GROUP: _CHIEF_EDITOR_PERMISSIONS,
}


def ensure_newsroom_groups(apps=None):
    """Create (or complete) the reporter, editor and chief-editor groups with their permissions.

    Called by a data migration (with the historical ``apps``) and by the demo content; returns the groups in
    that order.
    """
    if apps is None:
        from django.apps import apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    groups = []
    for name, codenames in ROLE_PERMISSIONS.items():
        found = list(Permission.objects.filter(content_type__app_label="articles", codename__in=codenames))
        missing = set(codenames) - {p.codename for p in found}
        if missing:
            raise RuntimeError(f"Permissions missing (run migrate first): {sorted(missing)}")
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(found)
        groups.append(group)
    return tuple(groups)
