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

        # A deleted photo, rendition or reporter takes its files with it (once the deletion commits).
        from django.db.models.signals import post_delete

        from articles.models import Photo, Rendition, Reporter
        from articles.services import delete_files_with_their_rows

        for model in (Photo, Rendition, Reporter):
            post_delete.connect(delete_files_with_their_rows, sender=model, dispatch_uid=f"files-of-{model.__name__}")

        # Anonymous pages in the cache, and the section menu, are retired by any change to what they show
        # (articles/cache.py, articles/menu.py).
        from articles.cache import connect_signals

        connect_signals()
