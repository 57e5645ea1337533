"""The cluster (tests/ops/cluster.py) is built once per test session and shared by
every test of tests/ops, which all run in one xdist worker (`xdist_group("ops")`,
`--dist loadgroup`). Each test leaves it as it found it: every node serving and UP in
HAProxy. Skipped, with the reason printed, without HAProxy or without PostgreSQL."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from idp import clients
from kernel.clock import utcnow
from kernel.extensions import db
from tests import factories
from tests.faults.servers import RedisServer
from tests.idp.conftest import PASSWORD
from tests.ops.cluster import Cluster
from tests.ops.cluster import drop_database
from tests.ops.cluster import ops_database
from tests.ops.cluster import require_haproxy
from tests.ops.cluster import start_cluster
from tests.ops.cluster import stop_cluster
from tests.ops.flows import RP
from tests.ops.flows import RelyingParty


@pytest.fixture(scope="session")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    haproxy = require_haproxy()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    database_url = ops_database(os.environ.get("DATABASE_URL"), f"guichet_ops_{worker}")
    redis = RedisServer().start()
    folder = tmp_path_factory.mktemp("ops")
    built = None
    try:
        built = start_cluster(
            folder, database_url=database_url, redis_url=redis.url, haproxy=haproxy
        )
        yield built
    finally:
        if built is not None:
            stop_cluster(built)
        redis.stop()
        drop_database(database_url)


@pytest.fixture
def ops(cluster) -> Iterator[Cluster]:
    """The cluster, checked whole before and after the test."""
    cluster.all_ready()
    yield cluster
    cluster.all_ready()


def make_parents(app, count: int) -> list[str]:
    """`count` Activé parents (password PASSWORD) with one child each: their identifiers."""
    identifiers = []
    with app.app_context():
        school = factories.make_school()
        for _ in range(count):
            guardian, _ = factories.make_family(school)
            factories.activate(guardian.account, password=PASSWORD)
            identifiers.append(guardian.account.identifier)
        db.session.commit()
    return identifiers


@pytest.fixture
def parents(cluster):
    """parents(count): new Activé parents' identifiers."""
    return lambda count=1: make_parents(cluster.app, count)


def register_service(cluster: Cluster, name: str = "Livret scolaire") -> RelyingParty:
    """`guichet clients add`, as an operator registers a service."""
    data = json.loads(
        cluster.guichet(
            "clients",
            "add",
            "--name",
            name,
            "--redirect-uri",
            RP + "/callback",
            "--trusted",
            "--scope",
            "openid profile",
            "--json",
        )  # fmt: skip
    )
    return RelyingParty(cluster.url, data["client_id"], data["client_secret"])


@pytest.fixture(scope="session")
def service(cluster) -> RelyingParty:
    """One service for the whole session, registered in-process (a `guichet` command
    costs seconds of start-up; tests/ops/test_clients_and_keys.py uses the command)."""
    with cluster.app.app_context():
        client, secret = clients.add_client(
            name="Livret scolaire",
            redirect_uris=[RP + "/callback"],
            scope="openid profile",
            trusted=True,
            now=utcnow(),
        )
        db.session.commit()
        return RelyingParty(cluster.url, client.client_id, secret)
