"""Starts a throw-away PostgreSQL 15 cluster for the test run (as an unprivileged user, on a free port)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass


def _pg_bin() -> str:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found: run scripts/install-system-deps.sh")
    return os.path.dirname(candidates[0])


def free_port() -> int:
    """Returns a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresCluster:
    datadir: str
    port: int
    user: str | None
    opts: str = ""

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def dsn_for(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        if self.user:
            args = ["runuser", "-u", self.user, "--", *args]
        return subprocess.run(args, check=True, capture_output=True, text=True, **kw)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Runs one SQL statement as the superuser and returns its output."""
        out = self._run(
            [os.path.join(_pg_bin(), "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", database, "-tAc", sql]
        )
        return out.stdout

    def halt(self) -> None:
        """Stops the server at once (like a crash: every connection dropped), keeping its data directory."""
        self._run([os.path.join(_pg_bin(), "pg_ctl"), "-D", self.datadir, "-m", "immediate", "-w", "stop"])

    def resume(self) -> None:
        """Starts the server again after `halt()`, on the same port and data directory."""
        self._run([os.path.join(_pg_bin(), "pg_ctl"), "-D", self.datadir, "-o", self.opts, "-l",
                   os.path.join(self.datadir, "server.log"), "-w", "start"])

    def stop(self) -> None:
        """Stops the server and removes its data directory."""
        try:
            self._run([os.path.join(_pg_bin(), "pg_ctl"), "-D", self.datadir, "-m", "immediate", "stop"])
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.datadir, ignore_errors=True)


def start_postgres() -> PostgresCluster:
    """Initialises and starts a cluster in a temporary directory; trust auth on 127.0.0.1 only."""
    user = "postgres" if os.geteuid() == 0 else None
    datadir = tempfile.mkdtemp(prefix="dachuan-pg-")
    if user:
        shutil.chown(datadir, user=user)
    port = free_port()
    opts = (f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200")
    cluster = PostgresCluster(datadir=datadir, port=port, user=user, opts=opts)
    bindir = _pg_bin()
    cluster._run([os.path.join(bindir, "initdb"), "-D", datadir, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8"])
    cluster._run([os.path.join(bindir, "pg_ctl"), "-D", datadir, "-o", opts, "-l",
                  os.path.join(datadir, "server.log"), "-w", "start"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            cluster.psql("select 1")
            return cluster
        except subprocess.CalledProcessError:
            time.sleep(0.2)
    raise RuntimeError("PostgreSQL did not start")
