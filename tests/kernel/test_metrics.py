"""GET /metrics (issue 14): every family an operator's dashboard and alerts read is
there before the first event, requests are counted by endpoint (never by path),
sign-ins, tokens, messages and argon2id are counted where they happen, the queue
and the last registry import are read from the database, and METRICS_TOKEN guards
the figures."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kernel.extensions import db
from tests import factories

PASSWORD = "Secret123"


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return parse(response.get_data(as_text=True))


def parse(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


EXPECTED_AT_START = [
    *[
        ("guichet_sign_ins_total", {"method": m, "outcome": o})
        for m in ("password", "franceconnect")
        for o in ("success", "failure", "throttled")
    ],
    ("guichet_tokens_issued_total", {"grant": "authorization_code"}),
    ("guichet_tokens_issued_total", {"grant": "refresh_token"}),
    *[
        ("guichet_messages_total", {"channel": c, "outcome": o})
        for c in ("sms", "email")
        for o in ("sent", "failed", "retried")
    ],
    ("guichet_password_hash_seconds_count", {"operation": "verify"}),
    ("guichet_password_hash_seconds_count", {"operation": "hash"}),
    ("guichet_http_requests_total", {"endpoint": "idp.token", "method": "POST", "status": "200"}),
    ("guichet_http_request_duration_seconds_count", {"endpoint": "idp.authorize"}),
    ("guichet_messages_waiting", {"channel": "sms"}),
    ("guichet_messages_waiting", {"channel": "email"}),
    ("guichet_messages_oldest_waiting_seconds", {"channel": "email"}),
    ("guichet_registry_import_last_success_timestamp_seconds", {}),
    ("guichet_registry_import_duration_seconds", {}),
    ("guichet_registry_import_rows", {"kind": "accounts_created"}),
]


def test_every_family_is_exposed_before_the_first_event(make_app):
    samples = scrape(make_app().test_client())
    missing = [
        (n, lb) for n, lb in EXPECTED_AT_START if (n, tuple(sorted(lb.items()))) not in samples
    ]
    assert not missing
    assert value(samples, "guichet_messages_waiting", channel="email") == 0
    assert value(samples, "guichet_registry_import_last_success_timestamp_seconds") == 0


def test_requests_are_counted_by_endpoint_never_by_path(client):
    before = scrape(client)
    client.get("/healthz")
    client.get("/nulle-part/jeton-secret-123")
    after = scrape(client)
    key = {"endpoint": "kernel.healthz", "method": "GET", "status": "200"}
    assert value(after, "guichet_http_requests_total", **key) == (
        value(before, "guichet_http_requests_total", **key) + 1
    )
    missing = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert value(after, "guichet_http_requests_total", **missing) >= 1
    assert value(after, "guichet_http_request_duration_seconds_count", endpoint="kernel.healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert "jeton-secret-123" not in text and "nulle-part" not in text


def test_metrics_token_is_required_when_set(make_app):
    client = make_app(METRICS_TOKEN="jeton-de-supervision").test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert "guichet_" not in refused.get_data(as_text=True)
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer autre-chose"})
    assert wrong.status_code == 401
    assert scrape(client, Authorization="Bearer jeton-de-supervision")


def sign_in(client, identifier: str, password: str):
    return client.post("/connexion", data={"identifier": identifier, "password": password})


@pytest.fixture
def plain_app(make_app):
    return make_app(WTF_CSRF_ENABLED=False)


def test_password_sign_ins_are_counted_by_outcome(plain_app):
    client = plain_app.test_client()
    with plain_app.app_context():
        account = factories.make_family(factories.make_school())[0].account
        factories.activate(account, password=PASSWORD)
        db.session.commit()
        identifier = account.identifier
    before = scrape(client)
    assert sign_in(client, identifier, "Mauvais123").status_code == 400
    assert sign_in(client, identifier, PASSWORD).status_code == 302
    for _ in range(6):  # past the free attempts of the identifier: refused unread
        sign_in(client, identifier, "Mauvais123")
    after = scrape(client)

    def delta(outcome):
        name = "guichet_sign_ins_total"
        labels = {"method": "password", "outcome": outcome}
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("success") == 1
    assert delta("failure") >= 2
    assert delta("throttled") >= 1
    verified = "guichet_password_hash_seconds_count"
    assert value(after, verified, operation="verify") > value(before, verified, operation="verify")


def test_the_per_address_limit_counts_as_throttled(make_app):
    client = make_app(WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="2/minute").test_client()
    before = scrape(client)
    statuses = [sign_in(client, "personne.inconnue", "Mauvais123").status_code for _ in range(3)]
    assert statuses[-1] == 429
    after = scrape(client)
    labels = {"method": "password", "outcome": "throttled"}
    assert value(after, "guichet_sign_ins_total", **labels) == (
        value(before, "guichet_sign_ins_total", **labels) + 1
    )


def test_the_last_registry_import_is_exposed(app, runner, tmp_path):
    generated = runner.invoke(
        args=["registry", "generate", "--guardians", "30", "--out", str(tmp_path)]
    )
    assert generated.exit_code == 0, generated.output
    imported = runner.invoke(args=["registry", "import", "--json", "--quiet", str(tmp_path)])
    assert imported.exit_code == 0, imported.output
    report = json.loads(imported.output.strip().splitlines()[-1])
    samples = scrape(app.test_client())
    assert value(samples, "guichet_registry_import_last_success_timestamp_seconds") > 1.7e9
    assert value(samples, "guichet_registry_import_duration_seconds") == report["duration_seconds"]
    assert report["duration_seconds"] > 0
    rows = value(samples, "guichet_registry_import_rows", kind="accounts_created")
    assert rows == report["accounts_created"] > 0


def test_readiness_is_on_metrics_and_a_database_outage_fails_no_scrape(make_app):
    samples = scrape(make_app().test_client())
    assert value(samples, "guichet_ready", dependency="database") == 1
    down = make_app(DATABASE_URL="postgresql://postgres@127.0.0.1:9/absente")
    samples = scrape(down.test_client())
    assert value(samples, "guichet_ready", dependency="database") == 0
    labels = {"method": "password", "outcome": "success"}
    assert ("guichet_sign_ins_total", tuple(sorted(labels.items()))) in samples
    assert not any(name == "guichet_messages_waiting" for name, _ in samples)


def test_machine_endpoints_are_counted_and_carry_a_request_id(client):
    """Token, userinfo, JWKS… skip the pages' shell for speed, never the counting."""
    before = scrape(client)
    answer = client.get("/jwks.json", headers={"X-Request-ID": "lb-0123456789abcdef"})
    after = scrape(client)
    assert answer.headers["X-Request-ID"] == "lb-0123456789abcdef"
    key = {"endpoint": "idp.jwks", "method": "GET", "status": str(answer.status_code)}
    previous = before.get(("guichet_http_requests_total", tuple(sorted(key.items()))), 0)
    assert value(after, "guichet_http_requests_total", **key) == previous + 1
