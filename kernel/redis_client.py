"""The application's Redis connection (REDIS_URL) for the readiness probe, with the
short connect and read timeouts (REDIS_TIMEOUT) the rate limits' own client has too:
a Redis that is down or hung costs a request that much, never longer. Redis holds
only the rate limits, which fall back to each process's memory without it."""

from __future__ import annotations

import redis
from flask import Flask
from flask import current_app

REDIS_KEY = "guichet.redis"


def setup_redis(app: Flask, *, url: str | None, timeout: float) -> None:
    app.extensions[REDIS_KEY] = (
        redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        if url
        else None
    )


def connection() -> redis.Redis | None:
    return current_app.extensions.get(REDIS_KEY)
