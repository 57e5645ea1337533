"""Redis is optional for correctness (issue 13): with Redis down or hung, sign-in and
the journeys keep working (rate limits fall back to each process's memory, loudly
logged), a request waits no longer than REDIS_TIMEOUT for it, and /readyz names it.
Each test runs its own redis-server; the machine's shared one is never touched."""

from __future__ import annotations

import logging
import re
import time

import pytest

from kernel.extensions import db
from kernel.extensions import limiter
from tests import factories
from tests.faults.servers import redis_server

PASSWORD = "Secret123"


@pytest.fixture
def private_redis():
    with redis_server() as server:
        yield server


@pytest.fixture
def parent_app(make_app, private_redis):
    app = make_app(REDIS_URL=private_redis.url, REDIS_TIMEOUT="0.5")
    with app.app_context():
        school = factories.make_school()
        account = factories.make_family(school)[0].account
        factories.activate(account, password=PASSWORD)
        db.session.commit()
        identifier = account.identifier
    yield app, identifier
    limiter._storage_dead = False  # the limiter object is shared by every test app


def sign_in(app, identifier, password=PASSWORD, client=None):
    client = client or app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post(
        "/connexion",
        data={"csrf_token": token, "identifier": identifier, "password": password},
    )


def test_sign_in_works_with_redis_up(parent_app):
    app, identifier = parent_app
    assert sign_in(app, identifier).status_code == 302


def test_sign_in_works_with_redis_down_and_the_fallback_is_logged_as_an_error(
    parent_app, private_redis, caplog
):
    app, identifier = parent_app
    private_redis.stop()
    with caplog.at_level(logging.WARNING):
        response = sign_in(app, identifier)
    assert response.status_code == 302
    assert response.location.endswith("/compte")
    fallback = [r for r in caplog.records if "rate limits now count" in r.getMessage()]
    assert fallback and fallback[0].levelno == logging.ERROR


def test_a_sign_in_completes_within_3_seconds_with_redis_hung(parent_app, private_redis):
    app, identifier = parent_app
    private_redis.freeze()
    start = time.monotonic()
    response = sign_in(app, identifier)
    elapsed = time.monotonic() - start
    assert response.status_code == 302
    assert elapsed < 3, f"sign-in took {elapsed:.1f} s with Redis hung"


def test_limits_still_hold_in_memory_while_redis_is_down(make_app, private_redis):
    app = make_app(REDIS_URL=private_redis.url, LOGIN_RATE_LIMIT="3/minute")
    private_redis.stop()
    try:
        client = app.test_client()
        statuses = [sign_in(app, "x", "wrong", client).status_code for _ in range(5)]
    finally:
        limiter._storage_dead = False
    assert statuses[-1] == 429


def test_readyz_names_redis_when_it_does_not_answer(parent_app, private_redis):
    app, _ = parent_app
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"database": "ok", "redis": "ok"}
    private_redis.freeze()
    start = time.monotonic()
    hung = client.get("/readyz")
    assert time.monotonic() - start < 3
    assert hung.status_code == 503
    assert hung.json == {"database": "ok", "redis": "unreachable"}
    private_redis.stop()
    assert client.get("/readyz").json["redis"] == "unreachable"


def test_healthz_is_liveness_only(parent_app, private_redis):
    app, _ = parent_app
    private_redis.stop()
    assert app.test_client().get("/healthz").status_code == 200
