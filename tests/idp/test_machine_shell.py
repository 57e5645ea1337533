"""Machine endpoints skip the browser's shell (kernel.web.App) and Authlib's request
objects read the URL lazily (idp.provider): neither may lose a protection."""

from __future__ import annotations

import base64

from idp import clients
from kernel.clock import utcnow
from kernel.extensions import db


def _client(app) -> tuple[str, str]:
    with app.app_context():
        client, secret = clients.add_client(
            now=utcnow(), name="Livret", redirect_uris=["https://lsu.example/cb"]
        )
        db.session.commit()
        return client.client_id, secret


def _token_request(client, client_id: str, secret: str, base_url: str):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return client.post(
        "/token",
        base_url=base_url,
        data={"grant_type": "authorization_code", "code": "nope"},
        headers={"Authorization": f"Basic {basic}"},
    )


def test_protocol_requests_over_plain_http_to_a_public_host_are_refused(app, client):
    """Authlib's transport check (https, or http on a loopback address) still runs
    although the request objects no longer build the URL up front."""
    client_id, secret = _client(app)
    refused = _token_request(client, client_id, secret, "http://guichet.example")
    assert refused.status_code == 400
    assert refused.json["error"] == "invalid_request"
    assert "https" in refused.json["error_description"]
    authorize = (
        f"/authorize?response_type=code&scope=openid&client_id={client_id}"
        "&redirect_uri=https%3A%2F%2Flsu.example%2Fcb"
    )
    assert client.get(authorize, base_url="http://guichet.example").status_code == 400
    assert client.get(authorize, base_url="https://guichet.example").status_code == 200
    secure = _token_request(client, client_id, secret, "https://guichet.example")
    assert secure.json["error"] == "invalid_grant"  # past the transport check
    loopback = _token_request(client, client_id, secret, "http://127.0.0.1")
    assert loopback.json["error"] == "invalid_grant"


def test_machine_responses_keep_the_security_headers_and_set_no_cookie(app, client):
    client_id, secret = _client(app)
    with client.session_transaction() as session:
        session["pending"] = {"purpose": "x"}  # a browser's cookie sent to a machine endpoint
    for response in (
        _token_request(client, client_id, secret, "http://localhost"),
        client.get("/userinfo"),
        client.get("/.well-known/openid-configuration"),
        client.get("/healthz"),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")


def test_machine_endpoints_are_exempt_from_csrf_and_need_no_page_hooks(app):
    """The hooks a machine request skips are CSRF and Flask-Limiter: each machine view
    must be exempt from CSRF already, so that skipping it changes nothing."""
    csrf = app.extensions["csrf"]
    machine = app.extensions["guichet.machine_endpoints"]
    assert {"idp.token", "idp.userinfo", "idp.revoke", "idp.introspect"} <= machine
    for endpoint in machine - {"idp.jwks", "idp.discovery", "kernel.healthz", "kernel.readyz"}:
        view = app.view_functions[endpoint]
        assert f"{view.__module__}.{view.__name__}" in csrf._exempt_views, endpoint


def test_a_page_still_runs_the_whole_shell(client):
    response = client.get("/connexion")
    assert response.status_code == 200
    assert "guichet_session" in response.headers.get("Set-Cookie", "")  # CSRF token kept
