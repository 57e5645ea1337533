"""PostgreSQL restarts (issue 13): once it is back, no request fails (connections are
checked before use), and while it is down /readyz names it. The test runs its own
cluster (initdb on a free port), never the machine's shared server."""

from __future__ import annotations

import pytest

from guichet.migrations import upgrade
from kernel.extensions import db
from tests.faults.servers import postgres_cluster


@pytest.fixture(scope="module")
def cluster():
    with postgres_cluster() as running:
        yield running


@pytest.fixture
def pg_app(make_app, cluster):
    url = cluster.url.replace("postgresql://", "postgresql+psycopg://")
    app = make_app(DATABASE_URL=url, REDIS_URL="")
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_no_request_fails_after_a_restart(pg_app, cluster):
    client = pg_app.test_client()
    for _ in range(3):  # the pool now holds connections to the old server process
        assert client.get("/readyz").status_code == 200
        assert client.get("/connexion").status_code == 200
    cluster.restart()
    assert client.get("/readyz").status_code == 200
    assert client.get("/connexion").status_code == 200


def test_readyz_names_the_database_while_it_is_down(pg_app, cluster):
    client = pg_app.test_client()
    assert client.get("/readyz").json == {"database": "ok"}
    cluster.stop()
    try:
        down = client.get("/readyz")
    finally:
        cluster.start()
    assert down.status_code == 503
    assert down.json == {"database": "unreachable"}
    assert client.get("/readyz").status_code == 200
