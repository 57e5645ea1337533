"""The application's Redis connection (REDIS_URL), with short connect and read
timeouts (REDIS_TIMEOUT): a Redis that is down or hung costs a request that much,
never longer. Redis is optional for correctness: rate limits fall back to memory,
the job queue's work stays in the database until Redis answers again."""

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
    return connection_of(current_app)


def connection_of(app: Flask) -> redis.Redis | None:
    return app.extensions.get(REDIS_KEY)
