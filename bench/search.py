"""Search benchmark: a synthetic Chinese corpus with planted words and cross-word traps, on SQLite or PostgreSQL.

    python bench/search.py --engine sqlite [--articles 100000]
    .ci/with_postgres.sh python bench/search.py --engine postgresql [--articles 100000]

Builds the corpus in a fresh database (SQLite: a file in a temporary folder; PostgreSQL: the DATABASE_URL given,
e.g. a throwaway server from .ci/with_postgres.sh), times `rebuild_search_index`, prints the index size, p50/p95
latency of a search (the query plus the highlighting of the first page) per query class, and precision/recall
against the planted answer sets. Text comes from the common-word list of articles/search_words.txt, without the
query words; planted words are known exactly, and traps put a query word across two words (夫妇联系 for 妇联).

The ground truth is exact: no query word occurs anywhere in an article except where it was planted, as a real
word or inside a planted trap. A filler sentence in which two neighbouring words happen to spell a query word
(大家 + 风格 gives 家风) is drawn again, and a planted word or trap whose neighbours would spell one with it is moved
(see ``clean`` and ``plant``). Precision is therefore measured against planted real occurrences and planted traps
only: 1.0 means that every trap was refused and nothing else was found; recall is measured against the planted real
occurrences.
"""

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Query classes: each word is planted in its own random set of articles; two-word queries AND two planted words.
QUERIES = {
    "2-char": ["妇联", "执委", "株洲", "家风", "覃岚"],  # 覃岚: a name no dictionary knows
    "3-char": ["覃晓岚", "醴陵市", "龙潭铺", "巾帼红"],  # a new reporter, a city, a township, a new word
    "4-char": ["乡村振兴", "妇女议事", "巾帼建功", "湘妹子团"],
    "two-word": ["株洲 家风", "覃晓岚 乡村振兴", "妇联 巾帼建功"],
}
# Cross-word traps: text in which a query word appears only across a word boundary.
TRAPS = {
    "妇联": ["夫妇联系", "夫妇联手", "夫妇联名"],
    "执委": ["争执委员会", "固执委屈", "争执委托"],
    "家风": ["大家风雨同舟", "国家风险", "专家风采"],
}
PLANT_RATE = 0.003  # share of articles given each planted word
TRAP_RATE = 0.002  # share of articles given each trap
HEADLINE_SHARE = 0.1  # of the planted articles, how many carry the word in the headline


def configure(engine, folder):
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ.pop("DJANGO_DEBUG", None)
    if engine == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--engine postgresql needs DATABASE_URL: run it under .ci/with_postgres.sh")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()


def vocabulary():
    from articles import search

    words = sorted(search.dictionary())
    planted = {word for query in QUERIES.values() for q in query for word in q.split()}
    # No vocabulary word may contain a query word: then every occurrence outside a planted one is a trap or an
    # accidental join of two words, whose right answer is "not a match".
    return [word for word in words if not any(p in word for p in planted)]


QUERY_WORDS = sorted({word for query in QUERIES.values() for q in query for word in q.split()})
_ANY_QUERY_WORD = re.compile("|".join(map(re.escape, QUERY_WORDS)))
_EACH_QUERY_WORD = re.compile("(?=(" + "|".join(map(re.escape, QUERY_WORDS)) + "))")  # overlapping occurrences


def clean(text):
    """Does ``text`` contain no query word at all?"""
    return _ANY_QUERY_WORD.search(text) is None


def query_word_counts(text):
    """{query word: occurrences in ``text``}, overlapping ones included."""
    counts = {}
    for match in _EACH_QUERY_WORD.finditer(text):
        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    return counts


