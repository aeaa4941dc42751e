"""The shipped nginx configuration (deploy/nginx/) in a real nginx: what the micro-cache keeps and what it never does.

nginx runs as in the benchmark (bench/harness.py: a temporary prefix, 127.0.0.1, the shipped snippets included) in
front of a small upstream that counts the requests reaching it, so a cached answer is one the upstream never saw.
"""

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench import harness

pytestmark = pytest.mark.skipif(
    not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()), reason="nginx is not installed"
)


class Upstream(BaseHTTPRequestHandler):
    """Answers every path with a body naming how many requests it has had; the path picks the headers."""

    hits = 0
    lock = threading.Lock()

    def answer(self):
        with Upstream.lock:
            Upstream.hits += 1
            number = Upstream.hits
        body = f"answer {number} for {self.headers.get('Host')}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if "private" in self.path:
            self.send_header("Cache-Control", "private, no-cache")
        elif "cookie" in self.path:
            self.send_header("Set-Cookie", "newsroom_primary=1; Path=/")
        else:
            self.send_header("Cache-Control", "public, max-age=0, s-maxage=30")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    copy = tmp / "article.html"
    copy.write_text("<!doctype html><title>saved</title>")
    (tmp / "static").mkdir()
    (tmp / "media").mkdir()
    proxy = harness.Nginx(tmp, server.server_address[1], tmp / "static", tmp / "media", copy)
    try:
        yield proxy
    finally:
        proxy.stop()
        server.shutdown()


def get(nginx, path, method="GET", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=10)
    try:
        connection.request(method, path, body=b"x=1" if method == "POST" else None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("X-Micro-Cache"), response.read().decode()
    finally:
        connection.close()


def test_an_anonymous_page_is_answered_from_the_micro_cache(nginx):
    status, state, first = get(nginx, "/articles/1/")
    assert (status, state) == (200, "MISS")
    status, state, second = get(nginx, "/articles/1/")
    assert (status, state) == (200, "HIT")
    assert second == first  # the upstream was not asked again


def test_a_host_with_another_port_never_makes_the_copy_other_readers_get(nginx):
    """Django builds a page's absolute links from the Host header, port included: a copy made for "Host:
    localhost:31337" must not be what a reader asking for localhost gets (the cache was keyed without the port)."""
    status, state, poisoned = get(nginx, "/articles/11/", headers={"Host": "localhost:31337"})
    assert (status, state) == (200, "MISS") and poisoned.endswith("for localhost:31337")

    status, _state, answer = get(nginx, "/articles/11/", headers={"Host": "localhost"})

    assert status == 200 and answer.endswith("for localhost")


def test_a_copy_older_than_a_second_is_never_served_once_the_site_answers(nginx):
    """A page changed (or withdrawn) while its copy sat in the cache: the first reader after the second is up gets
    the site's answer, not the old copy while nginx refreshes it behind their back (a page unread for a while kept
    its old copy for the next reader, however old)."""
    _, _, first = get(nginx, "/articles/7/")
    time.sleep(2.1)  # nginx counts whole seconds

    status, state, second = get(nginx, "/articles/7/")

    assert (status, state) == (200, "EXPIRED")
    assert second != first


def test_staff_with_a_session_cookie_always_reach_the_site(nginx):
    get(nginx, "/sections/news/")
    answers = {get(nginx, "/sections/news/", headers={"Cookie": "sessionid=abc"})[2] for _ in range(3)}
    assert len(answers) == 3  # three fresh answers, none from the cache
    assert get(nginx, "/sections/news/", headers={"Cookie": "sessionid=abc"})[1] == "BYPASS"


def test_a_browser_that_has_just_written_reads_its_own_writes(nginx):
    """The `newsroom_primary` cookie (set after a write, newsroom/routers.py): not a copy made before the write."""
    get(nginx, "/reporters/li/")
    answers = {get(nginx, "/reporters/li/", headers={"Cookie": "newsroom_primary=1"})[2] for _ in range(3)}
    assert len(answers) == 3
    assert get(nginx, "/reporters/li/", headers={"Cookie": "newsroom_primary=1"})[1] == "BYPASS"


def test_a_staff_answer_is_never_served_to_readers(nginx):
    _, _, staff = get(nginx, "/topics/", headers={"Cookie": "sessionid=abc"})
    _, state, reader = get(nginx, "/topics/")
    assert state == "MISS"
    assert reader != staff


def test_the_admin_is_never_cached(nginx):
    answers = {get(nginx, "/admin/articles/")[2] for _ in range(3)}
    assert len(answers) == 3
    assert get(nginx, "/admin/articles/")[1] is None


def test_private_answers_and_answers_setting_a_cookie_are_not_stored(nginx):
    for path in ("/preview/private/", "/news/cookie/"):
        answers = {get(nginx, path)[2] for _ in range(3)}
        assert len(answers) == 3, path


def test_posts_are_never_answered_from_the_cache(nginx):
    get(nginx, "/search/")
    answers = {get(nginx, "/search/", method="POST")[2] for _ in range(2)}
    assert len(answers) == 2


def test_nginx_serves_the_saved_page_as_a_file(nginx):
    before = Upstream.hits
    status, _, body = get(nginx, "/static-copy/article.html")
    assert status == 200 and "saved" in body
    assert Upstream.hits == before


def production_configuration(tmp_path, upstream_port=8000, port=None, tls_port=None):
    """deploy/nginx/ as the README says to install it, in ``tmp_path``: its paths moved into that folder, a throwaway
    certificate for www.example.cn, gunicorn's address ``upstream_port``; with ``port`` and ``tls_port``, listening
    there on 127.0.0.1 (instead of ports 80 and 443 of every address). Returns the nginx.conf to start."""
    conf = tmp_path / "newsroom"
    shutil.copytree(Path(__file__).resolve().parent.parent / "deploy" / "nginx", conf)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=www.example.cn"]
        + ["-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True,
        capture_output=True,
    )
    for folder in ("static", "media", "cache"):
        (tmp_path / folder).mkdir()
    for name in ("newsroom.conf", "microcache-http.conf"):
        text = (conf / name).read_text()
        text = text.replace("/etc/ssl/newsroom/", f"{tmp_path}/").replace("/etc/nginx/newsroom/", f"{conf}/")
        text = text.replace("/var/cache/nginx/newsroom", str(tmp_path / "cache"))
        text = text.replace("/srv/newsroom/staticfiles/", f"{tmp_path}/static/")
        text = text.replace("/srv/newsroom/media/", f"{tmp_path}/media/")
        text = text.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
        if port:
            text = re.sub(r"listen \[::\]:(80|443)[^;]*;", "", text)
            text = re.sub(r"listen 80( default_server)?;", rf"listen 127.0.0.1:{port}\1;", text)
            text = re.sub(r"listen 443 ssl", f"listen 127.0.0.1:{tls_port} ssl", text)
        (conf / name).write_text(text)
    user = "user root root;\n" if os.geteuid() == 0 else ""  # as the benchmark's nginx (bench/harness.py)
    (tmp_path / "nginx.conf").write_text(
        f"{user}pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n include /etc/nginx/mime.types;\n include {conf}/microcache-http.conf;\n"
        f" include {conf}/newsroom.conf;\n}}\n"
    )
    return tmp_path / "nginx.conf"


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def test_the_production_configuration_is_one_nginx_accepts(tmp_path):
    """deploy/nginx/ as the README says to install it (its paths moved into a temporary folder, a throwaway
    certificate): ``nginx -t`` passes."""
    conf = production_configuration(tmp_path)

    checked = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True)

    assert checked.returncode == 0, checked.stderr.decode()


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """The production configuration running, on free ports of 127.0.0.1, in front of the counting upstream."""
    tmp = tmp_path_factory.mktemp("production")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port, tls_port = harness.free_port(), harness.free_port()
    conf = production_configuration(tmp, server.server_address[1], port, tls_port)
    (tmp / "static" / "site.3f2a9c.css").write_text("body { color: #222 }")
    (tmp / "media" / "note.html").write_text("<script>alert(1)</script>")
    process = harness.Server([NGINX, "-p", tmp, "-c", conf, "-g", "daemon off;"], os.environ.copy(), tmp / "out.log")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                tls_get(tls_port, "/static/site.3f2a9c.css")
                break
            except OSError:
                if process.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx with the production configuration never answered: {tmp / 'error.log'}")
                time.sleep(0.1)
        yield tls_port
    finally:
        process.stop()
        server.shutdown()


