"""Work that spans models or the outside world: sanitising rich text, checking uploads, roles."""

import datetime
import io
import re
import unicodedata
import uuid
import warnings
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
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

    return Version.objects.get_for_object(article).select_related("revision", "revision__user")


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


def _html_to_text(html):
    """Rich text as lines of plain text: one per paragraph, heading or list item."""
    import html as html_module

    text = re.sub(r"</(p|h[1-6]|li|blockquote|figcaption|tr)>|<br\s*/?>", "\n", html or "", flags=re.I)
    text = html_module.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


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
    reporters = dict(Reporter.objects.filter(pk__in=[b["reporter_id"] for b in bylines]).values_list("pk", "name"))
    roles = dict(BylineRole.objects.filter(pk__in=[b["role_id"] for b in bylines]).values_list("pk", "name"))
    photo_ids = [p["photo_id"] for p in photos] + [e["photo_id"] for e in entries if e["photo_id"]]
    alt_texts = dict(Photo.objects.filter(pk__in=photo_ids).values_list("pk", "alt_text"))
    organizations = dict(
        Organization.objects.filter(pk__in=[e["organization_id"] for e in entries]).values_list("pk", "name")
    )
    section = Section.objects.filter(pk=fields.get("section_id")).values_list("name", flat=True).first() or ""

    def label(model, name=None):
        return capfirst(model._meta.get_field(name).verbose_name if name else model._meta.verbose_name_plural)

    parts = []
    for name in HISTORY_TEXT_FIELDS:
        value = fields.get(name) or ""
        parts.append((label(Article, name), _html_to_text(value) if name == "body" else str(value)))
    parts.append((label(Article, "section"), section))
    parts.append((label(Article, "dateline_on"), str(fields.get("dateline_on") or "")))
    byline_lines = [f"{roles.get(b['role_id'], '?')} {reporters.get(b['reporter_id'], '?')}" for b in bylines]
    parts.append((label(Byline), "\n".join(byline_lines)))
    photo_lines = [f"{alt_texts.get(p['photo_id'], '?')}：{p['caption']}" for p in photos]
    parts.append((label(ArticlePhoto), "\n".join(photo_lines)))
    for number, entry in enumerate(entries, start=1):
        heading = f"{organizations.get(entry['organization_id'], '?')}：{entry['title']}"
        body = "\n".join(filter(None, [heading, entry["highlight"], _html_to_text(entry["body"]), entry["caption"]]))
        parts.append((f"{capfirst(ExperienceEntry._meta.verbose_name)} {number}", body))
    return parts


def _diff_html(old, new):
    """Character-level differences of two texts as HTML with <del> and <ins>; everything escaped."""
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
    return "".join(pieces).replace("\n", "<br>")


def compare_versions(old_version, new_version):
    """The parts that differ between two versions: a list of (label, diff HTML)."""
    from django.utils.safestring import mark_safe

    old_parts = dict(_readable_parts(version_snapshot(old_version)))
    new_parts = _readable_parts(version_snapshot(new_version))
    labels = [label for label, _text in new_parts] + [label for label in old_parts if label not in dict(new_parts)]
    new_by_label = dict(new_parts)
    changes = []
    for label in labels:
        old_text, new_text = old_parts.get(label, ""), new_by_label.get(label, "")
        if old_text != new_text:
            changes.append((label, mark_safe(_diff_html(old_text, new_text))))  # every piece was escaped above
    return changes


