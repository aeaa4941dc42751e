"""A WSGI application for tests/test_gunicorn_worker.py: it answers the id of the process that served the request,
after ``?sleep=`` seconds (0 by default), so that a test can see which gunicorn worker holds each connection. With
``?die=1`` its worker dies (SIGKILL) after the response has begun (its header given, no body bytes yet)."""

import os
import signal
import time
from urllib.parse import parse_qs


def application(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    time.sleep(float(query.get("sleep", ["0"])[0]))
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    if query.get("die"):
        return _dying(body)
    return [body]


def _dying(body):
    yield b""  # the server writes the response's header here
    os.kill(os.getpid(), signal.SIGKILL)
    yield body
