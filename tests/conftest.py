"""Shared fixtures: an app on a migrated database, a client, a live HTTP server,
and small domain factories.

SQLite in a temporary folder by default. With DATABASE_URL (and REDIS_URL) set,
as `.ci/run` does, the same suite runs on PostgreSQL (a database per xdist
worker, created here) and keeps rate limits in Redis.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator

import jinja2
import pytest
import sqlalchemy as sa
from werkzeug.routing.rules import Rule
from werkzeug.serving import make_server

from guichet import create_app
from kernel.extensions import db
from tests import factories
from tests.databases import recreate_postgres_database

NOW = dt.datetime(2026, 11, 24, 9, 30)


def _share_url_builders() -> None:
    """Every test builds its own app (`make_app`), and half of `create_app`'s ~55 ms
    went to Werkzeug compiling, for each of the ~90 URL rules, the same two builder
    functions as in the previous app. In tests, a rule's builder is compiled once per
    worker and reused by the next apps' identical rules: it is a function of the
    rule's text, domain, defaults and mode only, bound to each rule (its converters)
    as Werkzeug binds it. Production builds one app and is untouched. Left alone if a
    Werkzeug release changes the private method."""
    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "shared", False):
        return
    compiled: dict = {}

    def compile_builder(self, append_unknown=True):
        key = (
            self.rule,
            self.subdomain,
            self.host,
            self.map.host_matching,
            self.merge_slashes,
            repr(sorted((self.defaults or {}).items())),
            append_unknown,
        )
        if key not in compiled:
            compiled[key] = original(self, append_unknown)
        return compiled[key]

    compile_builder.shared = True
    Rule._compile_builder = compile_builder


_share_url_builders()


class SharedTemplateCode(jinja2.BytecodeCache):
    """Jinja's compiled templates kept for the worker's next apps (Jinja's bytecode
    cache, here in memory): each test's app has an environment of its own, which
    compiled every template it rendered anew (~15 % of a page test's time). Jinja
    checks each template's source checksum before reusing its code."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    """`--dist loadgroup` (pyproject.toml) sends the tests of one `xdist_group` to one
    worker by reading the group from their node id, which pytest-xdist 3.8 suffixes
    through `item._nodeid`; pytest 9 keeps the id in `item._id`, so the suffix was lost
    and the groups spread over both workers (tests/ops built a cluster in each). The
    suffix put back where pytest 9 reads it, on the workers only."""
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import coerce_node_id
    except ImportError:  # an older pytest: xdist's own suffix works
        return
    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        if names and "@" not in item.nodeid and hasattr(item, "_id"):
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(sorted(names))}")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'guichet-test.sqlite3'}"
    url = url.replace("postgres://", "postgresql://", 1).replace(
        "postgresql://", "postgresql+psycopg://", 1
    )
    name = f"{sa.engine.make_url(url).database or 'guichet'}_test_{_worker()}"
    return recreate_postgres_database(url, name)


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    """Each xdist worker gets a Redis database of its own (the next numbers after
    REDIS_URL's, wrapping at 16), so emptying it never disturbs another worker's
    rate-limit counts or job queue."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    worker = _worker()
    offset = int(worker[2:]) if worker.startswith("gw") else 0
    base, _, number = url.rstrip("/").rpartition("/")
    if not number.isdigit():
        base, number = url.rstrip("/"), "0"
    return f"{base}/{(int(number) + offset) % 16}"


@pytest.fixture(scope="session")
def base_config(database_url, redis_url, tmp_path_factory) -> dict:
    instance = tmp_path_factory.mktemp("instance")
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "PUBLIC_URL": "http://localhost",
        # A cheap argon2id in tests; the production cost is measured in bench/.
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_TIME_COST": "1",
        "REDIS_URL": redis_url or "",
        # A request waits this long for its messages' first attempt: generous, so that a
        # loaded test machine never turns «sent» into «on its way» (the tests of a hung
        # provider set their own, short wait).
        "MESSAGE_WAIT_SECONDS": "10",
    }
    app = create_app(config)
    with app.app_context():
        from guichet.migrations import upgrade

        upgrade()
        db.engine.dispose()
    return config


@pytest.fixture(scope="session")
def cleaning_engine(base_config) -> Iterator[sa.Engine]:
    """One engine per worker that empties the tables before each test (building a
    whole app for that, as before, cost a second `create_app` per test)."""
    url = base_config["DATABASE_URL"]
    options = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
    engine = sa.create_engine(url, **options)
    yield engine
    engine.dispose()


@pytest.fixture
def make_app(base_config, redis_url, cleaning_engine):
    """Build an app with extra settings; rows and rate limits are cleared before each test."""
    apps = []

    def _make(**overrides):
        app = create_app({**base_config, **overrides})
        app.jinja_env.bytecode_cache = TEMPLATE_CODE
        apps.append(app)
        return app

    _clear_database(cleaning_engine)
    if redis_url:
        _clear_redis(redis_url)
    yield _make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _clear_redis(url: str) -> None:
    """Rate limits start afresh and the job queue empty (this worker's own database)."""
    import redis

    redis.Redis.from_url(url).flushdb()


def _clear_database(engine: sa.Engine) -> None:
    """Every row deleted, children first, and the id sequences back at 1. On PostgreSQL
    DELETE and setval, not TRUNCATE: TRUNCATE … RESTART IDENTITY of the 32 (nearly
    empty) tables costs ~150 ms per test, DELETE and setval ~6 ms."""
    tables = list(reversed(db.metadata.sorted_tables))
    with engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
                "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
            )


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def app_ctx(app) -> Iterator:
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served over real HTTP on a free local port, for protocol clients."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def school(app_ctx):
    return factories.make_school()


@pytest.fixture
def guardian(app_ctx, school):
    """A legal guardian of one eligible pupil, with its (Non notifié) account."""
    return factories.make_family(school)[0]


@pytest.fixture
def activated_account(app_ctx, school):
    account = factories.make_family(school)[0].account
    factories.activate(account, password="Secret123")
    db.session.commit()
    return account
