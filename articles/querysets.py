"""QuerySets of the newsroom's models: filters (what may be shown or edited) and shapes for pages.

"Published" is defined once, in PublishableQuerySet.published(); every public path starts from it.
"""

from django.apps import apps
from django.db import models
from django.db.models import Case, Exists, F, Max, Min, OuterRef, Prefetch, Q, Subquery, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def model(name):
    return apps.get_model("articles", name)


def edits_any_article(user):
    return user.is_superuser or user.has_perm("articles.edit_any_article")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")


class PublishableQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED, published_at__lte=timezone.now())

    def scheduled(self):
        return self.filter(status=Status.PUBLISHED, published_at__gt=timezone.now())


class PhotoQuerySet(models.QuerySet):
    def usable_by(self, user):
        """Photos a user may pick for a story: all for editors; for a reporter their own uploads, their stories'
        photos and the library of photos already published (never another reporter's unpublished photo)."""
        if edits_any_article(user):
            return self.all()
        articles = model("Article").objects.editable_by(user).values("pk")
        public = model("Article").objects.published().values("pk")
        return self.filter(
            Q(uploaded_by=user)
            | Q(lead_articles__in=articles)
            | Q(article_photos__article__in=articles)
            | Q(experience_entries__article__in=articles)
            | Q(lead_articles__in=public)
            | Q(article_photos__article__in=public)
            | Q(experience_entries__article__in=public)
        ).distinct()

    def editable_by(self, user):
        """Photos a user may replace or delete: all for editors; a reporter's own uploads until a story goes out."""
        if edits_any_article(user):
            return self.all()
        published = Q(status=Status.PUBLISHED)
        return self.filter(uploaded_by=user).exclude(
            Q(lead_articles__in=model("Article").objects.filter(published))
            | Q(article_photos__article__in=model("Article").objects.filter(published))
            | Q(experience_entries__article__in=model("Article").objects.filter(published))
        )


