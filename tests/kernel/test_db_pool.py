"""kernel.db_pool: a connection is pinged at checkout only when it sat idle or its
server said something (tests/faults/test_postgres.py restarts a real server)."""

from __future__ import annotations

import socket
import time

import pytest
import sqlalchemy as sa

from kernel import db_pool


@pytest.fixture
def engine(monkeypatch):
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.QueuePool)
    pings = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(1) or True)
    db_pool.ping_idle_connections(engine, idle_seconds=0.2)
    engine.pings = pings
    yield engine
    engine.dispose()


def _use(engine) -> None:
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))


def test_a_connection_used_a_moment_ago_is_not_pinged(engine, monkeypatch):
    monkeypatch.setattr(db_pool, "_has_input", lambda connection: False)
    _use(engine)  # fresh from connect(): no ping
    _use(engine)
    assert engine.pings == []
    time.sleep(0.3)
    _use(engine)
    assert engine.pings == [1]


def test_a_connection_whose_server_wrote_is_pinged_at_once(engine, monkeypatch):
    _use(engine)
    monkeypatch.setattr(db_pool, "_has_input", lambda connection: True)
    _use(engine)
    assert engine.pings == [1]


def test_a_failed_ping_invalidates_the_pool_and_the_checkout_gets_a_new_connection(engine):
    _use(engine)
    first = engine.pool._pool.queue[0].dbapi_connection
    calls = []

    def failing_once(connection):
        calls.append(connection)
        if len(calls) == 1:
            raise engine.dialect.loaded_dbapi.OperationalError("server closed the connection")
        return True

    engine.dialect.do_ping = failing_once
    time.sleep(0.3)
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection is not first
        assert connection.execute(sa.text("SELECT 1")).scalar() == 1


def test_input_on_an_idle_socket_is_seen_without_waiting():
    ours, server = socket.socketpair()
    try:
        assert db_pool._has_input(ours) is False
        server.send(b"E")  # e.g. PostgreSQL's FATAL termination notice
        assert db_pool._has_input(ours) is True
    finally:
        ours.close()
        server.close()
    assert db_pool._has_input(ours) is True  # closed: no descriptor, ping
