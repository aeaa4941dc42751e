"""Deployment security: response headers on public and admin pages, cookies, `check --deploy`, login throttling
(django-axes), safe ``?next=`` and password validation."""

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from articles.services import ensure_newsroom_groups
from tests.factories import ArticleFactory, BylineFactory

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "Correct-horse-battery-9"
LOGIN_URL = "/admin/login/"


def csp_directives(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_common_headers(response):
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "geolocation=()", "microphone=()", "payment=()"):
        assert feature in policy
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    script_src = directives["script-src"]
    assert "'self'" in script_src
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    return directives


@pytest.mark.django_db
def test_a_public_page_sends_every_security_header(client):
    response = client.get(reverse("articles:home"), secure=True)
    assert response.status_code == 200
    directives = assert_common_headers(response)
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"][:2] == ["'self'", "data:"]


@pytest.mark.django_db
def test_the_article_json_ld_carries_the_nonce_of_the_policy(client):
    article = ArticleFactory(published=True)
    BylineFactory(article=article)
    response = client.get(article.get_absolute_url(), secure=True)
    assert response.status_code == 200
    directives = assert_common_headers(response)
    nonces = [source for source in directives["script-src"] if source.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0][len("'nonce-") : -1]
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert f'<script type="application/ld+json" nonce="{nonce}">' in scripts
    # Every other script is an external file of ours: no inline script on a public page.
    for tag in scripts:
        assert "src=" in tag or f'nonce="{nonce}"' in tag, tag


@pytest.mark.django_db
def test_the_admin_allows_inline_styles_for_ckeditor_but_never_inline_scripts(client, editor_user):
    client.force_login(editor_user)
    response = client.get(reverse("admin:articles_article_add"), secure=True)
    assert response.status_code == 200
    directives = assert_common_headers(response)
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert "blob:" in directives["img-src"]
    login = client.get(LOGIN_URL, secure=True)
    assert_common_headers(login)


@pytest.mark.django_db
def test_each_uncached_page_gets_a_nonce_of_its_own_in_its_header_and_body(client, settings):
    """The policy is built once per process with a stand-in for the nonce: every response still names its own."""
    settings.NEWSROOM_PAGE_CACHE = False
    article = ArticleFactory(published=True)
    nonces = []
    for _ in range(2):
        response = client.get(article.get_absolute_url(), secure=True)
        nonce = re.search(r'<script type="application/ld\+json" nonce="([^"]+)">', response.content.decode()).group(1)
        assert f"'nonce-{nonce}'" in csp_directives(response)["script-src"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    assert "nonce" not in response.headers["Content-Security-Policy"].replace(f"'nonce-{nonces[1]}'", "")


@pytest.mark.django_db
def test_public_and_admin_pages_keep_their_own_policies_whichever_comes_first(client, editor_user):
    home = reverse("articles:home")
    client.get(home, secure=True)
    client.force_login(editor_user)
    admin = client.get(reverse("admin:articles_article_add"), secure=True)
    assert csp_directives(admin)["style-src"] == ["'self'", "'unsafe-inline'"]
    client.logout()
    assert csp_directives(client.get(home, secure=True))["style-src"] == ["'self'"]


@pytest.mark.django_db
def test_a_changed_policy_setting_is_sent_from_the_next_request(client, settings):
    settings.NEWSROOM_PAGE_CACHE = False
    home = reverse("articles:home")
    assert "https://img.example.cn" not in csp_directives(client.get(home, secure=True))["img-src"]
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    img_src = [*directives["img-src"], "https://img.example.cn"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "img-src": img_src}}
    assert "https://img.example.cn" in csp_directives(client.get(home, secure=True))["img-src"]


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure_httponly_and_lax(client):
    get_user_model().objects.create_superuser("zhubian", "z@example.com", PASSWORD)
    page = client.get(LOGIN_URL, secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    response = client.post(LOGIN_URL, {"username": "zhubian", "password": PASSWORD, "next": "/admin/"}, secure=True)
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    # Gone when the browser closes (no Max-Age), and never older than a working day on the server.
    assert not session["max-age"] and not session["expires"]
    assert client.session.get_expiry_age() <= 8 * 60 * 60


def test_check_deploy_with_production_values_prints_no_warning():
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_BEHIND_PROXY": "true",
        "DJANGO_SECURE_SSL_REDIRECT": "true",
        "DJANGO_ALLOWED_HOSTS": "www.example.cn",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output and "security.W" not in output, output
    assert "no issues" in output


# --- login throttling --------------------------------------------------------------------------------------


def attempt(client, username, password, address):
    return client.post(LOGIN_URL, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address)


@pytest.fixture
def two_editors(db):
    users = get_user_model().objects
    return (
        users.create_superuser("bianji", "b@example.com", PASSWORD),
        users.create_superuser("zhubian", "z@example.com", PASSWORD),
    )


def lock_out(client, username="bianji", address="10.0.0.1"):
    """Five wrong passwords: the first four show the login form again, the fifth the lockout page."""
    statuses = [attempt(client, username, "wrong-password", address).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


def test_five_wrong_passwords_lock_that_user_from_that_address(client, two_editors):
    lock_out(client)
    response = attempt(client, "bianji", PASSWORD, "10.0.0.1")  # even the right password, now
    assert response.status_code == 429
    text = response.content.decode()
    assert "登录失败次数过多" in text
    assert "15" in text  # the cool-off, in minutes
    assert '<div id="site-name"><a href="/admin/">采编系统</a></div>' in text and "Django" not in text
    assert "_auth_user_id" not in client.session


def test_four_wrong_passwords_do_not_lock(client, two_editors):
    for _ in range(4):
        attempt(client, "bianji", "wrong-password", "10.0.0.1")
    assert attempt(client, "bianji", PASSWORD, "10.0.0.1").status_code == 302


def test_the_same_user_from_another_address_still_logs_in(client, two_editors):
    lock_out(client)
    assert attempt(client, "bianji", PASSWORD, "10.0.0.2").status_code == 302


def test_another_user_from_the_same_address_still_logs_in(client, two_editors):
    lock_out(client)
    assert attempt(client, "zhubian", PASSWORD, "10.0.0.1").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, two_editors):
    lock_out(client)
    assert attempt(client, "bianji", PASSWORD, "10.0.0.1").status_code == 429
    # Move the attempts back past the 15-minute cool-off instead of waiting for it.
    for access in AccessAttempt.objects.all():
        access.attempt_time -= timedelta(minutes=16)
        access.save(update_fields=["attempt_time"])
    assert attempt(client, "bianji", PASSWORD, "10.0.0.1").status_code == 302


def test_a_successful_login_resets_the_count(client, two_editors):
    for _ in range(4):
        attempt(client, "bianji", "wrong-password", "10.0.0.1")
    assert attempt(client, "bianji", PASSWORD, "10.0.0.1").status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "bianji", "wrong-password", "10.0.0.1")
    assert attempt(client, "bianji", PASSWORD, "10.0.0.1").status_code == 302


