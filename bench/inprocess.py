"""In-process page timings: the median of warm requests through Django's test client, per page type.

    .ci/with_postgres.sh .venv/bin/python bench/inprocess.py --articles 100000
    DATABASE_URL=postgres://... python bench/inprocess.py --articles 0      # measure the corpus already there

Production settings (DEBUG off, the cached template loader), Django loaded as gunicorn loads it (newsroom.wsgi),
the anonymous-page cache switched off (``NEWSROOM_PAGE_CACHE = False``) so that every request renders: this
measures the work of a page, not the cache.
Builds the corpus first (bench/corpus.py) when the database holds no article and ``--articles`` is above 0.
For each page type (article, home, latest list, section list, section page 1,000 or its last page, reporter, the
biggest topic, experience index, the busiest organisation, search for the same words again and for different words
each time; the admin's article list logged in as a superuser, without and with filters) it runs ``--warmup`` requests, then
``--requests`` timed ones, and prints the median and 90th percentile in ms, the median CPU time of this process per
request (the database server's work excluded) and the queries per request.
Importable: ``measure(requests=300, warmup=20)`` returns {page type: (median ms, p90 ms, queries, cpu ms, url)}.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS_MS = {
    "article": 3,
    "home": 6,
    "latest": 6,
    "section": 6,
    "section deep": 6,
    "section middle": 6,
    "reporter": 6,
    "topic": 6,
    "experience": 6,
    "organization": 6,
    "search": 15,
}
ADMIN_TARGET_MS = 300


def configure():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ["DJANGO_DEBUG"] = "false"
    from django.conf import settings

    import newsroom.wsgi  # noqa: F401 - Django set up as gunicorn sets it up (newsroom/wsgi.py)

    settings.NEWSROOM_PAGE_CACHE = False  # articles/cache.py: every request renders
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def ensure_static_manifest():
    """Production settings hash static file names from collectstatic's manifest: collect first (only what changed
    is copied). A manifest left from an older checkout lacks newer files (a page naming one fails)."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def page_urls():
    """One URL per page type, picked from the corpus: a roundup article (entries, photos), a busy reporter."""
    from urllib.parse import urlencode

    from django.db.models import Count
    from django.urls import reverse

    from articles.models import Article, Organization, Reporter, Section, Topic

    published = Article.objects.published()
    article = (
        published.filter(experience_entries__isnull=False, lead_photo__isnull=False).order_by("-published_at").first()
        or published.order_by("-published_at").first()
    )
    section = Section.objects.order_by("order").first()
    per_page = 20
    section_pages = max(1, -(-published.filter(section=section).count() // per_page))
    deep = min(1000, section_pages)
    middle = max(1, section_pages // 2)
    reporter = (
        Reporter.objects.annotate(n=Count("bylines")).order_by("-n").first() if Reporter.objects.exists() else None
    )
    topic = Topic.objects.annotate(n=Count("articles")).order_by("-n").first()  # the biggest
    organization = (  # the busiest organisation with a public page
        Organization.objects.with_published_entries().annotate(n=Count("experience_entries")).order_by("-n").first()
    )
    urls = {
        "article": article.get_absolute_url() if article else None,
        "home": reverse("articles:home"),
        "latest": reverse("articles:article_list"),
        "section": section.get_absolute_url() if section else None,
        f"section deep (page {deep})": f"{section.get_absolute_url()}?page={deep}" if section else None,
        # The costliest page: a page past the middle is read from the list's end (views.SeekPaginator).
        f"section middle (page {middle})": f"{section.get_absolute_url()}?page={middle}" if section else None,
        "reporter": reporter.get_absolute_url() if reporter else None,
        "topic": topic.get_absolute_url() if topic else None,
        "experience": reverse("articles:experience_entry_list"),
        "organization": organization.get_absolute_url() if organization else None,
        # A word of the corpus (its text is drawn from a word list): the newest headline's first two characters.
        "search": reverse("articles:search") + "?" + urlencode({"q": article.headline[:2] if article else "妇联"}),
    }
    return {name: url for name, url in urls.items() if url}


def admin_urls():
    from django.urls import reverse

    from articles.models import Article, Section

    changelist = reverse("admin:articles_article_changelist")
    section = Section.objects.order_by("order").first()
    urls = {"admin list": changelist, "admin list, status filter": f"{changelist}?status__exact=published"}
    if section:
        urls["admin list, section filter"] = f"{changelist}?section__id__exact={section.pk}"
    pages = Article.objects.count() // 100  # the admin shows 100 a page
    if pages >= 2:
        urls[f"admin list, page {min(100, pages)}"] = f"{changelist}?p={min(100, pages)}"
    return urls


def timed(client, url, requests, warmup):
    """Timings of ``url`` requested again and again; ``url`` may also be a list, each requested once (in turn)."""
    from django.db import connection

    urls = url if isinstance(url, list) else [url] * (warmup + requests)
    for url in urls[:warmup]:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    times, cpu, queries = [], [], []

    def count(execute, sql, params, many, context):
        # Not Django's CaptureQueriesContext: its debug cursor writes every statement out with its parameters
        # (0.05 ms for the article page's query), work no production request does.
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        for url in urls[warmup : warmup + requests]:
            start, start_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], len(queries) / len(times), statistics.median(cpu)


def new_search_urls(count):
    """``count`` searches for different words of the corpus (the first two characters of distinct headlines): each
    is ranked afresh, where the "search" page type repeats one search (its ranking is kept, as for a reader's next
    page or for many readers searching the same words)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    from articles.models import Article

    words = {}
    for headline in Article.objects.published().order_by("-published_at").values_list("headline", flat=True)[:5000]:
        words.setdefault(headline[:2], None)
        if len(words) == count:
            break
    return [reverse("articles:search") + "?" + urlencode({"q": word}) for word in words]


def measure(requests=300, warmup=20, admin_requests=None, search=True):
    from django.contrib.auth import get_user_model
    from django.test import Client

    results = {}
    public = Client()
    for name, url in page_urls().items():
        if name == "search" and not search:
            continue
        results[name] = (*timed(public, url, requests, warmup), url)
        if name == "search":
            urls = new_search_urls(warmup + requests)
            if len(urls) > warmup:
                results["search, new words"] = (*timed(public, urls, requests, warmup), f"{len(urls)} searches")
    user_model = get_user_model()
    admin = user_model.objects.filter(username="bench-admin").first() or user_model.objects.create_superuser(
        "bench-admin", "bench@example.invalid", "bench-only-password"
    )
    staff = Client()
    staff.force_login(admin)
    admin_requests = admin_requests or max(10, requests // 10)
    for name, url in admin_urls().items():
        results[name] = (*timed(staff, url, admin_requests, min(warmup, 5)), url)
    return results


def report(results, articles, vendor):
    from bench.harness import interpreter

    print(f"in-process, median of warm requests, {articles:,} articles on {vendor}, {interpreter(sys.executable)}:")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs (wall times grow with it; 'cpu ms' is this process's CPU")
    print("time per request, the database server's work excluded: the part a shared machine disturbs least)")
    print(f"{'page':<30} {'median ms':>10} {'p90 ms':>8} {'cpu ms':>7} {'queries':>8} {'target':>8}  url")
    for name, (median, p90, queries, cpu, url) in results.items():
        key = " ".join(name.split()[:2]) if name.startswith("section ") else name
        target = TARGETS_MS.get(key, ADMIN_TARGET_MS if name.startswith("admin") else None)
        mark = "" if target is None else (f"≤ {target}" if median <= target else f"> {target} !")
        print(f"{name:<30} {median:10.2f} {p90:8.2f} {cpu:7.2f} {queries:8.1f} {mark:>8}  {url}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000, help="corpus size to build if the database is empty")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per public page (default 300)")
    parser.add_argument("--admin-requests", type=int, default=30, help="timed requests per admin page (default 30)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--no-search", dest="search", action="store_false", help="skip the search page (no index)")
    args = parser.parse_args()
    configure()
    from django.core.management import call_command
    from django.db import connection

    from articles.models import Article

    call_command("migrate", verbosity=0)
    ensure_static_manifest()
    if args.articles and not Article.all_objects.exists():
        from bench.corpus import build_corpus

        counts = build_corpus(args.articles)
        print(f"corpus built in {counts['seconds']} s")
    results = measure(args.requests, args.warmup, args.admin_requests, search=args.search)
    report(results, Article.all_objects.count(), connection.vendor)


if __name__ == "__main__":
    main()
