from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = _("Newsroom content")

    def ready(self):
        from articles.services import configure_pillow, register_history

        # Pillow's own guards (decompression bombs, PNG text-chunk bombs, truncated files) at our limits.
        configure_pillow()
        register_history()

        # The header's section menu is cached (articles/menu.py): forgotten when a section changes.
        from django.db.models.signals import post_delete, post_save

        from articles.menu import forget_sections

        section = self.get_model("Section")
        post_save.connect(forget_sections, sender=section, dispatch_uid="articles.menu.saved")
        post_delete.connect(forget_sections, sender=section, dispatch_uid="articles.menu.deleted")

        # Anonymous pages in the cache are retired by any change to what they show (articles/cache.py).
        from articles.cache import connect_signals

        connect_signals()