def test_without_a_proxy_a_forged_forwarded_header_is_ignored(client, two_editors):
    for number in range(5):
        client.post(
            LOGIN_URL,
            {"username": "bianji", "password": "wrong", "next": "/admin/"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{number}",
        )
    assert attempt(client, "bianji", PASSWORD, "10.0.0.1").status_code == 429


def test_behind_the_proxy_the_address_is_the_one_the_proxy_appended(client, two_editors, settings):
    """Behind one proxy, X-Forwarded-For's last entry is the client: what the client wrote before it is ignored,
    and REMOTE_ADDR (the proxy) locks nobody out."""
    settings.PROXY_COUNT = 1

    def through_proxy(password, client_address, forged="203.0.113.9"):
        return client.post(
            LOGIN_URL,
            {"username": "bianji", "password": password, "next": "/admin/"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"{forged}, {client_address}",
        )

    for number in range(5):
        through_proxy("wrong", "198.51.100.7", forged=f"203.0.113.{number}")
    assert through_proxy(PASSWORD, "198.51.100.7").status_code == 429
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"
    # A colleague behind the same proxy, from their own address, is not locked out.
    assert through_proxy(PASSWORD, "198.51.100.8").status_code == 302


def test_a_chief_editor_lifts_a_login_lock_by_deleting_its_attempt(client, reporter_user, chief_editor_user):
    lock_out(client, username="reporter")
    chief = Client()
    chief.force_login(chief_editor_user)

    index = chief.get(reverse("admin:index")).content.decode()
    listing = chief.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    locked = AccessAttempt.objects.get(username="reporter")
    deleted = chief.post(reverse("admin:axes_accessattempt_delete", args=[locked.pk]), {"post": "yes"}, follow=True)

    assert ">登录保护</a>" in index and ">登录尝试</a>" in index
    assert "reporter" in listing and "已锁定" in listing
    assert "登录尝试“" in deleted.content.decode() and "”已删除。" in deleted.content.decode()
    assert attempt(client, "reporter", "secret", "10.0.0.1").status_code == 302  # the password works again


@pytest.mark.parametrize("role", ["记者", "编辑"])
def test_a_reporter_or_an_editor_cannot_lift_a_login_lock(client, make_staff_user, role):
    make_staff_user("locked", "记者")
    lock_out(client, username="locked")
    colleague = Client()
    colleague.force_login(make_staff_user("colleague", role))
    locked = AccessAttempt.objects.get(username="locked")

    assert colleague.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
    assert (
        colleague.post(reverse("admin:axes_accessattempt_delete", args=[locked.pk]), {"post": "yes"}).status_code == 403
    )
    assert ">登录尝试</a>" not in colleague.get(reverse("admin:index")).content.decode()
    assert attempt(client, "locked", "secret", "10.0.0.1").status_code == 429  # still locked


@pytest.mark.django_db
def test_the_data_migration_lets_the_chief_editors_lift_login_locks():
    # No service call here: the permissions come from migration 0023 (or 0006, should django-axes migrate first).
    chiefs, editors = Group.objects.get(name="主编"), Group.objects.get(name="编辑")

    assert set(chiefs.permissions.filter(content_type__app_label="axes").values_list("codename", flat=True)) == {
        "view_accessattempt",
        "delete_accessattempt",
        "view_accesslog",
        "view_accessfailurelog",
    }
    assert not editors.permissions.filter(content_type__app_label="axes").exists()


def test_proxy_settings_follow_the_environment():
    from tests.test_settings import run_django

    code = "print(settings.PROXY_COUNT, settings.SECURE_PROXY_SSL_HEADER)"
    direct = run_django(code, DJANGO_SECRET_KEY="s" * 50)
    assert direct.returncode == 0, direct.stderr
    assert direct.stdout.strip() == "0 None"
    proxied = run_django(code, DJANGO_SECRET_KEY="s" * 50, DJANGO_BEHIND_PROXY="true", DJANGO_PROXY_COUNT="2")
    assert proxied.returncode == 0, proxied.stderr
    assert proxied.stdout.strip() == "2 ('HTTP_X_FORWARDED_PROTO', 'https')"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "127.0.0.1"),  # no proxy configured: the header is the client's own words
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "203.0.113.9, 10.1.2.3", "10.1.2.3"),  # a forged first entry is ignored, private addresses count
        (2, "203.0.113.9, 198.51.100.7, 10.0.0.5", "198.51.100.7"),
        (2, "10.0.0.5", "127.0.0.1"),  # fewer entries than proxies: the header is not trusted
        (1, "not-an-address", "127.0.0.1"),
        (1, "", "127.0.0.1"),
    ],
)
def test_client_address(settings, rf, count, forwarded, expected):
    from articles.middleware import client_ip_address

    settings.PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip_address(request) == expected


