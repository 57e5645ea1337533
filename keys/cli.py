"""`guichet keys generate|rotate|list|retire`: the operator's side of keys.services."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from keys import services


def key_box():
    return current_app.extensions["guichet.keybox"]


def _describe(key) -> dict:
    return {
        "kid": key.kid,
        "alg": key.alg,
        "status": str(key.status),
        "created_at": key.created_at.isoformat(timespec="seconds"),
        "activated_at": key.activated_at.isoformat(timespec="seconds")
        if key.activated_at
        else None,
        "retired_at": key.retired_at.isoformat(timespec="seconds") if key.retired_at else None,
    }


def _fail(error: DomainError):
    db.session.rollback()
    raise click.ClickException(str(error.message))


@click.group("keys")
def keys_group() -> None:
    """Signing keys of the OpenID Connect provider."""


@keys_group.command("generate")
@click.option("--alg", type=click.Choice(services.ALGORITHMS), default=None)
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def generate_command(alg: str | None, as_json: bool) -> None:
    """Create a key: current if there is none, otherwise the next one (published, not signing)."""
    settings = current_app.extensions["guichet.settings"]
    try:
        key = services.generate(alg or settings.oidc.signing_alg, box=key_box(), now=utcnow())
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(
        json.dumps(_describe(key)) if as_json else f"Clé {key.kid} ({key.alg}) : {key.status}."
    )


@keys_group.command("ensure")
@with_appcontext
def ensure_command() -> None:
    """Make sure a current and a next key exist (idempotent; used by `make demo`)."""
    settings = current_app.extensions["guichet.settings"]
    key = services.ensure_current(settings.oidc.signing_alg, box=key_box(), now=utcnow())
    db.session.commit()
    click.echo(f"Clé courante : {key.kid} ({key.alg}).")


@keys_group.command("rotate")
@click.option("--alg", type=click.Choice(services.ALGORITHMS), default=None)
@with_appcontext
def rotate_command(alg: str | None) -> None:
    """The next key starts signing, the current one is retired, a new next key is published."""
    try:
        current, upcoming = services.rotate(box=key_box(), now=utcnow(), alg=alg)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Clé courante : {current.kid} ({current.alg}) ; suivante : {upcoming.kid}.")


@keys_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_command(as_json: bool) -> None:
    """Every key with its status and dates."""
    rows = [_describe(key) for key in services.all_keys()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['kid']}  {row['alg']}  {row['status']:<9}  créée {row['created_at']}")


@keys_group.command("retire")
@click.argument("kid")
@click.option("--withdraw", is_flag=True, help="Remove it from the JWKS at once (compromised key).")
@with_appcontext
def retire_command(kid: str, withdraw: bool) -> None:
    """Retire a key that is not current (it stays published a few days unless --withdraw)."""
    try:
        key = services.retire(kid, now=utcnow(), withdraw=withdraw)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Clé {key.kid} : {key.status}.")
