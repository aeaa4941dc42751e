"""`make loadtest`: the site under load while an editor works, on real servers. A benchmark, not a test.

    .ci/with_postgres.sh .venv/bin/python bench/loadtest.py [--articles 5000] [--seconds 60] [--connections 64]

Builds a corpus (bench/corpus.py) in the PostgreSQL database of DATABASE_URL, serves it with gunicorn and the
production settings (newsroom.settings, DEBUG off, collectstatic done) on 127.0.0.1, and for ``--seconds`` drives
it with wrk at ``--connections`` connections over a mix of home, article, section, reporter, search and feed URLs
while an editor (bench/editor.py) logs in through the admin over HTTP and edits and publishes stories about once a
second. Then it checks every edit the editor saved against the database (each edit adds a paragraph with a
unique marker: the story's text must hold every marker, and its history a version with each) and prints
requests/s, latency percentiles, errors by kind, the 5xx count, and the edits made and verified.

The bar: zero 5xx answers (readers and editor) and zero lost edits; prints PASS or FAIL and exits 1 on FAIL.
Variables: LOADTEST_ARTICLES (5000), LOADTEST_SECONDS (60), LOADTEST_CONNECTIONS (64), BENCH_WORKERS,
BENCH_WORKER_CLASS, BENCH_THREADS (as for `make bench`).
"""

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402
from bench.harness import log  # noqa: E402

EDITOR_USERNAME = "loadtest-editor"
# Share of each page type in the readers' mix.
MIX = {"article": 50, "home": 15, "section": 10, "reporter": 10, "search": 5, "feed": 10}
STORIES = 8  # the editor works on this many stories: half drafts it publishes, half published stories


# --- inside Django (subcommands) ----------------------------------------------------------------------------


def prepare(out_path, password):
    """The editor's account (group 编辑) and the stories it works on."""
    import django

    django.setup()
    from django.contrib.auth.models import Group, User

    from articles import services
    from articles.models import Article

    user = User.objects.create_user(EDITOR_USERNAME, password=password, is_staff=True)
    user.groups.add(Group.objects.get(name=services.EDITOR_GROUP))
    drafts = list(
        Article.objects.filter(status="draft", section__isnull=False, bylines__isnull=False)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)[: STORIES // 2]
    )
    published = list(
        Article.objects.published().order_by("-published_at").values_list("pk", flat=True)[: STORIES - len(drafts)]
    )
    Path(out_path).write_text(json.dumps({"drafts": drafts, "published": published}))


def verify(log_path, out_path):
    """Every saved edit in the database: its marker in the story's text now and in one of its versions."""
    import django

    django.setup()
    from reversion.models import Version

    from articles.models import Article

    edits = json.loads(Path(log_path).read_text())
    saved = [edit for edit in edits["edits"] if edit["saved"]]
    by_article = {}
    for edit in saved:
        by_article.setdefault(edit["article"], []).append(edit)
    verified, lost = 0, []
    for pk, article_edits in by_article.items():
        article = Article.all_objects.get(pk=pk)
        versions = list(Version.objects.get_for_object(article).values_list("serialized_data", flat=True))
        for edit in article_edits:
            if edit["marker"] in article.body and any(edit["marker"] in data for data in versions):
                verified += 1
            else:
                lost.append(edit["marker"])
        if article.headline != article_edits[-1]["headline"]:
            lost.append(f"headline of {pk}")
    published = [entry["article"] for entry in edits["publishes"]]
    not_published = [pk for pk in published if not Article.objects.published().filter(pk=pk).exists()]
    Path(out_path).write_text(
        json.dumps({"verified": verified, "lost": lost, "published": len(published), "not_published": not_published})
    )


# --- the run ------------------------------------------------------------------------------------------------


