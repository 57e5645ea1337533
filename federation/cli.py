"""`guichet franceconnect link|unlink`: the operators' side of FranceConnect links."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from accounts.models import Account
from federation import services
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from registry.models import Guardian


@click.group("franceconnect")
def franceconnect_group() -> None:
    """FranceConnect federation."""


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
    link = services.unlink_by_operator(sub, now=utcnow())
    if link is None:
        raise click.ClickException("Aucune liaison pour cette identité FranceConnect.")
    db.session.commit()
    click.echo(f"Liaison de {sub} supprimée.")
