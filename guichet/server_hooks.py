"""gunicorn's server hooks for `guichet serve`: the one place for what the master or
each worker must do around the workers' lives (set up a directory shared by the
workers at start, clean up after a worker exits…). `hooks()` is merged into the
server's settings by `guichet.serving.server_options`; add a function here and
name it in `hooks()`.
"""

from __future__ import annotations

from kernel import metrics


def when_ready(server) -> None:
    """Say once, in the master's log, where and how the node serves."""
    cfg = server.cfg
    server.log.info(
        "Guichet serves on %s: %s worker(s) × %s thread(s)",
        ", ".join(cfg.bind),
        cfg.workers,
        cfg.threads,
    )


def child_exit(server, worker) -> None:
    """A worker ended (reload, crash, max requests): its metric files stop being live."""
    metrics.worker_exited(worker.pid)


def on_exit(server) -> None:
    """The master stops: the workers' metric files go with it."""
    metrics.remove_multiprocess_dir()


def hooks() -> dict[str, object]:
    return {"when_ready": when_ready, "child_exit": child_exit, "on_exit": on_exit}
