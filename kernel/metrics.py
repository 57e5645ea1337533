"""Prometheus metrics (issue 14): the families an operator's dashboard and alerts
read, where areas record their events, and `GET /metrics`.

Areas record an event with the small functions below (`sign_in`, `token_issued`,
`message`, `password_hash`): they know nothing of HTTP nor of Prometheus, and the
kernel knows no area. What is a state of the database rather than an event (the
messages waiting, the last registry import) is read when Prometheus scrapes, from
sources the areas register at start-up (`add_source`), so every node reports the
same figure whichever process wrote it.

Several processes serve one node (gunicorn's workers): prometheus_client's
multi-process mode sums their counters from files in one directory, which the
service prepares before its workers start (`prepare_multiprocess_dir`: created,
emptied of a previous run's files) and tidies when a worker exits
(`worker_exited`). Without it (`flask run`, tests, the demo) the figures are those
of the one process.

Every family is exposed from the start, its known label combinations at zero, so a
dashboard or an alert sees it before the first event.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from flask import Response
from flask import current_app
from flask import g
from flask import request
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Histogram
from prometheus_client import disable_created_metrics
from prometheus_client import generate_latest
from prometheus_client import multiprocess
from prometheus_client import start_http_server
from prometheus_client import values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from kernel.extensions import db
from kernel.web import for_machines_too

log = logging.getLogger("guichet.metrics")

# `_created` series double the output for nothing a dashboard of rates reads (the
# multi-process mode has none either).
disable_created_metrics()

SOURCES_KEY = "guichet.metric_sources"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
ENDPOINT = "metrics"

SIGN_IN_METHODS = ("password", "franceconnect")
SIGN_IN_OUTCOMES = ("success", "failure", "throttled")
GRANTS = ("authorization_code", "refresh_token")
CHANNELS = ("sms", "email")
MESSAGE_OUTCOMES = ("sent", "failed", "retried")
HASH_OPERATIONS = ("hash", "verify")
KNOWN_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

# Our own registry: nothing of prometheus_client's default process collectors,
# which the multi-process mode cannot sum anyway.
REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "guichet_http_requests",
    "HTTP requests answered, by endpoint (Flask's name, never the raw path), method, status.",
    ["endpoint", "method", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "guichet_http_request_duration_seconds",
    "Time from the first hook to the response, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
SIGN_INS = Counter(
    "guichet_sign_ins",
    "Parents' sign-ins: method password|franceconnect, outcome success|failure|throttled.",
    ["method", "outcome"],
    registry=REGISTRY,
)
TOKENS_ISSUED = Counter(
    "guichet_tokens_issued",
    "Token responses of the token endpoint, by grant (authorization_code: one per SSO flow).",
    ["grant"],
    registry=REGISTRY,
)
MESSAGES = Counter(
    "guichet_messages",
    "Attempts at sending a message: sent, failed for good, or retried later.",
    ["channel", "outcome"],
    registry=REGISTRY,
)
PASSWORD_HASH = Histogram(
    "guichet_password_hash_seconds",
    "argon2id hashing and verification time.",
    ["operation"],
    buckets=(0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0),
    registry=REGISTRY,
)

# The directory this process prepared for its workers (the service's master).
_service_dir: list[Path] = []

# A source returns the families it reads from the database at scrape time.
Source = Callable[[], Iterable[GaugeMetricFamily]]


# -- recording (called by the areas) ---------------------------------------------------


def sign_in(method: str, outcome: str) -> None:
    SIGN_INS.labels(method, outcome).inc()


def token_issued(grant: str) -> None:
    TOKENS_ISSUED.labels(grant).inc()


def message(channel: str, outcome: str) -> None:
    MESSAGES.labels(channel, outcome).inc()


@contextlib.contextmanager
def password_hash(operation: str) -> Iterator[None]:
    """`with metrics.password_hash("verify"): ...` times one argon2id operation."""
    start = time.perf_counter()
    try:
        yield
    finally:
        PASSWORD_HASH.labels(operation).observe(time.perf_counter() - start)


# -- the service's set-up --------------------------------------------------------------


def prepare_multiprocess_dir(path: str | Path | None) -> Path:
    """Before the workers start: an empty directory for their files (a previous run's
    counters would be summed again otherwise), named in the environment that
    prometheus_client reads, and this process's own values moved to files.

    Without a path (PROMETHEUS_MULTIPROC_DIR unset), a new directory of this service's
    own, in memory where there is a tmpfs: two nodes on one host never share one."""
    if path:
        path = Path(path)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
    else:
        memory = Path("/dev/shm")  # noqa: S108 - a tmpfs: the workers write on every request
        path = Path(
            tempfile.mkdtemp(prefix="guichet-metrics-", dir=memory if memory.is_dir() else None)
        )
    # The one environment write of the code base: prometheus_client reads it itself,
    # and the workers' settings (kernel.config) find the directory there.
    os.environ[MULTIPROC_ENV] = str(path)
    _service_dir.append(path)
    _use_files()
    return path


def worker_exited(pid: int) -> None:
    """A worker ended: its live gauges stop counting (its counters stay summed)."""
    if _service_dir:
        multiprocess.mark_process_dead(pid, path=str(_service_dir[-1]))


def remove_multiprocess_dir() -> None:
    """The service stops: its directory goes (the next start makes a new one)."""
    while _service_dir:
        shutil.rmtree(_service_dir.pop(), ignore_errors=True)


def _use_files() -> None:
    """prometheus_client chooses memory or files when first imported; a service that
    decided on its directory later switches here, and drops the values made before
    (none were counted yet: the workers have not started)."""
    if values.ValueClass is values.MutexValue:
        values.ValueClass = values.get_value_class()
        with warnings.catch_warnings():
            # prometheus_client warns that clearing is not done in the files: the
            # values cleared here were never in them.
            warnings.filterwarnings("ignore", "Clearing labels", UserWarning)
            for family in (HTTP_REQUESTS, HTTP_DURATION, SIGN_INS, TOKENS_ISSUED, MESSAGES):
                family.clear()
            PASSWORD_HASH.clear()


def setup_metrics(app: Flask, *, token: str = "", multiprocess_dir: str = "") -> None:
    """Time and count every request, serve `/metrics`, and expose every family."""
    if multiprocess_dir:
        Path(multiprocess_dir).mkdir(parents=True, exist_ok=True)
        _use_files()
    app.extensions["guichet.metrics"] = {"token": token, "multiprocess_dir": multiprocess_dir}
    app.extensions.setdefault(SOURCES_KEY, [])
    app.before_request(_start_timer)
    app.after_request(_count_response)
    app.add_url_rule("/metrics", ENDPOINT, metrics_view, methods=["GET"])
    _initialise_families()


def serve_process_metrics(address: str) -> None:
    """`guichet worker --metrics HOST:PORT`: the worker's own counters (the messages it
    sent, failed, retried) on a port of its own, in a background thread; the queue
    itself is on every node's /metrics."""
    host, _, port = address.rpartition(":")
    start_http_server(int(port), addr=host or "127.0.0.1", registry=REGISTRY)


