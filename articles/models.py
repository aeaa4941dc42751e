"""The newsroom's content: articles with their bylines, photos and experience entries.

Names follow DOMAIN.md. Everything the public may see starts from ``published()``.
"""

import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from articles import services
from articles.querysets import (
    ArticleQuerySet,
    BylineQuerySet,
    ExperienceEntryQuerySet,
    OrganizationQuerySet,
    PhotoQuerySet,
    PublishableQuerySet,
    ReporterQuerySet,
    Status,
    TopicLinkQuerySet,
    TopicQuerySet,
)


class RichTextField(models.TextField):
    """A text field holding HTML from CKEditor 5, sanitised with nh3 whenever it is saved."""

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        cleaned = services.sanitize_html(value)
        setattr(model_instance, self.attname, cleaned)
        return cleaned

    def formfield(self, **kwargs):
        from articles.widgets import CKEditorWidget

        kwargs.setdefault("widget", CKEditorWidget)
        kwargs.setdefault("form_class", RichTextFormField)
        return super().formfield(**kwargs)


class RichTextFormField(forms.CharField):
    """Changed only when the text saved would change: CKEditor gives the same text back in another form (an image
    with a style the sanitiser drops, no line breaks between blocks), which the history would call a change."""

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        saved = services.reviewed_rich_text(services.sanitize_html(data or ""))
        return saved != services.reviewed_rich_text(initial or "")

    def clean(self, value):
        value = super().clean(value)
        lost = services.images_without_source(services.sanitize_html(value))
        if lost:
            # Saved, it would be an empty frame on the public page (the sanitiser drops an address not ours).
            raise forms.ValidationError(
                _(
                    "Image %(numbers)s cannot be kept: it was not uploaded to this site (pasted from Word or WPS, an "
                    "image points at a file on your own computer; copied from a web page, at another site). Delete "
                    "it in the text, then insert it with the “Upload image from computer” button."
                ),
                code="image_not_ours",
                params={"numbers": "、".join(map(str, lost))},
            )
        return value


@deconstructible
class GeneratedUploadPath:
    """Uploads are stored under generated names, ``<folder>/YYYY/MM/<random>.<ext>``; the sender's name is data."""

    def __init__(self, folder):
        self.folder = folder

    def __call__(self, instance, filename):
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if not (ext.isascii() and ext.isalnum() and len(ext) <= 5):
            ext = "bin"
        return f"{self.folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"

    def __eq__(self, other):
        return isinstance(other, GeneratedUploadPath) and other.folder == self.folder


photo_upload_to = GeneratedUploadPath("photos")
portrait_upload_to = GeneratedUploadPath("portraits")


# --- Publishing -------------------------------------------------------------------------------


class Publishable(models.Model):
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_("Only published items whose publishing time has passed are visible to readers."),
    )
    published_at = models.DateTimeField(
        _("publishing time"),
        null=True,
        blank=True,
        help_text=_(
            "Newsroom time (Beijing), set by the workflow's publish or schedule step; a scheduled story goes live by "
            "itself at its time."
        ),
    )

    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED) | Q(published_at__isnull=False),
                name="%(app_label)s_%(class)s_published_has_time",
            ),
        ]

    def is_published(self):
        return self.status == Status.PUBLISHED and self.published_at is not None and self.published_at <= timezone.now()

    is_published.boolean = True
    is_published.short_description = _("live now")

    def is_scheduled(self):
        """Published with a time still to come: it goes live by itself then."""
        return self.status == Status.PUBLISHED and self.published_at is not None and self.published_at > timezone.now()


# --- People, places and organisations ----------------------------------------------------------


class Reporter(models.Model):
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    slug = models.SlugField(
        _("slug"), max_length=60, unique=True, help_text=_("Latin letters for the reporter's page address.")
    )
    title = models.CharField(
        _("default title"),
        max_length=30,
        blank=True,
        help_text=_(
            "The usual role, e.g. 首席记者: a byline left without a role takes it. Each byline may set its own."
        ),
    )
    affiliation = models.CharField(
        _("affiliation"),
        max_length=100,
        blank=True,
        help_text=_("The paper for staff; the outside organisation for a correspondent."),
    )
    bio = models.TextField(_("biography"), blank=True)
    portrait = models.ImageField(_("portrait"), upload_to=portrait_upload_to, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reporter",
        help_text=_("Correspondents usually have no login."),
    )
    is_active = models.BooleanField(
        pgettext_lazy("reporter", "active"),
        default=True,
        help_text=_(
            "Untick when the reporter leaves: she is no longer offered for new bylines, her stories and page stay, "
            "and her login, if she has one, is deactivated at once. Ticking it again does not restore the login: "
            "the site's administrator does that."
        ),
    )  # 在职; a login's is 有效

    objects = ReporterQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")
        permissions = [("end_reporter_login", _("Can mark a reporter with a login as departed, ending the login"))]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:reporter_detail", kwargs={"slug": self.slug})