def tls_get(port, path, host="www.example.cn"):
    """GET ``path`` over TLS as a browser asking for ``host`` does (its name in the handshake and the Host header);
    returns (status, headers as (name, value) pairs, body)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the throwaway certificate
    connection = http.client.HTTPSConnection(host, port, timeout=10, context=context)
    connection.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname=host)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode()
    finally:
        connection.close()


def test_static_files_are_kept_a_year_by_one_cache_control_header(production):
    """nginx's ``expires`` beside an ``add_header Cache-Control`` sent two Cache-Control headers, which a cache may
    read as one list or take either of."""
    status, headers, body = tls_get(production, "/static/site.3f2a9c.css")

    assert status == 200 and "color" in body
    assert [value for name, value in headers if name.lower() == "cache-control"] == [
        "public, max-age=31536000, immutable"
    ]


def test_pages_go_through_the_micro_cache_and_the_admin_never_does(production):
    statuses = [tls_get(production, "/sections/news/")[0] for _ in range(2)]
    hits_before = Upstream.hits
    _, headers, cached = tls_get(production, "/sections/news/")
    admin = {tls_get(production, "/admin/articles/")[2] for _ in range(3)}

    assert statuses == [200, 200] and dict(headers).get("X-Micro-Cache") == "HIT"
    assert Upstream.hits == hits_before + 3  # the three admin requests, not the page
    assert len(admin) == 3


def test_media_that_is_no_image_and_other_host_names_get_nothing(production):
    assert tls_get(production, "/media/note.html")[0] == 404
    with pytest.raises(ssl.SSLError):  # a name the site does not own: the handshake is refused
        tls_get(production, "/sections/news/", host="stranger.example.com")
