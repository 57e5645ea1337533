"""`guichet serve`: the production web server, started the same way everywhere
(Dockerfile, docker-compose, the benchmarks, the multi-node tests), so that what is
measured and tested is what runs.

gunicorn through its application API (no shell string, no `gunicorn` command line to
keep in step): gthread workers, one process per core by default, each building its
own application after the fork, so no database connection or Redis socket is ever
shared between processes. Signals are gunicorn's: SIGHUP replaces every worker
gracefully (new processes, requests in flight finish), SIGINT/SIGQUIT stop at once,
and SIGTERM stops gracefully after a drain: for `WEB_DRAIN_SECONDS` the node still
serves but /readyz answers 503 (`"server": "stopping"`), so that the load balancer
takes it out before it stops accepting connections; a connection it accepted and
never answered would be an error for a parent. A second SIGTERM stops at once.
Settings: `kernel.config.ServerConfig` (`WEB_*`, docs/operations.md «Serving»);
process hooks: `guichet.server_hooks`.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import click
from flask import Flask
from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from guichet import create_app
from guichet import server_hooks
from kernel import logs
from kernel import metrics
from kernel import web
from kernel.config import ServerConfig

# client, time, method, status, bytes, duration, user agent, the request id the
# response carries (gunicorn's atoms)
ACCESS_LOG_FORMAT = '%(h)s %(t)s %(m)s %(s)s %(B)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'
SHARED_MEMORY = Path("/dev/shm")  # noqa: S108 - a tmpfs, for gunicorn's heartbeat files


def server_options(
    config: ServerConfig, *, bind: str | None = None, log_format: str = "text"
) -> dict[str, object]:
    """gunicorn's settings for `config`; `bind` (the command's option) wins over WEB_BIND;
    with `log_format` "json" gunicorn's own lines are JSON objects too."""
    options: dict[str, object] = {
        "bind": [bind or config.bind],
        "worker_class": "gthread",
        "workers": config.workers or usable_cores(),
        "threads": config.threads,
        "timeout": config.timeout_seconds,
        "graceful_timeout": config.graceful_timeout_seconds,
        "keepalive": config.keepalive_seconds,
        "max_requests": config.max_requests,
        "max_requests_jitter": config.max_requests_jitter,
        "accesslog": "-" if config.access_log else None,
        # No path, query string or referrer: one-time links carry their token in the
        # path (/activation/valider/<token>), and secrets are never logged.
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "proc_name": "guichet",
        # Each worker builds its own application: a SIGHUP gives every worker fresh
        # connections, and no pool crosses a fork.
        "preload_app": False,
        # No control socket (gunicorn ≥ 25 opens one in the home directory): signals
        # are the interface, and several nodes on one host would share its path.
        "control_socket_disable": True,
        **server_hooks.hooks(),
    }
    if log_format == "json":
        options["logger_class"] = JsonServerLogger
    if SHARED_MEMORY.is_dir():
        # The workers' heartbeat files in memory: a slow container disk never makes
        # the master believe a busy worker is stuck (gunicorn only touches their mtime).
        options["worker_tmp_dir"] = str(SHARED_MEMORY)
    return options


class JsonServerLogger(glogging.Logger):
    """gunicorn's own lines (workers booted, timed out or killed, signals, its access
    lines if WEB_ACCESS_LOG) as the application's JSON objects: with LOG_FORMAT=json a
    log pipeline reads one format from the node's output, not two."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(logs.JsonFormatter())


def usable_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Stopping:
    """A flag the master raises on SIGTERM and every worker reads in /readyz: shared
    memory created before the workers fork (new workers after a SIGHUP see it too)."""

    def __init__(self) -> None:
        self._flag = multiprocessing.RawValue("b", 0)

    def begin(self) -> None:
        self._flag.value = 1

    def readiness(self) -> str:
        return "stopping" if self._flag.value else "ok"


class GuichetServer(BaseApplication):
    """gunicorn serving `create_app()`, configured from a dictionary, not argv."""

    def __init__(self, options: dict[str, object], *, drain_seconds: float = 0.0):
        self.options = options
        self.drain_seconds = drain_seconds
        self.stopping = Stopping()
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        app = create_app()
        web.add_readiness_check(app, "server", self.stopping.readiness)
        return app

    def run(self) -> None:
        DrainingArbiter(self).run()


class DrainingArbiter(Arbiter):
    """gunicorn's master, with SIGTERM turned into: drain, then the graceful stop."""

    drain_until: float | None = None

    def handle_term(self) -> None:
        seconds = self.app.drain_seconds
        if seconds <= 0 or self.drain_until is not None:
            raise StopIteration  # gunicorn's graceful stop (a second SIGTERM: now)
        self.app.stopping.begin()
        self.drain_until = time.monotonic() + seconds
        self.log.info("SIGTERM: /readyz answers 503 for %s s, then stopping", seconds)

    def manage_workers(self) -> None:
        """Called by the master's loop at least every second: the drain's end."""
        if self.drain_until is not None and time.monotonic() >= self.drain_until:
            raise StopIteration
        super().manage_workers()


@click.command("serve")
@click.option(
    "--bind",
    metavar="HOST:PORT",
    help="Adresse d'écoute (par défaut WEB_BIND, sinon 127.0.0.1:8000).",
)
def serve_command(bind: str | None) -> None:
    """Serve Guichet in production (gunicorn, gthread workers; settings WEB_*).

    The settings are read once here, by building the application before any worker
    starts: a wrong setting stops the command with its message instead of making
    every worker fail to boot in turn."""
    settings = create_app().extensions["guichet.settings"]
    config = settings.server
    # The workers' metric files (kernel.metrics), emptied before any worker starts.
    metrics.prepare_multiprocess_dir(settings.metrics_multiprocess_dir or None)
    options = server_options(config, bind=bind, log_format=settings.log_format)
    GuichetServer(options, drain_seconds=config.drain_seconds).run()
