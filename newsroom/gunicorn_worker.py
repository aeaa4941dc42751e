"""The gunicorn worker class the site is served with: gunicorn's gthread worker, sharing connections out fairly
and sending each response's header with its body (``OneWriteResponse``, below).

    gunicorn newsroom.wsgi --worker-class newsroom.gunicorn_worker.BalancedThreadWorker --workers 2 --threads 2

gunicorn's workers all wait on the one listening socket, and a gthread worker takes every connection it is offered
(up to ``--worker-connections``, 1,000) whether or not a thread of its own is free to serve it. Clients that keep
their connections open (nginx's upstream ``keepalive``, wrk, browsers) are then served by whichever worker won the
race when they connected: often one worker holds most of them, its core is saturated, its requests queue behind
its busy threads, and the other cores sit idle. Measured on two cores with 16 connections: half the throughput in
most runs (170-200 uncached home pages a second against 310-420 when the split happened to be even).

This worker stops listening while all its own threads are busy and looks for a waiting connection every
``BUSY_ACCEPT_PAUSE`` seconds instead, so that a worker with a free thread, listening, takes it first. With 16
connections and 2 workers each worker ends up with about 8. When every worker is busy, connections are
still taken, a few milliseconds later (none waits for a thread to free up: clients that keep their connections busy
must not shut newcomers out). Everything else is gthread's: connections are kept alive and served as before, and a
graceful stop or reload works as it does (one listening socket; gunicorn's ``--reuse-port`` would spread connections
too, but a stopping worker leaves those queued on its own socket unanswered: readers see errors during a reload).
"""

import time

from gunicorn.http import wsgi
from gunicorn.workers import gthread
from gunicorn.workers.gthread import ThreadWorker

# How often a worker whose threads are all busy looks for a connection no other worker took.
BUSY_ACCEPT_PAUSE = 0.01


class _Collected:
    """Stands in for a socket while gunicorn writes a response's header: keeps the bytes."""

    def __init__(self):
        self.data = b""

    def sendall(self, data):
        self.data += data


class OneWriteResponse(wsgi.Response):
    """gunicorn's HTTP/1 response, its header sent together with the first bytes of its body in one system call.

    gunicorn sends the header, then the body, in two calls; a worker that dies between them (killed, out of memory;
    under load a thread can wait milliseconds for the interpreter lock between them) leaves nginx holding a header
    and no body. nginx has already passed that header on, so it cannot ask another app server: the reader gets a
    cut page. Sent together, a response is either on its way whole (the kernel delivers what it was given, whatever
    becomes of the process) or not begun, and nginx retries a response not begun on the next app server."""

    _header = b""  # the header, until body bytes go with it
    _hold_header = True

    def _kept(self, write, *args):
        """The bytes ``write(*args)`` (one of gunicorn's own writers) hands the socket, kept instead of sent."""
        sock, self.sock = self.sock, _Collected()
        try:
            write(*args)
            return self.sock.data
        finally:
            self.sock = sock

    def send_headers(self):
        if self.headers_sent or not self._hold_header:
            return super().send_headers()
        self._header = self._kept(super().send_headers)
        return None

    def _send_held_header(self):
        header, self._header = self._header, b""
        if header:
            self.sock.sendall(header)

    def _emit_body(self, data):
        if not data:
            return None  # nothing to send yet: the header waits for the body
        if not self._header:
            return super()._emit_body(data)
        body = self._kept(super()._emit_body, data)  # gunicorn's framing (a chunk's, when chunked)
        header, self._header = self._header, b""
        self.sock.sendall(header + body)
        return None

    def sendfile(self, respiter):
        # The body goes by sendfile(2), after the header: sent as gunicorn sends it.
        self._hold_header = False
        try:
            return super().sendfile(respiter)
        finally:
            self._hold_header = True

    def close(self):
        if not self.headers_sent:
            self.send_headers()
        self._send_held_header()  # a response without body bytes (HEAD, 204, 304, an empty body)
        return super().close()


class _OneWriteResponses:
    """gunicorn.http.wsgi as gthread's module sees it in this worker: HTTP/1 responses are OneWriteResponse."""

    def __getattr__(self, name):
        return getattr(wsgi, name)

    @staticmethod
    def create(req, sock, client, server, cfg, response_class=None, response_args=()):
        return wsgi.create(req, sock, client, server, cfg, response_class or OneWriteResponse, response_args)


class BalancedThreadWorker(ThreadWorker):
    """A gthread worker that listens for new connections only while it has a thread free for them, and sends each
    response's header with its body (``OneWriteResponse``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Connections handed to the thread pool and not finished yet: being served, waiting for their first bytes,
        # or queued behind busy threads. Changed by the worker's main thread only (gthread runs its callbacks there).
        self.in_pool = 0
        self.next_busy_accept = 0.0  # when a busy worker next looks for a waiting connection (time.monotonic)

    def init_process(self):
        # In the worker's own process (after the fork): gthread builds its responses through this module.
        gthread.wsgi = _OneWriteResponses()
        super().init_process()

    def busy(self):
        return self.in_pool >= self.cfg.threads

    def enqueue_req(self, conn):
        self.in_pool += 1
        super().enqueue_req(conn)
        self.offer_accept()

    def finish_request(self, conn, fs):
        self.in_pool -= 1
        super().finish_request(conn, fs)
        self.offer_accept()

    def set_accept_enabled(self, enabled):
        enabled = enabled and self.alive
        if enabled and self.busy():
            if self._accepting:  # busy from now: the other workers have the first look at new connections
                self.next_busy_accept = time.monotonic() + BUSY_ACCEPT_PAUSE
            enabled = False
        super().set_accept_enabled(enabled)

    def offer_accept(self):
        """Listen for new connections or not, as things stand now (gthread's loop looks at its connection count
        only, between events)."""
        self.set_accept_enabled(self.nr_conns < self.worker_connections)

    def wait_for_and_dispatch_events(self, timeout):
        """gthread's wait for events, and for a busy worker a look for a connection every BUSY_ACCEPT_PAUSE."""
        looking = self.alive and self.busy() and self.nr_conns < self.worker_connections
        if looking:
            timeout = min(timeout, max(self.next_busy_accept - time.monotonic(), 0))
        super().wait_for_and_dispatch_events(timeout)
        if looking and time.monotonic() >= self.next_busy_accept:
            self.next_busy_accept = time.monotonic() + BUSY_ACCEPT_PAUSE
            for listener in self.sockets:
                self.accept(listener)  # non-blocking (set so by gthread when it first listened): none waiting is fine
