"""The health endpoint load balancers poll (``/healthz``): cheap, never cached, no session.

200 ``{"status": "ok", ...}`` when this app server can serve: the primary database answers ``SELECT 1`` and the cache
stores and returns a value. 503 ``{"status": "unavailable", ...}`` when the database fails, when migrations of this code
are not applied to it yet, or when debug is off and this process found no collectstatic manifest (every page would be a
500), so the load balancer sends traffic elsewhere. A failing cache (Redis away) gives 200 ``{"status": "degraded",
...}``, as does a content generation that cannot be read (the file of NEWSROOM_CACHE_DIR without Redis): pages are then
rendered without the page cache (articles/cache.py), and since every app server shares the one Redis, failing
the check would take every server out of the balancer at once. So does a MEDIA_ROOT this process cannot write to,
or a folder of this month's uploads in it (photos/YYYY/MM...): uploads fail, readers are still served. A read
replica is checked and reported too, but its failure does not fail the check (public reads then go to the primary,
see newsroom/routers.py); it is left alone for NEWSROOM_REPLICA_RETRY_SECONDS instead, by this check too (reported as
"error: marked down, not checked"): a replica that does not answer would otherwise cost every poll its connect timeout.
"""

import contextlib
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from newsroom.routers import mark_replica_down, replica_alias

# One key per check (a random suffix): polls answered at the same time by several processes sharing Redis must not
# read each other's value and report a failure that is not there.
CACHE_KEY = "newsroom:healthz:{check}"


def _check_database(alias):
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "not usable", reported by its class
        return f"error: {type(error).__name__}"
    return "ok"


def _check_cache():
    token = uuid.uuid4().hex
    key = CACHE_KEY.format(check=token)
    try:
        cache.set(key, token, 30)
        if cache.get(key) != token:
            return "error: value not returned"
        cache.delete(key)
    except Exception as error:  # noqa: BLE001 - e.g. redis.exceptions.ConnectionError
        return f"error: {type(error).__name__}"
    return "ok"


def _check_generation():
    """The content generation every process of the site shares (articles/cache.py: a file in NEWSROOM_CACHE_DIR
    without Redis): when it cannot be read (a folder left to another user, a path that is no folder), every page
    is rendered without the page cache, a failure logged for each."""
    from articles.cache import generation_token

    try:
        generation_token()
    except Exception as error:  # noqa: BLE001 - e.g. PermissionError, NotADirectoryError, a Redis error
        return f"error: {type(error).__name__}"
    return "ok"


def _check_media():
    """Photos and the editor's images are written under MEDIA_ROOT (a folder Django makes when missing), in folders
    by kind and month: one this process cannot write to (left to root, a path through a file) fails every upload,
    which would otherwise be found only at the first one. None when the media go to object storage (checked by the
    uploads themselves: a request to the bucket on every poll would cost too much)."""
    from django.core.files.storage import FileSystemStorage, default_storage

    if not isinstance(default_storage, FileSystemStorage):
        return None
    folder = Path(default_storage.location)
    fault = _unwritable((folder, *folder.parents), lambda found: f"MEDIA_ROOT {folder}")
    if fault:
        return fault
    # The folders this month's uploads go to, where they are there already: one left to root (a command run as
    # root made it), or a file in its place, fails every upload however writable MEDIA_ROOT is.
    for upload_folder in _upload_folders():
        below = [folder / path for path in (upload_folder, *upload_folder.parents[:-1])]
        fault = _unwritable(below, lambda found: f"upload folder {found}", missing_is_fine=True)
        if fault:
            return fault
    return "ok"


