"""A throwaway PostgreSQL 15 cluster that a test owns: it can stop and start it (fault tests) and create databases
in it (backup tests), whatever database the rest of the suite runs on. Same recipe as .ci/with_postgres.sh."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def unavailable_reason():
    """Why no cluster can be started here, or "" when it can."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL 15 server binaries are not installed ({PG_BIN}); `make test` installs them"
    if os.geteuid() == 0 and not (_user_exists("postgres") or _user_exists("nobody")):
        return "running as root without a postgres or nobody user to run the server as"
    return ""


def _user_exists(name):
    return subprocess.run(["id", "-u", name], capture_output=True).returncode == 0  # noqa: S603, S607 - fixed argv


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """initdb into a temporary folder, a free port on 127.0.0.1, trust authentication, the superuser `newsroom`.

    Runs as the `postgres` (or `nobody`) user when the tests run as root: PostgreSQL refuses to run as root."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="newsroom-faults-pg.", dir="/tmp"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = None
        self.as_pg = []
        if os.geteuid() == 0:
            user = "postgres" if _user_exists("postgres") else "nobody"
            self.as_pg = ["runuser", "-u", user, "--"]
            shutil.chown(self.folder, user)

    def _run(self, *argv, **kwargs):
        return subprocess.run([*self.as_pg, *argv], check=True, capture_output=True, text=True, **kwargs)  # noqa: S603

    def init(self):
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "--username=postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        for _attempt in range(3):  # another process may take the port between picking and binding it
            self.port = free_port()
            try:
                self.start()
                break
            except subprocess.CalledProcessError:
                continue
        else:
            raise RuntimeError(f"PostgreSQL did not start: {self.log.read_text(errors='replace')}")
        self.psql("CREATE ROLE newsroom LOGIN SUPERUSER")
        self.create_database("newsroom")
        return self

    def start(self):
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start", "-o", options
        )
        self.wait_ready()

    def stop(self, mode="fast"):
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def is_ready(self):
        argv = [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        return subprocess.run(argv).returncode == 0  # noqa: S603 - fixed argv

    def wait_ready(self, attempts=200):
        for _attempt in range(attempts):
            if self.is_ready():
                return
            time.sleep(0.05)
        raise RuntimeError("PostgreSQL is not accepting connections")

    def url(self, database="newsroom"):
        return f"postgres://newsroom@127.0.0.1:{self.port}/{database}"

    def psql(self, sql, database="postgres", user="postgres"):
        argv = [str(PG_BIN / "psql"), "-q", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"]
        argv += ["-p", str(self.port), "-U", user, "-d", database, "-c", sql]
        return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()  # noqa: S603

    def create_database(self, name):
        self.psql(f'CREATE DATABASE "{name}" OWNER newsroom')

    def destroy(self):
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("fast")
            except subprocess.CalledProcessError:
                self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def throwaway_cluster():
    """For a module fixture (``yield from throwaway_cluster()``): an initialised cluster, destroyed afterwards;
    the tests are skipped where PostgreSQL 15 cannot run."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    cluster = Cluster().init()
    try:
        yield cluster
    finally:
        cluster.destroy()