def add_source(app: Flask, source: Source) -> None:
    """An area exposes figures it reads from the database when Prometheus scrapes."""
    app.extensions.setdefault(SOURCES_KEY, []).append(source)


def initialise_endpoints(app: Flask) -> None:
    """Every route's endpoint appears from the start (status 200 at zero), once the
    blueprints are registered."""
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            HTTP_REQUESTS.labels(rule.endpoint, method, "200")
        HTTP_DURATION.labels(rule.endpoint)


def _initialise_families() -> None:
    for method in SIGN_IN_METHODS:
        for outcome in SIGN_IN_OUTCOMES:
            SIGN_INS.labels(method, outcome)
    for grant in GRANTS:
        TOKENS_ISSUED.labels(grant)
    for channel in CHANNELS:
        for outcome in MESSAGE_OUTCOMES:
            MESSAGES.labels(channel, outcome)
    for operation in HASH_OPERATIONS:
        PASSWORD_HASH.labels(operation)


# -- per request (the hot path: two clock reads, two label look-ups) --------------------


@for_machines_too
def _start_timer() -> None:
    g._metrics_start = time.perf_counter()


@for_machines_too
def _count_response(response: Response) -> Response:
    start = g.get("_metrics_start")
    rule = request.url_rule
    endpoint = rule.endpoint if rule is not None else "unmatched"
    if endpoint == ENDPOINT:
        return response
    method = request.method if request.method in KNOWN_METHODS else "other"
    HTTP_REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    if start is not None:
        HTTP_DURATION.labels(endpoint).observe(time.perf_counter() - start)
    return response


# -- GET /metrics ---------------------------------------------------------------------


def metrics_view():
    """The Prometheus text format. With METRICS_TOKEN set, only for
    `Authorization: Bearer <token>` (401 otherwise, nothing said of the figures)."""
    config = current_app.extensions["guichet.metrics"]
    if config["token"] and not _bearer_matches(config["token"]):
        return Response(
            "authentification requise\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    registry = _scrape_registry(config["multiprocess_dir"])
    registry.register(_DatabaseSources(current_app.extensions.get(SOURCES_KEY, [])))
    response = Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def _bearer_matches(token: str) -> bool:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        presented.strip().encode(), token.encode()
    )


def _scrape_registry(multiprocess_dir: str) -> CollectorRegistry:
    if not multiprocess_dir:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Forward(REGISTRY))
        return registry
    registry = CollectorRegistry(auto_describe=False)
    multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)
    return registry


class _Forward(Collector):
    """This process's families, for a per-scrape registry that also holds the sources."""

    def __init__(self, registry: CollectorRegistry):
        self._registry = registry

    def collect(self):
        return self._registry.collect()


class _DatabaseSources(Collector):
    """The areas' figures read at scrape time; one whose query fails is left out (and
    logged) rather than failing the whole scrape."""

    def __init__(self, sources: list[Source]):
        self._sources = sources

    def collect(self):
        for source in self._sources:
            try:
                yield from list(source())
            except Exception:
                log.exception("metrics: a source failed; its figures are left out")
                db.session.rollback()