class BylineRole(models.Model):
    """The editable vocabulary of byline roles: 记者, 首席记者, 通讯员, 整理 ..."""

    name = models.CharField(_("name"), max_length=20, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("byline role")
        verbose_name_plural = _("byline roles")

    def __str__(self):
        return self.name


class Section(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0, help_text=_("Lower numbers come first in menus."))

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:section_detail", kwargs={"slug": self.slug})


class Topic(models.Model):
    title = models.CharField(_("title"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    summary = models.TextField(_("summary"), blank=True)
    place = models.CharField(_("place"), max_length=50, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_featured = models.BooleanField(
        _("featured"), default=False, help_text=_("Featured topics are shown on the home page.")
    )

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "title"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
            ),
        ]

    def __str__(self):
        # With its month in the admin's topic box: topics of the same title (a yearly campaign) were told apart by
        # nothing there.
        if self.starts_on:
            return f"{self.title}（{self.starts_on.year}年{self.starts_on.month}月）"
        return self.title

    def get_absolute_url(self):
        return reverse("articles:topic_detail", kwargs={"slug": self.slug})

    def clean(self):
        """The end before the start was refused by the database's rule alone, by its name (约束
        "articles_topic_ends_after_start" 是无效的): said on the field, in words."""
        super().clean()
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise forms.ValidationError({"ends_on": _("A topic cannot end before it starts: check the two dates.")})


class Organization(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City or prefecture")
        COUNTY = "county", _("County level")
        TOWNSHIP = "township", _("Township or subdistrict")
        VILLAGE = "village", _("Village or community")

    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="%(app_label)s_%(class)s_not_own_parent"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:organization_detail", kwargs={"slug": self.slug})

    # From the top down: a parent is at its child's level or above (a city's 市直机关妇工委 under the city's 妇联).
    LEVEL_RANKS = {level: rank for rank, level in enumerate(Level.values)}

    def clean(self):
        """The tree stays a tree, top down: no parent among this organisation's own (a loop shows each as the
        other's parent on the public pages), no parent at a lower level, no child of this one left above it."""
        super().clean()
        if not self.level:
            return
        rank = self.LEVEL_RANKS[self.level]
        if self.parent_id:
            ancestor, seen = self.parent, set()
            while ancestor is not None and ancestor.pk not in seen:  # ``seen``: a loop stored before ends the walk
                if ancestor.pk == self.pk:
                    raise forms.ValidationError(
                        {"parent": _("The parent cannot be this organisation or one under it: that would make a loop.")}
                    )
                seen.add(ancestor.pk)
                ancestor = ancestor.parent
            if self.LEVEL_RANKS[self.parent.level] > rank:
                raise forms.ValidationError(
                    {
                        "parent": _(
                            "The parent, %(parent)s, is at a lower level (%(parent_level)s) than this organisation "
                            "(%(level)s): check the level or the parent."
                        )
                        % {
                            "parent": self.parent.name,
                            "parent_level": self.parent.get_level_display(),
                            "level": self.get_level_display(),
                        }
                    }
                )
        if self.pk:
            above = [level for level, child_rank in self.LEVEL_RANKS.items() if child_rank < rank]
            child = self.children.filter(level__in=above).order_by("name").first() if above else None
            if child is not None:
                raise forms.ValidationError(
                    {
                        "level": _(
                            "%(child)s, under this organisation, is at a higher level (%(child_level)s) than "
                            "%(level)s: change its level or parent first."
                        )
                        % {
                            "child": child.name,
                            "child_level": child.get_level_display(),
                            "level": self.get_level_display(),
                        }
                    }
                )


# --- Photos -------------------------------------------------------------------------------------


class Photo(models.Model):
    image = models.ImageField(_("image"), upload_to=photo_upload_to, width_field="width", height_field="height")
    width = models.PositiveIntegerField(_("width"), editable=False, default=0)
    height = models.PositiveIntegerField(_("height"), editable=False, default=0)
    alt_text = models.CharField(
        _("alt text"),
        max_length=200,
        help_text=_("What the photo shows, read aloud to blind readers. Required."),
    )
    credit_reporter = models.ForeignKey(
        Reporter,
        verbose_name=_("photographer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
    )
    credit_text = models.CharField(
        _("credit"),
        max_length=100,
        blank=True,
        help_text=_("Used when the photographer is not a reporter, e.g. 受访者供图."),
    )
    original_filename = models.CharField(_("original file name"), max_length=255, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
        editable=False,
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    focal_x = models.FloatField(
        _("focal point (across)"),
        default=0.5,
        help_text=_("Where the photo's subject is, from 0 (left edge) to 1 (right edge). Cards crop around it."),
    )
    focal_y = models.FloatField(
        _("focal point (down)"),
        default=0.5,
        help_text=_("Where the photo's subject is, from 0 (top edge) to 1 (bottom edge). Cards crop around it."),
    )

    # The stored names of the files this photo had before its file was replaced (oldest first): a version of a
    # story from before shows it by an old address, which a restore points at the current file. The database's own
    # default (migration 0034) is for the release before 0027, which stores photos without it during a rolling deploy.
    former_names = models.JSONField(_("former files"), default=list, db_default=[], blank=True, editable=False)
    # The credited reporter's name as each story that had come out printed it ({"<article id>": name}), kept when
    # she is renamed (or merged into another) since: that story shows what was printed, the same photo in a later
    # story her name of then. Cleared when the photo is credited to someone else (a mistake corrected).
    printed_credits = models.JSONField(_("credits as printed"), default=dict, db_default={}, blank=True, editable=False)
    rendition_set = models.JSONField(
        _("renditions made"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("Filled when the renditions are made, so that pages show them without a query."),
    )

    objects = PhotoQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [
            models.CheckConstraint(condition=~Q(alt_text=""), name="%(app_label)s_%(class)s_has_alt_text"),
            models.CheckConstraint(
                condition=Q(focal_x__gte=0, focal_x__lte=1, focal_y__gte=0, focal_y__lte=1),
                name="%(app_label)s_%(class)s_focal_point_inside",
            ),
        ]

    def __str__(self):
        return self.alt_text

    def save(self, *args, **kwargs):
        # Credited to someone else (a mistake corrected): the names printed were the other one's, not this one's.
        if self.printed_credits and self.pk is not None:
            credited = Photo.objects.filter(pk=self.pk).values_list("credit_reporter_id", flat=True).first()
            if credited != self.credit_reporter_id:
                self.printed_credits = {}
        super().save(*args, **kwargs)

    @property
    def credit(self):
        """The printed credit. Uses only the reporter loaded with the photo (select_related it)."""
        if self.credit_reporter_id:
            return self.credit_reporter.name
        return self.credit_text

    def credit_name_in(self, article_id):
        """The credited reporter's name in the story ``article_id``: as printed when it came out, else her name now.
        Uses only the reporter loaded with the photo."""
        return self.printed_credits.get(str(article_id)) or self.credit_reporter.name

    @property
    def full_picture(self):
        """The whole photo for <picture>: srcsets from the prefetched renditions, or the original (see Picture)."""
        return services.Picture.of(self, Rendition.Kind.FULL)

    @property
    def card_picture(self):
        """The 3:2 crop around the focal point for cards, falling back to the whole photo, then the original."""
        return services.Picture.of(self, Rendition.Kind.CARD)


def rendition_upload_to(instance, filename):
    """``renditions/YYYY/MM/<the photo's generated name>/<kind>-<width>.<format>``: a photo's renditions together.
    Renditions made again (a moved focal point) carry a mark of that making (``<kind>-<width>-<making>``): an
    address once served is never served with other content, which browsers and CDNs would keep showing."""
    stem = instance.photo.image.name.rsplit(".", 1)[0].removeprefix("photos/")
    extension = "jpg" if instance.format == Rendition.Format.JPEG else instance.format
    making = getattr(instance, "making", "")
    return f"renditions/{stem}/{instance.kind}-{instance.width}{'-' + making if making else ''}.{extension}"


class Rendition(models.Model):
    """A resized (and for cards cropped) copy of a photo, made once when the photo is stored and reused by pages."""

    class Kind(models.TextChoices):
        FULL = "full", _("Whole photo")
        CARD = "card", _("Card crop (3:2 around the focal point)")

    class Format(models.TextChoices):
        WEBP = "webp", "WebP"
        JPEG = "jpeg", "JPEG"
        AVIF = "avif", "AVIF"

    photo = models.ForeignKey(Photo, verbose_name=_("photo"), on_delete=models.CASCADE, related_name="renditions")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.FULL)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    file = models.FileField(_("file"), upload_to=rendition_upload_to, max_length=255)

    class Meta:
        ordering = ["photo", "kind", "format", "width"]
        verbose_name = _("rendition")
        verbose_name_plural = _("renditions")
        constraints = [
            models.UniqueConstraint(
                fields=["photo", "kind", "width", "format"], name="%(app_label)s_%(class)s_one_per_size"
            ),
            models.CheckConstraint(condition=Q(width__gt=0, height__gt=0), name="%(app_label)s_%(class)s_has_size"),
        ]

    def __str__(self):
        return f"{self.photo_id} {self.kind} {self.width}w {self.format}"


# --- Articles -----------------------------------------------------------------------------------


def print_page_anchor(number):
    """The fragment of a print page on the print-edition view ("A03" → "page-a03"), or "" without a number."""
    # Unicode kept: a page called 头版 is "page-头版" (an HTML id may hold it), not "page-" like every other one.
    return f"page-{slugify(number, allow_unicode=True)}" if number else ""


def print_page_title(number, name):
    """How a print page is named: "A03版 要闻"; a number that names itself as a page ("头版") takes no second 版,
    and a name that repeats the number is not said twice; "" without either."""
    parts = []
    if number:
        parts.append(number if number.endswith("版") else number + pgettext("print page number suffix", "page"))
    if name and name != number:
        parts.append(name)
    return " ".join(parts)


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    """Articles outside the trash: what the admin, the public site and every query start from."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)

    def published_detail(self, pk, related=0):
        # Its compiled query leaves the trash out itself: the manager's filter would be built for nothing.
        return super().get_queryset().published_detail(pk, related)


class Article(Publishable):
    kicker = models.CharField(
        _("kicker"), max_length=100, blank=True, help_text=_("The short line printed above the headline (引题).")
    )
    headline = models.CharField(_("headline"), max_length=200)
    subtitle = models.CharField(
        _("subtitle"),
        max_length=200,
        blank=True,
        help_text=_("The deck under the headline (副题), often the main speaker's message."),
    )
    summary = models.TextField(
        _("summary"), blank=True, help_text=_("Shown on lists, feeds and share cards instead of the body (导语).")
    )
    body = RichTextField(_("body"), blank=True)
    source = models.CharField(
        _("source line"),
        max_length=100,
        blank=True,
        default="今日女报 / 凤网",
        help_text=_("Printed before the bylines (来源)."),
    )
    section = models.ForeignKey(Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="articles")
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="articles")
    dateline_place = models.CharField(_("dateline place"), max_length=50, blank=True)
    dateline_on = models.DateField(
        _("dateline date"),
        null=True,
        blank=True,
        help_text=_("The date the story happened, as printed at the start of the body."),
    )
    pull_quote = models.TextField(
        _("pull quote"),
        blank=True,
        help_text=_("A sentence highlighted above the body (金句); it should also appear in the body."),
    )
    lead_photo = models.ForeignKey(
        Photo,
        verbose_name=_("lead photo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # a photo in use is not deleted from under a story: the admin names the stories
        related_name="lead_articles",
        help_text=_("Shown at the top of the article, on cards and in share previews."),
    )
    lead_photo_caption = models.TextField(
        _("lead photo caption"), blank=True, help_text=_("Printed under the lead photo on the article page (图说).")
    )
    print_issue_on = models.DateField(_("print issue date"), null=True, blank=True)
    print_page_number = models.CharField(_("print page number"), max_length=10, blank=True, help_text=_("E.g. A03."))
    print_page_name = models.CharField(_("print page name"), max_length=30, blank=True, help_text=_("E.g. 要闻."))
    package_lead = models.ForeignKey(
        "self",
        verbose_name=_("package lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="companions",
        help_text=_("The main story of the package this story belongs to, e.g. the meeting report of a roundup."),
    )
    first_published_at = models.DateTimeField(
        _("first published"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "When the story first went live. A story taken offline and published again keeps this date: it does not "
            "come back as new."
        ),
    )
    manuscript_hash = models.CharField(
        _("manuscript fingerprint"),
        max_length=64,
        blank=True,
        db_index=True,
        editable=False,
        help_text=_("Identifies the imported manuscript: importing the same text again creates nothing."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Workflow state (changed only by the workflow services, never typed in a form).
    review_level = models.PositiveSmallIntegerField(
        _("review levels signed"), default=0, editable=False, help_text=_("Sign-offs in the current review round.")
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    edit_count = models.PositiveIntegerField(
        _("edit count"), default=0, editable=False, help_text=_("Raised by every save; a stale form is refused.")
    )
    deleted_at = models.DateTimeField(_("moved to trash at"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moved to trash by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = ArticleManager()  # everything but the trash
    all_objects = ArticleQuerySet.as_manager()  # the trash included

    class Meta(Publishable.Meta):
        ordering = ["-published_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        default_manager_name = "objects"
        base_manager_name = "all_objects"
        permissions = [
            ("publish_article", _("Can publish, schedule and unpublish articles")),
            ("edit_any_article", _("Can edit any reporter's articles")),
            ("review_article", _("Can sign off a review level")),
            ("override_checks", _("Can publish despite sensitive words, with a reason")),
            ("share_article", _("Can create preview links for outside sources")),
            ("purge_article", _("Can delete articles permanently and empty the trash")),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="articles_article_public_idx"),
            models.Index(fields=["section", "status", "-published_at"], name="articles_article_section_idx"),
            models.Index(fields=["print_issue_on", "print_page_number"], name="articles_article_print_idx"),
            # Public lists (newest first, every page including deep ones) and the admin's list and filters: the
            # orderings with their tie-breaker, on the rows they can show (see tests/test_list_indexes.py).
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(status=Status.PUBLISHED, deleted_at__isnull=True),
                name="articles_article_live_idx",
            ),
            models.Index(
                fields=["section", "-published_at", "-id"],
                condition=Q(status=Status.PUBLISHED, deleted_at__isnull=True),
                name="articles_article_live_sec_idx",
            ),
            # A list read through another table's ids (a topic's links, migration 0016): which of them are live, and
            # when, from the index alone (PostgreSQL; without INCLUDE elsewhere).
            models.Index(
                fields=["id"],
                include=["published_at"],
                condition=Q(status=Status.PUBLISHED, deleted_at__isnull=True),
                name="articles_article_live_id_idx",
            ),
            models.Index(
                fields=["-published_at", "-id"], condition=Q(deleted_at__isnull=True), name="articles_article_admin_idx"
            ),
            models.Index(
                fields=["status", "-published_at", "-id"],
                condition=Q(deleted_at__isnull=True),
                name="articles_article_adm_stat_idx",
            ),
            models.Index(
                fields=["section", "-published_at", "-id"],
                condition=Q(deleted_at__isnull=True),
                name="articles_article_adm_sec_idx",
            ),
            models.Index(
                fields=["submitted_at", "id"],
                condition=Q(status=Status.IN_REVIEW, deleted_at__isnull=True),
                name="articles_article_queue_idx",
            ),
        ]
        constraints = [
            *Publishable.Meta.constraints,
            models.CheckConstraint(condition=~Q(headline=""), name="%(app_label)s_%(class)s_has_headline"),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        # As the paper writes it ("a3", "Ａ０３" → "A03"): one page is one page on the print-edition view, in order.
        self.print_page_number = services.normalized_page_number(self.print_page_number)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:article_detail", kwargs={"pk": self.pk})

    @classmethod
    def from_db(cls, db, field_names, values):
        """Keeps the status as loaded: a save that leaves an unpublished story unpublished changes no public page
        and keeps the page cache (articles/cache.py)."""
        instance = super().from_db(db, field_names, values)
        if "status" in instance.__dict__:
            instance._loaded_status = instance.status
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if (fields is None or "status" in fields) and "status" in self.__dict__:
            self._loaded_status = self.status

    @property
    def print_reference(self):
        """E.g. "2026年11月20日 A03版 要闻"; empty when the story was not in print."""
        if not self.print_issue_on:
            return ""
        issue = f"{self.print_issue_on.year}年{self.print_issue_on.month}月{self.print_issue_on.day}日"
        return " ".join(filter(None, [issue, print_page_title(self.print_page_number, self.print_page_name)]))

    @property
    def print_is_out(self):
        """Whether the paper this story is printed in is out (its day has come in Beijing): the story's page shows
        its print reference from then on."""
        return self.print_issue_on is not None and self.print_issue_on <= timezone.localdate()

    @property
    def print_page_anchor(self):
        """The fragment of this story's page on the print-edition view, e.g. "page-a03"."""
        return print_page_anchor(self.print_page_number)

    def get_print_url(self):
        """The print-edition view of this story's issue, at its page; empty when the story was not in print."""
        if not self.print_issue_on:
            return ""
        url = reverse("articles:print_issue", kwargs={"issue_on": self.print_issue_on})
        return f"{url}#{self.print_page_anchor}" if self.print_page_anchor else url


class TopicLink(models.Model):
    """A row of ``Article.topics``' own table, read with the copies of its article's state that migration 0017 put
    there and keeps by triggers (``article_live``: published, not in the trash; ``article_published_at``), as the
    bylines and the experience entries carry theirs. ``articles_topic_link_live_idx`` (topic, newest first) then
    gives a topic's newest stories from a few entries of an index. Read-only: links are written through
    ``Article.topics``, whose table Django manages."""

    article = models.ForeignKey("Article", on_delete=models.DO_NOTHING, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.DO_NOTHING, related_name="+")
    article_live = models.BooleanField(default=False, editable=False)
    article_published_at = models.DateTimeField(null=True, editable=False)

    objects = TopicLinkQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "articles_article_topics"
        verbose_name = _("topic link")
        verbose_name_plural = _("topic links")

    def __str__(self):
        return f"{self.article_id} {self.topic_id}"


class Byline(models.Model):
    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="bylines")
    reporter = models.ForeignKey(Reporter, verbose_name=_("reporter"), on_delete=models.PROTECT, related_name="bylines")
    role = models.ForeignKey(BylineRole, verbose_name=_("role"), on_delete=models.PROTECT, related_name="bylines")
    order = models.PositiveSmallIntegerField(_("order"), default=0, help_text=_("Bylines are printed in this order."))
    # The reporter's name as the story was printed, kept when the reporter is renamed (or merged into another) after
    # the story came out: the story shows what was printed. Empty: the reporter's current name.
    printed_name = models.CharField(_("name as printed"), max_length=50, blank=True, editable=False)
    # Copies of the article's state, kept by database triggers (migration 0015, as the entries' are by 0013): a
    # reporter's page reads its stories in order from articles_byline_live_idx (ReporterDetailView).
    article_live = models.BooleanField(default=False, editable=False)  # published and not in the trash
    article_published_at = models.DateTimeField(null=True, editable=False)

    objects = BylineQuerySet.as_manager()

    class Meta:
        ordering = ["article", "order", "id"]
        verbose_name = _("byline")
        verbose_name_plural = _("bylines")
        constraints = [
            models.UniqueConstraint(fields=["article", "reporter", "role"], name="%(app_label)s_%(class)s_unique_role"),
        ]
        indexes = [
            models.Index(fields=["reporter", "article"], name="articles_byline_reporter_idx"),
            models.Index(
                fields=["reporter", "-article_published_at", "-article"],
                condition=Q(article_live=True),
                name="articles_byline_live_idx",
            ),
        ]

    def __str__(self):
        return f"{self.role} {self.shown_name}"

    def save(self, *args, **kwargs):
        # Given to another reporter (a mistake corrected): the name printed was the other one's, not this one's.
        if self.printed_name and self.reporter_id != getattr(self, "_loaded_reporter_id", self.reporter_id):
            self.printed_name = ""
        super().save(*args, **kwargs)
        self._loaded_reporter_id = self.reporter_id

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_reporter_id = instance.__dict__.get("reporter_id")
        return instance

    @property
    def shown_name(self):
        """The name the byline prints: as printed when the story came out, else the reporter's."""
        return self.printed_name or self.reporter.name


class ArticlePhoto(models.Model):
    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="article_photos"
    )
    photo = models.ForeignKey(
        Photo,
        verbose_name=_("photo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="article_photos",
        help_text=_("Empty for a caption imported without its photo: attach one before publishing."),
    )
    caption = models.TextField(_("caption"), blank=True, help_text=_("Printed under the photo in this article (图说)."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["article", "order", "id"]
        verbose_name = _("article photo")
        verbose_name_plural = _("article photos")
        constraints = [
            # A link without a photo is a caption placeholder (from an imported manuscript): it needs its caption.
            models.CheckConstraint(
                condition=Q(photo__isnull=False) | ~Q(caption=""), name="%(app_label)s_%(class)s_photo_or_caption"
            ),
        ]

    def __str__(self):
        return self.caption or str(self.photo)


class ExperienceEntry(models.Model):
    class Form(models.TextChoices):
        ORAL = "oral", _("Shared orally at the meeting")
        WRITTEN = "written", _("Shared in writing")

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="experience_entries"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="experience_entries"
    )
    title = models.CharField(
        _("title"), max_length=200, help_text=_("Printed after the organisation's name and a colon.")
    )
    highlight = models.TextField(_("highlighted sentence"), blank=True)
    body = RichTextField(_("body"), blank=True)
    photo = models.ForeignKey(
        Photo,
        verbose_name=_("photo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # as the lead photo's
        related_name="experience_entries",
    )
    caption = models.TextField(_("caption"), blank=True)
    form = models.CharField(_("form"), max_length=16, choices=Form.choices, default=Form.WRITTEN)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # The organisation's name as the entry was printed, kept when the organisation is renamed after the story came
    # out (a county that became a district): the archive shows what was printed. Empty: the current name.
    printed_name = models.CharField(_("organisation as printed"), max_length=100, blank=True, editable=False)
    # Copies of the article's state for the experience lists' indexes (ExperienceEntryQuerySet.listed()): kept by
    # database triggers (migration 0013), never by Python, so that every path that changes an article (a save, a
    # bulk update, raw SQL, the trash) or an entry keeps them right. Whatever a save writes here is replaced.
    article_live = models.BooleanField(default=False, editable=False)  # published and not in the trash
    article_published_at = models.DateTimeField(null=True, editable=False)

    objects = ExperienceEntryQuerySet.as_manager()

    class Meta:
        ordering = ["article", "order", "id"]
        verbose_name = _("experience entry")
        verbose_name_plural = _("experience entries")
        indexes = [
            models.Index(fields=["organization", "article"], name="articles_entry_org_idx"),
            # The experience index (newest first, every page; form and organisation read from the index itself)
            # and an organisation's page, on the entries of published articles (see tests/test_experience_speed.py).
            models.Index(
                fields=["-article_published_at", "-article", "order", "id", "form", "organization"],
                condition=Q(article_live=True),
                name="articles_entry_live_idx",
            ),
            models.Index(
                fields=["organization", "-article_published_at", "-article", "order", "id"],
                condition=Q(article_live=True),
                name="articles_entry_live_org_idx",
            ),
        ]

    def __str__(self):
        return f"{self.organization}：{self.title}"

    def save(self, *args, **kwargs):
        # Moved to another organisation (a mistake corrected): the name printed was the other one's, not this one's.
        if self.printed_name and self.organization_id != getattr(self, "_loaded_organization_id", self.organization_id):
            self.printed_name = ""
        super().save(*args, **kwargs)
        self._loaded_organization_id = self.organization_id

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#entry-{self.pk}"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_organization_id = instance.__dict__.get("organization_id")
        return instance

    @property
    def shown_name(self):
        """The organisation's name in the entry's heading: as printed, else its short name, else its name."""
        return self.printed_name or self.organization.short_name or self.organization.name


class Correction(models.Model):
    """A correction or update note printed on the article page, in the order it was made."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        UPDATE = "update", _("Update")

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="corrections"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CORRECTION)
    text = models.TextField(_("text"), help_text=_("Shown to readers at the end of the article, with its time."))
    noted_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["article", "noted_at", "id"]
        verbose_name = _("correction or update")
        verbose_name_plural = _("corrections and updates")
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="%(app_label)s_%(class)s_has_text")]

    def __str__(self):
        return self.text[:50]

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.touch_article(min(self.noted_at, timezone.now()))

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self.touch_article(timezone.now())
        return result

    # A correction is noted when it is made: a few minutes ahead is a clock's drift, more is a mistyped date that
    # would date the story's last change (feeds, sitemaps, dateModified) in the future.
    FUTURE_TOLERANCE = timedelta(minutes=5)

    def clean(self):
        super().clean()
        if self.noted_at and self.noted_at > timezone.now() + self.FUTURE_TOLERANCE:
            raise forms.ValidationError(
                {"noted_at": _("A correction cannot be dated in the future: give the time it was made.")}
            )

    def touch_article(self, moment):
        """A correction changes what readers see: the article's feeds and sitemap entries must say so, even when
        the correction is saved on its own (an update, not a save, so no edit conflict and no new version). The
        article's last change becomes the correction's time (the time it was noted, which an editor may set),
        never earlier than it was."""
        Article.all_objects.filter(pk=self.article_id, updated_at__lt=moment).update(updated_at=moment)


class FrontPageSlot(models.Model):
    """A place on the home page that an editor fills with a story: the lead, then secondary stories.

    An empty slot, or one whose story is not (or no longer) published, is filled with the latest story.
    """

    class Position(models.IntegerChoices):
        LEAD = 1, _("Lead story")
        SECOND = 2, _("Secondary story 1")
        THIRD = 3, _("Secondary story 2")
        FOURTH = 4, _("Secondary story 3")
        FIFTH = 5, _("Secondary story 4")

    position = models.PositiveSmallIntegerField(_("position"), choices=Position.choices, unique=True)
    article = models.ForeignKey(
        Article,
        verbose_name=_("article"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="front_page_slots",
        help_text=_("Leave empty to show the latest published story here."),
    )

    class Meta:
        ordering = ["position"]
        verbose_name = _("home page slot")
        verbose_name_plural = _("home page slots")

    def __str__(self):
        return self.get_position_display()

    def clean(self):
        """A story fills one slot: put in two, the home page showed it once and filled the other with the latest
        story, without a word."""
        super().clean()
        if self.article_id:
            other = FrontPageSlot.objects.filter(article_id=self.article_id).exclude(pk=self.pk).first()
            if other is not None:
                raise forms.ValidationError(
                    {
                        "article": _("“%(story)s” is already the %(slot)s: a story fills one slot.")
                        % {"story": self.article.headline, "slot": other.get_position_display()}
                    }
                )


class Transition(models.Model):
    """One step of an article's workflow: who did what, when, from which state to which, and why."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted for review")
        APPROVE = "approve", _("Signed off")
        RETURN = "return", _("Returned to the reporter")
        RESET = "reset", _("Sent back to the first review level by a change")
        PUBLISH = "publish", _("Published")
        SCHEDULE = "schedule", _("Scheduled")
        UNPUBLISH = "unpublish", _("Unpublished")
        OVERRIDE = "override", _("Published despite a sensitive word")
        RESTORE_VERSION = "restore_version", _("Restored an earlier version")
        TRASH = "trash", _("Moved to the trash")
        RESTORE = "restore", _("Restored from the trash")
        PHOTO_REPLACED = "photo_replaced", _("A photo it shows was replaced")
        CORRECTION_CHANGED = "correction_changed", _("A correction was changed")
        CORRECTION_REMOVED = "correction_removed", _("A correction was taken down")

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="transitions"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Status.choices, blank=True)
    level = models.PositiveSmallIntegerField(_("review level"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    # The publishing time a step set (a schedule) or cancelled (an edit after the schedule): the change page offers
    # a cancelled time again, so that the story is not rescheduled for whenever the box said by default.
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["article", "created_at", "id"]
        verbose_name = _("workflow step")
        verbose_name_plural = _("workflow steps")
        indexes = [models.Index(fields=["article", "created_at"], name="articles_transition_art_idx")]

    def __str__(self):
        return f"{self.get_action_display()} ({timezone.localtime(self.created_at):%Y-%m-%d %H:%M})"  # newsroom time


class ShareLink(models.Model):
    """A signed, expiring, revocable, read-only preview of one unpublished article for an outside source."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="share_links"
    )
    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    note = models.CharField(_("for whom"), max_length=100, blank=True, help_text=_("E.g. the source checking a quote."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("preview link")
        verbose_name_plural = _("preview links")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="%(app_label)s_%(class)s_expires_later"
            ),
        ]

    def __str__(self):
        return self.note or str(self.key)

    def is_active(self):
        return self.revoked_at is None and self.expires_at > timezone.now()


class EditPresence(models.Model):
    """Who has an article's edit form open; refreshed while the form stays open."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="edit_presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at"]
        verbose_name = _("open edit form")
        verbose_name_plural = _("open edit forms")
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="%(app_label)s_%(class)s_one_per_user"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.article_id}"


class WatchWord(models.Model):
    """A newsroom-maintained word checked before publishing: a sensitive word, or a common miswriting."""

    class Kind(models.TextChoices):
        SENSITIVE = "sensitive", _("Sensitive word (blocks publishing)")
        MISWRITTEN = "miswritten", _("Miswritten word (warning)")

    word = models.CharField(_("word"), max_length=50)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    correction = models.CharField(
        _("correct form"), max_length=50, blank=True, help_text=_("For a miswritten word, e.g. 作为 for 做为.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(pgettext_lazy("watch word", "active"), default=True)  # 启用, not 在职

    class Meta:
        ordering = ["kind", "word"]
        verbose_name = _("watch word")
        verbose_name_plural = _("watch words")
        constraints = [
            models.UniqueConstraint(fields=["word", "kind"], name="%(app_label)s_%(class)s_unique_word"),
            models.CheckConstraint(condition=~Q(word=""), name="%(app_label)s_%(class)s_has_word"),
        ]

    def __str__(self):
        return self.word


class TrashedArticle(Article):
    """The trash: articles moved there, kept with all their parts and history until the chief editor empties it."""

    objects = ArticleQuerySet.as_manager()

    class Meta:
        proxy = True
        ordering = ["-deleted_at"]
        verbose_name = _("article in the trash")
        verbose_name_plural = _("trash")


class TokenCodes(ArrayField):
    """An int4[] on PostgreSQL; on other databases an always empty column (no PostgreSQL cast in their SQL)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("base_field", models.IntegerField())
        super().__init__(**kwargs)

    def get_placeholder(self, value, compiler, connection):
        return super().get_placeholder(value, compiler, connection) if connection.vendor == "postgresql" else "%s"


class SearchDocument(models.Model):
    """What public search looks in: one row per published (or scheduled) article and per experience entry in it.

    Written only by ``services.reindex_article`` (and ``rebuild_search_index``); ``published_at`` is the
    article's, so a scheduled story is found the moment its time passes (and searches still check
    ``Article.objects.published()``). The index itself (articles/search.py) is an int4[] of token codes with a GIN
    index on PostgreSQL and an FTS5 table on SQLite (see the search migrations); the texts are kept to check, rank
    and highlight the candidates.
    """

    class Kind(models.TextChoices):
        ARTICLE = "article", _("Article")
        ENTRY = "entry", _("Experience entry")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="search_documents"
    )
    entry = models.ForeignKey(
        ExperienceEntry,
        verbose_name=_("experience entry"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="search_documents",
    )
    title = models.TextField(_("title"), blank=True)  # weight A: kicker, headline, deck; entry title
    meta = models.TextField(_("summary and names"), blank=True)  # weight B: summary, bylines, organisation
    body = models.TextField(_("body"), blank=True)  # weight C: body text, captions
    published_at = models.DateTimeField(_("publishing time"), null=True, editable=False)  # the article's, copied
    # PostgreSQL only: the distinct token codes of articles/search.py (int4, no positions), with a GIN index.
    grams = TokenCodes(null=True, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["-published_at", "-id"], name="articles_searchdoc_newest_idx")]
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="article", entry__isnull=True) | Q(kind="entry", entry__isnull=False),
                name="%(app_label)s_%(class)s_entry_matches_kind",
            ),
        ]

    def __str__(self):
        return self.title[:50]


class FormerSlug(models.Model):
    """An address a section, topic, reporter or organisation had before its slug was changed: its old links and
    feed subscriptions lead to the new address (``articles.views.follows_former_slugs``) instead of a 404.
    Written by ``remember_former_slug`` whenever one of them is saved with another slug."""

    model = models.CharField(_("kind"), max_length=20)  # the model's name: section, topic, reporter, organization
    slug = models.SlugField(_("slug"), max_length=80)  # the longest slug of the four
    object_id = models.PositiveBigIntegerField(_("object"))
    # The id the address's own object had, when it was merged into ``object_id`` (organisations): a version of a story
    # naming the merged one is restored with the one kept.
    former_object_id = models.PositiveBigIntegerField(_("former object"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("former address")
        verbose_name_plural = _("former addresses")
        constraints = [models.UniqueConstraint(fields=["model", "slug"], name="articles_formerslug_unique")]

    def __str__(self):
        return f"{self.model}:{self.slug}"

    @classmethod
    def current_slug(cls, model, slug):
        """The slug now in use of whatever had ``slug`` before, or None."""
        former = cls.objects.filter(model=model._meta.model_name, slug=slug).values_list("object_id", flat=True)
        return model._default_manager.filter(pk__in=former).values_list("slug", flat=True).first()


SLUGGED_MODELS = (Section, Topic, Reporter, Organization)


def remember_former_slug(sender, instance, raw=False, **kwargs):
    """pre_save of the slugged models: a changed slug is kept as a former address of the object, and the new slug,
    now in use, is no longer anyone's former address."""
    if raw:
        return
    name = sender._meta.model_name
    old = None
    if instance.pk is not None:
        old = sender._default_manager.filter(pk=instance.pk).values_list("slug", flat=True).first()
        if old == instance.slug:
            return
    # The slug is this object's now, a new one's included: its address no longer leads to a former holder. A record
    # of one merged into this object (``former_object_id``) stays: a version naming the merged one is restored with
    # this one by it (services._existing_targets_only), and its page is found by the slug before any record.
    taken = FormerSlug.objects.filter(model=name, slug=instance.slug)
    if instance.pk is not None:
        taken = taken.exclude(object_id=instance.pk, former_object_id__isnull=False)
    taken.delete()
    if old is not None:
        FormerSlug.objects.update_or_create(model=name, slug=old, defaults={"object_id": instance.pk})


for _slugged in SLUGGED_MODELS:
    models.signals.pre_save.connect(
        remember_former_slug, sender=_slugged, dispatch_uid=f"former_slug_{_slugged.__name__}"
    )


def keep_printed_organization_names(sender, instance, raw=False, **kwargs):
    """pre_save of an organisation: renamed, the entries of stories that have come out keep the name they were
    printed under (``ExperienceEntry.printed_name``); drafts take the new one."""
    if raw or instance.pk is None:
        return
    old = sender.objects.filter(pk=instance.pk).values("name", "short_name").first()
    if old is None or (old["short_name"] or old["name"]) == (instance.short_name or instance.name):
        return
    keep_printed_names(instance.pk, old["short_name"] or old["name"])


def keep_printed_reporter_names(sender, instance, raw=False, **kwargs):
    """pre_save of a reporter: renamed (a byline name changed), the bylines of stories that have come out keep the
    name they were printed under (``Byline.printed_name``); drafts take the new one."""
    if raw or instance.pk is None:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    if old is None or old == instance.name:
        return
    keep_printed_byline_names(instance.pk, old)
    keep_printed_credits(instance.pk, old)


def keep_printed_byline_names(reporter_id, name):
    """Give the bylines of the reporter's stories that have come out (live, or out once) the name ``name`` they were
    printed under, where they hold none yet: before a rename or a merge changes the name they would show."""
    now = timezone.now()
    out = Q(article__first_published_at__lte=now) | Q(article__status=Status.PUBLISHED, article__published_at__lte=now)
    Byline.objects.filter(out, reporter_id=reporter_id, printed_name="").update(printed_name=name)


def keep_printed_credits(reporter_id, name):
    """Give the photos credited to the reporter, for each story that has come out (live, or out once) showing them
    (lead photo, photos, entries), the name ``name`` they were printed under, where they hold none yet for that story:
    before a rename or a merge changes the credit they would show."""
    now = timezone.now()
    out = Article._base_manager.filter(  # the trash's stories included: one restored shows what was printed
        Q(first_published_at__lte=now) | Q(status=Status.PUBLISHED, published_at__lte=now)
    )
    uses = {}
    for rows in [
        out.filter(lead_photo__credit_reporter_id=reporter_id).values_list("lead_photo_id", "pk"),
        ArticlePhoto.objects.filter(photo__credit_reporter_id=reporter_id, article__in=out).values_list(
            "photo_id", "article_id"
        ),
        ExperienceEntry.objects.filter(photo__credit_reporter_id=reporter_id, article__in=out).values_list(
            "photo_id", "article_id"
        ),
    ]:
        for photo_id, article_id in rows:
            uses.setdefault(photo_id, set()).add(article_id)
    photos = list(Photo.objects.filter(pk__in=list(uses)).only("pk", "printed_credits"))
    for photo in photos:
        for article_id in uses[photo.pk]:
            photo.printed_credits.setdefault(str(article_id), name)
    Photo.objects.bulk_update(photos, ["printed_credits"], batch_size=500)


def keep_printed_names(organization_id, name):
    """Give the entries of the organisation's stories that have come out (live, or out once) the name ``name`` they
    were printed under, where they hold none yet: before a rename or a merge changes the name they would show."""
    now = timezone.now()
    out = Q(article__first_published_at__lte=now) | Q(article__status=Status.PUBLISHED, article__published_at__lte=now)
    ExperienceEntry.objects.filter(out, organization_id=organization_id, printed_name="").update(printed_name=name)


models.signals.pre_save.connect(
    keep_printed_organization_names, sender=Organization, dispatch_uid="keep_printed_organization_names"
)
models.signals.pre_save.connect(
    keep_printed_reporter_names, sender=Reporter, dispatch_uid="keep_printed_reporter_names"
)
