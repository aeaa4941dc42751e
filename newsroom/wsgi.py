"""
WSGI config for newsroom project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import gc
import os

from django.core.cache import caches
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

application = get_wsgi_application()


def open_generation_cache():
    """Open the content-generation cache now. Without Redis it is a folder under NEWSROOM_CACHE_DIR that Django
    creates on opening: one this process cannot create or write would otherwise leave the page cache off in every
    worker and log each content change as an error. The worker stops here instead, saying what to change."""
    caches["generation"]  # noqa: B018 - opening it is the check (newsroom/file_cache.py says what to change)


open_generation_cache()


def freeze_startup_objects():
    """Move what the process loaded to serve (settings, models, the URLconf and the views it imports: about
    80,000 objects that live as long as it does) out of the garbage collector's reach, so that its collections walk
    only what requests make. A full collection took 30-70 ms before (every thread of the worker waits meanwhile,
    every few thousand requests) and next to nothing after; the collector's share of an article page went from
    0.22-0.33 ms to 0.19-0.20 (bench/inprocess.py loads the site through this module)."""
    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and the views now, not at the first request
    gc.collect()
    gc.freeze()


freeze_startup_objects()
