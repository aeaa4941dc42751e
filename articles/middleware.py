"""Request hygiene shared by every view, and the answer when the database is away."""

import ipaddress
import logging
import sys
import time
from dataclasses import asdict

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.exceptions import FieldDoesNotExist
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse, QueryDict
from django.template import loader
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.views import defaults

from articles.services import clean_text
from newsroom.db_errors import is_database_unavailable


class SiteLocaleMiddleware:
    """Every request is served in the site's language and time zone (LANGUAGE_CODE, TIME_ZONE), activated for it,
    whatever an earlier request or a library left active in the worker's thread. Without it Django falls back on
    the defaults at every lookup of a language or zone never set in the thread (three exceptions raised and caught
    each time; about 30 lookups on an article page). HTML answers say their language (``Content-Language``), as
    their ``<html lang>`` does."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        translation.activate(settings.LANGUAGE_CODE)
        timezone.activate(timezone.get_default_timezone())
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Content-Language", translation.get_language())
        return response


class CleanQueryStringMiddleware:
    """Query strings are not validated by forms: NUL bytes, lone surrogates and other control characters would
    reach the ORM (PostgreSQL refuses NUL, a 500 there only). Every view sees the parameters without them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.GET:
            cleaned = QueryDict(mutable=True)
            changed = False
            for key, values in request.GET.lists():
                clean_key = clean_text(key)
                clean_values = [clean_text(value) for value in values]
                changed = changed or clean_key != key or clean_values != values
                cleaned.setlist(clean_key, clean_values)
            if changed:
                cleaned._mutable = False
                request.GET = cleaned
        return self.get_response(request)


SESSION_RENEWED_KEY = "newsroom_renewed_at"
SESSION_RENEWAL_SECONDS = 60


class SessionActivityMiddleware:
    """A staff session ends ``SESSION_COOKIE_AGE`` after its user's last activity, not after they logged in: an
    editor who logs in at nine is not logged out in the middle of a story at five. Each request of a logged-in user
    is activity, but for an edit page's heartbeat while nobody types (``request.session_idle``, set by the presence
    view): a page left open does not keep its session alive. The session is renewed (saved with a fresh expiry by
    SessionMiddleware, which must come before this) at most once a minute. Readers have no session: untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.session_key is None or getattr(request, "session_idle", False):
            return response
        if response.status_code >= 400:  # e.g. the heartbeat of a page whose story is gone: not activity
            return response
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:  # a stale cookie must not become a session
            if user is not None and SESSION_KEY in session:
                # Its login has ended since (deactivated: a reporter marked as departed; or deleted) and Django no
                # longer lets it in: the session ends with it, and its cookie on the way out. Sessions kept in the
                # cache alone could not be listed when the login was deactivated (services.end_sessions).
                session.flush()
            return response
        now = int(time.time())
        if now - session.get(SESSION_RENEWED_KEY, 0) >= SESSION_RENEWAL_SECONDS:
            session[SESSION_RENEWED_KEY] = now  # modified: saved with a fresh expiry
        return response


class SignedOutSaveMiddleware:
    """A form posted to the admin by someone whose login has ended (after SESSION_COOKIE_AGE without activity, or a
    logout in another tab) is not sent to the login page, which dropped what they typed (a reporter's paragraph
    typed on her phone was gone after logging in again): it answers a page with the typed text to copy and a link
    to log in again. The login form itself, and the password pages, are left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or not request.path_info.startswith(admin_prefix()):
            return None
        # A form's submission carries its token in the body; the edit page's heartbeat (a script) does not, and
        # learns that the login ended from the login page it is sent to (edit-presence.js).
        if "csrfmiddlewaretoken" not in request.POST:
            return None
        user = getattr(request, "user", None)
        if user is None or (user.is_active and user.is_staff):
            return None
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name in {"login", "logout", "password_reset", "password_reset_done"}:
            return None
        fields = unsaved_text(request)
        login = f"{reverse('admin:login')}?{QueryDict.fromkeys(['next'], value=request.get_full_path()).urlencode()}"
        body = loader.render_to_string(
            "admin/signed_out_save.html", {"unsaved_fields": fields, "login_url": login}, request=request
        )
        response = HttpResponse(body, status=403)
        add_never_cache_headers(response)  # the typed text is for its sender only
        return response


