"""The `guichet` command: every operator task, on Flask's CLI.

Each area adds its own group here (`registry`, `demo`, `clients`, `keys`,
`directors`, `stats`, `outbox`…); they call the same service functions as the
web pages.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup
from flask.cli import with_appcontext


def _create_app():
    from idp import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Guichet: operator commands."""


def register_commands(app: Flask) -> None:
    from admin.cli import register as register_admin
    from federation.cli import franceconnect_group
    from idp.oidc_cli import clients_group
    from idp.oidc_cli import sessions_group
    from keys.cli import keys_group
    from messaging.cli import outbox_command
    from messaging.cli import worker_command
    from registry.cli import demo_group
    from registry.cli import registry_group

    app.cli.add_command(db_group)
    app.cli.add_command(registry_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(clients_group)
    app.cli.add_command(sessions_group)
    app.cli.add_command(keys_group)
    app.cli.add_command(outbox_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(franceconnect_group)
    register_admin(app)


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema to REVISION (default: the latest)."""
    from idp.migrations import upgrade

    upgrade(revision)
    click.echo(f"Schéma de la base à jour ({revision}).")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Roll the schema back to REVISION."""
    from idp.migrations import downgrade

    downgrade(revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
@with_appcontext
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration from the difference between the models and the database."""
    from idp.migrations import revision

    revision(message, autogenerate=autogenerate)


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the schema revision of the database."""
    from idp.migrations import current

    current()
