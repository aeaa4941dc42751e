"""Django's PostgreSQL backend, with a health check that costs no round trip (settings: DATABASES' ENGINE).

CONN_HEALTH_CHECKS makes Django check a kept connection before the first query of each request. Its check runs
``SELECT 1``: one more round trip and statement for every page not served from the cache, about a tenth of what
the article page's own queries cost the database. A kept connection that the server closed (a restart, a
failover, an administrator's kill) has something to read: the server's last message and the end of the stream.
An idle connection in good health has nothing to read, since this project never LISTENs; so a connection with
bytes waiting is treated as broken and replaced, with no round trip (tests/test_faults.py restarts a real server
under a kept connection). A rare message the server sends on its own (a setting reloaded) only costs a reconnect.
"""

import select

from django.db.backends.postgresql import base
from psycopg import _queries

# psycopg turns a statement's %s placeholders into $1, $2... on every execute, and keeps the result only for
# statements under 4 KB with at most 50 values (so that ever-different long statements, such as bulk inserts, do
# not fill its cache of 128). The public pages' compiled statements (articles.querysets.fetch_compiled) are a
# few fixed texts, but longer: the article page's is 8 KB with 72 values, and converting it took 0.1 ms of every
# request. Statements up to 32 KB and 256 values are kept: the same cache of 128, at most a few MB.
_queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 32_768)
_queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 256)


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            waiting, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):  # the socket is gone
            return False
        return not waiting
