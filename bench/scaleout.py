"""Scale-out benchmark: one app server, then two behind nginx, in the same run (`make bench`, BENCH_ONLY=scaleout).

Each measurement starts its own cluster with cluster/start.sh (PostgreSQL 15 primary without a replica, Redis,
moto's S3, N gunicorn app servers with gthread workers, nginx with the micro-cache of deploy/nginx/, the demo
content of seed_demo_content) and stops it with cluster/stop.sh afterwards. The URL list is the public site as a
reader finds it: the home page, and the pages reachable from it in three clicks (articles, sections, topics,
reporters, organisations, print pages, the latest list, the archive), every one checked to answer 200 with HTML.

Two modes, each at 16 and 64 connections (BENCH_CONNECTIONS) for BENCH_SECONDS (10) through nginx:

    deployed   as shipped: Django's anonymous-page cache (in Redis) behind nginx's one-second micro-cache
    uncached   every request rendered by an app server: the app servers run with NEWSROOM_PAGE_CACHE=false
               (inherited from cluster/start.sh's environment) and every request carries the `newsroom_primary`
               cookie, which the shipped nginx configuration already treats as "skip the micro-cache" (it is the
               cookie a browser gets right after it wrote, so it must read fresh pages). Without a replica the
               cookie changes nothing else: reads go to the one database either way. A probe checks that nginx
               reports BYPASS for these requests.

The app servers are identical whatever their number (--workers per server, default one per core, 2 threads):
adding a server is how the layout scales out. On one machine they share its cores, so the ratio "2 servers /
1 server" shows that balancing loses nothing (0 errors) and what crowding two servers onto the same cores costs, not
what a second machine would add.
"""

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402

ROOT = harness.ROOT
START = ROOT / "cluster" / "start.sh"
STOP = ROOT / "cluster" / "stop.sh"
BYPASS_COOKIE = "newsroom_primary=1"
MAX_URLS = 300
SKIPPED_PREFIXES = ("/static/", "/media/", "/admin/", "/feeds/", "/search", "/sitemap", "/healthz", "/robots.txt")
HREF = re.compile(r'href="(/[^"#?]*)')

log = harness.log
THREADS = int(os.environ.get("BENCH_THREADS", harness.THREADS))


class Cluster:
    """cluster/start.sh in a fresh folder; stop() runs cluster/stop.sh, which stops it all and deletes the folder."""

    def __init__(self, servers, workers, page_cache):
        self.dir = Path(tempfile.mkdtemp(prefix=f"newsroom-scaleout-{servers}-"))
        env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}}
        env["NEWSROOM_PAGE_CACHE"] = "true" if page_cache else "false"
        # gunicorn reads GUNICORN_CMD_ARGS: the worker class the README's deployment section prescribes.
        env["GUNICORN_CMD_ARGS"] = f"--worker-class {harness.WORKER_CLASS} --threads {THREADS}"
        args = [START, "--dir", self.dir, "--app-servers", servers, "--workers", workers, "--no-replica", "--seed"]
        started = time.monotonic()
        result = subprocess.run([str(arg) for arg in args], cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stderr)
            raise SystemExit(f"cluster/start.sh failed ({result.returncode})")
        self.started_in = time.monotonic() - started
        values = {}
        for line in (self.dir / "cluster.env").read_text().splitlines():
            key, _, value = line.partition("=")
            values[key] = value.strip('"')
        self.nginx_url = values["NGINX_URL"]
        self.app_urls = values["APP_URLS"].split()

    def stop(self):
        subprocess.run([str(STOP), "--dir", str(self.dir)], cwd=ROOT, capture_output=True)


def crawl(base_url, depth=3, limit=MAX_URLS):
    """Public HTML pages reachable from the home page in `depth` clicks, each answering 200 (redirects not followed)."""
    found, frontier, seen = [], ["/"], {"/"}
    for level in range(depth + 1):
        following = []
        for path in frontier:
            status, headers, body = harness.fetch(base_url + path)
            if status != 200 or "text/html" not in (headers.get("Content-Type") or ""):
                continue
            found.append(path)
            if len(found) >= limit:
                return found
            if level == depth:
                continue
            for link in HREF.findall(body.decode("utf-8", "replace")):
                if link not in seen and not link.startswith(SKIPPED_PREFIXES):
                    seen.add(link)
                    following.append(link)
        frontier = following
    return found


def page_kind(path):
    if path == "/":
        return "home"
    first = path.strip("/").split("/")[0]
    return {
        "articles": "article",
        "sections": "section",
        "reporters": "reporter",
        "topics": "topic",
        "organizations": "organization",
        "print": "print",
    }.get(first, "other")


