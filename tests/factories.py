"""factory_boy factories: each builds the smallest valid object; states are traits."""

import io
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from articles.models import (
    Article,
    ArticlePhoto,
    Byline,
    BylineRole,
    Correction,
    ExperienceEntry,
    FrontPageSlot,
    Organization,
    Photo,
    Reporter,
    Section,
    ShareLink,
    Status,
    Topic,
    WatchWord,
)
from articles.services import make_renditions


def image_bytes(image_format="JPEG", size=(8, 6), color=(200, 40, 40), mode="RGB"):
    """A real, small image encoded by Pillow."""
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=image_format)
    return buffer.getvalue()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("secret")

    class Params:
        staff = factory.Trait(is_staff=True)


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    name = factory.Sequence(lambda n: f"要闻{n}")
    slug = factory.Sequence(lambda n: f"section-{n}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    title = factory.Sequence(lambda n: f"妇联改革现场会{n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")

    class Params:
        featured = factory.Trait(is_featured=True)


class ReporterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reporter

    name = factory.Sequence(lambda n: f"记者{n}")
    slug = factory.Sequence(lambda n: f"reporter-{n}")

    class Params:
        with_user = factory.Trait(user=factory.SubFactory(UserFactory, staff=True))


class BylineRoleFactory(factory.django.DjangoModelFactory):
    """The roles come from a data migration; this finds them (or makes one the migration lacks)."""

    class Meta:
        model = BylineRole
        django_get_or_create = ("name",)

    name = "记者"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"第{n}市妇联")
    level = Organization.Level.CITY
    slug = factory.Sequence(lambda n: f"organization-{n}")


class PhotoFactory(factory.django.DjangoModelFactory):
    """A Photo with a real JPEG file (made by Pillow) in MEDIA_ROOT."""

    class Meta:
        model = Photo
        skip_postgeneration_save = True

    image = factory.LazyFunction(lambda: ContentFile(image_bytes(), name="会场照片.jpg"))
    alt_text = factory.Sequence(lambda n: f"会场全景{n}")

    @factory.post_generation
    def renditions(photo, create, extracted, **kwargs):
        """``PhotoFactory(renditions=True)`` also makes its renditions, as an upload does."""
        if create and extracted:
            make_renditions(photo)


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    headline = factory.Sequence(lambda n: f"全省妇联改革现场会召开{n}")
    section = factory.SubFactory(SectionFactory)

    class Params:
        in_review = factory.Trait(status=Status.IN_REVIEW)
        published = factory.Trait(
            status=Status.PUBLISHED, published_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
        )
        scheduled = factory.Trait(
            status=Status.PUBLISHED, published_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
        )
        just_published = factory.Trait(
            status=Status.PUBLISHED, published_at=factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=1))
        )
        in_print = factory.Trait(
            print_issue_on=factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=1)),
            print_page_number="A01",
            print_page_name="要闻",
        )


class BylineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Byline

    article = factory.SubFactory(ArticleFactory)
    reporter = factory.SubFactory(ReporterFactory)
    role = factory.SubFactory(BylineRoleFactory)


class ArticlePhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArticlePhoto

    article = factory.SubFactory(ArticleFactory)
    photo = factory.SubFactory(PhotoFactory)


class ExperienceEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExperienceEntry

    article = factory.SubFactory(ArticleFactory)
    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"建强基层组织{n}")

    class Params:
        oral = factory.Trait(form=ExperienceEntry.Form.ORAL)
        written = factory.Trait(form=ExperienceEntry.Form.WRITTEN)


class CorrectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Correction

    article = factory.SubFactory(ArticleFactory, published=True)
    text = factory.Sequence(lambda n: f"原文数字有误，现已更正{n}。")

    class Params:
        update = factory.Trait(kind=Correction.Kind.UPDATE)


class FrontPageSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FrontPageSlot

    position = FrontPageSlot.Position.LEAD
    article = factory.SubFactory(ArticleFactory, published=True)


class WatchWordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WatchWord

    word = factory.Sequence(lambda n: f"敏感词{n}")
    kind = WatchWord.Kind.SENSITIVE

    class Params:
        miswritten = factory.Trait(kind=WatchWord.Kind.MISWRITTEN, word="做为", correction="作为")
        inactive = factory.Trait(is_active=False)


class ShareLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShareLink

    article = factory.SubFactory(ArticleFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))

    class Params:
        expired = factory.Trait(
            created_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=4)),
            expires_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1)),
        )
        revoked = factory.Trait(revoked_at=factory.LazyFunction(timezone.now))