class ArticleQuerySet(PublishableQuerySet):
    def in_section(self, section):
        return self.filter(section=section)

    def in_topic(self, topic):
        return self.filter(topics=topic)

    def bylined(self, reporter):
        """Articles with the reporter in any byline role, each once."""
        return self.filter(pk__in=model("Byline").objects.filter(reporter=reporter).values("article_id"))

    def with_entries_from(self, organization):
        """Articles carrying an experience entry of the organisation, each once."""
        return self.filter(
            pk__in=model("ExperienceEntry").objects.filter(organization=organization).values("article_id")
        )

    def in_print_issue(self, issue_on):
        return self.filter(print_issue_on=issue_on)

    def related_to(self, article, limit=4):
        """Up to ``limit`` other articles sharing a topic with ``article`` (those first), else its section.

        One query; pass the article with its topics prefetched so that reading them costs nothing.
        """
        topic_ids = [topic.pk for topic in article.topics.all()]
        in_shared_topic = model("Article").topics.through.objects.filter(
            article_id=OuterRef("pk"), topic_id__in=topic_ids
        )
        return (
            self.exclude(pk=article.pk)
            .annotate(shares_topic=Exists(in_shared_topic))
            .filter(Q(shares_topic=True) | Q(section_id=article.section_id))
            .select_related("section")
            .defer("body")
            .order_by("-shares_topic", "-published_at", "-id")[:limit]
        )

    def latest_per_section(self, per_section):
        """The newest ``per_section`` articles of every section, in one query (a window function).

        Ordered by section (menu order), then newest first; group them in Python.
        """
        newest_first = Window(
            RowNumber(), partition_by=F("section_id"), order_by=[F("published_at").desc(), F("id").desc()]
        )
        return (
            self.select_related("section")
            .defer("body")
            .annotate(row_in_section=newest_first)
            .filter(row_in_section__lte=per_section)
            .order_by("section__order", "section__name", "section_id", "row_in_section")
        )

    def front_page_candidates(self, fallbacks):
        """Articles placed in a home-page slot (``slot`` annotated, lowest position first), then the latest.

        At most one row per slotted article plus ``fallbacks`` further rows: enough to fill every empty slot.
        """
        slots = model("FrontPageSlot").objects.filter(article=OuterRef("pk")).order_by("position")
        slotted_count = len(model("FrontPageSlot").Position)
        return (
            self.annotate(slot=Subquery(slots.values("position")[:1]))
            .for_listing()
            .order_by(F("slot").asc(nulls_last=True), "-published_at", "-id")[: slotted_count + fallbacks]
        )

    def print_issue_neighbours(self, issue_on):
        """The previous and next issue dates around ``issue_on``, and the first and last, in one query."""
        return self.aggregate(
            previous_issue_on=Max("print_issue_on", filter=Q(print_issue_on__lt=issue_on)),
            next_issue_on=Min("print_issue_on", filter=Q(print_issue_on__gt=issue_on)),
            first_issue_on=Min("print_issue_on"),
            last_issue_on=Max("print_issue_on"),
        )

    def for_print_issue(self):
        """An issue's articles grouped by page: page number, then the order they went live; bylines; no body."""
        return self.for_listing().order_by("print_page_number", "published_at", "id")

    def for_listing(self):
        """Cards: section, lead photo with its renditions (one query for the page) and bylines; no body."""
        return (
            self.select_related("section", "lead_photo")
            .prefetch_related(
                Prefetch(
                    "bylines",
                    queryset=model("Byline").objects.select_related("reporter", "role").order_by("order", "id"),
                ),
                Prefetch("lead_photo__renditions", queryset=model("Rendition").objects.order_by("kind", "width")),
            )
            .defer("body")
            .order_by("-published_at", "-id")
        )

    def for_detail(self):
        """Everything the article page shows, in a fixed number of queries.

        The renditions of its photos (lead, article photos, entries' photos, images in the rich text) come in one
        more query from services.load_renditions, which the page's view calls.
        """
        form_first = Case(When(form="oral", then=Value(0)), default=Value(1))
        return self.select_related("section", "lead_photo", "lead_photo__credit_reporter").prefetch_related(
            Prefetch(
                "bylines", queryset=model("Byline").objects.select_related("reporter", "role").order_by("order", "id")
            ),
            Prefetch(
                "article_photos",
                queryset=model("ArticlePhoto")
                .objects.select_related("photo", "photo__credit_reporter")
                .order_by("order", "id"),
            ),
            Prefetch(
                "experience_entries",
                queryset=model("ExperienceEntry")
                .objects.select_related("organization", "photo", "photo__credit_reporter")
                .annotate(form_rank=form_first)
                .order_by("form_rank", "order", "id"),
            ),
            Prefetch("topics", queryset=model("Topic").objects.order_by("title")),
            Prefetch("corrections", queryset=model("Correction").objects.order_by("noted_at", "id")),
        )

    def filed_by(self, user):
        """The user's own stories: created by them or bylined to them."""
        if not user.is_authenticated:
            return self.none()
        bylined = model("Byline").objects.filter(reporter__user=user).values("article_id")
        return self.filter(Q(created_by=user) | Q(pk__in=bylined))

    def review_queue(self):
        """Stories waiting for review, the one submitted first at the top."""
        return self.filter(status=Status.IN_REVIEW).order_by("submitted_at", "id")

    def with_last_action(self):
        """Annotate ``last_action``: the action of the article's latest workflow step (None without one)."""
        steps = model("Transition").objects.filter(article=OuterRef("pk")).order_by("-id")
        return self.annotate(last_action=Subquery(steps.values("action")[:1]))

    def returned(self):
        """Drafts whose latest workflow step returned them to their reporter."""
        return self.with_last_action().filter(status=Status.DRAFT, last_action="return")

    def editable_by(self, user):
        """Articles this user may edit: all of them for editors, their own for reporters."""
        if not user.is_authenticated or not user.is_active or not user.is_staff:
            return self.none()
        if edits_any_article(user):
            return self.all()
        return self.filter(Q(created_by=user) | Q(bylines__reporter__user=user)).distinct()


class ExperienceEntryQuerySet(models.QuerySet):
    def published(self):
        """Entries are public exactly when their article is."""
        return self.filter(article__in=model("Article").objects.published().values("pk"))

    def of_organization(self, organization):
        return self.filter(organization=organization)

    def of_level(self, level):
        return self.filter(organization__level=level)

    def in_form(self, form):
        return self.filter(form=form)

    def in_topic(self, topic):
        return self.filter(article__topics=topic)

    def in_year(self, year):
        """Entries whose article went live in ``year``, newsroom time (Beijing)."""
        return self.filter(article__published_at__year=year)

    def for_listing(self):
        """Entry cards: organisation and article (headline, time); neither body is loaded."""
        return (
            self.select_related("organization", "article")
            .defer("body", "article__body")
            .order_by("-article__published_at", "-article_id", "order", "id")
        )


class OrganizationQuerySet(models.QuerySet):
    """An organisation is public through its published experience entries only (its page is 404 otherwise)."""

    def with_published_entries(self):
        published_entries = model("ExperienceEntry").objects.published()
        return self.filter(Exists(published_entries.filter(organization=OuterRef("pk"))))

    def for_detail(self):
        """The organisation with its parent, and whether the parent has a public page (``parent_is_public``)."""
        published_entries = model("ExperienceEntry").objects.published()
        return self.select_related("parent").annotate(
            parent_is_public=Exists(published_entries.filter(organization=OuterRef("parent")))
        )
