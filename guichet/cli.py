"""The `guichet` command: every operator task, on Flask's CLI.

Each area brings its own group (`registry`, `clients`, `sessions`, `keys`,
`directors`, `stats`, `outbox`, `franceconnect`); they call the same service
functions as the web pages. The roof adds the schema (`db`) and the job worker.
The demo's commands (`guichet demo …`) join through the `flask.commands` entry
point, so that no production module imports the demo package.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from admin.cli import directors_group
from admin.cli import stats_group
from federation.cli import franceconnect_group
from guichet import migrations
from idp.oidc_cli import clients_group
from idp.oidc_cli import sessions_group
from kernel import jobs
from keys.cli import keys_group
from messaging.cli import outbox_command
from registry_import.cli import registry_group

AREA_COMMANDS = (
    registry_group,
    clients_group,
    sessions_group,
    keys_group,
    outbox_command,
    franceconnect_group,
    directors_group,
    stats_group,
)


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(worker_command)
    for command in AREA_COMMANDS:
        app.cli.add_command(command)


@click.command("worker")
@click.option("--burst", is_flag=True, help="S'arrêter quand la file est vide.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run the queued jobs (emails, bulk sends, back-channel logouts) and their
    retries (needs REDIS_URL); runs until stopped."""
    queue = jobs.queue()
    if queue is None:
        raise click.ClickException(
            "REDIS_URL n'est pas configuré : sans file d'attente, les messages sont envoyés "
            "directement par le service et aucun worker n'est nécessaire."
        )
    click.echo(f"Worker de la file « {queue.name} » démarré.")
    jobs.run_worker(burst=burst)


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema to REVISION (default: the latest)."""
    migrations.upgrade(revision)
    click.echo(f"Schéma de la base à jour ({revision}).")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Roll the schema back to REVISION."""
    migrations.downgrade(revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
@with_appcontext
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration from the difference between the models and the database."""
    migrations.revision(message, autogenerate=autogenerate)


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the schema revision of the database."""
    migrations.current()
