"""A reporter's profile and its link to a login, as the chief editor (主编) manages them."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from articles.models import Reporter

pytestmark = pytest.mark.django_db


def test_the_chief_editor_finds_a_new_colleague_s_login_for_her_profile(client, chief_editor_user):
    """A trainee joins: the administrator made her login, the chief editor makes her reporter's profile and links
    it. The profile's lookup of logins answered 403, leaving a user id to be typed blind."""
    trainee = get_user_model().objects.create_user("xiaowang", is_staff=True)
    client.force_login(chief_editor_user)
    add = client.get(reverse("admin:articles_reporter_add")).content.decode()
    assert 'id="lookup_id_user"' in add

    lookup = client.get(reverse("admin:auth_user_changelist"), {"_to_field": "id", "_popup": "1"})

    assert lookup.status_code == 200
    assert "xiaowang" in lookup.content.decode()
    response = client.post(
        reverse("admin:articles_reporter_add"),
        {"name": "王小雅", "slug": "wang-xiaoya", "title": "见习记者", "user": trainee.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    assert Reporter.objects.get(slug="wang-xiaoya").user == trainee


def test_the_chief_editor_may_not_change_a_login(client, chief_editor_user):
    """Looking logins up is all: making, changing and their groups stay the administrator's."""
    trainee = get_user_model().objects.create_user("xiaowang", is_staff=True)
    client.force_login(chief_editor_user)

    assert client.get(reverse("admin:auth_user_add")).status_code == 403
    response = client.post(
        reverse("admin:auth_user_change", args=[trainee.pk]), {"username": "xiaowang", "is_superuser": "on"}
    )
    assert response.status_code == 403
    trainee.refresh_from_db()
    assert not trainee.is_superuser


def test_an_editor_still_cannot_list_the_logins(client, editor_user):
    client.force_login(editor_user)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
