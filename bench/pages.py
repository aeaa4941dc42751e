"""HTTP benchmark of the public site: gunicorn with production settings, nginx, wrk, PostgreSQL (`make bench`).

    .ci/with_postgres.sh .venv/bin/python bench/pages.py [--articles 100000] [--small 1000] [--seconds 10]

Needs DATABASE_URL of an empty PostgreSQL database whose role may create databases (.ci/with_postgres.sh gives
one). For each corpus size (first --small articles, then --articles) it builds the corpus (bench/corpus.py), the
search index, runs the in-process timings (bench/inprocess.py), then serves the site with gunicorn on 127.0.0.1
and drives it with wrk at 16 and 64 connections over a rotating list of URLs per page type:

    floor        /bench/floor/: the bytes of a saved article page, no work besides Django's middleware
    static       nginx serving that saved page as a file
    uncached     the pages with the anonymous-page cache off (NEWSROOM_PAGE_CACHE=false)
    cached       the pages with the anonymous-page cache on (local memory, as in production without Redis)
    micro-cache  the pages through nginx's micro-cache (deploy/nginx/microcache.conf) in front of gunicorn, over
                 the first --micro-urls (50) of each list, filled first: a spike asks the same pages many times

and prints per page type requests/s, p50/p99 latency, errors (non-2xx and socket errors), queries per request
(X-Bench-Queries, from probes outside the timed runs), the ratio to the floor and to nginx static, the peak
resident memory of a gunicorn worker, and the targets with ok/MISS. At the smaller size only the uncached and
cached pages are measured, at 16 connections, to show how cost grows with the archive.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402
from bench.harness import log  # noqa: E402

PAGE_TYPES = ["article", "home", "section", "reporter", "search", "feed"]
PROBES_PER_TYPE = 25
MICRO_URLS = 50  # URLs per page type through the micro-cache: each is asked many times a second, as in a spike
NOT_STORED = {"search"}  # Django's page cache does not keep search results (any text is a key); nginx does, 1 s

# Targets of issue 8: (what, mode, page types, compared with, minimum ratio).
TARGET_ARTICLE_UNCACHED = 0.15  # of the floor
TARGET_CACHED = 0.80  # of the floor
TARGET_MICRO = 0.50  # of nginx static


# --- URL lists (run inside Django: `bench/pages.py --write-urls DIR`) ----------------------------------------


def write_urls(folder):
    """One file per page type, one path per line, from the corpus in the database."""
    import django

    django.setup()
    import random

    from django.db.models import Count, Q

    from articles.models import Article, Reporter, Section, Topic

    rng = random.Random(8)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    published = Article.objects.published()
    ids = list(published.order_by("?").values_list("pk", flat=True)[:200])
    urls = {"article": [f"/articles/{pk}/" for pk in ids], "home": ["/"]}

    sections = []
    for section in Section.objects.annotate(n=Count("articles", filter=Q(articles__in=published))):
        pages = max(1, (section.n + 19) // 20)
        sections.append(f"/sections/{section.slug}/")
        sections += [f"/sections/{section.slug}/?page={page}" for page in (2, 3, 10) if page <= pages]
    urls["section"] = sections

    reporters = list(
        Reporter.objects.filter(bylines__article__in=published)
        .distinct()
        .order_by("?")
        .values_list("slug", flat=True)[:200]
    )
    urls["reporter"] = [f"/reporters/{slug}/" for slug in reporters]

    headlines = list(published.order_by("?").values_list("headline", flat=True)[:100])
    queries = []
    for headline in headlines:
        han = "".join(ch for ch in headline if "\u4e00" <= ch <= "\u9fff")
        if len(han) >= 4:
            length = rng.choice((2, 2, 3, 4))
            start = rng.randrange(0, len(han) - length + 1)
            queries.append(han[start : start + length])
    urls["search"] = [f"/search/?q={urllib.parse.quote(query)}" for query in queries]

    feeds = ["/feeds/latest.rss", "/feeds/latest.atom"]
    for slug in Section.objects.values_list("slug", flat=True):
        feeds += [f"/feeds/sections/{slug}.rss", f"/feeds/sections/{slug}.atom"]
    feeds += [f"/feeds/reporters/{slug}.rss" for slug in reporters[:30]]
    topics = Topic.objects.filter(articles__in=published).distinct().values_list("slug", flat=True)[:20]
    feeds += [f"/feeds/topics/{slug}.atom" for slug in topics]
    urls["feed"] = feeds

    for page_type, paths in urls.items():
        (folder / f"{page_type}.txt").write_text("\n".join(paths) + "\n")
    print(json.dumps({page_type: len(paths) for page_type, paths in urls.items()}))


def read_urls(folder):
    return {page_type: (Path(folder) / f"{page_type}.txt").read_text().split() for page_type in PAGE_TYPES}


# --- measuring ----------------------------------------------------------------------------------------------


def probe(base_url, paths, count=PROBES_PER_TYPE):
    """Fetch some of the paths one at a time: status codes, queries per request, micro-cache status, size."""
    statuses, queries, cache_states, sizes = {}, [], {}, []
    step = max(1, len(paths) // count)
    for path in paths[::step][:count]:
        status, headers, body = harness.fetch(base_url + path)
        statuses[status] = statuses.get(status, 0) + 1
        if headers.get("X-Bench-Queries") is not None:
            queries.append(int(headers["X-Bench-Queries"]))
        state = headers.get("X-Micro-Cache")
        if state:
            cache_states[state] = cache_states.get(state, 0) + 1
        sizes.append(len(body))
    return {
        "statuses": statuses,
        "queries": statistics.mean(queries) if queries else None,
        "queries_max": max(queries) if queries else None,
        "micro": cache_states,
        "bytes": statistics.mean(sizes) if sizes else 0,
    }


def warm(base_url, paths, tmp, rounds=10):
    """Load the list until every URL of it is answered from the cache (no query) twice in a row, so that the timed
    run measures the cache's steady state rather than each worker's first rendering of each page (every worker
    has its own local-memory cache). Returns a probe of the usual sample."""
    clean = 0
    for _ in range(rounds):
        harness.run_wrk(base_url, paths, 3, 16, tmp=tmp)
        clean = clean + 1 if not probe(base_url, paths, count=len(paths))["queries"] else 0
        if clean == 2:
            break
    return probe(base_url, paths)


class Results:
    def __init__(self):
        self.rows = []  # dicts: size, mode, page, connections, wrk figures, queries, rss

    def add(self, **row):
        self.rows.append(row)
        wrk = row["wrk"]
        queries = row.get("queries")
        log(
            f"  {row['mode']:<11} {row['page']:<8} c={row['connections']:<3} {wrk['rps']:8.0f} req/s  "
            f"p50 {wrk['p50']:6.1f} ms  p99 {wrk['p99']:7.1f} ms  errors {wrk['errors']}"
            + (f"  queries {queries:.1f}" if queries is not None else "")
        )

    def find(self, size, mode, page, connections):
        for row in self.rows:
            if (row["size"], row["mode"], row["page"], row["connections"]) == (size, mode, page, connections):
                return row
        return None


def measure(results, size, mode, page, base_url, paths, args, tmp, server=None, probe_info=None, warm=0):
    for connections in args.connections:
        if warm:
            harness.run_wrk(base_url, paths, warm, connections, tmp=tmp)
        wrk = harness.run_wrk(base_url, paths, args.seconds, connections, tmp=tmp)
        results.add(
            size=size,
            mode=mode,
            page=page,
            connections=connections,
            wrk=wrk,
            queries=(probe_info or {}).get("queries"),
            probe=probe_info,
            rss=server.peak_rss_mb() if server else None,
        )


def build(size, database_url, tmp, args):
    env = harness.django_env(database_url, tmp)
    log(f"--- corpus: {size:,} articles ---")
    seconds, _ = harness.run([harness.PYTHON, "bench/corpus.py", "--articles", size], env)
    timings = {"corpus": seconds, "search index": None}
    if args.search:
        seconds, _ = harness.run([harness.PYTHON, "manage.py", "rebuild_search_index", "-v", "0"], env)
        timings["search index"] = seconds
        log(f"search index rebuilt in {seconds:.1f} s")
    harness.run(["psql", "-q", "-X", "-d", database_url, "-c", "VACUUM ANALYZE"], env)
    settle(database_url, env)
    urls_dir = Path(tmp) / f"urls-{size}"
    harness.run([harness.PYTHON, "bench/pages.py", "--write-urls", urls_dir], env)
    return env, timings, read_urls(urls_dir)


def settle(database_url, env, below=1.0, limit=120):
    """Before the timings: the corpus build leaves work behind (PostgreSQL's dirty pages, written out at its next
    checkpoint; autovacuum) that would share the two cores with the first pages timed. A checkpoint now, then wait
    until the load average is under ``below`` (at most ``limit`` seconds), and say how long it took."""
    started = time.monotonic()
    subprocess.run(["psql", "-q", "-X", "-d", database_url, "-c", "CHECKPOINT"], env=env, capture_output=True)
    while os.getloadavg()[0] >= below and time.monotonic() - started < limit:
        time.sleep(2)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    log(f"settled for {time.monotonic() - started:.0f} s after the build: load average {load}")


def inprocess(env, size, requests, search=True):
    script = harness.ROOT / "bench" / "inprocess.py"
    if not script.exists():
        log("(bench/inprocess.py not found: no in-process timings)")
        return ""
    log(f"--- in-process timings at {size:,} articles (bench/inprocess.py) ---")
    result = subprocess.run(
        [harness.PYTHON, str(script), "--articles", "0", "--requests", str(requests)]
        + ([] if search else ["--no-search"]),
        cwd=harness.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = (result.stdout or "") + (result.stderr if result.returncode else "")
    log(output.rstrip())
    return output


def save_copy(gunicorn, urls, tmp):
    """A saved copy of an article page: the floor view answers its bytes and nginx serves it as a file."""
    copy = Path(tmp) / "copy" / "article.html"
    copy.parent.mkdir(parents=True, exist_ok=True)
    status, _, body = harness.fetch(gunicorn.url + urls["article"][0])
    if status != 200:
        raise SystemExit(f"{urls['article'][0]} answered {status}")
    copy.write_bytes(body)
    return copy


def run_size(results, size, database_url, tmp, args, full):
    env, timings, urls = build(size, database_url, tmp, args)
    # 300 timed requests per page at the full size (issue 8's figure); fewer at the small one.
    timings["inprocess"] = inprocess(env, size, 300 if full else 100, search=args.search)
    connections = args.connections if full else [min(args.connections)]
    sub_args = argparse.Namespace(**{**vars(args), "connections": connections})
    if not full:
        sub_args.seconds = max(3, args.seconds // 2)
    gunicorn_options = {"workers": args.workers, "worker_class": args.worker_class, "threads": args.threads}

    log(f"--- {size:,} articles: pages uncached (NEWSROOM_PAGE_CACHE=false) ---")
    server = harness.Gunicorn(
        {**env, "NEWSROOM_PAGE_CACHE": "false"}, tmp, name=f"gunicorn-uncached-{size}", **gunicorn_options
    )
    try:
        copy = save_copy(server, urls, tmp)
        info = probe(server.url, ["/bench/floor/"], 3)
        measure(results, size, "floor", "floor", server.url, ["/bench/floor/"], sub_args, tmp, server, info, warm=1)
        for page in args.page_types:
            info = probe(server.url, urls[page])
            measure(results, size, "uncached", page, server.url, urls[page], sub_args, tmp, server, info)
    finally:
        server.stop()

    log(f"--- {size:,} articles: pages cached (anonymous-page cache on) ---")
    server = harness.Gunicorn(env, tmp, name=f"gunicorn-cached-{size}", **gunicorn_options)
    nginx = None
    try:
        for page in args.page_types:
            info = warm(server.url, urls[page], tmp)
            measure(results, size, "cached", page, server.url, urls[page], sub_args, tmp, server, info)
        if full:
            log(f"--- {size:,} articles: nginx static file and nginx micro-cache ---")
            nginx = harness.Nginx(tmp, server.port, env["DJANGO_STATIC_ROOT"], env["DJANGO_MEDIA_ROOT"], copy)
            static = ["/static-copy/article.html"]
            measure(
                results,
                size,
                "static",
                "static",
                nginx.url,
                static,
                sub_args,
                tmp,
                None,
                probe(nginx.url, static, 2),
                warm=1,
            )
            for page in args.page_types:
                # A spike: the same few dozen pages asked by everyone. Each of them is filled once (from the
                # Django cache warmed above), then the timed run asks each many times within the cache's second.
                paths = urls[page][: args.micro_urls]
                harness.run_wrk(nginx.url, paths, 2, 16, tmp=tmp)
                info = probe(nginx.url, paths)
                measure(results, size, "micro-cache", page, nginx.url, paths, sub_args, tmp, server, info)
    finally:
        if nginx:
            nginx.stop()
        server.stop()
    return timings


# --- report -------------------------------------------------------------------------------------------------


def ok(condition):
    return "ok" if condition else "MISS"


def report(results, sizes, timings, args):
    full = sizes[-1]
    misses = []
    log("")
    log("=" * 118)
    log(
        f"HTTP benchmark: {os.cpu_count()} cores, gunicorn "
        f"{harness.gunicorn_layout(args.worker_class, args.workers, args.threads)}, "
        f"wrk {args.seconds} s per run, PostgreSQL 15 on the same machine, {harness.interpreter()}"
    )
    for size in sizes:
        t = timings[size]
        index = "not built (--no-search)" if t["search index"] is None else f"in {t['search index']:.1f} s"
        log(f"corpus {size:,} articles built in {t['corpus']:.1f} s, search index {index}")
    header = (
        f"{'page':<8} {'mode':<11} {'conn':>4} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>8} {'errors':>10} "
        f"{'q/req':>6} {'×floor':>7} {'×static':>8} {'RSS MB':>7}  target"
    )
    for size in sizes:
        log("")
        log(f"--- {size:,} articles ---")
        log(header)
        for row in results.rows:
            if row["size"] != size:
                continue
            wrk, conn = row["wrk"], row["connections"]
            floor = results.find(size, "floor", "floor", conn)
            static = results.find(full, "static", "static", conn)
            floor_ratio = wrk["rps"] / floor["wrk"]["rps"] if floor else None
            static_ratio = wrk["rps"] / static["wrk"]["rps"] if static else None
            bad_status = sum(n for status, n in (row["probe"] or {}).get("statuses", {}).items() if status != 200)
            errors = wrk["errors"] + bad_status
            target = ""
            label = f"{size:,} {row['mode']} {row['page']} c={conn}"
            if errors:
                misses.append(f"{label}: {errors} errors")
            if row["mode"] == "uncached" and row["page"] == "article" and floor_ratio is not None:
                target = f"≥{TARGET_ARTICLE_UNCACHED:.0%} of floor {ok(floor_ratio >= TARGET_ARTICLE_UNCACHED)}"
                if floor_ratio < TARGET_ARTICLE_UNCACHED:
                    misses.append(f"{label}: {floor_ratio:.0%} of the floor")
            elif row["mode"] == "cached" and row["page"] in NOT_STORED:
                target = "(not stored by design: articles/cache.py)"
            elif row["mode"] == "cached" and floor_ratio is not None:
                target = f"≥{TARGET_CACHED:.0%} of floor {ok(floor_ratio >= TARGET_CACHED)}"
                if floor_ratio < TARGET_CACHED:
                    misses.append(f"{label}: {floor_ratio:.0%} of the floor")
            elif row["mode"] == "micro-cache" and static_ratio is not None:
                target = f"≥{TARGET_MICRO:.0%} of static {ok(static_ratio >= TARGET_MICRO)}"
                if static_ratio < TARGET_MICRO:
                    misses.append(f"{label}: {static_ratio:.0%} of nginx static")
            micro = (row["probe"] or {}).get("micro")
            if micro and row["mode"] == "micro-cache":
                target += "  (" + ", ".join(f"{k} {v}" for k, v in sorted(micro.items())) + ")"
            queries = row["queries"]
            log(
                f"{row['page']:<8} {row['mode']:<11} {conn:>4} {wrk['rps']:>8.0f} {wrk['p50']:>7.1f} {wrk['p99']:>8.1f} "
                f"{str(errors) + ' ' + ok(errors == 0):>10} "
                f"{'' if queries is None else f'{queries:.1f}':>6} "
                f"{'' if floor_ratio is None else f'{floor_ratio:.0%}':>7} "
                f"{'' if static_ratio is None else f'{static_ratio:.0%}':>8} "
                f"{'' if row['rss'] is None else format(row['rss'], '.0f'):>7}  {target}"
            )
    if len(sizes) > 1:
        small = sizes[0]
        conn = min(args.connections)
        log("")
        log(f"--- how cost grows: {small:,} → {full:,} articles (uncached, {conn} connections) ---")
        log(f"{'page':<8} {'req/s':>16} {'p50 ms':>16} {'queries':>14}")
        for page in args.page_types:
            a, b = results.find(small, "uncached", page, conn), results.find(full, "uncached", page, conn)
            if a and b:
                qa, qb = a["queries"], b["queries"]
                log(
                    f"{page:<8} {a['wrk']['rps']:>7.0f} → {b['wrk']['rps']:>6.0f} "
                    f"{a['wrk']['p50']:>7.1f} → {b['wrk']['p50']:>6.1f} "
                    f"{'' if qa is None else f'{qa:.1f}':>6} → {'' if qb is None else f'{qb:.1f}':>5}"
                )
    for size in sizes:
        if timings[size].get("inprocess"):
            log("")
            log(f"--- in-process timings at {size:,} articles (bench/inprocess.py) ---")
            log(timings[size]["inprocess"].rstrip())
    log("")
    if misses:
        log(f"targets: {len(misses)} MISS")
        for miss in misses:
            log(f"  MISS {miss}")
    else:
        log(
            "targets: all ok (0 errors; article uncached ≥ 15% of floor; cached ≥ 80% of floor; micro-cache ≥ 50% of static)"
        )
    return misses


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=int(os.environ.get("BENCH_ARTICLES", 100_000)))
    parser.add_argument("--small", type=int, default=int(os.environ.get("BENCH_SMALL_ARTICLES", 1000)),
                        help="the smaller corpus measured first (0: none)")  # fmt: skip
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--connections", default=os.environ.get("BENCH_CONNECTIONS", "16,64"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 2)))
    parser.add_argument("--worker-class", default=os.environ.get("BENCH_WORKER_CLASS", harness.WORKER_CLASS))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", harness.THREADS)))
    parser.add_argument("--micro-urls", type=int, default=int(os.environ.get("BENCH_MICRO_URLS", MICRO_URLS)),
                        help="URLs per page type through the nginx micro-cache (default 50)")  # fmt: skip
    parser.add_argument("--no-search", dest="search", action="store_false",
                        default=os.environ.get("BENCH_SEARCH", "true").lower() not in ("0", "false", "no"),
                        help="skip the search index and the search page (BENCH_SEARCH=false): minutes shorter")  # fmt: skip
    parser.add_argument("--strict", action="store_true", help="exit non-zero when a target is missed")
    parser.add_argument("--write-urls", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_urls:
        write_urls(args.write_urls)
        return 0
    args.connections = [int(c) for c in str(args.connections).split(",") if c.strip()]
    args.page_types = [page for page in PAGE_TYPES if args.search or page != "search"]
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        sys.exit("bench/pages.py needs a PostgreSQL DATABASE_URL: run it under .ci/with_postgres.sh")
    harness.ensure_wrk()
    harness.ensure_nginx()
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="newsroom-bench-")
    os.chmod(tmp, 0o755)
    results, timings = Results(), {}
    env = harness.django_env(database_url, tmp)
    log("--- collectstatic (manifest storage, as in production) ---")
    harness.run([harness.PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    sizes = []
    if args.small and args.small < args.articles:
        small_url = database_url.rsplit("/", 1)[0] + "/newsroom_small"
        harness.run(["psql", "-q", "-X", "-d", database_url, "-c", "CREATE DATABASE newsroom_small"], env)
        timings[args.small] = run_size(results, args.small, small_url, tmp, args, full=False)
        sizes.append(args.small)
    timings[args.articles] = run_size(results, args.articles, database_url, tmp, args, full=True)
    sizes.append(args.articles)
    misses = report(results, sizes, timings, args)
    log(f"bench/pages.py took {time.monotonic() - started:.0f} s")
    harness.clean_up(tmp)
    return 1 if misses and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
