from django.conf import settings

from articles.menu import LazySections


def site(request):
    """The site's name and its section menu (from the cache, read only when a template uses it)."""
    return {"site_name": settings.NEWSROOM_SITE_NAME, "menu_sections": LazySections()}
