"""The shipped nginx configuration (deploy/nginx/) in a real nginx: what the micro-cache keeps and what it never does.

nginx runs as in the benchmark (bench/harness.py: a temporary prefix, 127.0.0.1, the shipped snippets included) in
front of a small upstream that counts the requests reaching it, so a cached answer is one the upstream never saw.
"""

import http.client
import shutil
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


def test_the_production_configuration_is_one_nginx_accepts(tmp_path):
    """deploy/nginx/ as the README says to install it (its paths moved into a temporary folder, a throwaway
    certificate): ``nginx -t`` passes."""
    conf = tmp_path / "newsroom"
    shutil.copytree(Path(__file__).resolve().parent.parent / "deploy" / "nginx", conf)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=www.example.cn"]
        + ["-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True,
        capture_output=True,
    )
    for name in ("newsroom.conf", "microcache-http.conf"):
        text = (conf / name).read_text()
        text = text.replace("/etc/ssl/newsroom/", f"{tmp_path}/").replace("/etc/nginx/newsroom/", f"{conf}/")
        (conf / name).write_text(text.replace("/var/cache/nginx/newsroom", str(tmp_path / "cache")))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n include {conf}/microcache-http.conf;\n include {conf}/newsroom.conf;\n}}\n"
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"

    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True
    )

    assert checked.returncode == 0, checked.stderr.decode()