# --- redirects and passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example", "\\\\evil.example"]
)
def test_login_never_redirects_off_site(client, two_editors, target):
    response = client.post(f"{LOGIN_URL}?next={target}", {"username": "bianji", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil.example" not in location
    assert location.startswith("/")


def test_logout_never_redirects_off_site(client, two_editors):
    client.force_login(two_editors[0])
    response = client.post("/admin/logout/?next=https://evil.example/")
    assert "evil.example" not in response.headers.get("Location", "")


def test_a_weak_password_is_refused_by_the_admin_user_form(client, two_editors):
    ensure_newsroom_groups()
    client.force_login(two_editors[0])
    url = reverse("admin:auth_user_add")
    response = client.post(
        url, {"username": "xinren", "password1": "12345678", "password2": "12345678", "usable_password": "true"}
    )
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="xinren").exists()
    errors = response.context["adminform"].form.errors
    assert "password2" in errors or "password1" in errors
    target = two_editors[1]
    change = reverse("admin:auth_user_password_change", args=[target.pk])
    response = client.post(change, {"password1": "zhubian", "password2": "zhubian", "usable_password": "true"})
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.check_password(PASSWORD)


@pytest.mark.parametrize("unsafe", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_a_login_whose_next_points_off_the_site_leads_to_the_desk(client, editor_user, unsafe):
    """Not off the site, and not to Django's default /accounts/profile/ (a 404 here)."""
    editor_user.set_password("correct horse battery")
    editor_user.save()
    response = client.post(
        reverse("admin:login") + "?next=" + unsafe,
        {"username": editor_user.username, "password": "correct horse battery", "next": unsafe},
    )
    assert response.status_code == 302 and response.url == reverse("admin:index")
