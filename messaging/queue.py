"""The job queue: RQ on the application's Redis (REDIS_URL), for sending that must
not block a web request (emails, bulk notifications) and for retries.

One job per message (`deliver_job`), carrying RQ's own `Retry`: a temporary
failure raises `RetryLater` and RQ runs the job again after the next delay of
MESSAGE_RETRY_INTERVALS, until MESSAGE_MAX_ATTEMPTS attempts; the message row
keeps the truth (attempts, next attempt, error). `guichet worker` runs the
worker (with RQ's scheduler, which releases delayed retries). Without Redis
there is no queue: `current_queue()` is None and dispatch sends in-process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
from collections.abc import Iterator

import redis
from flask import Flask
from flask import current_app
from flask import has_app_context
from rq import Queue
from rq import Retry
from rq import SimpleWorker
from rq import get_current_job
from rq.job import Job
from rq.job import JobStatus

from idp.clock import utcnow
from idp.config import MessagingConfig
from idp.extensions import db
from messaging.models import Message
from messaging.models import MessageStatus

log = logging.getLogger("guichet.messaging")

QUEUE_KEY = "guichet.message_queue"
JOB_TIMEOUT_SECONDS = 120
FAILURE_TTL_SECONDS = 7 * 24 * 3600
# A pending message older than this with no job in Redis was lost (Redis down at
# commit time, process killed): the worker enqueues it again when it starts.
STUCK_AFTER = dt.timedelta(minutes=5)
LIVE_STATUSES = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


class RetryLater(Exception):
    """Raised by a job whose attempt failed temporarily, so that RQ retries it."""


def setup_queue(app: Flask) -> None:
    settings = app.extensions["guichet.settings"]
    config = settings.messaging
    if config.max_attempts < 1:
        raise ValueError("MESSAGE_MAX_ATTEMPTS must be at least 1")
    if any(seconds < 0 for seconds in config.retry_intervals_seconds):
        raise ValueError("MESSAGE_RETRY_INTERVALS must be seconds, 0 or more")
    if not settings.redis_url:
        app.extensions[QUEUE_KEY] = None
        return
    connection = redis.Redis.from_url(
        settings.redis_url, socket_timeout=10, socket_connect_timeout=5
    )
    app.extensions[QUEUE_KEY] = Queue(
        config.queue_name, connection=connection, default_timeout=JOB_TIMEOUT_SECONDS
    )


def current_queue() -> Queue | None:
    return current_app.extensions.get(QUEUE_KEY)


def _config() -> MessagingConfig:
    return current_app.extensions["guichet.settings"].messaging


def enqueue(message_ids: list[int]) -> None:
    """Queue fresh messages; if Redis fails they stay pending for the worker's sweep."""
    queue = current_queue()
    if not message_ids or queue is None:
        return
    config = _config()
    jobs = [
        Queue.prepare_data(
            deliver_job,
            args=(message_id,),
            job_id=job_id(queue, message_id),
            retry=_retry(config, attempts=0),
            result_ttl=0,
            failure_ttl=FAILURE_TTL_SECONDS,
        )
        for message_id in message_ids
    ]
    try:
        queue.enqueue_many(jobs)
    except redis.RedisError:
        log.exception(
            "could not queue %s message(s); they stay pending until `guichet worker` starts",
            len(message_ids),
        )


def schedule_retry(message_id: int, *, attempts: int) -> None:
    """After a failed in-process attempt: the next ones belong to the queue."""
    from messaging.dispatch import retry_interval

    queue = current_queue()
    if queue is None:
        return
    config = _config()
    options = {
        "job_id": job_id(queue, message_id),
        "retry": _retry(config, attempts=attempts),
        "result_ttl": 0,
        "failure_ttl": FAILURE_TTL_SECONDS,
    }
    delay = retry_interval(config, attempts=attempts)
    try:
        if delay:
            queue.enqueue_in(dt.timedelta(seconds=delay), deliver_job, message_id, **options)
        else:
            queue.enqueue(deliver_job, message_id, **options)
    except redis.RedisError:
        log.exception("could not queue the retry of message %s", message_id)


def _retry(config: MessagingConfig, *, attempts: int) -> Retry | None:
    """RQ's retry plan for a job whose message has had `attempts` attempts already."""
    from messaging.dispatch import retry_interval

    left = config.max_attempts - 1 - attempts
    if left < 1:
        return None
    delays = [retry_interval(config, attempts=n) for n in range(attempts + 1, config.max_attempts)]
    return Retry(max=left, interval=delays)


def job_id(queue: Queue, message_id: int) -> str:
    return f"{re.sub(r'[^A-Za-z0-9_-]', '-', queue.name)}-message-{message_id}"


def deliver_job(message_id: int) -> str:
    """The job: one attempt; a temporary failure with tries left raises for RQ's retry."""
    from messaging.dispatch import attempt

    with _app_context():
        job = get_current_job()
        result = attempt(message_id, can_retry=bool(job and job.retries_left))
        if result is None:
            return "skipped"
        if result.retry_after is not None:
            raise RetryLater(f"message {message_id}: attempt {result.attempts} failed")
        return result.status.value


_worker_app: Flask | None = None


@contextlib.contextmanager
def _app_context() -> Iterator[None]:
    """`guichet worker` runs jobs inside its app context; a bare `rq worker` builds one."""
    global _worker_app
    if has_app_context():
        yield
        return
    if _worker_app is None:
        from idp import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield


def requeue_stuck(*, now: dt.datetime) -> int:
    """Queue again the pending messages no job will send (lost at commit or in a crash)."""
    queue = current_queue()
    if queue is None:
        return 0
    candidates = db.session.scalars(
        db.select(Message.id).where(
            Message.status == MessageStatus.PENDING, Message.created_at < now - STUCK_AFTER
        )
    ).all()
    jobs = Job.fetch_many([job_id(queue, i) for i in candidates], connection=queue.connection)
    lost = [
        message_id
        for message_id, job in zip(candidates, jobs, strict=True)
        if job is None or job.get_status(refresh=False) not in LIVE_STATUSES
    ]
    attempts = dict(
        db.session.execute(
            db.select(Message.id, Message.attempts).where(Message.id.in_(lost))
        ).all()
    )
    config = _config()
    for message_id in lost:
        queue.enqueue(
            deliver_job,
            message_id,
            job_id=job_id(queue, message_id),
            retry=_retry(config, attempts=attempts[message_id]),
            result_ttl=0,
            failure_ttl=FAILURE_TTL_SECONDS,
        )
    if lost:
        log.info("requeued %s pending message(s) that no job was going to send", len(lost))
    return len(lost)


def run_worker(*, burst: bool = False) -> bool:
    """The worker of `guichet worker`: jobs run in this process (no fork per message)."""
    queue = current_queue()
    if queue is None:
        raise RuntimeError("REDIS_URL is not set: there is no job queue to work on")
    requeue_stuck(now=utcnow())
    db.session.remove()
    db.engine.dispose()  # no pooled connection is inherited by the forked scheduler
    worker = SimpleWorker([queue], connection=queue.connection)
    return worker.work(burst=burst, with_scheduler=True)
