"""Real servers for the HTTP benchmarks: gunicorn, nginx and wrk on 127.0.0.1, each on a free port.

Shared by bench/pages.py (`make bench`) and bench/loadtest.py (`make loadtest`). Everything runs as the current user
under a temporary folder: no system configuration is read or written (nginx gets its own prefix, pid file, logs,
temporary and cache folders). Django runs with bench/settings.py: the production settings (DEBUG off, manifest
static files) plus the floor view and the query counter.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = os.environ.get("BENCH_PYTHON") or sys.executable
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_urls.lua"
DEPLOY_NGINX = ROOT / "deploy" / "nginx"


def log(message):
    print(message, flush=True)


def interpreter(python=PYTHON):
    """The Python the benchmark's servers run, for its reports: "Python 3.11.2 (/usr/bin/python3.11)". It moves
    the figures (a build without profile-guided optimisation renders pages about 16% slower; see the Makefile)."""
    found = subprocess.run(
        [
            python,
            "-c",
            "import os, platform, sys; print(platform.python_version(), os.path.realpath(sys._base_executable))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    version, path = found.stdout.split(maxsplit=1)
    return f"Python {version} ({path.strip()})"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_env(database_url, tmp, **extra):
    """The environment of every Django process of a benchmark: production settings, temporary static/media."""
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "bench-only-secret-key-never-in-production-0123456789"),
        DATABASE_URL=database_url,
        DJANGO_STATIC_ROOT=str(Path(tmp) / "static"),
        DJANGO_MEDIA_ROOT=str(Path(tmp) / "media"),
        BENCH_FLOOR_FILE=str(Path(tmp) / "copy" / "article.html"),
        NEWSROOM_CACHE_DIR=str(Path(tmp) / "cache"),
        PYTHONPATH=str(ROOT),
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def run(args, env, quiet=False, timeout=None):
    """Run a command from the project folder; stop the benchmark with its output if it fails."""
    started = time.monotonic()
    result = subprocess.run(
        [str(arg) for arg in args], cwd=ROOT, env=env, capture_output=quiet, text=True, timeout=timeout
    )
    if result.returncode != 0:
        if quiet:
            sys.stdout.write(result.stdout or "")
            sys.stderr.write(result.stderr or "")
        raise SystemExit(f"failed ({result.returncode}): {' '.join(str(arg) for arg in args)}")
    return time.monotonic() - started, result.stdout if quiet else ""


def ensure_wrk():
    if shutil.which("wrk"):
        return
    log("wrk not found: installing Debian's wrk")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True, env=env)


def ensure_nginx():
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        return
    log("nginx not found: installing Debian's nginx-light")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "nginx-light"], check=True, env=env)


def clean_up(tmp):
    """Remove a run's temporary folder (static files, media, logs), unless BENCH_KEEP is set to look at it."""
    if os.environ.get("BENCH_KEEP"):
        log(f"files kept in {tmp} (BENCH_KEEP)")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def wait_http(url, seconds=60, process=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the server for {url} exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"no answer from {url} after {seconds} s")


