"""Servers the fault tests own: a `redis-server` on a free port that they stop or
freeze, a private PostgreSQL cluster they restart, and sockets that accept and then
never answer (or drip one byte at a time). The shared PostgreSQL and Redis of the
machine are never touched. A missing binary skips the test with a printed reason
that says how to install it; CI has them all."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _require(binary: str, package: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} is not installed: apt-get install {package} (CI installs it)")
    return path


def _wait_for_port(port: int, *, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


class RedisServer:
    """A private redis-server: `stop()` (down), `freeze()`/`thaw()` (hung: the process
    is suspended, so connections are accepted by the kernel and never answered)."""

    def __init__(self) -> None:
        self.binary = _require("redis-server", "redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)


class PostgresCluster:
    """A private PostgreSQL cluster (initdb) on a free port, run as the `postgres`
    system user when the tests run as root (PostgreSQL refuses root)."""

    def __init__(self) -> None:
        self.bindir = _postgres_bindir()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="guichet-pg-"))
        self.data = self.folder / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *argv: str) -> None:
        command = list(argv)
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresCluster:
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        if not self.data.exists():
            self._run(
                str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                "--auth=trust", "--no-sync",
            )  # fmt: skip
        self._pg_ctl("start", "-w", "-o", f"-p {self.port} -k {self.folder} -h 127.0.0.1 -F")
        return self

    def _pg_ctl(self, action: str, *extra: str) -> None:
        log = str(self.folder / "server.log")
        self._run(str(self.bindir / "pg_ctl"), action, "-D", str(self.data), "-l", log, *extra)

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast", "-w")

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _postgres_bindir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.insert(0, Path(found))
    if not candidates:
        pytest.skip("PostgreSQL's initdb is not installed: apt-get install postgresql")
    return candidates[0].parent


class SilentServer:
    """Accepts connections and never answers (a hung dependency), or, with `drip`,
    sends one byte every `drip` seconds forever (a dripping upstream)."""

    def __init__(self, *, drip: float | None = None, payload: bytes = b"HTTP/1.1 200 OK\r\n"):
        self.drip = drip
        self.payload = payload
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._clients: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self._clients.append(client)
            if self.drip is not None:
                threading.Thread(target=self._drip, args=(client,), daemon=True).start()

    def _drip(self, client: socket.socket) -> None:
        data = self.payload * 1000
        for byte in data:
            if self._stop.wait(self.drip):
                return
            try:
                client.sendall(bytes([byte]))
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        for client in self._clients:
            with contextlib.suppress(OSError):
                client.close()


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    try:
        yield cluster
    finally:
        cluster.destroy()