def _unwritable(paths, name, missing_is_fine=False):
    """What is wrong with the nearest of ``paths`` (a folder, then its parents) that is there, as an error for the
    check, or None: not a folder, or one this process cannot write to. A symbolic link counts even when it names
    nothing (the photos' disk not mounted): no folder can be made through a broken link, however writable the link's
    own folder is. A few calls, no walk through the files. ``name(found)`` names the folder in the error (``found``:
    the path that is there); none there is an error unless ``missing_is_fine`` (a folder the first upload makes)."""
    existing = next((path for path in paths if os.path.lexists(path)), None)
    if existing is None and missing_is_fine:
        return None
    named = name(existing)
    if existing is None or not existing.is_dir():
        return f"error: {named} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"error: {named} cannot be written by this process"
    return None


def _upload_folders():
    """The folders below MEDIA_ROOT this month's photos, portraits and renditions are written to (articles/models.py:
    ``photos/YYYY/MM``, ``portraits/YYYY/MM``, and ``renditions/YYYY/MM`` holding a folder per photo)."""
    from articles.models import photo_upload_to, portrait_upload_to

    photos = Path(photo_upload_to(None, "check.jpg")).parent
    return [photos, Path(portrait_upload_to(None, "check.jpg")).parent, "renditions" / photos.relative_to("photos")]


def pending_migrations(alias=DEFAULT_DB_ALIAS):
    """How many of this code's migrations the database lacks (also a restored backup of an earlier release)."""
    executor = MigrationExecutor(connections[alias])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _check_migrations(alias):
    """Code started before `migrate` ran fails on missing columns and tables. A few milliseconds once the migration
    modules are imported: the plan is read again on every poll, so the server recovers as soon as migrate has run."""
    try:
        missing = pending_migrations(alias)
    except Exception as error:  # noqa: BLE001 - reported by its class, like the other checks
        return f"error: {type(error).__name__}"
    if missing:
        return f"error: {missing} migration{'s' if missing > 1 else ''} not applied (run migrate)"
    return "ok"


def _check_static():
    """With debug off pages name static files through collectstatic's manifest, read once per process: without it
    every page is a 500 ("Missing staticfiles manifest entry"). None when there is no manifest to need."""
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return None
    if not staticfiles_storage.hashed_files:
        return "error: no staticfiles.json in STATIC_ROOT (run collectstatic)"
    return "ok"


@never_cache
@require_safe
def health(request):
    checks = {"database": _check_database(DEFAULT_DB_ALIAS), "cache": _check_cache(), "generation": _check_generation()}
    if checks["database"] == "ok":
        checks["migrations"] = _check_migrations(DEFAULT_DB_ALIAS)
    static = _check_static()
    if static is not None:
        checks["static"] = static
    media = _check_media()
    if media is not None:
        checks["media"] = media
    healthy = checks["database"] == "ok" and checks["migrations"] == "ok" and static in (None, "ok")
    # Readers are still served without the cache or the uploads: the server stays in the balancer.
    whole = checks["cache"] == checks["generation"] == "ok" and media in (None, "ok")
    status = "unavailable" if not healthy else "ok" if whole else "degraded"
    replica = getattr(settings, "NEWSROOM_REPLICA_DATABASE", "")
    if replica and replica in settings.DATABASES:
        if replica_alias() is None:
            checks["replica"] = "error: marked down, not checked"
        else:
            checks["replica"] = _check_database(replica)
            if checks["replica"] != "ok":
                mark_replica_down()
                # A dead connection may fail to close; it is dropped either way.
                with contextlib.suppress(Exception):
                    connections[replica].close()
    return JsonResponse({"status": status, "checks": checks}, status=200 if healthy else 503)


class HealthCheckMiddleware:
    """Answers ``/healthz`` before anything reads the ``Host`` header.

    A load balancer probes each app server by its own address (``Host: 10.0.0.5:8000``), which is not in
    ALLOWED_HOSTS: through the rest of the stack (CommonMiddleware calls ``request.get_host()``) the probe would get
    a 400 and every server would leave the balancer. The answer names no host, so any ``Host`` may have it; every
    other URL is still refused for a host the site does not own. Placed right below SecurityMiddleware, whose
    HTTPS redirect exempts this path (SECURE_REDIRECT_EXEMPT).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz":
            return health(request)
        return self.get_response(request)
