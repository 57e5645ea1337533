"""`guichet serve` (issue 16): the production server, started for real on a free port.
It answers its probes, a graceful reload (SIGHUP) replaces every worker without a
failed request, and SIGTERM stops the master and every worker."""

from __future__ import annotations

import json
import signal
import threading
import time

import pytest
import requests

from guichet.serving import server_options
from guichet.serving import usable_cores
from kernel.config import ServerConfig
from kernel.config import Settings
from tests.served import ServedNode
from tests.served import alive

ONE_TIME_TOKEN = "Zk3xq9TqJ7mWc2Lr8sVb"

# The node tests share one node (a start costs seconds): in one worker, in file order.
pytestmark = pytest.mark.xdist_group("serve")


@pytest.fixture(scope="module")
def node_env(base_config) -> dict[str, str]:
    """The test database and settings, two workers of two threads."""
    env = {k: str(v) for k, v in base_config.items() if k != "TESTING"}
    return {**env, "WEB_WORKERS": "2", "WEB_THREADS": "2", "WEB_GRACEFUL_TIMEOUT": "10"}


@pytest.fixture(scope="module")
def shared_node(node_env, tmp_path_factory):
    served = ServedNode(node_env, log=tmp_path_factory.mktemp("serve") / "serve.log")
    yield served
    served.close()


@pytest.fixture
def node(shared_node):
    """The module's node, serving: started by the first test that needs it, and again
    after the test that stops it (whatever order the tests run in)."""
    if shared_node.process is None or shared_node.process.poll() is not None:
        shared_node.start()
    return shared_node


def test_serve_answers_the_probes_with_the_workers_asked_for(node):
    assert requests.get(node.url + "/healthz", timeout=10).json() == {"status": "ok"}
    assert requests.get(node.url + "/readyz", timeout=10).json()["database"] == "ok"
    assert len(node.wait_workers(2)) == 2
    log = node.log_text()
    assert f"Guichet serves on 127.0.0.1:{node.port}: 2 worker(s) × 2 thread(s)" in log
    assert "Control socket" not in log


def test_sighup_replaces_every_worker_and_no_request_fails(node):
    first = node.wait_workers(2)
    statuses: list[int | str] = []
    stop = threading.Event()

    def keep_asking():
        with requests.Session() as http:
            while not stop.is_set():
                try:
                    statuses.append(http.get(node.url + "/readyz", timeout=30).status_code)
                except requests.RequestException as error:
                    statuses.append(type(error).__name__)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        time.sleep(0.3)
        second = node.reload(workers=2)
        node.wait_ready()
        time.sleep(0.3)
    finally:
        stop.set()
        asker.join(timeout=60)
    assert not first & second
    assert not any(alive(pid) for pid in first)
    assert len(statuses) > 5
    assert set(statuses) == {200}, statuses


def test_sigterm_stops_the_master_and_every_worker(node):
    workers = node.wait_workers(2)
    assert node.stop(timeout=30) == 0
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in workers)
    with pytest.raises(requests.ConnectionError):
        requests.get(node.url + "/healthz", timeout=5)


def test_serve_defaults_one_worker_per_core_gthread_and_no_access_log(tmp_path):
    settings = Settings.from_env({"SECRET_KEY": "x"}, tmp_path)
    options = server_options(settings.server)
    assert options["worker_class"] == "gthread"
    assert options["workers"] == usable_cores()
    assert options["accesslog"] is None
    assert options["bind"] == ["127.0.0.1:8000"]
    assert options["preload_app"] is False
    assert options["control_socket_disable"] is True
    assert options["max_requests_jitter"] > 0
    assert settings.server.drain_seconds == 0


def test_serve_settings_come_from_web_variables_and_bind_wins(tmp_path):
    environ = {
        "SECRET_KEY": "x",
        "WEB_BIND": "0.0.0.0:9000",
        "WEB_WORKERS": "3",
        "WEB_THREADS": "8",
        "WEB_TIMEOUT": "45",
        "WEB_GRACEFUL_TIMEOUT": "20",
        "WEB_MAX_REQUESTS": "500",
        "WEB_MAX_REQUESTS_JITTER": "50",
        "WEB_ACCESS_LOG": "true",
        "WEB_DRAIN_SECONDS": "4",
    }
    config = Settings.from_env(environ, tmp_path).server
    assert config == ServerConfig(
        bind="0.0.0.0:9000",
        workers=3,
        threads=8,
        timeout_seconds=45,
        graceful_timeout_seconds=20,
        max_requests=500,
        max_requests_jitter=50,
        access_log=True,
        drain_seconds=4.0,
    )
    options = server_options(config, bind="127.0.0.1:8123")
    assert options["bind"] == ["127.0.0.1:8123"]
    assert (options["workers"], options["threads"], options["accesslog"]) == (3, 8, "-")
    assert (options["timeout"], options["graceful_timeout"]) == (45, 20)


def test_sigterm_drains_first_readyz_fails_while_requests_are_still_served(node_env, tmp_path):
    node = ServedNode({**node_env, "WEB_DRAIN_SECONDS": "3"}, log=tmp_path / "serve.log")
    try:
        node.start()
        workers = node.wait_workers(2)
        node.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 2
        ready = requests.get(node.url + "/readyz", timeout=10)
        while ready.status_code == 200 and time.monotonic() < deadline:
            ready = requests.get(node.url + "/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["server"] == "stopping" and ready.json()["database"] == "ok"
        assert requests.get(node.url + "/healthz", timeout=10).status_code == 200
        assert node.workers() == workers
        assert node.process.wait(timeout=30) == 0
        assert not any(alive(pid) for pid in workers)
    finally:
        node.close()


def test_with_json_logs_every_line_the_node_writes_is_a_json_object(node_env, tmp_path):
    """LOG_FORMAT=json: gunicorn's own lines (boot, workers, access, stop) too; its
    access lines never hold a path (a one-time link's token sits in one)."""
    env = {**node_env, "LOG_FORMAT": "json", "WEB_ACCESS_LOG": "true"}
    node = ServedNode(env, log=tmp_path / "serve.log")
    try:
        node.start()
        node.wait_workers(2)
        headers = {"X-Request-ID": "essai-journal-json"}
        assert requests.get(node.url + "/healthz", headers=headers, timeout=10).ok
        requests.get(node.url + "/activation/valider/" + ONE_TIME_TOKEN, timeout=10)
        assert node.stop(timeout=30) == 0
    finally:
        node.close()
    lines = [line for line in node.log.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # a line that is not JSON fails here
    by_logger = {}
    for entry in entries:
        by_logger.setdefault(entry["logger"], []).append(entry["message"])
    assert any(m.startswith("Booting worker") for m in by_logger["gunicorn.error"])
    assert any(m.startswith("Guichet serves on") for m in by_logger["gunicorn.error"])
    assert any(
        " GET 200 " in m and m.endswith("request_id=essai-journal-json")
        for m in by_logger["gunicorn.access"]
    )
    assert ONE_TIME_TOKEN not in node.log.read_text()  # no path is logged
    assert any("Shutting down" in m for m in by_logger["gunicorn.error"])
