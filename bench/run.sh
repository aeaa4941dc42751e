#!/usr/bin/env bash
# `make bench`: the benchmarks, each with the project's virtualenv Python.
# BENCH_ONLY="pages" (or "renditions search scaleout", ...) runs only those; the default runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
BENCH_ONLY="${BENCH_ONLY:-renditions search pages scaleout}"
wanted() { [[ " $BENCH_ONLY " == *" $1 "* ]]; }
if wanted renditions; then
    echo "=== renditions of a 24-megapixel JPEG ==="
    "$PYTHON" bench/renditions.py --upload
fi
# Search: SEARCH_ARTICLES=2000 make bench for a quick run (default 100,000 articles on both databases: about 25
# minutes each measured on a busy 2-core machine, mostly the index builds).
SEARCH_ARTICLES="${SEARCH_ARTICLES:-100000}"
if wanted search; then
    echo "=== search, SQLite ==="
    "$PYTHON" bench/search.py --engine sqlite --articles "$SEARCH_ARTICLES"
    echo "=== search, PostgreSQL 15 ==="
    .ci/with_postgres.sh "$PYTHON" bench/search.py --engine postgresql --articles "$SEARCH_ARTICLES"
fi
# Pages over HTTP (gunicorn, nginx micro-cache, wrk) at 1,000 and BENCH_ARTICLES articles (default 100,000,
# under 15 minutes on 2 cores); BENCH_SECONDS per wrk run (10), BENCH_WORKERS / BENCH_WORKER_CLASS / BENCH_THREADS.
if wanted pages; then
    echo "=== pages over HTTP: gunicorn, nginx, wrk, PostgreSQL 15 ==="
    .ci/with_postgres.sh "$PYTHON" bench/pages.py --articles "${BENCH_ARTICLES:-100000}"
fi
# Scale-out: the cluster of cluster/start.sh (demo content, no replica) with 1 and then 2 app servers behind nginx,
# as deployed and uncached, at BENCH_CONNECTIONS for BENCH_SECONDS each; about 3 minutes (4 cluster starts).
if wanted scaleout; then
    echo "=== scale-out: 1 and 2 app servers behind nginx (cluster/start.sh) ==="
    "$PYTHON" bench/scaleout.py
fi
