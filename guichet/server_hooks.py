"""gunicorn's server hooks for `guichet serve`: the one place for what the master or
each worker must do around the workers' lives (set up a directory shared by the
workers at start, clean up after a worker exits…). `hooks()` is merged into the
server's settings by `guichet.serving.server_options`; add a function here and
name it in `hooks()`.
"""

from __future__ import annotations


def when_ready(server) -> None:
    """Say once, in the master's log, where and how the node serves."""
    cfg = server.cfg
    server.log.info(
        "Guichet serves on %s: %s worker(s) × %s thread(s)",
        ", ".join(cfg.bind),
        cfg.workers,
        cfg.threads,
    )


def hooks() -> dict[str, object]:
    return {"when_ready": when_ready}
