"""The multi-node shape of production, on this machine: HAProxy (deploy/haproxy.cfg,
its listening and server lines pointed at local ports) in front of two nodes
(`guichet serve`, same settings), a database of their own on the PostgreSQL server
of DATABASE_URL, a `redis-server` of their own on a free port, and the message
worker (`guichet worker`). Every process is a real one, started the way an operator
starts it."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from guichet import create_app
from guichet.migrations import upgrade
from kernel.clock import utcnow
from kernel.extensions import db
from keys import services as keys
from tests.databases import recreate_postgres_database
from tests.served import GUICHET
from tests.served import ServedNode
from tests.served import free_port

DEPLOY_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"
INSTALL_HAPROXY = "HAProxy is not installed: apt-get install -y haproxy (.ci/run installs it)"
NEEDS_POSTGRES = (
    "the multi-node tests run on PostgreSQL: set DATABASE_URL=postgresql://… "
    "(.ci/run's second run does)"
)
WORKERS_PER_NODE = 2


def require_haproxy() -> str:
    path = shutil.which("haproxy")
    if path is None:
        print(f"\ntests/ops skipped: {INSTALL_HAPROXY}")
        pytest.skip(INSTALL_HAPROXY)
    return path


def ops_database(database_url: str | None, name: str) -> str:
    """A database of the multi-node tests' own on DATABASE_URL's server, created afresh."""
    if not database_url or not database_url.startswith(("postgres://", "postgresql")):
        print(f"\ntests/ops skipped: {NEEDS_POSTGRES}")
        pytest.skip(NEEDS_POSTGRES)
    url = database_url.replace("postgres://", "postgresql://", 1).replace(
        "postgresql://", "postgresql+psycopg://", 1
    )
    return recreate_postgres_database(url, name)


def drop_database(url: str) -> None:
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


def haproxy_config(deploy: str, *, port: int, stats_port: int, nodes: dict[str, int]) -> str:
    """deploy/haproxy.cfg as it is, but listening on local ports and sending to `nodes`
    (name -> port) instead of Docker's DNS: every timeout, check and retry rule is the
    deployed one. Fails loudly if the file no longer has the lines replaced here."""
    servers = "\n".join(f"    server {name} 127.0.0.1:{p}" for name, p in nodes.items())
    replacements = [
        (r"(?m)^    bind :8000$", f"    bind 127.0.0.1:{port}"),
        (r"(?m)^    bind :8404$", f"    bind 127.0.0.1:{stats_port}"),
        (r"(?m)^    server-template .*$", servers),
        (r"(?ms)^resolvers docker\n(    .*?\n)+", ""),
    ]
    for pattern, replacement in replacements:
        deploy, count = re.subn(pattern, lambda _m, r=replacement: r, deploy)
        assert count == 1, f"deploy/haproxy.cfg no longer matches {pattern!r}"
    return deploy


class HAProxy:
    def __init__(self, binary: str, folder: Path, nodes: dict[str, int]):
        self.binary = binary
        self.port = free_port()
        self.stats_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = folder / "haproxy.cfg"
        self.config.write_text(
            haproxy_config(
                DEPLOY_CONFIG.read_text(), port=self.port, stats_port=self.stats_port, nodes=nodes
            )
        )
        self.log = folder / "haproxy.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> HAProxy:
        check = subprocess.run(
            [self.binary, "-c", "-q", "-f", str(self.config)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [self.binary, "-db", "-f", str(self.config)], stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def servers(self) -> dict[str, dict[str, str]]:
        """The backend's servers as HAProxy sees them (status UP/DOWN, `stot` requests…)."""
        text = requests.get(f"http://127.0.0.1:{self.stats_port}/stats;csv", timeout=5).text
        rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
        return {
            row["svname"]: row
            for row in rows
            if row["pxname"] == "guichet_nodes" and row["svname"] not in ("BACKEND", "FRONTEND")
        }

    def wait_status(self, name: str, status: str, *, timeout: float) -> float:
        """Seconds until HAProxy reports server `name` as `status` (UP or DOWN)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            with contextlib.suppress(requests.RequestException):
                if self.servers()[name]["status"].startswith(status):
                    return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"{name} not {status} after {timeout} s: {self.servers()[name]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@dataclass
class Cluster:
    """Two nodes behind HAProxy; `url` is HAProxy's (the issuer), `nodes["a"].url` a node's."""

    url: str
    env: dict[str, str]
    haproxy: HAProxy
    nodes: dict[str, ServedNode]
    worker: subprocess.Popen | None
    folder: Path
    app: object = None  # an application on the cluster's database, for the tests' own rows

    def guichet(self, *args: str) -> str:
        """Run a `guichet` command as an operator does; returns its output."""
        done = subprocess.run(
            [GUICHET, *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def guichet_json(self, *args: str):
        return json.loads(self.guichet(*args, "--json"))

    def restart_node(self, name: str) -> ServedNode:
        """Start a node again on its port (after a kill or a stop)."""
        old = self.nodes[name]
        old.close()
        node = ServedNode(self.env, log=old.log, port=old.port).start()
        self.nodes[name] = node
        return node

    def all_ready(self) -> None:
        """Every node serving and back in HAProxy (a test leaves the cluster as found)."""
        for name, node in self.nodes.items():
            if node.process is None or node.process.poll() is not None:
                self.restart_node(name)
            self.haproxy.wait_status(name, "UP", timeout=30)


def start_cluster(folder: Path, *, database_url: str, redis_url: str, haproxy: str) -> Cluster:
    ports = {"a": free_port(), "b": free_port()}
    proxy = HAProxy(haproxy, folder, ports)
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "ops-tests-secret-key-not-for-production",
        "PUBLIC_URL": proxy.url,
        "INSTANCE_PATH": str(folder / "instance"),
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_TIME_COST": "1",
        "TRUSTED_PROXY_HOPS": "1",
        "LOGIN_RATE_LIMIT": "40/minute",
        "WEB_WORKERS": str(WORKERS_PER_NODE),
        "WEB_THREADS": "4",
        "WEB_GRACEFUL_TIMEOUT": "10",
        # Longer than HAProxy takes to see a failing /readyz (fall 2 × 1 s, fastinter).
        "WEB_DRAIN_SECONDS": "3",
        "BACKCHANNEL_LOGOUT_RETRY_INTERVALS": "1,1,1",
    }
    nodes = {
        name: ServedNode(env, log=folder / f"node-{name}.log", port=port)
        for name, port in ports.items()
    }
    cluster = Cluster(proxy.url, env, proxy, nodes, worker=None, folder=folder)
    cluster.app = create_app({**env, "TESTING": True})
    with cluster.app.app_context():  # `guichet db upgrade` and `guichet keys ensure`
        upgrade()
        keys.ensure_current("RS256", box=cluster.app.extensions["guichet.keybox"], now=utcnow())
        db.session.commit()
    with (folder / "worker.log").open("ab") as out:
        cluster.worker = subprocess.Popen(
            [GUICHET, "worker", "--poll", "0.2"],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    proxy.start()
    for node in nodes.values():
        node.launch()
    for node in nodes.values():
        node.wait_ready()
    cluster.all_ready()
    return cluster


def stop_cluster(cluster: Cluster) -> None:
    """Everything ends at once: what a graceful stop does is tested where it matters."""
    for node in cluster.nodes.values():
        node.kill()
    cluster.haproxy.stop()
    if cluster.worker is not None and cluster.worker.poll() is None:
        cluster.worker.kill()
        cluster.worker.wait(timeout=15)
    if cluster.app is not None:
        with cluster.app.app_context():
            db.session.remove()
            db.engine.dispose()
