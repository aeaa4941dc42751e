"""Anonymous page caching that is never stale, conditional GET, and Cache-Control.

What is cached: the 200 answers to anonymous GET (and HEAD) requests for the public pages, feeds, sitemaps and
robots.txt, in Django's "default" cache (local memory, or Redis when REDIS_URL is set), whole: status, headers
and body. Search results are not stored (their keys are whatever readers type) but get the same HTTP headers.

Never stale: every stored page is filed under the current *content generation*, a random token kept in the
"generation" cache (shared by every process: Redis, or a small file when pages live in each process's memory).
Any change to what a page can show replaces the token (``content_changed()``, called by the signals connected in
``connect_signals()``), so every page stored before the change is unreachable at once; old entries simply age
out. Scheduled stories appear with no change at all when their time comes: each generation knows the next moment
at which the public content changes by itself (the earliest scheduled ``published_at``, a story leaving the
48-hour Google News window, or the midnight a later print issue comes out), and a request past that moment
replaces the token. A lost token (Redis restarted,
evicted) means a new random one: pages are then rendered afresh, never served from before.

A request served from the cache runs no database query: it reads the token (and, once per generation and
process, its next-change moment), then the page. The first request of a generation runs one more query than the
page itself: the next-change moment, computed once and shared.

When the caches fail (Redis away or refusing writes), pages are rendered without them for a few seconds, and a
change that could not be recorded is recorded before this process serves from the cache again. With a read
replica (newsroom/routers.py), a request reads from the replica only once it has replayed the change that began
the generation (its WAL position is checked once per generation); pages read from it are stored like any other.

Never served from nor stored in the cache: requests with a session cookie (staff; readers never log in, so no
database lookup is needed to tell), every method but GET/HEAD, the admin, preview links, non-200 answers,
answers that set a cookie or say private/no-cache/no-store (the preview of an unpublished story at its public
address does).

HTTP caching: every public answer to an anonymous reader carries an ETag (a hash of the body without its CSP
nonce, so the same content re-rendered keeps its ETag) and, once its generation is a second old, a Last-Modified
(when the generation began), and answers If-None-Match / If-Modified-Since with 304, from the cache too. Its
Cache-Control is ``public, max-age=0, s-maxage=NEWSROOM_CACHE_SECONDS``: browsers revalidate every time (a cheap
304), a CDN or reverse proxy may serve the page for up to that many seconds without asking. That is the one
place where a change can lag: a shared cache in front of the site may show the old page for up to s-maxage
seconds; Django's own cache never lags. Staff answers get ``private, no-cache``.

No ``Vary: Cookie``: an anonymous answer does not depend on any cookie (the large-text mode is applied in the
browser from localStorage or its cookie; the server never reads it), and the only cookie that changes an answer
is the session cookie, which bypasses this cache here and in the nginx micro-cache (deploy/nginx/), while the
answers it gets are marked private. ``Vary: Cookie`` would make a proxy keep one copy per visitor whenever
analytics or other scripts set cookies, which is no cache at all during a spike.
"""

import hashlib
import logging
import math
import os
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from django.db.models import Min, Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import http_date, parse_etags, parse_http_date_safe

logger = logging.getLogger(__name__)

PAGE_CACHE_ALIAS = "default"
GENERATION_CACHE_ALIAS = "generation"
STATE_KEY = "newsroom:generation"
NEXT_CHANGE_KEY = "newsroom:next-change:{token}"
PAGE_KEY = "newsroom:page:{release}:{token}:{digest}"
CACHE_HEADER = "X-Newsroom-Cache"
NO_NEXT_CHANGE = "none"  # stored for "nothing is scheduled": None would read as a missing key

# Models of the articles app whose rows no public page shows: saving them must not empty the page cache (an open
# edit form refreshes its EditPresence row while it stays open). Search documents are written only by
# services.reindex_article and rebuild_search_index, which call content_changed() themselves (searches' kept
# rankings follow the generation); a receiver on their deletion would make Django load every row before deleting.
NOT_PUBLIC_MODELS = {"transition", "sharelink", "editpresence", "watchword", "searchdocument"}

