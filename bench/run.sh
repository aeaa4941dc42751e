#!/usr/bin/env bash
# `make bench`: the benchmarks, each with the project's virtualenv Python.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
echo "=== renditions of a 24-megapixel JPEG ==="
"$PYTHON" bench/renditions.py --upload
