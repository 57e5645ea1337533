"""Messages on the job queue (kernel.jobs): one job per message (`deliver_job`),
retried by RQ after each delay of MESSAGE_RETRY_INTERVALS until
MESSAGE_MAX_ATTEMPTS attempts; the message row keeps the truth (attempts, next
attempt, error). Without Redis there is no queue and dispatch sends in-process.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import redis
from flask import Flask
from flask import current_app
from rq import Queue
from rq import get_current_job
from rq.job import Job
from rq.job import JobStatus

from kernel import jobs
from kernel.clock import utcnow
from kernel.config import MessagingConfig
from kernel.extensions import db
from messaging.attempts import attempt
from messaging.attempts import retry_interval
from messaging.models import Message
from messaging.models import MessageStatus

log = logging.getLogger("guichet.messaging")

# A pending message older than this with no job in Redis was lost (Redis down at
# commit time, process killed): the worker enqueues it again when it starts.
STUCK_AFTER = dt.timedelta(minutes=5)
LIVE_STATUSES = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


def setup_queue(app: Flask) -> None:
    config = app.extensions["guichet.settings"].messaging
    if config.max_attempts < 1:
        raise ValueError("MESSAGE_MAX_ATTEMPTS must be at least 1")
    if any(seconds < 0 for seconds in config.retry_intervals_seconds):
        raise ValueError("MESSAGE_RETRY_INTERVALS must be seconds, 0 or more")
    jobs.on_worker_start(app, lambda: requeue_stuck(now=utcnow()))


def _config() -> MessagingConfig:
    return current_app.extensions["guichet.settings"].messaging


def enqueue(message_ids: list[int]) -> None:
    """Queue fresh messages in one round trip; if Redis fails they stay pending for
    the worker's sweep."""
    queue = jobs.queue()
    if not message_ids or queue is None:
        return
    retry = jobs.retry_plan(_retry_delays(_config(), attempts=0))
    prepared = [
        Queue.prepare_data(
            deliver_job,
            args=(message_id,),
            job_id=job_id(queue, message_id),
            retry=retry,
            result_ttl=0,
            failure_ttl=jobs.FAILURE_TTL_SECONDS,
        )
        for message_id in message_ids
    ]
    try:
        queue.enqueue_many(prepared)
    except redis.RedisError:
        log.exception(
            "could not queue %s message(s); they stay pending until `guichet worker` starts",
            len(message_ids),
        )


def schedule_retry(message_id: int, *, attempts: int) -> None:
    """After a failed in-process attempt: the next ones belong to the queue."""
    queue = jobs.queue()
    if queue is None:
        return
    config = _config()
    jobs.enqueue(
        deliver_job,
        message_id,
        job_id=job_id(queue, message_id),
        retry_delays=_retry_delays(config, attempts=attempts),
        delay_seconds=retry_interval(config, attempts=attempts),
    )


def _retry_delays(config: MessagingConfig, *, attempts: int) -> list[int]:
    """The delays before each attempt left, for a message with `attempts` already made."""
    return [retry_interval(config, attempts=n) for n in range(attempts + 1, config.max_attempts)]


def job_id(queue: Queue, message_id: int) -> str:
    return f"{re.sub(r'[^A-Za-z0-9_-]', '-', queue.name)}-message-{message_id}"


@jobs.job
def deliver_job(message_id: int) -> str:
    """The job: one attempt; a temporary failure with tries left raises for RQ's retry."""
    job = get_current_job()
    result = attempt(message_id, can_retry=bool(job and job.retries_left))
    if result is None:
        return "skipped"
    if result.retry_after is not None:
        raise jobs.RetryLater(f"message {message_id}: attempt {result.attempts} failed")
    return result.status.value


def requeue_stuck(*, now: dt.datetime) -> int:
    """Queue again the pending messages no job will send (lost at commit or in a crash)."""
    queue = jobs.queue()
    if queue is None:
        return 0
    candidates = db.session.scalars(
        db.select(Message.id).where(
            Message.status == MessageStatus.PENDING, Message.created_at < now - STUCK_AFTER
        )
    ).all()
    found = Job.fetch_many([job_id(queue, i) for i in candidates], connection=queue.connection)
    lost = [
        message_id
        for message_id, job in zip(candidates, found, strict=True)
        if job is None or job.get_status(refresh=False) not in LIVE_STATUSES
    ]
    attempts = dict(
        db.session.execute(
            db.select(Message.id, Message.attempts).where(Message.id.in_(lost))
        ).all()
    )
    config = _config()
    for message_id in lost:
        jobs.enqueue(
            deliver_job,
            message_id,
            job_id=job_id(queue, message_id),
            retry_delays=_retry_delays(config, attempts=attempts[message_id]),
        )
    if lost:
        log.info("requeued %s pending message(s) that no job was going to send", len(lost))
    return len(lost)
