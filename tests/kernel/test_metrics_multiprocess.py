"""Metrics of a node served by several workers (`guichet serve`, issue 14): /metrics
sums every worker's counters, a worker that dies keeps its counts, and a service
that starts again after a crash counts from zero (its directory is emptied at start,
the crashed run's files with it)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

import pytest
import requests

from tests.kernel.test_metrics import parse
from tests.kernel.test_metrics import value
from tests.served import GUICHET
from tests.served import ServedNode
from tests.served import free_port


@pytest.fixture
def node(base_config, tmp_path):
    env = {k: str(v) for k, v in base_config.items() if k != "TESTING"}
    env |= {
        "WEB_WORKERS": "2",
        "WEB_THREADS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
    }
    served = ServedNode(env, log=tmp_path / "serve.log")
    yield served
    served.close()


def healthz_count(node: ServedNode) -> float:
    samples = parse(requests.get(node.url + "/metrics", timeout=30).text)
    labels = {"endpoint": "kernel.healthz", "method": "GET", "status": "200"}
    return value(samples, "guichet_http_requests_total", **labels)


def hit(node: ServedNode, times: int) -> None:
    for _ in range(times):
        # A new connection each time, so that both workers answer some.
        response = requests.get(node.url + "/healthz", headers={"Connection": "close"}, timeout=30)
        assert response.ok


def test_metrics_sum_every_worker_and_start_from_zero_after_a_crash(node, tmp_path):
    node.start()
    workers = node.wait_workers(2)
    start = healthz_count(node)
    hit(node, 30)
    assert healthz_count(node) == start + 30
    directory = tmp_path / "prometheus"
    assert len(list(directory.glob("counter_*.db"))) >= 2, "both workers wrote their counts"

    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    node.wait_workers(2, without={victim})
    assert healthz_count(node) >= start + 30, "a dead worker's counts stay summed"

    node.kill()  # a crash: no clean-up of its own
    assert list(directory.glob("counter_*.db"))
    node.start()
    assert healthz_count(node) < 10, "the crashed run's counts are not summed again"


def test_the_worker_exposes_its_own_counters(base_config, tmp_path):
    env = {**os.environ, **{k: str(v) for k, v in base_config.items() if k != "TESTING"}}
    port = free_port()
    worker = subprocess.Popen(
        [GUICHET, "worker", "--metrics", f"127.0.0.1:{port}", "--poll", "0.5"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(requests.RequestException):
                text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
                break
            assert time.monotonic() < deadline, "the worker's metrics never answered"
            time.sleep(0.2)
        samples = parse(text)
        assert value(samples, "guichet_messages_total", channel="sms", outcome="sent") == 0
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_a_wrong_metrics_address_is_refused_in_french(runner):
    result = runner.invoke(args=["worker", "--once", "--metrics", "nulle-part"])
    assert result.exit_code == 2 and "attendu HOTE:PORT" in result.output
