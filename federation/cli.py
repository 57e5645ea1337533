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


@franceconnect_group.command("link")
@click.option("--identifier", default=None, help="The account's identifier (e.g. a.rousseau).")
@click.option("--registry-id", default=None, help="Or a registry guardian id the account holds.")
@click.option("--sub", required=True, help="The FranceConnect subject identifier.")
@click.option(
    "--skip-missing",
    is_flag=True,
    help="Say so and succeed when no such account exists (demo preparation).",
)
@with_appcontext
def link_command(identifier, registry_id, sub, skip_missing) -> None:
    """Link an Activé account to a FranceConnect identity (audited as the operator)."""
    from accounts.errors import DomainError
    from accounts.models import Account
    from federation import services
    from idp.clock import utcnow
    from idp.extensions import db
    from registry.models import Guardian

    if bool(identifier) == bool(registry_id):
        raise click.UsageError("Indiquez --identifier ou --registry-id (un seul).")
    if identifier:
        account = db.session.scalar(db.select(Account).where(Account.identifier == identifier))
    else:
        guardian = db.session.scalar(db.select(Guardian).where(Guardian.registry_id == registry_id))
        account = guardian.account if guardian is not None else None
    if account is None:
        if skip_missing:
            click.echo("Aucun compte correspondant : rien n'est lié.")
            return
        raise click.ClickException("Aucun compte correspondant.")
    try:
        services.link_by_operator(account, sub, now=utcnow())
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"Compte {account.identifier} lié à l'identité FranceConnect {sub}.")


@franceconnect_group.command("unlink")
@click.option("--sub", required=True, help="The FranceConnect subject identifier.")
@with_appcontext
def unlink_command(sub) -> None:
    """Remove the link of a FranceConnect identity (audited as the operator)."""
    from federation import services
    from idp.clock import utcnow
    from idp.extensions import db

    link = services.unlink_by_operator(sub, now=utcnow())
    if link is None:
        raise click.ClickException("Aucune liaison pour cette identité FranceConnect.")
    db.session.commit()
    click.echo(f"Liaison de {sub} supprimée.")
