"""`guichet franceconnect …`: the mock FranceConnect of the demo."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import click
from flask.cli import with_appcontext

from idp import runtime


@click.group("franceconnect")
def franceconnect_group() -> None:
    """FranceConnect federation."""


@franceconnect_group.command("mock")
@click.option("--port", type=int, default=None, help="Port (default: FRANCECONNECT_ISSUER's).")
@click.option("--host", default=None, help="Interface (default: FRANCECONNECT_ISSUER's host).")
@click.option(
    "--identities",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="JSON file of test identities (default: federation/mock/identities.json).",
)
@click.option(
    "--demo-json",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Derive the identities from `guichet demo seed --json` output instead.",
)
@click.option("--userinfo", type=click.Choice(["jwt", "json"]), default="jwt")
@click.option("--alg", type=click.Choice(["RS256", "ES256"]), default="RS256")
@with_appcontext
def mock_command(port, host, identities, demo_json, userinfo, alg) -> None:
    """Run the mock FranceConnect (demo only: anyone who clicks is authenticated)."""
    from werkzeug.serving import run_simple

    from federation import client as fc_client
    from federation.mock import MockClient
    from federation.mock import create_mock_app
    from federation.mock import identities_from_demo
    from federation.mock import load_identities

    settings = runtime.settings()
    config = settings.franceconnect
    parts = urlsplit(config.issuer)
    host = host or parts.hostname or "127.0.0.1"
    port = port or parts.port or 5090
    issuer = urlunsplit((parts.scheme or "http", f"{parts.hostname or host}:{port}", "", "", ""))
    app = create_mock_app(
        issuer=issuer,
        clients=[
            MockClient(
                client_id=config.client_id,
                client_secret=config.client_secret,
                redirect_uris=[fc_client.redirect_uri(settings)],
                post_logout_redirect_uris=[fc_client.post_logout_redirect_uri(settings)],
            )
        ],
        identities=(
            identities_from_demo(json.loads(Path(demo_json).read_text(encoding="utf-8")))
            if demo_json
            else load_identities(identities)
        ),
        signing_alg=alg,
        userinfo_format=userinfo,
    )
    click.echo(f"FranceConnect simulé : {issuer}/ (client {config.client_id})")
    run_simple(host, port, app, threaded=True, use_reloader=False)
