"""Metrics of a node served by several gunicorn workers (issue 14): /metrics sums
every worker's counters, a worker that dies keeps its counts, and a restarted
service starts from zero (its directory is emptied at start)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.kernel.test_metrics import parse
from tests.kernel.test_metrics import value

HOOKS = """
from kernel import metrics

def on_starting(server):
    metrics.prepare_multiprocess_dir({directory!r})

def child_exit(server, worker):
    metrics.worker_exited(worker.pid)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Node:
    def __init__(self, base_config: dict, tmp_path: Path):
        self.directory = tmp_path / "prometheus"
        self.conf = tmp_path / "gunicorn_hooks.py"
        self.conf.write_text(HOOKS.format(directory=str(self.directory)))
        self.env = {
            **os.environ,
            **{k: str(v) for k, v in base_config.items() if k != "TESTING"},
        }
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.log = tmp_path / "gunicorn.log"
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "-c", str(self.conf), "--workers", "2", "--bind",
             f"127.0.0.1:{port}", "guichet:create_app()"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=10).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not answer within 60 s:\n" + self.log.read_text())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def healthz_count(self) -> float:
        samples = parse(requests.get(self.url + "/metrics", timeout=30).text)
        labels = {"endpoint": "kernel.healthz", "method": "GET", "status": "200"}
        return value(samples, "guichet_http_requests_total", **labels)

    def worker_pids(self) -> set[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in children.read_text().split()}


@pytest.fixture
def node(base_config, tmp_path):
    node = Node(base_config, tmp_path)
    yield node
    node.stop()


def hit(url: str, times: int) -> None:
    for _ in range(times):
        # A new connection each time, so both workers answer some.
        assert requests.get(url + "/healthz", headers={"Connection": "close"}, timeout=30).ok


def test_metrics_sum_every_worker_and_restart_from_zero(node):
    node.start()
    start = node.healthz_count()  # the readiness wait's own requests
    hit(node.url, 30)
    assert node.healthz_count() == start + 30
    counters = list(node.directory.glob("counter_*.db"))
    assert len(counters) >= 2, "both workers wrote their counts"

    victim = sorted(node.worker_pids())[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while victim in node.worker_pids() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert node.healthz_count() >= start + 30, "a dead worker's counts stay summed"

    node.stop()
    node.start()
    assert node.healthz_count() < 10, "a restarted service counts from zero"
