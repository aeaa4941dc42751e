"""Request hygiene shared by every view."""

import ipaddress

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import QueryDict
from django.urls import reverse

from articles.services import clean_text


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
    A view's own ``@csp_override``/``@csp_update`` still wins."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and request.path_info.startswith(admin_prefix()):
            parts.config = settings.NEWSROOM_ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
        return parts


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
