"""The site's URLs plus the benchmark's floor view (bench/settings.py uses this module as ROOT_URLCONF)."""

import os

from django.http import HttpResponse
from django.urls import include, path

_floor_body = None


def floor(request):
    """The bytes of a saved article page, read once: what a page costs with no work besides the middleware."""
    global _floor_body
    if _floor_body is None:
        with open(os.environ["BENCH_FLOOR_FILE"], "rb") as saved:
            _floor_body = saved.read()
    return HttpResponse(_floor_body, content_type="text/html; charset=utf-8")


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("", include("newsroom.urls")),
]
