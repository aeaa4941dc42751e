"""Telling "the database is not there right now" from other errors, for the outage page (articles/middleware.py)
and the read-replica fallback (newsroom/routers.py).

PostgreSQL restarting, failing over or unreachable raises OperationalError (no connection, connection lost, server
shutting down) or InterfaceError (a connection already closed); Django's own re-raises keep it as ``__cause__``, and
code that fails while handling it (a template tag, a connection that cannot be closed) as ``__context__``.
"""

from django.db import InterfaceError, OperationalError

DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
_CHAIN_LIMIT = 10


def is_database_unavailable(error):
    """True for a database error that means "the database is not there right now", also when it is the cause or
    the context of the error raised (up to 10 links; a context hidden by ``raise ... from None`` is not followed)."""
    for _link in range(_CHAIN_LIMIT):
        if error is None:
            return False
        if isinstance(error, DATABASE_UNAVAILABLE_ERRORS):
            return True
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return False
