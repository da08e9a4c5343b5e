"""Starts a throw-away Redis server for the tests that are about Redis (no persistence, 127.0.0.1 only)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field

from tests.harness.pg import free_port


def _redis_server() -> str:
    path = shutil.which("redis-server")
    if path is None:
        raise RuntimeError("redis-server not found: run scripts/install-system-deps.sh")
    return path


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Starts the server on its port and waits until it answers PING."""
        if self.process is not None:
            raise RuntimeError("Redis is already running")
        self.process = subprocess.Popen(
            [_redis_server(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.process.stderr.read().decode(errors='replace')}")
            if _answers_ping(self.port):
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not answer PING within 10 s")

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL), dropping every connection."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None

    def restart(self) -> None:
        """Starts the server again on the same port after `stop()`."""
        self.start()


def start_redis() -> RedisServer:
    """Starts a Redis server on a free port."""
    server = RedisServer(port=free_port())
    server.start()
    return server
