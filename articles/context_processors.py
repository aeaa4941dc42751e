from django.conf import settings

from articles.models import Section


def site(request):
    """The site's name and its section menu (one small query, evaluated only when a template uses it)."""
    return {"site_name": settings.NEWSROOM_SITE_NAME, "menu_sections": Section.objects.only("name", "slug")}
