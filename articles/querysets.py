"""QuerySets of the newsroom's models: filters (what may be shown or edited) and shapes for pages.

"Published" is defined once, in PublishableQuerySet.published(); every public path starts from it.
"""

from django.apps import apps
from django.db import models
from django.db.models import Case, Prefetch, Q, Value, When
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
        """Photos a user may pick for a story: all for editors; a reporter's own uploads and their stories' photos."""
        if edits_any_article(user):
            return self.all()
        articles = model("Article").objects.editable_by(user).values("pk")
        return self.filter(
            Q(uploaded_by=user)
            | Q(lead_articles__in=articles)
            | Q(article_photos__article__in=articles)
            | Q(experience_entries__article__in=articles)
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

    def for_listing(self):
        """Cards: section, lead photo and bylines; no body."""
        return (
            self.select_related("section", "lead_photo")
            .prefetch_related(
                Prefetch(
                    "bylines",
                    queryset=model("Byline").objects.select_related("reporter", "role").order_by("order", "id"),
                )
            )
            .defer("body")
            .order_by("-published_at", "-id")
        )

    def for_detail(self):
        """Everything the article page shows, in a fixed number of queries."""
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
        )

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