class PermissionsPolicyMiddleware:
    """Sends ``settings.PERMISSIONS_POLICY``: browser features (camera, location…) that no page of ours uses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class NewsroomCSPMiddleware(CSPMiddleware):
    """django-csp's middleware with a second policy for the admin (``NEWSROOM_ADMIN_CONTENT_SECURITY_POLICY``):
    CKEditor 5 writes <style> elements at run time, which the public pages' strict style-src would block.
    A view's own ``@csp_override``/``@csp_update`` still wins.

    The headers of a response without a policy of its own (nearly every one) are built once per process from the
    settings, with a stand-in for the request's nonce: django-csp builds them from the settings at every request
    (0.1 ms, 3% of an article page)."""

    OWN_POLICY = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
    NONCE_STAND_IN = "\x00nonce\x00"  # no policy holds NUL
    _built = {}  # (admin?, nonce?): ((policy, its excluded URL prefixes), the same for report-only); NONCE_STAND_IN

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and request.path_info.startswith(admin_prefix()):
            parts.config = settings.NEWSROOM_ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
        return parts

    def process_response(self, request, response):
        if any(hasattr(response, name) for name in self.OWN_POLICY) or settings.DEBUG:
            return super().process_response(request, response)
        nonce = getattr(request, "_csp_nonce", None)
        key = (request.path_info.startswith(admin_prefix()), nonce is not None)
        built = self._built.get(key)
        if built is None:
            request._csp_nonce = self.NONCE_STAND_IN if nonce is not None else None
            built = self._built[key] = tuple(
                (
                    build_policy(
                        **asdict(self.get_policy_parts(request, response, report_only)), report_only=report_only
                    ),
                    tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()),
                )
                for report_only, setting in (
                    (False, "CONTENT_SECURITY_POLICY"),
                    (True, "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
                )
            )
            request._csp_nonce = nonce
        for header, (policy, excluded), exempt in zip(
            (HEADER, HEADER_REPORT_ONLY), built, ("_csp_exempt", "_csp_exempt_ro"), strict=True
        ):
            if policy and header not in response and not getattr(response, exempt, False):
                if not request.path_info.startswith(excluded):
                    response[header] = policy.replace(self.NONCE_STAND_IN, nonce) if nonce else policy
        if nonce is None:  # as django-csp: a nonce asked for after the header was written is an error
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@receiver(setting_changed)
def _forget_built_policies(setting, **kwargs):
    if "CONTENT_SECURITY_POLICY" in setting or setting == "DEBUG":
        NewsroomCSPMiddleware._built.clear()


def admin_prefix():
    return reverse("admin:index")


def client_ip_address(request):
    """The client's address (django-axes' AXES_CLIENT_IP_CALLABLE): REMOTE_ADDR, or behind ``PROXY_COUNT`` reverse
    proxies the entry they appended to X-Forwarded-For (each appends the address it received the request from)."""
    remote = request.META.get("REMOTE_ADDR") or None
    if not settings.PROXY_COUNT:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < settings.PROXY_COUNT:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-settings.PROXY_COUNT]))
    except ValueError:
        return remote


# --- The database is away ------------------------------------------------------------------------
# PostgreSQL restarting, failing over or unreachable raises OperationalError (no connection, connection lost,
# server shutting down) or InterfaceError (a connection already closed): newsroom/db_errors.py, shared with the read
# replica's fallback (newsroom/routers.py). Readers and editors then get a Chinese
# 503 page with Retry-After instead of a 500, and nothing else is needed when the database returns: each request
# opens a new connection, and CONN_HEALTH_CHECKS replaces a kept connection that died meanwhile.

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# POST fields never echoed back on the 503 page: secrets, tokens and the bookkeeping of forms and formsets.
_NOT_ECHOED = ("password", "csrfmiddlewaretoken", "token")
_FORMSET_BOOKKEEPING = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")


def _field_label(request, name):
    """The model field's own label for an admin form field (no database needed), else the field name."""
    try:
        model_admin = getattr(resolve(request.path_info).func, "model_admin", None)
    except Resolver404:
        model_admin = None
    if model_admin is not None:
        try:
            return str(model_admin.model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:  # an inline's field ("bylines-0-role") keeps its form name
            pass
    return name


def unsaved_text(request):
    """What a staff member typed into an admin form whose save could not reach the database: (label, text)
    pairs shown on the 503 page so that nothing they wrote is lost. Only for POSTs to the admin, whose sender
    is the only reader (the page is never cached); secrets, ids and empty fields are left out."""
    if request.method != "POST" or not request.path_info.startswith(admin_prefix()):
        return []
    fields = []
    for name, values in request.POST.lists():  # already read by the CSRF check before any view ran
        lowered = name.lower()
        if any(word in lowered for word in _NOT_ECHOED) or name.endswith(_FORMSET_BOOKKEEPING):
            continue
        for value in values:
            value = value.strip()
            if value and not value.isdigit():
                fields.append({"name": name, "label": _field_label(request, name), "text": value})
    return fields


def database_unavailable_response(request):
    """The 503 page, rendered without the request: context processors (menus, the user) would need the database."""
    body = loader.get_template("503.html").render({"unsaved_fields": unsaved_text(request) if request else []})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)  # neither the outage nor an editor's text may be kept by a cache
    return response


class DatabaseUnavailableMiddleware:
    """A view (or a template rendered after it, or the session and user it loads) that finds the database away
    answers the 503 page. Errors raised by other middleware, such as the session being saved on the way out, reach
    ``server_error`` below instead (Django turns them into the 500 handler's response before any middleware sees
    them)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning("Database unavailable, answered 503 for %s %s: %s", request.method, request.path, exception)
        return database_unavailable_response(request)


def server_error(request, template_name="500.html"):
    """``handler500``: the 503 page when the unhandled error is the database being away, else Django's own."""
    error = sys.exc_info()[1]
    if is_database_unavailable(error):
        return database_unavailable_response(request)
    return defaults.server_error(request, template_name)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, taking the session the page cache has already read for a public page (``request.newsroom_session``,
    articles.cache.signed_in_session) instead of reading it a second time."""

    def process_request(self, request):
        checked = getattr(request, "newsroom_session", None)
        if checked is None:
            super().process_request(request)
        else:
            request.session = checked