def mixed_paths(urls, count=2000, seed=9):
    rng = random.Random(seed)
    kinds = [kind for kind in MIX if urls.get(kind)]
    weights = [MIX[kind] for kind in kinds]
    return [rng.choice(urls[kind]) for kind in rng.choices(kinds, weights, k=count)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=int(os.environ.get("LOADTEST_ARTICLES", 5000)))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("LOADTEST_SECONDS", 60)))
    parser.add_argument("--connections", type=int, default=int(os.environ.get("LOADTEST_CONNECTIONS", 64)))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 2)))
    parser.add_argument("--worker-class", default=os.environ.get("BENCH_WORKER_CLASS", harness.WORKER_CLASS))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", harness.THREADS)))
    parser.add_argument("--prepare", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--verify", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(*args.prepare)
        return 0
    if args.verify:
        verify(*args.verify)
        return 0

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        sys.exit("bench/loadtest.py needs a PostgreSQL DATABASE_URL: run it under .ci/with_postgres.sh")
    harness.ensure_wrk()
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="newsroom-loadtest-")
    # Production settings as they are: newsroom.settings, not the benchmark's additions.
    env = harness.django_env(database_url, tmp, DJANGO_SETTINGS_MODULE="newsroom.settings")
    bench_env = harness.django_env(database_url, tmp)  # only for listing URLs (same database)

    log(f"--- corpus: {args.articles:,} articles, search index, collectstatic ---")
    harness.run([harness.PYTHON, "bench/corpus.py", "--articles", args.articles], env)
    harness.run([harness.PYTHON, "manage.py", "rebuild_search_index", "-v", "0"], env)
    harness.run(["psql", "-q", "-X", "-d", database_url, "-c", "VACUUM ANALYZE"], env)
    harness.run([harness.PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    urls_dir = Path(tmp) / "urls"
    harness.run([harness.PYTHON, "bench/pages.py", "--write-urls", urls_dir], bench_env)
    urls = {path.stem: path.read_text().split() for path in urls_dir.glob("*.txt")}
    password = secrets.token_urlsafe(16)
    stories_file = Path(tmp) / "stories.json"
    harness.run([harness.PYTHON, "bench/loadtest.py", "--prepare", stories_file, password], env)
    stories = json.loads(stories_file.read_text())
    story_ids = stories["drafts"] + stories["published"]

    server = harness.Gunicorn(env, tmp, workers=args.workers, worker_class=args.worker_class, threads=args.threads)
    editor_log = Path(tmp) / "editor.json"
    try:
        log(
            f"--- {args.seconds} s: wrk at {args.connections} connections over {len(set(mixed_paths(urls)))} URLs "
            f"({', '.join(f'{kind} {share}%' for kind, share in MIX.items())}), an editor on stories "
            f"{', '.join(map(str, story_ids))} ---"
        )
        editor = subprocess.Popen(
            [
                harness.PYTHON,
                "bench/editor.py",
                "--url",
                server.url,
                "--user",
                EDITOR_USERNAME,
                "--password",
                password,
                "--articles",
                ",".join(map(str, story_ids)),
                "--drafts",
                ",".join(map(str, stories["drafts"])),
                "--seconds",
                str(args.seconds),
                "--log",
                str(editor_log),
            ],  # fmt: skip
            cwd=harness.ROOT,
            env=env,
        )
        wrk = harness.run_wrk(
            server.url, mixed_paths(urls), args.seconds, args.connections, timeout="10s", count_statuses=True, tmp=tmp
        )
        editor_status = editor.wait(timeout=args.seconds + 120)
        peak_rss = server.peak_rss_mb()
    finally:
        server.stop()
    if editor_status != 0 or not editor_log.exists():
        sys.exit(f"the editor script failed (status {editor_status})")
    verify_file = Path(tmp) / "verify.json"
    harness.run([harness.PYTHON, "bench/loadtest.py", "--verify", editor_log, verify_file], env)
    edits = json.loads(editor_log.read_text())
    checked = json.loads(verify_file.read_text())

    made = len(edits["edits"])
    saved = sum(1 for edit in edits["edits"] if edit["saved"])
    editor_5xx = sum(n for status, n in edits["statuses"].items() if status.startswith("5"))
    statuses = wrk["statuses"]
    readers_5xx = statuses.get("5xx", 0)
    lost = (made - saved) + len(checked["lost"])
    log("")
    log("=" * 100)
    log(
        f"make loadtest: {args.articles:,} articles, {args.seconds} s, {args.connections} connections, "
        f"gunicorn {harness.gunicorn_layout(args.worker_class, args.workers, args.threads)}, "
        f"{os.cpu_count()} cores shared with PostgreSQL and wrk"
    )
    log(f"readers: {wrk['requests']:,} requests, {wrk['rps']:.0f} requests/s")
    log(f"latency: p50 {wrk['p50']:.1f} ms, p90 {wrk['p90']:.1f} ms, p99 {wrk['p99']:.1f} ms, max {wrk['max']:.1f} ms")
    log(
        f"answers: 2xx {statuses.get('2xx', 0):,}, 3xx {statuses.get('3xx', 0):,}, 4xx {statuses.get('4xx', 0):,}, "
        f"5xx {readers_5xx:,}; socket errors {wrk['socket_errors']} (connect/read/write/timeout)"
    )
    log(f"gunicorn worker peak memory: {peak_rss:.0f} MB")
    log(
        f"editor: {made} edits made, {saved} saved, {checked['verified']} verified in the database, "
        f"{len(checked['lost'])} lost; {checked['published']} stories published "
        f"({len(checked['not_published'])} not live); public page fresh after {edits['fresh_reads']} edits, "
        f"stale after {edits['stale_reads']}; editor answers {edits['statuses']}"
    )
    for error in edits["errors"][:10]:
        log(f"  editor: {error}")
    for marker in checked["lost"][:10]:
        log(f"  lost: {marker}")
    failures = []
    if readers_5xx or editor_5xx:
        failures.append(f"{readers_5xx + editor_5xx} 5xx answers")
    if lost:
        failures.append(f"{lost} lost edits")
    if made == 0:
        failures.append("the editor made no edit")
    if checked["not_published"]:
        failures.append(f"{len(checked['not_published'])} publications not live")
    log(f"bench/loadtest.py took {time.monotonic() - started:.0f} s")
    harness.clean_up(tmp)
    if failures:
        log("FAIL: " + "; ".join(failures))
        return 1
    log("PASS: zero 5xx, zero lost edits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
