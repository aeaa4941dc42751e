"""Settings of the HTTP benchmarks (bench/pages.py, bench/loadtest.py): production settings plus two additions.

- ``/bench/floor/``: a view that answers the bytes of a saved article page (``BENCH_FLOOR_FILE``) without doing any
  work, through the same middleware as every page. Its throughput is the floor a real page is compared with.
- ``X-Bench-Queries``: the number of SQL queries a request ran (all middleware included), so the benchmark can
  print queries per request. Never in production: only this module installs it.

The anonymous-page cache is switched off the production way, with ``NEWSROOM_PAGE_CACHE=false`` (articles/cache.py).
"""

from newsroom.settings import *  # noqa: F403
from newsroom.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"

# Outermost, so that it also counts the queries of the session, authentication and cache middleware.
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
