"""newsroom.gunicorn_worker.BalancedThreadWorker, served by real gunicorn processes on 127.0.0.1 (the application is
tests/pid_app.py: it answers the serving worker's process id)."""

import collections
import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests import pgcluster

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
WORKER_CLASS = "newsroom.gunicorn_worker.BalancedThreadWorker"


@pytest.fixture
def serve(tmp_path):
    """``serve(workers, threads)``: gunicorn with the balanced worker class; returns (port, master process)."""
    started = []

    def start(workers, threads):
        port = pgcluster.free_port()
        log = (tmp_path / f"gunicorn-{port}.log").open("w")
        server = subprocess.Popen(  # noqa: S603 - fixed argv
            [
                GUNICORN,
                "tests.pid_app:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--worker-class",
                WORKER_CLASS,
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--graceful-timeout",
                "10",
                "--no-control-socket",
            ],
            cwd=BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((server, log))
        for _attempt in range(200):
            if server.poll() is not None:
                pytest.fail(f"gunicorn exited: {log.name}")
            if len(_answers(port, workers * 4)) == workers:
                return port, server
            time.sleep(0.05)
        pytest.fail("gunicorn's workers did not all start")

    yield start
    for server, log in started:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _answers(port, count):
    """The worker process ids that answered ``count`` requests, each on a new connection (none while starting)."""
    found = set()
    for _ in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            found.add(_get(connection, "/"))
        except OSError:
            pass
        finally:
            connection.close()
    return found


def _workers(master):
    """The process ids of a gunicorn master's workers."""
    return {int(pid) for pid in Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()}


def _get(connection, path):
    connection.request("GET", path)
    response = connection.getresponse()
    assert response.status == 200
    return int(response.read())


def _ask(connections, served_by, index):
    served_by[index] = _get(connections[index], "/?sleep=0.3")


def test_connections_kept_open_are_shared_out_between_the_workers(serve):
    """Clients that keep their connections (nginx's upstream keepalive) connect at the same moment: each worker
    gets as many as it has threads, instead of one worker holding them all while the other core idles."""
    port, _server = serve(workers=2, threads=2)
    for _round in range(4):
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(4)]
        for connection in connections:
            connection.connect()
        served_by = [None] * 4
        askers = [threading.Thread(target=_ask, args=(connections, served_by, index)) for index in range(4)]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join()
        # The same connection stays with its worker.
        assert [_get(connection, "/") for connection in connections] == served_by
        for connection in connections:
            connection.close()
        assert sorted(collections.Counter(served_by).values()) == [2, 2], served_by


def test_a_busy_worker_still_takes_newcomers_when_every_worker_is_busy(serve):
    """Two workers of one thread, four clients keeping them busy: a fifth client is still answered, and every
    client was served by the worker it connected to."""
    port, _server = serve(workers=2, threads=1)
    stop = threading.Event()
    answered = collections.Counter()
    failures = []

    def keep_busy():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            while not stop.is_set():
                answered[_get(connection, "/?sleep=0.05")] += 1
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connection.close()

    clients = [threading.Thread(target=keep_busy) for _ in range(4)]
    for client in clients:
        client.start()
    time.sleep(0.5)
    newcomer = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    newcomer_worker = _get(newcomer, "/")
    still_busy = not stop.is_set() and all(client.is_alive() for client in clients)
    stop.set()
    for client in clients:
        client.join()
    newcomer.close()
    assert still_busy
    assert not failures
    assert newcomer_worker in answered
    assert len(answered) == 2  # both workers served the busy clients


