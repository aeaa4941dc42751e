#!/usr/bin/env bash
# `make bench`: the benchmarks, each with the project's virtualenv Python.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
echo "=== renditions of a 24-megapixel JPEG ==="
"$PYTHON" bench/renditions.py --upload
# Search: SEARCH_ARTICLES=2000 make bench for a quick run (default 100,000 articles, ~15 minutes for both).
SEARCH_ARTICLES="${SEARCH_ARTICLES:-100000}"
echo "=== search, SQLite ==="
"$PYTHON" bench/search.py --engine sqlite --articles "$SEARCH_ARTICLES"
echo "=== search, PostgreSQL 15 ==="
.ci/with_postgres.sh "$PYTHON" bench/search.py --engine postgresql --articles "$SEARCH_ARTICLES"
