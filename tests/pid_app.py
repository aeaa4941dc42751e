"""A WSGI application for tests/test_gunicorn_worker.py: it answers the id of the process that served the request,
after ``?sleep=`` seconds (0 by default), so that a test can see which gunicorn worker holds each connection."""

import os
import time
from urllib.parse import parse_qs


def application(environ, start_response):
    time.sleep(float(parse_qs(environ.get("QUERY_STRING", "")).get("sleep", ["0"])[0]))
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
