"""A deployment migrates first and then replaces the app servers one at a time (README, "Migrations while the old
version still serves"): for those minutes the previous release writes to the migrated database. Its models are
the migration graph's state before the new migrations, so they stand in for its code here, writing to a database
migrated to the end. On SQLite and on PostgreSQL."""

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests.factories import ArticleFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def previous_release_model(migration, model_name):
    """The model as the release whose last migration was ``migration`` knew it."""
    state = MigrationLoader(connection).project_state(("articles", migration))
    return state.apps.get_model("articles", model_name)


def test_the_release_before_photo_former_names_still_stores_uploaded_photos():
    """0027 added Photo.former_names: an app server still on the release before it stores a reporter's upload
    without that column. It was NOT NULL with no default in the database, so the upload failed (a 500) on every
    server not yet replaced."""
    Photo = previous_release_model("0026_reporter_title_help", "Photo")
    photo = Photo.objects.create(image="photos/2026/11/upload.jpg", width=800, height=600, alt_text="会场")

    from articles.models import Photo as CurrentPhoto

    assert CurrentPhoto.objects.get(pk=photo.pk).former_names == []


def test_the_release_before_printed_names_still_stores_experience_entries():
    """0030 added ExperienceEntry.printed_name, with a database default ('')."""
    ExperienceEntry = previous_release_model("0029_former_slugs", "ExperienceEntry")
    article, organization = ArticleFactory(), OrganizationFactory()
    entry = ExperienceEntry.objects.create(article_id=article.pk, organization_id=organization.pk, title="经验")

    assert article.experience_entries.get(pk=entry.pk).printed_name == ""


def test_the_release_before_printed_bylines_still_stores_bylines():
    """0032 added Byline.printed_name, with a database default ('')."""
    from tests.factories import BylineRoleFactory, ReporterFactory

    Byline = previous_release_model("0031_merged_organizations", "Byline")
    article, reporter, role = ArticleFactory(), ReporterFactory(), BylineRoleFactory()
    byline = Byline.objects.create(article_id=article.pk, reporter_id=reporter.pk, role_id=role.pk, order=0)

    assert article.bylines.get(pk=byline.pk).printed_name == ""


def test_the_release_before_printed_credits_still_stores_uploaded_photos():
    """0036 added Photo.printed_credits, with a database default ({})."""
    Photo = previous_release_model("0035_reporter_departure_ends_login", "Photo")
    photo = Photo.objects.create(image="photos/2026/12/upload.jpg", width=800, height=600, alt_text="会场")

    from articles.models import Photo as CurrentPhoto

    assert CurrentPhoto.objects.get(pk=photo.pk).printed_credits == {}
