from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = _("Newsroom content")

    def ready(self):
        from django.conf import settings
        from PIL import Image

        # Pillow's own guard against decompression bombs, at our limit rather than its default of 89 megapixels.
        Image.MAX_IMAGE_PIXELS = settings.NEWSROOM_MAX_IMAGE_PIXELS

        from articles.services import register_history

        register_history()
