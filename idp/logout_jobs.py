"""Back-channel logout on the RQ queue (REDIS_URL): one job per delivery, retried by
RQ after BACKCHANNEL_LOGOUT_RETRY_INTERVALS; `guichet worker` runs them."""

from __future__ import annotations

import contextlib

import redis
from flask import current_app
from flask import has_app_context
from rq import Queue
from rq import Retry

from idp.clock import utcnow


class RetryLater(Exception):
    """The service did not acknowledge; RQ tries again later."""


def enqueue(queue: Queue, delivery_ids: list[int]) -> None:
    intervals = list(
        current_app.extensions["guichet.settings"].oidc.backchannel_retry_intervals_seconds
    )
    retry = Retry(max=len(intervals), interval=intervals) if intervals else None
    try:
        for delivery_id in delivery_ids:
            queue.enqueue(deliver_job, delivery_id, retry=retry, result_ttl=0, job_timeout=60)
    except redis.RedisError:
        # The rows keep next_attempt_at: `guichet sessions retry-logouts` sends them.
        current_app.logger.exception("could not queue %s logout deliveries", len(delivery_ids))


def deliver_job(delivery_id: int) -> str:
    from idp import logout

    with _app_context():
        result = logout.attempt(delivery_id, now=utcnow())
        if result is False:
            raise RetryLater(f"logout delivery {delivery_id}")
        return "done"


_app = None


@contextlib.contextmanager
def _app_context():
    global _app
    if has_app_context():
        yield
        return
    if _app is None:
        from idp import create_app

        _app = create_app()
    with _app.app_context():
        yield
