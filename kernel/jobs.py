"""The one job runner: RQ on the application's Redis (REDIS_URL), for work that must
not hold a web request (emails, bulk sends, back-channel logouts) and its retries.

Areas enqueue plain functions with `enqueue`; a temporary failure raises
`RetryLater` and RQ runs the job again after the next delay of its retry plan.
`guichet worker` runs every area's jobs inside its own application context (jobs
never build an application themselves) and first calls the start-up hooks the
areas registered (`on_worker_start`: work lost while Redis was away). Without
Redis there is no queue: `queue()` is None and callers work in-process.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from collections.abc import Sequence

import redis
from flask import Flask
from flask import current_app
from flask import has_app_context
from rq import Queue
from rq import Retry
from rq import SimpleWorker

from kernel.extensions import db

log = logging.getLogger("guichet.jobs")

JOBS_KEY = "guichet.jobs"
STARTUP_KEY = "guichet.jobs.startup"
JOB_TIMEOUT_SECONDS = 120
FAILURE_TTL_SECONDS = 7 * 24 * 3600


class RetryLater(Exception):
    """Raised by a job whose attempt failed temporarily, so that RQ retries it."""


def setup_jobs(app: Flask, *, connection: redis.Redis | None, queue_name: str) -> None:
    """The queue on the app's Redis connection (kernel.redis_client: short timeouts in
    the web process; the worker lengthens them for its blocking reads)."""
    app.extensions[STARTUP_KEY] = []
    app.extensions[JOBS_KEY] = (
        Queue(queue_name, connection=connection, default_timeout=JOB_TIMEOUT_SECONDS)
        if connection is not None
        else None
    )


def queue() -> Queue | None:
    return current_app.extensions.get(JOBS_KEY)


def on_worker_start(app: Flask, hook: Callable[[], object]) -> None:
    """`hook()` runs in the worker's app context before the first job."""
    app.extensions[STARTUP_KEY].append(hook)


def retry_plan(delays: Sequence[int]) -> Retry | None:
    """RQ's retry plan: one more attempt after each delay (seconds)."""
    return Retry(max=len(delays), interval=list(delays)) if delays else None


def enqueue(
    func: Callable,
    *args,
    job_id: str | None = None,
    retry_delays: Sequence[int] = (),
    delay_seconds: int = 0,
    timeout: int = JOB_TIMEOUT_SECONDS,
) -> bool:
    """Queue one job; False (logged) when there is no queue or Redis refused it, so
    the caller's rows keep what is left to do for a later sweep."""
    job_queue = queue()
    if job_queue is None:
        return False
    options = {
        "job_id": job_id,
        "retry": retry_plan(retry_delays),
        "result_ttl": 0,
        "failure_ttl": FAILURE_TTL_SECONDS,
        "job_timeout": timeout,
    }
    try:
        if delay_seconds:
            job_queue.enqueue_in(dt.timedelta(seconds=delay_seconds), func, *args, **options)
        else:
            job_queue.enqueue(func, *args, **options)
    except redis.RedisError:
        log.exception("could not queue %s%r", func.__name__, args)
        return False
    return True


def job(func: Callable) -> Callable:
    """Mark a queued function: it runs in the app context `guichet worker` provides."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        if not has_app_context():
            raise RuntimeError(f"{func.__name__} is a Guichet job: run it with `guichet worker`")
        return func(*args, **kwargs)

    return run


def run_worker(*, burst: bool = False) -> bool:
    """The worker of `guichet worker`: start-up hooks, then jobs in this process (no
    fork per job), with RQ's scheduler releasing the delayed retries."""
    job_queue = queue()
    if job_queue is None:
        raise RuntimeError("REDIS_URL is not set: there is no job queue to work on")
    for hook in current_app.extensions[STARTUP_KEY]:
        hook()
    db.session.remove()
    db.engine.dispose()  # no pooled connection is inherited by the forked scheduler
    worker = SimpleWorker([job_queue], connection=job_queue.connection)
    return worker.work(burst=burst, with_scheduler=True)
