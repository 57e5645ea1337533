"""A real `guichet serve` in a process group of its own, for the tests that need the
production server itself (tests/test_serve.py, the multi-node tests of tests/ops/):
start it on a port, wait until it answers, read its workers' process ids, reload it
(SIGHUP), stop it (SIGTERM) or lose it (SIGKILL of the master and every worker)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

GUICHET = str(Path(sys.executable).with_name("guichet"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServedNode:
    """One Guichet node: `guichet serve --bind 127.0.0.1:<port>` with `env`."""

    def __init__(self, env: dict[str, str], *, log: Path, port: int | None = None):
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, *, timeout: float = 60.0) -> ServedNode:
        self.launch()
        self.wait_ready(timeout=timeout)
        return self

    def launch(self) -> ServedNode:
        """Start the process without waiting for it to answer (start nodes side by side)."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [GUICHET, "serve", "--bind", f"127.0.0.1:{self.port}"],
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() takes every worker
            )
        return self

    def wait_ready(self, *, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"guichet serve exited: see {self.log}\n{self.log_text()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"guichet serve not ready after {timeout} s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    @property
    def pid(self) -> int:
        return self.process.pid

    def workers(self) -> set[int]:
        """The master's child processes (gunicorn's workers)."""
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except FileNotFoundError:
            return set()
        return {int(pid) for pid in children.split()}

    def wait_workers(self, count: int, *, without: set[int] = frozenset(), timeout=60.0):
        """Wait until the master has exactly `count` workers, none of them in `without`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.workers()
            if len(current) == count and not current & without:
                return current
            time.sleep(0.1)
        raise RuntimeError(f"workers: {self.workers()} (wanted {count} new):\n{self.log_text()}")

    def reload(self, *, workers: int, timeout: float = 60.0) -> set[int]:
        """SIGHUP, then wait until every worker is a new one; returns their ids."""
        old = self.workers()
        os.kill(self.pid, signal.SIGHUP)
        return self.wait_workers(workers, without=old, timeout=timeout)

    def stop(self, *, timeout: float = 60.0) -> int:
        """SIGTERM (graceful); returns the master's exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """Lose the node at once: SIGKILL to the master and every worker; returns once
        every one of them has ended (their sockets closed)."""
        if self.process is None:
            return
        workers = self.workers()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.005)

    def close(self) -> None:
        """End whatever is left (a test that failed half-way)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.stop(timeout=15)
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is not alive.
    with contextlib.suppress(FileNotFoundError):
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    return False
