from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = _("Newsroom content")

    def ready(self):
        from articles import checks  # noqa: F401 (registers the system checks)
        from articles.services import configure_pillow, register_history

        # Pillow's own guards (decompression bombs, PNG text-chunk bombs, truncated files) at our limits.
        configure_pillow()
        register_history()

        # Anonymous pages in the cache, and the section menu, are retired by any change to what they show
        # (articles/cache.py, articles/menu.py).
        from articles.cache import connect_signals

        connect_signals()
