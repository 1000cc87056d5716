"""Real PostgreSQL for tests: fresh databases on the test server, and private clusters to kill.

``GOVINSPECT_TEST_PG_URL`` (written by ``scripts/services.sh start``) names the shared test server;
each test gets its own database on it. Tests that stop or kill the server start their own cluster
(:class:`PgCluster`, Debian's binaries) so nothing else loses its database.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import psycopg
import pytest

PG_URL_ENV = "GOVINSPECT_TEST_PG_URL"


def server_url() -> str:
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"{PG_URL_ENV} is unset: no PostgreSQL test server (scripts/services.sh start provides one)")
    return url


def _with_db(url: str, db: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{db}"


def create_database(url: str, prefix: str = "gi_test") -> str:
    """A new empty database on the server of ``url``; returns its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return _with_db(url, name)


def drop_database(url: str) -> None:
    name = url.rpartition("/")[2].split("?")[0]
    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def bindir() -> Path | None:
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in p.parent.name.split(".")
                                                                             if x.isdigit()])
    dirs = [d for d in dirs if (d / "initdb").exists()]
    return dirs[-1] if dirs else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """A throw-away cluster of our own on a free loopback port, which a test may stop, kill and restart."""

    def __init__(self) -> None:
        self.bin = bindir()
        if self.bin is None:
            pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="gi-pg-", dir="/tmp"))
        self.root = os.geteuid() == 0
        if self.root:  # PostgreSQL refuses to run as root: the Debian package's postgres user runs it
            shutil.chown(self.dir, "postgres")
        self.data = self.dir / "data"
        self._run("initdb", "-D", str(self.data), "-U", "govinspect", "--auth=trust", "--no-locale", "-E", "UTF8",
                  "--no-sync")
        self.url = f"postgresql://govinspect@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        assert self.bin is not None
        cmd = [str(self.bin / tool), *args]
        if self.root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w", "-t", "60", "-o",
                  f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def kill(self) -> None:
        """SIGKILL the postmaster and every server process, as a crash or the OOM killer would."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        for p in procs:
            try:
                p.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(procs, timeout=10)

    def database(self, name: str = "gi") -> str:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url.rpartition("/")[0] + "/" + name

    def close(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def wait_down(self, timeout: float = 10) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                return
            time.sleep(0.05)
        raise AssertionError("server still answering")
