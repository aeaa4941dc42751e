"""Template tags of the admin: the editorial desk's counts on the index page, people's names."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from articles import services

register = template.Library()


@register.simple_tag
def desk_counts(user):
    """Stories in review, scheduled, the user's drafts and those returned to them, each linked to its list.

    Empty for someone who may not see articles in the admin.
    """
    if not (user.is_active and user.is_staff and user.has_perm("articles.view_article")):
        return []
    counts = services.desk_counts(user)
    changelist = reverse("admin:articles_article_changelist")
    rows = [
        ("in_review", _("In review"), "?workflow=queue"),
        ("scheduled", _("Scheduled"), "?workflow=scheduled"),
        ("my_drafts", _("My drafts"), "?workflow=mine&status__exact=draft"),
        ("returned_to_me", _("Returned to me"), "?workflow=returned"),
    ]
    return [
        {"name": name, "label": label, "count": counts[name], "url": changelist + query} for name, label, query in rows
    ]


@register.filter
def staff_name(user):
    """``{{ user|staff_name }}``: a colleague as the newsroom knows them (services.staff_name), "—" for nobody."""
    return services.staff_name(user) if user else "—"
