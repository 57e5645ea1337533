"""Logs and request ids (issue 14): with LOG_FORMAT=json every line is one JSON
object with the request's fields and id; no password, code or token reaches a
line; the id comes from X-Request-ID (or is made), goes back in the response and
follows the jobs a request enqueues; security events have stable names."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
import textwrap

import pytest

from accounts import audit
from kernel import request_ids
from kernel.extensions import db
from messaging.models import Message
from tests import factories

NOW = dt.datetime(2026, 11, 24, 9, 30)
SECRET_PASSWORD = "Motdepasse-tres-secret-42"
SECRET_CODE = "code-secret-franceconnect-99"

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from guichet import create_app
    config = json.loads(sys.argv[1])
    app = create_app({**config, "LOG_FORMAT": "json", "TRUSTED_PROXY_HOPS": "1"})
    client = app.test_client()
    headers = {"X-Request-ID": "lb-0123456789abcdef", "X-Forwarded-For": "203.0.113.7"}
    client.get("/healthz", headers=headers)
    client.post(
        "/connexion",
        data={"identifier": "personne.inconnue", "password": sys.argv[2]},
        headers={"X-Forwarded-For": "203.0.113.8"},
    )
    client.get("/franceconnect/retour?state=x&code=" + sys.argv[3])
    """
)


@pytest.fixture(scope="module")
def json_lines(base_config) -> list[dict]:
    """The log lines of one production-like app in a process of its own: one process
    for the module's two tests that read them (its start-up costs seconds)."""
    # Not TESTING (its Jinja is strict, its errors raise): a production-like app.
    config = {k: v for k, v in base_config.items() if k != "TESTING"}
    config |= {"WTF_CSRF_ENABLED": False, "RECOVERY_MIN_SECONDS": "0"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(config), SECRET_PASSWORD, SECRET_CODE],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert SECRET_PASSWORD not in done.stderr and SECRET_CODE not in done.stderr
    return [json.loads(line) for line in done.stderr.splitlines() if line.strip()]


def test_json_logs_are_one_object_per_line_with_the_request_fields(json_lines):
    access = [line for line in json_lines if line["event"] == "http.request"]
    assert [line["endpoint"] for line in access] == [
        "kernel.healthz",
        "idp.login",
        "federation.callback",
    ]
    first = access[0]
    assert first["request_id"] == "lb-0123456789abcdef"
    assert first["status"] == 200 and first["method"] == "GET"
    assert first["client"] == "203.0.113.7"  # after TRUSTED_PROXY_HOPS
    assert first["duration_ms"] >= 0
    assert {"time", "level", "logger", "message"} <= set(first)
    made = access[1]["request_id"]
    assert len(made) == 32 and made != first["request_id"]


def test_security_events_are_named_lines_of_the_request(json_lines):
    events = [line for line in json_lines if line["logger"] == "guichet.security"]
    assert [(e["event"], e["method"]) for e in events] == [
        ("sign_in.failure", "password"),
        ("sign_in.failure", "franceconnect"),
    ]
    login = next(line for line in json_lines if line.get("endpoint") == "idp.login")
    assert events[0]["request_id"] == login["request_id"]
    assert events[0]["level"] == "INFO" and "account_id" not in events[0]


def test_request_id_is_taken_from_the_header_or_made(client):
    haproxy = "7F000001:8296_7F00001E:1F90_4F7B0A69_0003:790A"  # its unique-id-format
    for good in ("abc-123_DEF.456", haproxy):
        kept = client.get("/healthz", headers={"X-Request-ID": good})
        assert kept.headers["X-Request-ID"] == good
    made = client.get("/healthz")
    assert len(made.headers["X-Request-ID"]) == 32
    for hostile in ("a b c d e f g h", "x" * 200, "<script>alert(1)</script>"):
        replaced = client.get("/healthz", headers={"X-Request-ID": hostile})
        assert replaced.headers["X-Request-ID"] != hostile
    assert client.get("/nulle-part").headers["X-Request-ID"]


def test_the_request_id_follows_a_message_into_its_attempts(make_app, caplog):
    # A relay that refuses the connection: the attempt logs a warning, under the id.
    app = make_app(
        WTF_CSRF_ENABLED=False,
        RECOVERY_MIN_SECONDS=0,
        MAIL_BACKEND="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT="9",
        SMTP_STARTTLS="false",
        SMTP_TIMEOUT="2",
        MESSAGE_WAIT_SECONDS="10",
    )
    with app.app_context():
        account = factories.make_family(factories.make_school())[0].account
        factories.activate(account, password="Ancien2026")
        db.session.commit()
    caplog.set_level(logging.INFO)
    response = app.test_client().post(
        "/identifiant-perdu?mode=email",
        data={"email": "gerald.martin@example.org"},
        headers={"X-Request-ID": "req-lost-identifier-1"},
    )
    assert response.status_code == 200
    with app.app_context():
        message = db.session.scalars(db.select(Message)).one()
        assert message.request_id == "req-lost-identifier-1"
    attempts = [r for r in caplog.records if "not sent" in r.getMessage()]
    assert attempts and attempts[0].request_id == "req-lost-identifier-1"
    # The worker's later attempt, outside of any request, logs under the same id.
    with app.app_context(), request_ids.bound(None):
        caplog.clear()
        app.test_cli_runner().invoke(args=["worker", "--once"])
    assert all(r.request_id in (None, "req-lost-identifier-1") for r in caplog.records)


def test_audit_actions_are_logged_once_committed_never_on_rollback(app_ctx, caplog):
    caplog.set_level(logging.INFO, logger="guichet.security")
    account = factories.make_family(factories.make_school())[0].account
    db.session.commit()
    audit.record("account.password_reset", actor=audit.OPERATOR, now=NOW, accounts=[account])
    db.session.flush()
    assert not _events(caplog)
    db.session.rollback()
    assert not _events(caplog)
    account = db.session.merge(account)
    audit.record("account.password_reset", actor=audit.OPERATOR, now=NOW, accounts=[account])
    db.session.commit()
    (line,) = _events(caplog)
    assert line.event == "account.password_reset"
    assert line.fields["account_ids"] == [account.id] and line.fields["actor_type"] == "operator"


def _events(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "guichet.security"]