# Public views whose anonymous answers are stored (``request.resolver_match.view_name``); every view of these
# namespaces is, except the ones listed after them. Search is public (HTTP headers) but not stored.
STORED_NAMESPACES = {"articles", "feeds"}
STORED_VIEW_NAMES = {"sitemap_index", "sitemap_news", "sitemap_section", "robots_txt"}
NOT_STORED_VIEW_NAMES = {"articles:share_preview", "articles:editor_image_upload", "articles:search"}
PUBLIC_NOT_STORED_VIEW_NAMES = {"articles:search"}

# Query parameters that public views read (request.GET in articles/views.py and forms.py, Django's ListView and
# sitemap views): a page is stored under these only when the view used them (see ``_query_is_storable``). Search
# reads q, section, year and kind, but its answers are never stored.
PAGE_PARAMETERS = {"page", "p"}  # ListView's page number (or "last"); the paginated sitemaps' page number
FILTER_PARAMETERS = {"level", "form", "year", "organization"}  # the experience index's ExperienceEntryFilterForm
STORED_QUERY_PARAMETERS = PAGE_PARAMETERS | FILTER_PARAMETERS
# Read by some public view but never part of a stored page: search's filters, the print edition's date picker, the
# editor's upload view. Any other parameter is read by no view, so it cannot change a page: it is left out of the
# key (the page is served and stored as if it were not there). Links shared on WeChat arrive with
# ``?from=timeline&isappinstalled=0``, others with ``utm_*``: exactly the spike the cache is for. A view that starts
# reading a new parameter must add it to one of these sets.
OTHER_READ_PARAMETERS = {"q", "section", "kind", "date", "article", "picked"}
READ_PARAMETERS = STORED_QUERY_PARAMETERS | OTHER_READ_PARAMETERS
SITEMAP_VIEW_NAMES = {"sitemap_news", "sitemap_section"}
_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,5}")
# Children of an article: saving one changes no page while its article is not and was not published.
ARTICLE_CHILDREN = {"byline", "articlephoto", "experienceentry", "correction"}
_UNKNOWN = object()

# Headers recomputed on every answer (from the current generation and settings), never stored with a page.
RECOMPUTED_HEADERS = {"cache-control", "etag", "last-modified", "x-newsroom-cache", "date"}


# --- the content generation --------------------------------------------------------------------------------


class Generation:
    """The current content generation: ``token`` files pages, ``started_at`` (a timestamp) is when it began.
    ``checked`` is False when its next-change moment could not be read (the database is away): its pages may be
    served, but none is stored under it."""

    __slots__ = ("token", "started_at", "checked")

    def __init__(self, token, started_at, checked=True):
        self.token = token
        self.started_at = started_at
        self.checked = checked


def _generation_cache():
    return caches[GENERATION_CACHE_ALIAS]


_release = None


def release_id():
    """This code's release, part of every page key: during a rolling deploy, servers of the old and the new version
    share Redis, and neither may serve a page rendered by the other's templates (with the other's hashed static
    file names). A hash of the static files' manifest (STATIC_ROOT/staticfiles.json, written by collectstatic)
    and of the NEWSROOM_RELEASE environment variable (set it to the release's version or commit when templates
    change without static files), computed once per process."""
    global _release
    if _release is None:
        digest = hashlib.blake2b(os.environ.get("NEWSROOM_RELEASE", "").encode(), digest_size=8)
        if settings.STATIC_ROOT:
            try:
                digest.update((Path(settings.STATIC_ROOT) / "staticfiles.json").read_bytes())
            except OSError:  # no manifest (development, tests): the environment variable alone
                pass
        _release = digest.hexdigest()
    return _release


def _new_state():
    return (uuid.uuid4().hex, timezone.now().timestamp())