class Server:
    """A process started in its own process group; ``stop()`` ends that group only."""

    def __init__(self, args, env, log_path, cwd=ROOT):
        self.log_file = open(log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(arg) for arg in args],
            cwd=cwd,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.log_path = log_path

    def stop(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        self.log_file.close()


# The worker class and threads per worker deploy/systemd/newsroom.service runs (newsroom/gunicorn_worker.py);
# BENCH_WORKER_CLASS=gthread or sync and BENCH_THREADS to compare.
WORKER_CLASS = "newsroom.gunicorn_worker.BalancedThreadWorker"
THREADS = 2


def gunicorn_layout(worker_class, workers, threads):
    """How a benchmark names its gunicorn layout: "BalancedThreadWorker × 2 workers × 2 threads"."""
    threaded = f" × {threads} threads" if worker_class != "sync" else ""
    return f"{worker_class.rsplit('.', 1)[-1]} × {workers} workers{threaded}"


class Gunicorn(Server):
    """gunicorn serving newsroom.wsgi with bench/settings.py on 127.0.0.1."""

    def __init__(self, env, tmp, workers=2, worker_class=WORKER_CLASS, threads=THREADS, name="gunicorn"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            PYTHON, "-m", "gunicorn", "newsroom.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", workers,
            "--worker-class", worker_class,
            "--backlog", 2048,
            "--timeout", 60,
            "--graceful-timeout", 10,
            "--keep-alive", 5,
            "--log-level", "warning",
        ]  # fmt: skip
        if worker_class != "sync":
            args += ["--threads", threads]
        super().__init__(args, env, Path(tmp) / f"{name}.log")
        wait_http(self.url + "/robots.txt", process=self.process)

    def worker_pids(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def peak_rss_mb(self):
        """The largest peak resident memory (VmHWM) of any worker so far, in MB."""
        peaks = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return max(peaks) if peaks else float("nan")


NGINX_CONF = """\
# Written by bench/harness.py for one benchmark run; deploy/nginx/newsroom.conf is the production configuration.
{user}
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

{microcache_http}

    upstream newsroom {{
        server 127.0.0.1:{upstream_port};
        keepalive 32;
    }}

    server {{
        listen 127.0.0.1:{port};
        server_name _;

        # The floor of nginx: a saved copy of an article page, served as a file.
        location = /static-copy/article.html {{
            root {prefix}/copy-root;
            default_type "text/html; charset=utf-8";
        }}
        location /static/ {{
            alias {static_root}/;
            expires 1y;
            add_header Cache-Control "public, immutable";
        }}
        location /media/ {{
            alias {media_root}/;
            expires 30d;
        }}
        location /admin/ {{
            include {deploy}/proxy.conf;
            proxy_pass http://newsroom;
        }}
        location / {{
            include {deploy}/proxy.conf;
            include {deploy}/microcache.conf;
            proxy_pass http://newsroom;
        }}
    }}
}}
"""


class Nginx(Server):
    """nginx with a temporary prefix: a saved page as a file, and the site through the shipped micro-cache."""

    def __init__(self, tmp, upstream_port, static_root, media_root, copy_file):
        ensure_nginx()
        prefix = Path(tmp) / "nginx"
        for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "cache", "copy-root/static-copy"):
            (prefix / folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(copy_file, prefix / "copy-root" / "static-copy" / "article.html")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The shipped http-context snippet, with the cache folder moved under the prefix.
        microcache_http = (DEPLOY_NGINX / "microcache-http.conf").read_text()
        microcache_http = microcache_http.replace("/var/cache/nginx/newsroom", str(prefix / "cache"))
        user = ""
        if os.geteuid() == 0:
            # The master runs as root here: its workers stay the current user (nginx would pick "nobody").
            user = "user root root;"
        conf = NGINX_CONF.format(
            user=user,
            prefix=prefix,
            microcache_http=microcache_http,
            upstream_port=upstream_port,
            port=self.port,
            static_root=static_root,
            media_root=media_root,
            deploy=DEPLOY_NGINX,
        )
        conf_path = prefix / "nginx.conf"
        conf_path.write_text(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        args = [nginx, "-p", prefix, "-c", conf_path, "-e", prefix / "error.log", "-g", "daemon off;"]
        check = subprocess.run([str(arg) for arg in args] + ["-t"], capture_output=True, text=True)
        if check.returncode != 0:
            raise SystemExit(f"nginx -t failed:\n{check.stderr}")
        super().__init__(args, os.environ.copy(), prefix / "nginx.out")
        wait_http(self.url + "/static-copy/article.html", process=self.process)


def run_wrk(url, paths, seconds, connections, threads=2, timeout="5s", count_statuses=False, tmp="/tmp", headers=()):
    """wrk over a rotating list of paths, with extra request ``headers`` (wrk -H); returns requests/s, latency
    percentiles (ms) and error counts."""
    ensure_wrk()
    list_file = Path(tmp) / f"wrk-paths-{os.getpid()}-{time.monotonic_ns()}.txt"
    list_file.write_text("\n".join(paths) + "\n")
    env = {**os.environ, "WRK_COUNT_STATUSES": "1" if count_statuses else ""}
    args = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}"]
    for header in headers:
        args += ["-H", header]
    args += ["-s", str(WRK_SCRIPT), url, "--", str(list_file)]
    result = subprocess.run(args, capture_output=True, text=True, env=env)
    list_file.unlink(missing_ok=True)
    for line in result.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            data = json.loads(line[len("BENCHJSON ") :])
            break
    else:
        raise SystemExit(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
    seconds_run = data["duration_us"] / 1e6
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    return {
        "rps": data["requests"] / seconds_run if seconds_run else 0.0,
        "requests": data["requests"],
        "p50": data["p50_us"] / 1000,
        "p90": data["p90_us"] / 1000,
        "p99": data["p99_us"] / 1000,
        "max": data["max_us"] / 1000,
        "non2xx": data["status"],  # wrk counts status >= 400; the probes check for 3xx
        "socket_errors": socket_errors,
        "errors": data["status"] + socket_errors,
        "statuses": data.get("statuses", {}),
        "bytes": data["bytes"],
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url, headers=None):
    """One GET, redirects not followed: (status, headers, body)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
