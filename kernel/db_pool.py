"""Connections checked before use only when there is reason to: SQLAlchemy's
`pool_pre_ping` costs a round trip on every checkout (three per single sign-on flow,
docs/benchmarks.md). A connection is pinged at checkout when it sat idle for more
than `IDLE_PING_SECONDS`, or when its socket has something to read: a healthy idle
connection has nothing to say, while a server that shuts down (a restart, a
failover) writes its termination notice to every connection and closes it, which a
zero-timeout poll sees without a round trip.

A failed ping invalidates the whole pool (`InvalidatePoolError`: every connection
opened before the failure is replaced) and the checkout retries with a new
connection; no request fails once the server is back (tests/faults/test_postgres.py).
"""

from __future__ import annotations

import select
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError

IDLE_PING_SECONDS = 1.0
_CHECKED_IN_AT = "guichet.checked_in_at"


def ping_idle_connections(engine: Engine, *, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Ping a connection at checkout when it was checked in more than `idle_seconds` ago."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        if record is not None:
            record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.get(_CHECKED_IN_AT)
        if since is None:
            return  # fresh from connect()
        if time.monotonic() - since <= idle_seconds and not _has_input(dbapi_connection):
            return  # used a moment ago, and the server has said nothing since
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise InvalidatePoolError(f"idle connection failed its ping: {error}") from error


def _has_input(dbapi_connection) -> bool:
    """The server wrote to (or closed) this idle connection: poll, without waiting."""
    try:
        descriptor = dbapi_connection.fileno()
    except Exception:  # noqa: BLE001 - closed (each driver says so its own way): ping
        return True
    if not isinstance(descriptor, int) or descriptor < 0:
        return True  # closed, or a driver without a socket to look at: ping
    poller = select.poll()
    poller.register(descriptor, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))
