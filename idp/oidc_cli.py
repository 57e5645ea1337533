"""`guichet clients …` and `guichet sessions …`: the operators' side of the provider."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from accounts import devices
from idp import clients as client_service
from idp import logout
from idp import tokens
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db


def _fail(error: DomainError):
    db.session.rollback()
    raise click.ClickException(str(error.message))


@click.group("clients")
def clients_group() -> None:
    """Services (OpenID Connect relying parties) allowed to sign parents in."""


@clients_group.command("add")
@click.option("--name", required=True)
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--post-logout-redirect-uri", "post_logout_uris", multiple=True)
@click.option("--backchannel-logout-uri")
@click.option(
    "--scope",
    default="openid profile",
    show_default=True,
    help="Space-separated scopes the service may receive.",
)
@click.option(
    "--auth-method",
    default="client_secret_basic",
    show_default=True,
    type=click.Choice(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]),
)
@click.option(
    "--jwks",
    "jwks_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The service's public JWKS (private_key_jwt).",
)
@click.option("--trusted", is_flag=True, help="An education service: no consent page.")
@click.option("--sector", help="Pairwise sector (default: host of the first redirect URI).")
@click.option("--client-id", help="Choose the identifier (default: random).")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def add_command(
    name,
    redirect_uris,
    post_logout_uris,
    backchannel_logout_uri,
    scope,
    auth_method,
    jwks_path,
    trusted,
    sector,
    client_id,
    as_json,
) -> None:
    """Register a service; its secret is printed once."""
    jwks = json.loads(Path(jwks_path).read_text()) if jwks_path else None
    try:
        client, secret = client_service.add_client(
            name=name,
            redirect_uris=list(redirect_uris),
            post_logout_redirect_uris=list(post_logout_uris),
            backchannel_logout_uri=backchannel_logout_uri,
            scope=scope,
            auth_method=auth_method,
            trusted=trusted,
            sector=sector,
            jwks=jwks,
            client_id=client_id,
            now=utcnow(),
        )
    except DomainError as error:
        _fail(error)
    db.session.commit()
    data = client_service.describe(client, secret)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"Service « {client.name} » enregistré : client_id {client.client_id}")
    if secret:
        click.echo(f"Secret (affiché une seule fois) : {secret}")


@clients_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_command(as_json: bool) -> None:
    rows = [client_service.describe(c) for c in client_service.list_clients()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        trusted = "de confiance" if row["trusted"] else "avec consentement"
        click.echo(
            f"{row['client_id']}  {row['name']}  ({row['auth_method']}, {trusted})  {row['scope']}"
        )


@clients_group.command("show")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def show_command(client_id: str, as_json: bool) -> None:
    try:
        data = client_service.describe(client_service.get_client(client_id))
    except DomainError as error:
        _fail(error)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        click.echo(f"{key}: {value}")


@clients_group.command("remove")
@click.argument("client_id")
@with_appcontext
def remove_command(client_id: str) -> None:
    """Remove a service and everything issued to it."""
    try:
        client_service.remove_client(client_id)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Service {client_id} supprimé.")


@click.group("sessions")
def sessions_group() -> None:
    """Parents' sign-in sessions."""


@sessions_group.command("revoke")
@click.option("--school", "school_uai", help="UAI of the school whose parents are signed out.")
@click.option("--all", "everyone", is_flag=True, help="Everyone (the safety switch).")
@with_appcontext
def revoke_command(school_uai: str | None, everyone: bool) -> None:
    """End sessions and revoke tokens; every service reached gets a logout token."""
    if bool(school_uai) == everyone:
        raise click.UsageError("Choisissez --school UAI ou --all.")
    try:
        count, token_count, deliveries = logout.revoke_sessions(
            now=utcnow(), school_uai=school_uai, everyone=everyone
        )
    except LookupError:
        raise click.ClickException(f"Aucune école avec l'UAI {school_uai}.") from None
    db.session.commit()
    logout.dispatch(deliveries)
    click.echo(
        f"{count} session(s) fermée(s), {token_count} jeton(s) révoqué(s), "
        f"{len(deliveries)} service(s) à prévenir."
    )


@sessions_group.command("purge")
@click.option("--keep-days", default=1, show_default=True)
@with_appcontext
def purge_command(keep_days: int) -> None:
    """Delete codes and tokens expired for more than KEEP_DAYS, and known browsers
    unseen for longer than their cookie lives (run it daily)."""
    now = utcnow()
    counts = tokens.purge_expired(now=now, keep_days=keep_days)
    counts["known_browsers"] = devices.forget_expired(now=now)
    db.session.commit()
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))