def test_a_graceful_reload_under_load_answers_every_request(serve):
    """`systemctl reload newsroom` (SIGHUP to the master) while clients keep their connections busy: new workers
    take over and no request fails (gunicorn's --reuse-port would lose the connections queued on the old workers'
    sockets)."""
    port, server = serve(workers=2, threads=2)
    old_workers = _workers(server)
    stop = threading.Event()
    answers = collections.Counter()
    failures = []

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        while not stop.is_set():
            try:
                answers[_get(connection, "/?sleep=0.01")] += 1
            except (http.client.RemoteDisconnected, ConnectionError) as error:
                failures.append(repr(error))
                connection.close()
        connection.close()

    clients = [threading.Thread(target=client) for _ in range(8)]
    for each in clients:
        each.start()
    time.sleep(0.5)
    os.kill(server.pid, signal.SIGHUP)
    time.sleep(3)
    stop.set()
    for each in clients:
        each.join()
    assert failures == []
    assert set(answers) - old_workers, "no new worker answered after the reload"
    assert not old_workers & _workers(server), "the old workers still run"
    assert sum(answers.values()) > 100


def test_a_worker_that_dies_before_the_body_leaves_no_half_sent_response(serve):
    """The worker is killed after the application gave the response's header and before any body bytes: the client
    (nginx) gets no response at all, which nginx retries on another app server, not a header without its body,
    which it would have passed on to the reader as a cut page."""
    port, server = serve(workers=1, threads=1)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/?die=1")
    with pytest.raises(http.client.RemoteDisconnected):  # no status line: not "200 OK" and then too few bytes
        connection.getresponse()
    connection.close()
    for _attempt in range(200):  # the master starts a new worker, which answers as before
        if _answers(port, 1):
            break
        time.sleep(0.05)
    assert len(_answers(port, 3)) == 1


def _written(response_class, status, headers, chunks, method="GET"):
    """What a gunicorn response of ``response_class`` hands the socket, call by call: the application's ``status``,
    ``headers`` and body ``chunks`` answering a ``method`` request."""
    from gunicorn.config import Config
    from gunicorn.http import wsgi
    from gunicorn.http.parser import RequestParser

    class Socket:
        def __init__(self):
            self.calls = []

        def sendall(self, data):
            self.calls.append(bytes(data))

    config = Config()
    request = next(RequestParser(config, iter([f"{method} / HTTP/1.1\r\nHost: x\r\n\r\n".encode()]), ("c", 1)))
    socket = Socket()
    response, _environ = wsgi.create(request, socket, ("127.0.0.1", 1), ("127.0.0.1", 80), config, response_class)
    response.start_response(status, headers)
    for chunk in chunks:
        response.write(chunk)
    response.close()
    return socket.calls


@pytest.mark.parametrize(
    "status, headers, chunks, method",
    [
        ("200 OK", [("Content-Length", "11")], [b"hello world"], "GET"),
        ("200 OK", [("Content-Length", "11")], [b"", b"hello", b" world"], "GET"),
        ("200 OK", [("Content-Length", "11")], [b"hello world"], "HEAD"),
        ("304 Not Modified", [], [], "GET"),
        ("200 OK", [], [b"hello", b" world"], "GET"),  # no length: chunked
    ],
    ids=["one chunk", "empty first chunk", "HEAD", "no body", "chunked"],
)
def test_a_response_goes_out_whole_and_its_header_never_alone_before_its_body(status, headers, chunks, method):
    """OneWriteResponse writes exactly the bytes gunicorn's own response writes, its header in the same call as the
    first body bytes (gunicorn's writes it in a call of its own first)."""
    from gunicorn.http.wsgi import Response

    from newsroom.gunicorn_worker import OneWriteResponse

    ours = _written(OneWriteResponse, status, headers, chunks, method)
    theirs = _written(Response, status, headers, chunks, method)
    undated = re.compile(rb"\r\nDate: [^\r]*")  # the two may be written in different seconds
    assert undated.sub(b"", b"".join(ours)) == undated.sub(b"", b"".join(theirs))
    assert ours[0].startswith(f"HTTP/1.1 {status}\r\n".encode())
    if any(chunks) and method != "HEAD":
        assert not ours[0].endswith(b"\r\n\r\n"), "the header went alone"
        assert len(ours) == len([chunk for chunk in chunks if chunk]) + (0 if headers else 1)  # + the last chunk
    else:
        assert len(ours) == 1