def restore_version(article, version, user):
    """Bring back a version's text, bylines, photo links and entries; the publishing state stays as it is.

    The restore is itself saved as a new version, so nothing is ever lost.
    """
    import reversion
    from django.db import transaction

    from articles.models import ArticlePhoto, Byline, ExperienceEntry, Transition

    if int(version.object_id) != article.pk:
        raise ValidationError(_("That version belongs to another article."))
    snapshot = version_snapshot(version)
    with transaction.atomic(), reversion.create_revision():
        for name in HISTORY_RESTORED_FIELDS:
            if name in snapshot["fields"]:
                setattr(article, name, snapshot["fields"][name])
        article.edit_count += 1
        article.save()
        if "topics" in snapshot["fields"]:
            article.topics.set(snapshot["fields"]["topics"])
        article.bylines.all().delete()
        Byline.objects.bulk_create(
            Byline(article=article, **{name: row[name] for name in _BYLINE_FIELDS}) for row in snapshot["bylines"]
        )
        article.article_photos.all().delete()
        ArticlePhoto.objects.bulk_create(
            ArticlePhoto(article=article, **{name: row[name] for name in _PHOTO_FIELDS}) for row in snapshot["photos"]
        )
        article.experience_entries.all().delete()
        for row in snapshot["entries"]:
            # Saved one by one (not in bulk) so that rich text is sanitised again and each entry is versioned.
            ExperienceEntry.objects.create(article=article, **{name: row[name] for name in _ENTRY_FIELDS})
        for part in [*article.bylines.all(), *article.article_photos.all()]:
            reversion.add_to_revision(part)
        when = timezone.localtime(version.revision.date_created)
        comment = _("Restored the version of %(when)s") % {"when": f"{when:%Y-%m-%d %H:%M}"}
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
    SENSITIVE = "sensitive"
    MISWRITTEN = "miswritten"

    @property
    def blocks(self):
        """Missing parts and sensitive words stop publication (a chief editor may override a sensitive word)."""
        return self.kind in {self.MISSING, self.SENSITIVE}

    @property
    def kind_label(self):
        return {
            self.MISSING: _("Missing"),
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
            return _("%(photo)s has no alt text.") % {"photo": self.field_label}
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


def _field_label(field):
    """A reader's name for a Finding's field: "entry 3 body" is "第3条经验交流：正文"."""
    from articles.models import Article, ArticlePhoto, ExperienceEntry

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


class _TextExtractor(HTMLParser):
    """The text of sanitised rich text: inline tags vanish, block tags become line breaks, entities are decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(value):
    """The text a reader sees in a piece of rich text, one block per line."""
    if not value:
        return ""
    extractor = _TextExtractor()
    extractor.feed(value)
    extractor.close()
    return re.sub(r"\n{2,}", "\n", "".join(extractor.parts)).strip()


def _normalize_for_matching(value):
    """NFKC + casefold, so that full-width letters and case hide no word."""
    return unicodedata.normalize("NFKC", value).casefold()


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


def publication_findings(article) -> list[Finding]:
    """Everything to look at before ``article`` is published, in reading order.

    Required parts (headline, section, a byline, alt text on every photo), then every occurrence of an active
    watch word (sensitive or miswritten) in the text a reader sees. A fixed number of queries whatever the
    number of words, bylines, photos and entries: the word list, bylines, lead photo, photos, entries.
    """
    from articles.models import ArticlePhoto, Byline, ExperienceEntry, WatchWord

    findings = []
    if not (article.headline or "").strip():
        findings.append(Finding(Finding.MISSING, "headline"))
    if article.section_id is None:
        findings.append(Finding(Finding.MISSING, "section"))
    if not _related(article, "bylines", Byline.objects.filter(article=article)[:1]):
        findings.append(Finding(Finding.MISSING, "bylines"))

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
    if lead_photo is not None and not lead_photo.alt_text.strip():
        findings.append(Finding(Finding.MISSING, "lead_photo"))
    for number, article_photo in enumerate(photos, start=1):
        if not article_photo.photo.alt_text.strip():
            findings.append(Finding(Finding.MISSING, f"photo {number}"))
    for number, entry in enumerate(entries, start=1):
        if entry.photo_id and not entry.photo.alt_text.strip():
            findings.append(Finding(Finding.MISSING, f"entry {number} photo"))

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


# --- Concurrent editing -------------------------------------------------------------------------

PRESENCE_WINDOW_SECONDS = 120


def note_presence(article, user):
    """Mark the user as having the article's edit form open; return the others who have it open now."""
    from articles.models import EditPresence

    now = timezone.now()
    EditPresence.objects.update_or_create(article=article, user=user, defaults={"last_seen_at": now})
    since = now - datetime.timedelta(seconds=PRESENCE_WINDOW_SECONDS)
    return list(
        EditPresence.objects.filter(article=article, last_seen_at__gte=since).exclude(user=user).select_related("user")
    )


def presence_text(presence):
    """E.g. "王编辑 也打开了这篇稿件（14:05）"."""
    user = presence.user
    name = user.get_full_name() or user.get_username()
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

REVIEWED_TEXT_FIELDS = ("kicker", "headline", "subtitle", "summary", "body", "pull_quote")


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
    """The name of review level ``level`` (1-based): 初审/复审/终审 with three levels, 签发 with one."""
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
        _require(
            article.published_at is not None and article.published_at > timezone.now(),
            _("The story is already published."),
            "state",
        )
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


def _save_state(locked, article, fields):
    """Save the workflow ``fields`` of the locked row and copy them to the caller's instance."""
    locked.save(update_fields=fields)
    for name in fields:
        setattr(article, name, getattr(locked, name))


def _record(article, user, action, from_status, to_status="", level=None, comment=""):
    from articles.models import Transition

    return Transition.objects.create(
        article=article,
        action=action,
        from_status=from_status,
        to_status=to_status or from_status,
        level=level,
        user=user,
        comment=clean_text(comment or "").strip(),
    )


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


def _findings_text(findings):
    return "；".join(finding.message for finding in findings)


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
        missing = [finding for finding in findings if finding.kind == Finding.MISSING]
        sensitive = [finding for finding in findings if finding.kind == Finding.SENSITIVE]
        warnings = [finding for finding in findings if not finding.blocks]
        if missing:
            raise WorkflowError(
                _("The story cannot be published yet: %(problems)s") % {"problems": _findings_text(missing)},
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
        _save_state(locked, article, ["status", "published_at", "review_level"])
        scheduled = when > now
        _record(
            locked,
            user,
            Transition.Action.SCHEDULE if scheduled else Transition.Action.PUBLISH,
            from_status,
            Status.PUBLISHED,
            comment=_("Goes live at %(time)s") % {"time": f"{timezone.localtime(when):%Y-%m-%d %H:%M:%S}"}
            if scheduled
            else "",
        )
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
        _save_state(locked, article, ["status", "published_at", "review_level"])
        return _record(locked, user, Transition.Action.UNPUBLISH, Status.PUBLISHED, Status.DRAFT, comment=reason)


def reviewed_text(article):
    """What a sign-off approves, as comparable data: the text, the bylines in order and the entries."""
    from articles.models import Article

    fresh = Article.all_objects.filter(pk=article.pk).values(*REVIEWED_TEXT_FIELDS).first() or {}
    bylines = list(article.bylines.order_by("order", "id").values_list("order", "role_id", "reporter_id"))
    entries = list(
        article.experience_entries.order_by("order", "id").values_list(
            "order", "form", "organization_id", "title", "highlight", "body", "photo_id", "caption"
        )
    )
    return (tuple(fresh.get(name) for name in REVIEWED_TEXT_FIELDS), bylines, entries)


def reset_review_after_change(article, user):
    """A change to the text after a sign-off sends a story in review back to the first level. True if it did."""
    from django.db import transaction

    from articles.models import Transition
    from articles.querysets import Status

    with transaction.atomic():
        locked = _locked(article)
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


# --- Trash --------------------------------------------------------------------------------------
# Deleting an article in the admin moves it to the trash: hidden everywhere (the default manager leaves it out),
# kept with its bylines, photos, entries, transitions and versions. Editors restore it (as a draft: a story that
# was published goes through the workflow again); only the chief editor deletes it for good, and
# ``manage.py empty_trash`` deletes what has been in the trash longer than settings.NEWSROOM_TRASH_DAYS.


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
        _save_state(locked, article, ["deleted_at", "deleted_by"])
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
        _save_state(locked, article, ["deleted_at", "deleted_by", "status", "published_at", "review_level"])
        return _record(locked, user, Transition.Action.RESTORE, from_status, Status.DRAFT)


def purge_from_trash(article, user):
    """Delete an article in the trash for good, with its parts. Chief editors only."""
    from django.db import transaction

    _require_perm(user, "purge_article", _("Only the chief editor may delete a story for good."))
    with transaction.atomic():
        locked = _locked(article)
        _require(locked.deleted_at is not None, _("Only a story in the trash can be deleted for good."), "state")
        locked.delete()


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
            expired.delete()
    return count


def edit_conflict(article, seen_edit_count, seen_version_id):
    """Why a save from a form opened on an older state must be refused, or "" when there is no conflict.

    The message names who saved in between and when, and links to the comparison of their changes.
    """
    from django.urls import reverse
    from django.utils.html import format_html

    from articles.models import Article

    current = Article.objects.filter(pk=article.pk).values_list("edit_count", flat=True).first()
    if current is None or seen_edit_count is None or current == seen_edit_count:
        return ""
    latest = article_versions(article).first()
    who, when, link = "", "", ""
    if latest is not None:
        user = latest.revision.user
        who = (user.get_full_name() or user.get_username()) if user else ""
        when = f"{timezone.localtime(latest.revision.date_created):%H:%M:%S}"
        if seen_version_id and seen_version_id != latest.pk:
            history = reverse("admin:articles_article_history", args=[article.pk])
            link = f"{history}?old={seen_version_id}&new={latest.pk}#version-diff"
    message = _(
        "%(who)s saved this article at %(when)s, after you opened it. Your text is still in the form below and "
        "has not been saved. Compare the two; saving again replaces their version with yours (theirs stays in the "
        "history)."
    ) % {"who": who or _("Someone else"), "when": when or "—"}
    if link:
        return format_html('{} <a href="{}" target="_blank">{}</a>', message, link, _("See what they changed"))
    return message
