"""Read replicas: anonymous public reads go to the replica, everything else to the primary.

The choice is made once per request by ``ReplicaRoutingMiddleware`` and kept in a context variable that
``ReplicaRouter`` reads, so code outside a request (management commands, the task worker, the shell, migrations)
always uses the primary. A request reads from the replica only when all of these hold:

- a replica is configured (``settings.NEWSROOM_REPLICA_DATABASE``, set from ``DATABASE_REPLICA_URL``) and has not
  failed in the last ``NEWSROOM_REPLICA_RETRY_SECONDS``;
- it is a GET, HEAD or OPTIONS request outside the admin, and not a preview link for an outside source;
- the browser has no session cookie (readers never log in; staff always have one) and no primary pin cookie.

The pin cookie is set for ``NEWSROOM_REPLICA_PIN_SECONDS`` on the response to any request that wrote to the
database or was not a safe method: the browser that has just written reads its own writes from the primary until
the replica has surely caught up. Writes always go to the primary.

A reader never gets a page older than the last content change either: once per content generation
(articles/cache.py) and process, before its first read from the replica, the primary's WAL position is taken and
the replica asked whether it has replayed that far (``replica_is_current``); a new connection to the replica asks
again. Until it has, the generation's requests read from the primary, and a page read from the replica can be
stored in the page cache for the whole generation (the page cache asks ``request.replica_is_current``).

If the replica fails during a request (stopped, unreachable, restarting), the view runs again on the primary and
the replica is left alone for ``NEWSROOM_REPLICA_RETRY_SECONDS`` in this process: readers see no error.
"""

import contextvars
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.urls import reverse

from newsroom.db_errors import is_database_unavailable

logger = logging.getLogger(__name__)

PIN_COOKIE_NAME = "newsroom_primary"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
WRITE_STATEMENTS = {"INSERT", "UPDATE", "DELETE", "MERGE ", "COPY ", "TRUNCA"}  # first six characters
# Views that must read what was just written, whoever asks: an outside source checking a quote on a fresh preview.
PRIMARY_VIEW_NAMES = {"articles:share_preview"}


@dataclass
class RequestRouting:
    reads_from: str = DEFAULT_DB_ALIAS
    wrote: bool = False


_routing = contextvars.ContextVar("newsroom_request_routing", default=None)
# Per process: the replica is not tried again before this time.monotonic() after it failed.
_replica_down_until = 0.0

# Per process: the content generation whose changes the replica is known to have replayed, and the generation
# being waited for with the primary's WAL position (bytes) it waits for. Threads may race to set them: each value
# is right on its own (a race costs at most one more query).
_current_token = None
_awaited = (None, 0)


def replica_alias():
    """The alias of a configured replica that has not failed recently, else None."""
    alias = getattr(settings, "NEWSROOM_REPLICA_DATABASE", "")
    if not alias or alias not in settings.DATABASES or time.monotonic() < _replica_down_until:
        return None
    return alias


def mark_replica_down():
    global _replica_down_until
    _replica_down_until = time.monotonic() + getattr(settings, "NEWSROOM_REPLICA_RETRY_SECONDS", 10)


def mark_replica_up():
    global _replica_down_until
    _replica_down_until = 0.0


def _wal_position(alias, function):
    """``function()`` (pg_current_wal_lsn or pg_last_wal_replay_lsn) on ``alias``, in bytes; None when it has none
    (pg_last_wal_replay_lsn on a server that is not a standby)."""
    with connections[alias].cursor() as cursor:
        # ``function`` is one of two fixed names, never input.
        cursor.execute(f"SELECT {function}() - '0/0'::pg_lsn")
        value = cursor.fetchone()[0]
    return None if value is None else int(value)


def replica_is_current(alias, token):
    """Whether the replica ``alias`` has replayed every change behind the content generation ``token``, so that a
    page read from it is what the primary would give. The replica is asked on each request of the generation until
    it says yes, then no more in this process, but by a thread that connects to it afresh: a new connection may
    reach another server (after a failover, a standby further behind).

    A change starts a new generation after its commit (articles.cache.content_changed): a change not committed
    when ``token`` was read retires ``token`` when it commits, and every change committed before is covered by the
    primary's WAL position taken after that (once per generation and process). A replica that is not a standby
    (``pg_last_wal_replay_lsn()`` is NULL: a promoted one, or the test suite's mirror of the primary) is current. A
    replica that does not answer is not, and is left alone for a while; a primary that does not answer raises its
    error (the 503 page)."""
    global _current_token, _awaited
    replica = connections[alias]
    if replica.vendor != "postgresql" or (token == _current_token and replica.connection is not None):
        return True
    try:
        replayed = _wal_position(alias, "pg_last_wal_replay_lsn")
    except DatabaseError as error:
        if not is_database_unavailable(error):
            raise
        _forget_replica(alias, error)
        return False
    if replayed is not None:
        awaited_token, awaited = _awaited
        if awaited_token != token:
            awaited = _wal_position(DEFAULT_DB_ALIAS, "pg_current_wal_lsn")
            _awaited = (token, awaited)
        if replayed < awaited:
            return False
    _current_token = token
    return True