# When the caches fail (Redis away), this process leaves them alone for a few seconds and renders every page; a
# change it could not record is recorded before it serves anything from the cache again.
RETRY_SECONDS = 5
_unavailable_until = 0.0  # time.monotonic()
_bump_owed = False
# Whether this process read the generation since it last replaced it (see content_changed).
_token_read = True


class CacheUnavailable(Exception):
    pass


def bump_generation():
    """Start a new content generation: every page stored so far is unreachable from now on."""
    global _bump_owed, _token_read
    try:
        _generation_cache().set(STATE_KEY, _new_state(), None)
        _bump_owed = False
        _token_read = False
    except Exception:
        _bump_owed = True
        logger.exception(
            "Could not start a new content generation; this process will not use the page cache until it can. "
            "If it ends before the cache is back, run `manage.py retire_cached_pages` then."
        )


def _bump_after_commit():
    bump_generation()


def content_changed(using=None):
    """Call after changing anything a public page shows by other means than a model save or delete (bulk
    updates, raw SQL, bulk_create of bylines without a saved article). Saves and deletes of the content models
    call it through signals.

    The generation changes at once and, inside a transaction, once more after the commit: a page rendered between
    the change and the commit (from the old rows) is filed under the first new token, which the second one makes
    unreachable. Further changes in the same transaction (an article with its inlines, a photo's 14 renditions)
    change it again at once only when this process has read the generation since (it may have filed something
    under it from this transaction's rows, e.g. a test rendering pages inside its transaction); other processes see
    none of the transaction's rows before the commit, whose change retires whatever they filed meanwhile.
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        bump_generation()
        return
    # One callback per transaction however many rows change. run_on_commit holds (savepoint ids, callable,
    # robust); a rolled-back savepoint drops its entries.
    if not any(entry[1] is _bump_after_commit for entry in connection.run_on_commit):
        bump_generation()
        transaction.on_commit(_bump_after_commit, using=using, robust=True)
    elif _token_read or _bump_owed:
        bump_generation()


def _dropping_the_session_cookie(response):
    """``response`` (a reader's, perhaps from the cache) with an order to delete the session cookie: private, so
    that no shared cache keeps it with that header."""
    response.delete_cookie(
        settings.SESSION_COOKIE_NAME,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )
    response["Cache-Control"] = "private, no-cache"  # not the reader's s-maxage: no shared cache may keep it
    return response


def signed_in_session(request):
    """The request's session when it is a login's (staff, who never get a stored page), else None: a session
    cookie with no login behind it, ended or made up, is answered as any reader is. One read of the session store,
    which the rest of the request reuses. When the store cannot be read (the database away), the request is taken
    as staff's: rendered, never stored."""
    from importlib import import_module

    from django.contrib.auth import SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore(request.COOKIES[settings.SESSION_COOKIE_NAME])
    try:
        return session if session.get(SESSION_KEY) is not None else None
    except Exception:  # noqa: BLE001 - as SessionMiddleware would find it later: the request is not a reader's
        logger.warning("The session store could not be read: the request is rendered as staff's", exc_info=True)
        return session


def _read_state():
    global _token_read
    _token_read = True
    cache = _generation_cache()
    state = cache.get(STATE_KEY)
    if state is None:
        cache.add(STATE_KEY, _new_state(), None)
        state = cache.get(STATE_KEY)
    return state


def generation_token():
    """The current content generation's token. Another cache keyed on it is retired by every content change, in
    every process (e.g. a cached menu: ``f"menu:{generation_token()}"``)."""
    return _read_state()[0]


_kept_here = {}  # name: (generation token, value, until), this process's copies for ``kept_in_process``


def kept_for_generation(name, compute, kept_in_process=False):
    """``compute()``'s value, kept in the cache under the current content generation (any content change, in any
    process, retires it) until the moment ``compute()`` returns with it: ``(value, until)``, ``until`` None for the
    whole generation, or a moment already past for a value not to keep. For what a page reads that only content
    changes and scheduled moments change (a list's length, the experience index's filters) but costs a query over
    many rows. ``kept_in_process``: also kept in this process (read without unpickling; the same object on every
    request). When the caches are away (Redis down), computed every time."""
    now = timezone.now()
    try:
        token = generation_token()
    except Exception:
        logger.warning("The content generation could not be read: %s computed again", name, exc_info=True)
        return compute()[0]
    if kept_in_process:
        memo = _kept_here.get(name)
        if memo is not None and memo[0] == token and (memo[2] is None or now < memo[2]):
            return memo[1]
    # This code's release too, as in page keys: a value kept by the previous release's rules (a reporter page that
    # is a 404 now) is not served by this one.
    key = f"newsroom:kept:{release_id()}:{token}:{name}"
    try:
        found = caches[PAGE_CACHE_ALIAS].get(key)
    except Exception:
        found = None
    if found is None or not (found[1] is None or now < found[1]):
        found = compute()
        if found[1] is not None and found[1] <= timezone.now():  # already past: not kept
            return found[0]
        try:
            caches[PAGE_CACHE_ALIAS].set(key, found, settings.NEWSROOM_PAGE_CACHE_TIMEOUT)
        except Exception:  # computed again next time
            logger.warning("%s could not be kept in the cache", name, exc_info=True)
    if kept_in_process:
        _kept_here[name] = (token, *found)
    return found[0]


_next_change_memo = (None, None)  # (token, next change timestamp or NO_NEXT_CHANGE), for this process


def _compute_next_change(started_at):
    """The first moment (a timestamp) after ``started_at`` at which the public pages change by themselves, or
    NO_NEXT_CHANGE: a scheduled story goes live at its ``published_at``; a story leaves the Google News sitemap
    ``NEWS_WINDOW`` after it; a later print issue comes out at its midnight; the year turns (dates in headline
    lists). One aggregate query, once per generation (the result is shared).

    Counted from the generation's start rather than from now, the answer is the same whenever it is computed
    (should the shared value be lost and computed again later, a moment already past still ends the generation).
    """
    from articles.models import Article
    from articles.sitemaps import NEWS_WINDOW

    started = datetime.fromtimestamp(started_at, tz=UTC)
    started_on = timezone.localdate(started)
    # From the primary: a replica may not have replayed the change that began this generation yet.
    articles = Article.objects.using(DEFAULT_DB_ALIAS)
    live_or_scheduled = articles.published() | articles.scheduled()
    in_news = Q(published_at__gt=started - NEWS_WINDOW)
    printed_later = Q(print_issue_on__gt=started_on)
    found = live_or_scheduled.filter(in_news | printed_later).aggregate(
        goes_live=Min("published_at", filter=Q(published_at__gt=started)),
        first_in_news=Min("published_at", filter=in_news),
        next_issue=Min("print_issue_on", filter=printed_later),
    )
    moments = [
        found["goes_live"],
        found["first_in_news"] and found["first_in_news"] + NEWS_WINDOW,
        # A later issue's paper comes out at its midnight in Beijing (ArticleQuerySet.print_out).
        found["next_issue"] and timezone.make_aware(datetime.combine(found["next_issue"], datetime.min.time())),
        # Headline lists give the year of a story from another year (cards.short_date): last year's from New Year.
        timezone.make_aware(datetime(started_on.year + 1, 1, 1)),
    ]
    moments = [moment for moment in moments if moment is not None]
    return min(moments).timestamp() if moments else NO_NEXT_CHANGE


def _next_change(token, started_at):
    global _next_change_memo
    memo_token, value = _next_change_memo
    if memo_token == token:
        return value
    cache = _generation_cache()
    key = NEXT_CHANGE_KEY.format(token=token)
    value = cache.get(key)
    if value is None:
        value = _compute_next_change(started_at)
        cache.set(key, value, 60 * 60)  # the same answer whenever computed again (see above)
    _next_change_memo = (token, value)
    return value


def current_generation():
    """The generation to read and store pages under, or None when the cache should not be used this time (the
    scheduled moment of the current generation has just passed and another process is replacing it)."""
    if _bump_owed:
        bump_generation()
        if _bump_owed:
            raise CacheUnavailable("a content change is not recorded yet")
    token, started_at = _read_state()
    try:
        next_change = _next_change(token, started_at)
    except DatabaseError:
        # The database is away (or failing): the caches are fine, so what they hold is served; nothing is stored
        # under a generation whose end could not be checked, and the check is made again by the next request.
        logger.warning("The next content change could not be read; serving stored pages as they are", exc_info=True)
        return Generation(token, started_at, checked=False)
    if next_change != NO_NEXT_CHANGE and timezone.now().timestamp() >= next_change:
        # A scheduled story went live (or one left the news window): the generation ends. One process replaces it.
        if _generation_cache().add(f"{STATE_KEY}:ended:{token}", True, 60):
            bump_generation()
        token, started_at = _read_state()
        try:
            next_change = _next_change(token, started_at)
        except DatabaseError:
            return None
        if next_change != NO_NEXT_CHANGE and timezone.now().timestamp() >= next_change:
            return None
    return Generation(token, started_at)


def next_change_moment():
    """When the public pages next change by themselves (a scheduled story goes live, one leaves the news sitemap),
    as an aware datetime, or None: read once per generation (shared by every process). A generation whose moment
    has passed is ended here (as by the page cache); when that cannot be settled, now (keep nothing)."""
    try:
        generation = current_generation()
    except Exception:  # the caches are away, or a change is not recorded yet
        logger.warning("The content generation could not be read", exc_info=True)
        return timezone.now()
    if generation is None or not generation.checked:
        return timezone.now()
    value = _next_change(generation.token, generation.started_at)
    return None if value == NO_NEXT_CHANGE else datetime.fromtimestamp(value, tz=UTC)


# --- signals ------------------------------------------------------------------------------------------------


def _known(instance, name):
    """An attribute of a model instance as held in memory (never loaded now), or _UNKNOWN."""
    return instance.__dict__.get(name, _UNKNOWN)


def _never_public(instance):
    """Whether the saved or deleted row is no part of any public page before or after the change: an article that
    was not published when loaded (``_loaded_status``, kept by Article.from_db) and is not published now (a draft,
    a story in review), or a byline, photo link, entry or correction of such an article when that article is at
    hand (no query is made to find out). A scheduled story counts as published (its time is a next-change moment);
    anything unknown counts as public."""
    from articles.models import Article, Status

    if isinstance(instance, Article):
        article = instance
    elif instance._meta.model_name in ARTICLE_CHILDREN:
        field = instance._meta.get_field("article")
        article = field.get_cached_value(instance) if field.is_cached(instance) else None
        if article is None:
            return False
    else:
        return False
    before, now = _known(article, "_loaded_status"), _known(article, "status")
    return all(status is not _UNKNOWN and status != Status.PUBLISHED for status in (before, now))


def _on_save_or_delete(sender, instance=None, using=None, created=False, **kwargs):
    from articles.models import Article

    is_article = isinstance(instance, Article)
    if is_article and created:
        instance._loaded_status = None  # a new row: nobody could see it before
    if instance is None or not _never_public(instance):
        content_changed(using)
    if is_article and "status" in instance.__dict__:
        instance._loaded_status = instance.status  # what the row holds now, for the next save of this instance


def _on_m2m_changed(sender, action, instance=None, using=None, **kwargs):
    if action.startswith("post_") and (instance is None or not _never_public(instance)):
        content_changed(using)


def connect_signals():
    """Every saved or deleted row of a content model of the articles app, and every change of their many-to-many
    links, starts a new content generation. Signals rather than calls in each service, so that no way of
    changing content is forgotten (admin forms and inlines, services, commands, history restores)."""
    from django.apps import apps

    for model in apps.get_app_config("articles").get_models(include_auto_created=True):
        if model._meta.model_name in NOT_PUBLIC_MODELS:
            continue
        if model._meta.auto_created:  # a many-to-many link table: m2m_changed names it as the sender
            m2m_changed.connect(_on_m2m_changed, sender=model, dispatch_uid=f"newsroom-cache-m2m-{model.__name__}")
            continue
        post_save.connect(_on_save_or_delete, sender=model, dispatch_uid=f"newsroom-cache-save-{model.__name__}")
        post_delete.connect(_on_save_or_delete, sender=model, dispatch_uid=f"newsroom-cache-delete-{model.__name__}")


# --- the middleware -----------------------------------------------------------------------------------------


class PageEntry:
    """A stored answer: status, headers and body, and the body's ETag."""

    __slots__ = ("status", "headers", "content", "etag")

    def __init__(self, status, headers, content, etag):
        self.status, self.headers, self.content, self.etag = status, headers, content, etag

    def __getstate__(self):
        return (self.status, self.headers, self.content, self.etag)

    def __setstate__(self, state):
        self.status, self.headers, self.content, self.etag = state


def body_etag(request, content):
    """A strong ETag of the body, with this request's CSP nonce taken out (it differs on every render)."""
    nonce = getattr(request, "_csp_nonce", None)
    if isinstance(nonce, str) and nonce:
        content = content.replace(nonce.encode(), b"")
    return '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'


def _view_name(request):
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else None


def is_public_view(view_name):
    if view_name is None:
        return False
    if view_name in PUBLIC_NOT_STORED_VIEW_NAMES:
        return True
    return is_stored_view(view_name)


def is_stored_view(view_name):
    if view_name is None or view_name in NOT_STORED_VIEW_NAMES:
        return False
    return view_name in STORED_VIEW_NAMES or view_name.split(":", 1)[0] in STORED_NAMESPACES


def _says_private(response):
    value = response.get("Cache-Control", "").lower()
    return any(word in value for word in ("private", "no-cache", "no-store"))


def _without_cookie_vary(response):
    """Drop ``Vary: Cookie`` (see the module's documentation): the session middleware adds it when anything
    looked at the session, which an anonymous answer never depends on."""
    if not response.has_header("Vary"):
        return
    kept = [v.strip() for v in response["Vary"].split(",") if v.strip() and v.strip().lower() != "cookie"]
    if kept:
        response["Vary"] = ", ".join(kept)
    else:
        del response["Vary"]


def _may_lag(request):
    """Whether the page was read from a read replica (newsroom/routers.py marks such requests) not known to have
    replayed the change behind this generation (the router checks the replica's WAL position against it): the page
    may show rows from before the change, so it must be neither stored nor dated with the generation."""
    return getattr(request, "_replica_retry", None) is not None and not getattr(request, "replica_is_current", False)


def _last_modified(generation, request_started_at):
    """When the generation began, in whole seconds rounded up, once that second is over when the request began.

    HTTP dates have whole seconds: a page sent with the Last-Modified of a generation still in its first second
    would look unchanged after a second change in that same second. A generation that starts after this request
    began starts after the date sent, so If-Modified-Since can always tell it apart.
    """
    if generation is None:
        return None
    rounded = math.ceil(generation.started_at)
    return rounded if request_started_at >= rounded else None


def _not_modified(request, etag, generation):
    """Whether the client's copy is current: If-None-Match against the ETag; else If-Modified-Since against the
    generation's start (only when no If-None-Match was sent, as RFC 9110 says)."""
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match:
        wanted = parse_etags(if_none_match)
        return "*" in wanted or any(tag.removeprefix("W/") == etag for tag in wanted)
    if_modified_since = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE") or "")
    if if_modified_since is not None and generation is not None:
        return generation.started_at <= if_modified_since
    return False


def canonical_query(request):
    """The query string as part of a page key: the parameters stored views read, sorted by name (parameters no
    view reads are left out: ``?x=<random>`` is the page without it, served from the cache); or None when it has
    a parameter only an unstored view reads, the same parameter twice, or a page number that is not a plain one
    (``?page=01``) — such addresses are rendered and served, never stored."""
    if not request.META.get("QUERY_STRING"):
        return ""
    items = []
    for name, values in request.GET.lists():
        if name not in READ_PARAMETERS:
            continue  # no view reads it: it cannot change the page
        if name not in STORED_QUERY_PARAMETERS or len(values) != 1:
            return None
        value = values[0]
        if name in PAGE_PARAMETERS and not (_PAGE_NUMBER.fullmatch(value) or (name == "page" and value == "last")):
            return None
        items.append((name, value))
    return urlencode(sorted(items))


def _query_is_storable(request, view_name, response):
    """Whether the page may be stored under its canonical query: every parameter was read by this view. A page
    number only on a paginated list (``page_obj``: a page past the end is a 404 already) or a paginated sitemap;
    filters only when the view's filter form took them all as valid choices."""
    query = canonical_query(request)
    if query is None:
        return False
    if not query:
        return True
    context = getattr(response, "context_data", None) or {}
    form = context.get("form")
    for name in request.GET:
        if name not in READ_PARAMETERS:
            continue
        if name == "page":
            used = context.get("page_obj") is not None
        elif name == "p":
            used = view_name in SITEMAP_VIEW_NAMES
        else:
            used = form is not None and form.is_bound and name in form.fields and not form.errors
        if not used:
            return False
    return True


def _cache_failed():
    global _unavailable_until
    _unavailable_until = time.monotonic() + RETRY_SECONDS


class PageCacheMiddleware:
    """Serves and stores anonymous public pages (see the module's documentation); sets ETag, Last-Modified and
    Cache-Control, and answers conditional requests with 304.

    It sits above django-csp's middleware so that a stored page keeps the Content-Security-Policy header written
    with the nonce in its body: both are served together, and every reader of a cached copy gets the same nonce
    until the page changes. That weakens the nonce (it is no longer unique per response, and the nginx
    micro-cache or a CDN shares it anyway); it protects one inline script, the article's JSON-LD, which is data,
    and all stored rich text is sanitised with nh3, so no injected markup could use it. Serving a cached body
    with a fresh nonce in the header would block that script instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._skipped_prefixes = None

    def skipped_prefixes(self):
        if self._skipped_prefixes is None:
            prefixes = [reverse("admin:index"), "/" + settings.STATIC_URL.lstrip("/")]
            if settings.MEDIA_URL.startswith("/"):
                prefixes.append(settings.MEDIA_URL)
            self._skipped_prefixes = tuple(prefixes)
        return self._skipped_prefixes

    def __call__(self, request):
        if not settings.NEWSROOM_PAGE_CACHE or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if request.path_info.startswith(self.skipped_prefixes()):
            return self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            session = signed_in_session(request)
            if session is not None:
                request.newsroom_session = session  # read once: articles.middleware.SessionMiddleware takes it
                return self.staff_response(request, self.get_response(request))
            # A session cookie with no login behind it (ended, or made up to force pages to be rendered): the
            # reader's page, from the cache, and the browser is told to drop the cookie (so its next requests
            # read no session and pass the nginx micro-cache). Below, Django sees no session cookie.
            cookies = request.COOKIES
            request.COOKIES = {name: value for name, value in cookies.items() if name != settings.SESSION_COOKIE_NAME}
            return _dropping_the_session_cookie(self.reader_response(request))
        return self.reader_response(request)

    def reader_response(self, request):
        """An anonymous reader's answer: from the cache, or rendered and stored."""
        request_started_at = timezone.now().timestamp()
        # Scheme, host (checked against ALLOWED_HOSTS: a bad one is a 400 here already), path and the query string
        # in a canonical order: pages carry absolute canonical and sharing URLs. An address with a parameter no
        # public view reads is not looked up (nor stored).
        query = canonical_query(request)
        # The host in lower case: "LocalHost" is the same site, its page looked up under the same key (and only a
        # page made for the name in lower case is stored, below: its links are the ones every reader should get).
        host = request.get_host()
        address = f"{request.scheme}://{host.lower()}{request.path}" + (f"?{query}" if query else "")
        digest = hashlib.blake2b(address.encode(), digest_size=16).hexdigest()
        generation = key = None
        try:
            if time.monotonic() < _unavailable_until:
                raise CacheUnavailable("the caches failed a moment ago")
            generation = current_generation()
            if generation is not None and query is not None:
                key = PAGE_KEY.format(release=release_id(), token=generation.token, digest=digest)
                entry = caches[PAGE_CACHE_ALIAS].get(key)
                if entry is not None:
                    return self.respond(request, self.rebuild(entry), entry.etag, generation, request_started_at, "hit")
        except CacheUnavailable:
            generation = key = None
        except Exception:
            # A cache that cannot be reached is no reason to fail: render the page (fresh, so never stale).
            logger.exception("Page cache unavailable; serving without it for %s s", RETRY_SECONDS)
            _cache_failed()
            generation = key = None

        request.newsroom_generation = generation  # the read replica is checked against it (newsroom/routers.py)
        response = self.get_response(request)
        view_name = _view_name(request)
        if not is_public_view(view_name) or response.status_code != 200 or response.streaming:
            return response
        if _says_private(response):
            return response
        if response.cookies:  # a cookie for this visitor: no shared cache may keep the answer
            patch_cache_control(response, private=True, no_cache=True)
            return response
        _without_cookie_vary(response)
        etag = body_etag(request, response.content)
        if generation is not None and _may_lag(request):
            # Read from a replica that may not have the change behind this generation yet: serve, do not keep.
            generation = key = None
        if generation is not None and not generation.checked:
            key = None  # the database was away when the generation's end was to be checked: serve, do not keep
        bypass = is_stored_view(view_name) and not _query_is_storable(request, view_name, response)
        if bypass or host != host.lower():
            key = None
        if key is not None and request.method == "GET" and is_stored_view(view_name):
            headers = [(name, value) for name, value in response.items() if name.lower() not in RECOMPUTED_HEADERS]
            try:
                caches[PAGE_CACHE_ALIAS].set(key, PageEntry(response.status_code, headers, response.content, etag))
            except Exception:
                logger.exception("Could not store a page in the cache")
                _cache_failed()
        return self.respond(request, response, etag, generation, request_started_at, "bypass" if bypass else "miss")

    @staticmethod
    def rebuild(entry):
        response = HttpResponse(entry.content, status=entry.status)
        for name, value in entry.headers:
            response[name] = value
        return response

    @staticmethod
    def respond(request, response, etag, generation, request_started_at, cache_status):
        """Add the caching headers to ``response`` (served or stored), or answer 304 when the client's copy is
        current."""
        response["ETag"] = etag
        last_modified = _last_modified(generation, request_started_at)
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
        elif response.has_header("Last-Modified"):
            # Feeds and sitemaps date themselves by their newest item, which goes back in time when a story is
            # unpublished: conditional requests are judged on the generation instead.
            del response["Last-Modified"]
        response["Cache-Control"] = f"public, max-age=0, s-maxage={settings.NEWSROOM_CACHE_SECONDS}"
        response[CACHE_HEADER] = cache_status
        if _not_modified(request, etag, generation):
            not_modified = HttpResponseNotModified()
            for name in ("Cache-Control", "ETag", "Last-Modified", "Vary", CACHE_HEADER):
                if response.has_header(name):
                    not_modified[name] = response[name]
            # The rendered answer is dropped unclosed: closing it would send request_finished a second time.
            return not_modified
        return response

    @staticmethod
    def staff_response(request, response):
        """A request with a session (staff): never cached here, and no shared cache may keep what it gets."""
        if is_public_view(_view_name(request)) and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        if is_public_view(_view_name(request)):
            response[CACHE_HEADER] = "bypass"
        return response