def probe(base_url, paths, headers):
    """Fetch a few of the paths once each: their statuses and what nginx's micro-cache said."""
    request_headers = dict(header.split(": ", 1) for header in headers)
    statuses, micro = Counter(), Counter()
    for path in paths[:: max(1, len(paths) // 20)]:
        status, response_headers, _ = harness.fetch(base_url + path, request_headers)
        statuses[status] += 1
        micro[response_headers.get("X-Micro-Cache") or "none"] += 1
    return statuses, micro


def machine():
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{os.cpu_count()} cores ({model or platform.machine()}), {harness.interpreter()}, load average {load} at the start"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--connections", default=os.environ.get("BENCH_CONNECTIONS", "16,64"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 2)),
                        help="gunicorn workers per app server (default: one per core)")  # fmt: skip
    parser.add_argument("--servers", default="1,2", help="app server counts to compare (default 1,2)")
    args = parser.parse_args()
    connections = [int(value) for value in args.connections.split(",")]
    server_counts = [int(value) for value in args.servers.split(",")]
    harness.ensure_wrk()
    harness.ensure_nginx()
    modes = (("deployed", True, ()), ("uncached", False, (f"Cookie: {BYPASS_COOKIE}",)))

    machine_at_start = machine()
    log(f"machine: {machine_at_start}")
    log(
        f"each app server: gunicorn {harness.gunicorn_layout(harness.WORKER_CLASS, args.workers, THREADS)}; "
        f"wrk {args.seconds} s per run, 2 threads, on the same machine"
    )
    results = {}  # (servers, mode, connections) -> wrk figures
    with tempfile.TemporaryDirectory(prefix="newsroom-scaleout-wrk-") as tmp:
        for servers in server_counts:
            for mode, page_cache, headers in modes:
                log(f"--- {servers} app server{'s' if servers > 1 else ''}, {mode}: starting the cluster ---")
                cluster = Cluster(servers, args.workers, page_cache)
                try:
                    paths = crawl(cluster.nginx_url)
                    kinds = Counter(page_kind(path) for path in paths)
                    log(
                        f"  started in {cluster.started_in:.0f} s; {len(paths)} URLs: "
                        + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
                    )
                    if len(paths) < 20:
                        raise SystemExit(
                            f"only {len(paths)} pages found from the home page: is the demo content there?"
                        )
                    harness.run_wrk(
                        cluster.nginx_url, paths, 3, connections[0], tmp=tmp, headers=headers
                    )  # warm every worker
                    statuses, micro = probe(cluster.nginx_url, paths, headers)
                    log(f"  probe: status {dict(statuses)}, nginx micro-cache {dict(micro)}")
                    if set(statuses) != {200}:
                        raise SystemExit(f"probe saw statuses {dict(statuses)}")
                    if not page_cache and set(micro) != {"BYPASS"}:
                        raise SystemExit(f"uncached mode but the micro-cache answered {dict(micro)}")
                    for count in connections:
                        wrk = harness.run_wrk(cluster.nginx_url, paths, args.seconds, count, tmp=tmp, headers=headers)
                        results[servers, mode, count] = wrk
                        log(
                            f"  c={count:<3} {wrk['rps']:8.0f} req/s  p50 {wrk['p50']:6.1f} ms  "
                            f"p99 {wrk['p99']:7.1f} ms  errors {wrk['errors']}"
                        )
                finally:
                    cluster.stop()

    log("")
    log(
        f"=== scale-out through nginx: {' vs '.join(str(n) for n in server_counts)} app servers on {machine_at_start} ==="
    )
    first = server_counts[0]
    header = f"{'mode':<9} {'conn':>4}"
    for servers in server_counts:
        header += f" | {servers} srv: {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'err':>4}"
    for servers in server_counts[1:]:
        header += f" | {servers}/{first}"
    log(header)
    for mode, _, _ in modes:
        for count in connections:
            line = f"{mode:<9} {count:>4}"
            for servers in server_counts:
                wrk = results[servers, mode, count]
                line += f" |        {wrk['rps']:>7.0f} {wrk['p50']:>7.1f} {wrk['p99']:>7.1f} {wrk['errors']:>4}"
            for servers in server_counts[1:]:
                base = results[first, mode, count]["rps"]
                ratio = results[servers, mode, count]["rps"] / base if base else float("nan")
                line += f" | {ratio:>5.2f}"
            log(line)
    errors = sum(wrk["errors"] for wrk in results.values())
    log(f"load average at the end: {', '.join(f'{value:.1f}' for value in os.getloadavg())}")
    log(
        f"errors: {errors} in all. Every app server here shares the same {os.cpu_count()} cores (and with nginx, "
        "PostgreSQL, Redis and wrk), so a second server cannot add throughput on this machine: a ratio near 1 shows "
        "that balancing over two servers costs nothing, one below 1 what their workers crowding the same cores cost; "
        "the gain needs a second machine."
    )
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