def _generation_token(request):
    """The content generation of this request: the one the page cache read for it, else the current one; None when
    the caches cannot tell (then the replica is used without asking, as without a page cache to keep its pages)."""
    generation = getattr(request, "newsroom_generation", None)
    if generation is not None:
        return generation.token
    from articles import cache as page_cache  # the content generation is the page cache's

    try:
        return page_cache.generation_token()
    except Exception:  # the caches are away: nothing is stored either
        logger.warning("The content generation could not be read", exc_info=True)
        return None


def _forget_replica(replica, exception):
    """The replica failed: leave it alone for a while in this process and drop its connection."""
    logger.warning("Read replica %r failed, reading from the primary: %s", replica, exception)
    mark_replica_down()
    try:
        connections[replica].close()
    # A dead connection may fail to close; it is dropped either way.
    except Exception:  # noqa: BLE001, S110  # nosec B110
        pass


def current_read_alias():
    """Where the ORM reads now: the replica only inside a request the middleware chose it for."""
    routing = _routing.get()
    return routing.reads_from if routing is not None else DEFAULT_DB_ALIAS


class ReplicaRouter:
    """Reads follow the request's choice (the primary outside requests); writes and migrations, the primary."""

    def db_for_read(self, model, **hints):
        return current_read_alias()

    def db_for_write(self, model, **hints):
        # Not a sign of a write: Django also asks this when a related object is assigned to an unsaved instance
        # during a plain read. Writes are seen in the SQL the primary runs (ReplicaRoutingMiddleware).
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        replica = getattr(settings, "NEWSROOM_REPLICA_DATABASE", "") or "replica"
        return False if db == replica else None


class ReplicaRoutingMiddleware:
    """Chooses the database a request reads from (see the module's docstring); after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        routing = RequestRouting()
        token = _routing.set(routing)
        try:
            with connections[DEFAULT_DB_ALIAS].execute_wrapper(self.note_writes(routing)):
                response = self.get_response(request)
        finally:
            _routing.reset(token)
        if routing.wrote or request.method not in SAFE_METHODS:
            response.set_cookie(
                PIN_COOKIE_NAME,
                "1",
                max_age=settings.NEWSROOM_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    @staticmethod
    def note_writes(routing):
        """An execute wrapper on the primary: any statement that changes rows marks the request as a writer."""

        def wrapper(execute, sql, params, many, context):
            if not routing.wrote and sql.lstrip()[:6].upper() in WRITE_STATEMENTS:
                routing.wrote = True
            return execute(sql, params, many, context)

        return wrapper

    def process_view(self, request, view_func, view_args, view_kwargs):
        routing = _routing.get()
        alias = replica_alias()
        if routing is None or alias is None or not self.may_read_from_replica(request):
            return None
        token = _generation_token(request)
        if token is not None and not replica_is_current(alias, token):
            return None  # it has not replayed the last content change yet (or failed): the request reads the primary
        request.replica_is_current = token is not None
        routing.reads_from = alias
        request._replica_retry = (view_func, view_args, view_kwargs)
        return None

    @staticmethod
    def may_read_from_replica(request):
        if request.method not in SAFE_METHODS:
            return False
        if settings.SESSION_COOKIE_NAME in request.COOKIES or PIN_COOKIE_NAME in request.COOKIES:
            return False
        if request.path_info.startswith(reverse("admin:index")):
            return False
        match = request.resolver_match
        return match is None or match.view_name not in PRIMARY_VIEW_NAMES

    def process_exception(self, request, exception):
        """The replica failed: read from the primary for this request (the view runs again) and for a while."""
        routing = _routing.get()
        retry = getattr(request, "_replica_retry", None)
        if routing is None or retry is None or routing.reads_from == DEFAULT_DB_ALIAS:
            return None
        if not is_database_unavailable(exception):
            return None
        _forget_replica(routing.reads_from, exception)
        routing.reads_from = DEFAULT_DB_ALIAS
        view_func, view_args, view_kwargs = retry
        response = view_func(request, *view_args, **view_kwargs)
        if hasattr(response, "render") and callable(response.render) and not response.is_rendered:
            response = response.render()
        return response