def sentence(rng, words, length):
    """Words and punctuation (a list) adding up to about ``length`` characters: a comma or full stop after every
    eight words. The words are drawn in one call (the corpus takes millions). Drawn again until no query word
    appears in it, across two neighbouring words either (a sentence starts and ends with no CJK neighbour: it is
    followed by its mark and joined to others only through marks or paragraph breaks)."""
    while True:
        drawn = rng.choices(words, k=length // 2 + 8)  # the common words average more than two characters
        marks = rng.choices("，，，。", k=len(drawn) // 8 + 1)
        text, size = [], 0
        for start in range(0, len(drawn), 8):
            chunk = drawn[start : start + 8]
            text += [*chunk, marks[start // 8]]
            size += sum(map(len, chunk)) + 1
            if size >= length:
                break
        if clean("".join(text)):
            return text


def plant(rng, part, piece):
    """Insert ``piece`` (a planted word or trap) between two words of ``part`` (a list of words and marks) where
    its neighbours spell no further query word with it: the part's query words are then exactly those of the
    pieces planted in it."""
    expected = query_word_counts("".join(part))
    for word, count in query_word_counts(piece).items():
        expected[word] = expected.get(word, 0) + count
    positions = list(range(len(part) + 1))
    rng.shuffle(positions)
    for position in positions:
        if query_word_counts("".join([*part[:position], piece, *part[position:]])) == expected:
            part.insert(position, piece)
            return
    part.append("。")  # no clean place between words (never seen): after a full stop, it has no CJK neighbour
    part.append(piece)


def store(articles):
    """Insert articles: COPY on PostgreSQL (many times faster than INSERTs), bulk_create elsewhere."""
    from django.db import connection

    from articles.models import Article

    if connection.vendor != "postgresql":
        Article.objects.bulk_create(articles)
        return
    fields = [field for field in Article._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY articles_article ({columns}) FROM STDIN") as copy:
        for article in articles:
            copy.write_row([field.get_db_prep_save(field.pre_save(article, True), connection) for field in fields])


def build_corpus(n, seed, chars):
    """Create ``n`` published articles; return {query word: set of article ids that truly contain it}."""
    from django.utils import timezone

    from articles.models import Article, Section

    rng = random.Random(seed)
    words = vocabulary()
    sections = [Section.objects.create(name=f"栏目{i}", slug=f"section-{i}") for i in range(6)]
    plant_words = sorted({word for query in QUERIES.values() for q in query for word in q.split()})
    planted = {word: set(rng.sample(range(n), int(n * PLANT_RATE) or 1)) for word in plant_words}
    # Two-word queries need articles with both words.
    for query in QUERIES["two-word"]:
        first, second = query.split()
        both = rng.sample(range(n), int(n * PLANT_RATE / 2) or 1)
        planted[first].update(both)
        planted[second].update(both)
    traps = {trap: set(rng.sample(range(n), int(n * TRAP_RATE) or 1)) for group in TRAPS.values() for trap in group}
    now = timezone.now()
    batch, truth_index = [], {word: set() for word in plant_words}
    start = time.perf_counter()
    for number in range(n):
        headline = sentence(rng, words, 14)[:-1]
        paragraphs = [sentence(rng, words, chars // 5) for _ in range(5)]
        extra = [word for word in plant_words if number in planted[word]] + [
            trap for trap in traps if number in traps[trap]
        ]
        for piece in extra:  # between two words, punctuation or none: the neighbours are random words
            part = headline if piece in planted and rng.random() < HEADLINE_SHARE else rng.choice(paragraphs)
            plant(rng, part, piece)
        for word in plant_words:
            if number in planted[word]:
                truth_index[word].add(number)
        batch.append(
            Article(
                headline="".join(headline),
                summary="".join(paragraphs[0][:16]),
                body="".join(f"<p>{''.join(paragraph)}</p>" for paragraph in paragraphs),
                section=sections[number % len(sections)],
                status="published",
                published_at=now - timedelta(minutes=number * 26),  # about five years back
            )
        )
        if len(batch) == 2000 or number == n - 1:
            store(batch)
            batch = []
    ids = list(Article.objects.order_by("published_at").values_list("pk", flat=True))[::-1]  # number 0 is newest
    print(f"corpus: {n} articles of about {chars} characters, built in {time.perf_counter() - start:.1f} s")
    return {word: {ids[number] for number in numbers} for word, numbers in truth_index.items()}


def index_size(engine):
    from django.db import connection

    with connection.cursor() as cursor:
        if engine == "postgresql":
            cursor.execute(
                "SELECT pg_total_relation_size('articles_searchdocument'), "
                "pg_relation_size('articles_searchdocument_grams_idx'), "
                "(SELECT sum(pg_column_size(grams)) FROM articles_searchdocument), "
                "(SELECT sum(pg_column_size(title) + pg_column_size(meta) + pg_column_size(body)) "
                " FROM articles_searchdocument), "
                "(SELECT sum(pg_column_size(body)) FROM articles_article)"
            )
            total, gin, grams, texts, article_text = cursor.fetchone()
            return (
                f"search table in all {total / 1e6:.0f} MB = token codes (int4[]) {grams / 1e6:.0f} MB + GIN index "
                f"{gin / 1e6:.0f} MB + kept texts {texts / 1e6:.0f} MB + other indexes and row overhead (articles' "
                f"own body column: {article_text / 1e6:.0f} MB)"
            )
        try:
            cursor.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
            sizes = dict(cursor.fetchall())
        except Exception:  # SQLite built without dbstat
            return f"database file {Path(connection.settings_dict['NAME']).stat().st_size / 1e6:.0f} MB"
        fts = sum(size for name, size in sizes.items() if name.startswith("articles_searchdocument_fts"))
        documents = sum(
            size for name, size in sizes.items() if name.startswith("articles_searchdocument") and "fts" not in name
        )
        articles = sizes.get("articles_article", 0)
        return (
            f"FTS5 index {fts / 1e6:.0f} MB + search documents (kept texts) {documents / 1e6:.0f} MB "
            f"(articles table: {articles / 1e6:.0f} MB)"
        )


def timed_search(query):
    from django.core.cache import caches

    from articles import search, services
    from articles.cache import PAGE_CACHE_ALIAS

    # Every search ranked and checked afresh: no help from earlier runs (the kept rankings are dropped too).
    search._is_whole_word_in.cache_clear()
    caches[PAGE_CACHE_ALIAS].clear()
    start = time.perf_counter()
    found = services.search_documents(query)
    for result in services.load_search_page(found.results[:20]):  # what the results page loads and highlights
        search.highlight(result.document["heading"], found.query)
        services.search_result_snippet(result.document, result.hit, found.query)
    return (time.perf_counter() - start) * 1000


def report_misses(query, wrong, missed, shown=3):
    """Name the stories a query got wrong, with the text around each occurrence, so a miss can be understood."""
    from articles.models import SearchDocument

    print(f"  {query}: {len(wrong)} found but not planted, {len(missed)} planted but not found")
    for article_id in (wrong + missed)[:shown]:
        document = SearchDocument.objects.filter(article_id=article_id, kind="article").first()
        text = "\n".join([document.title, document.meta, document.body]) if document else ""
        word = query.split()[0]
        at = text.find(word)
        context = text[max(0, at - 12) : at + len(word) + 12].replace("\n", " ") if at >= 0 else "(word not in text)"
        print(f"    article {article_id}: …{context}…")


def measure(truth, repeats):
    from articles import services
    from articles.models import SearchDocument

    print(f"{'class':<9} {'p50 ms':>8} {'p95 ms':>8} {'precision':>10} {'recall':>8}  queries")
    for name, queries in QUERIES.items():
        latencies, precisions, recalls = [], [], []
        for query in queries:
            timed_search(query)  # warm the cache once
            latencies += [timed_search(query) for _ in range(repeats)]
            expected = set.intersection(*(truth[word] for word in query.split()))
            # All matches, not only the SEARCH_CANDIDATES newest a results page ranks.
            results = services.search_documents(query, kind="article", limit=10**9).results
            got = set(
                SearchDocument.objects.filter(pk__in=[r.document_id for r in results]).values_list(
                    "article_id", flat=True
                )
            )
            precisions.append(len(got & expected) / len(got) if got else 1.0)
            recalls.append(len(got & expected) / len(expected) if expected else 1.0)
            wrong, missed = sorted(got - expected), sorted(expected - got)
            if wrong or missed:
                report_misses(query, wrong, missed)
        latencies.sort()
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        print(
            f"{name:<9} {statistics.median(latencies):8.1f} {p95:8.1f} {min(precisions):10.3f} {min(recalls):8.3f}  "
            + " ".join(queries)
        )
    trap_queries = list(TRAPS)
    print(f"(precision and recall: the worst query of the class; traps planted for {' '.join(trap_queries)})")
    # Common words: matches beyond the candidate cap are not ranked. Single characters: no index (PostgreSQL reads
    # the newest texts until it has enough matches; a rare character means reading them all).
    for label, query in [
        ("common words", "会议"),
        ("common words", "发展 工作"),
        ("one character", "会"),
        ("one rare character", "覃"),
    ]:
        latencies = sorted(timed_search(query) for _ in range(repeats))
        print(f"{label} {query!r}: p50 {statistics.median(latencies):.1f} ms, p95 {latencies[-1]:.1f} ms (max)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument("--articles", type=int, default=100_000, help="corpus size (default 100000)")
    parser.add_argument("--chars", type=int, default=1500, help="characters per article body (default 1500)")
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per query (default 20)")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="search-bench-") as folder:
        configure(args.engine, folder)
        from django.core.management import call_command
        from django.db import connection

        from articles import services

        call_command("migrate", verbosity=0)
        print(f"=== search on {args.engine} ({connection.vendor}) ===")
        truth = build_corpus(args.articles, args.seed, args.chars)
        start = time.perf_counter()
        services.rebuild_search_index(batch_size=1000)
        if args.engine == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE articles_searchdocument")
                cursor.execute("ANALYZE articles_article")
        print(f"index build: {time.perf_counter() - start:.1f} s for {args.articles} articles")
        print(f"index size: {index_size(args.engine)}")
        measure(truth, args.repeats)


if __name__ == "__main__":
    main()
