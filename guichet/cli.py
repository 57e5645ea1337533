"""The `guichet` command: every operator task, on Flask's CLI.

Each area brings its own group (`registry`, `clients`, `sessions`, `keys`,
`directors`, `stats`, `outbox`, `franceconnect`); they call the same service
functions as the web pages. The roof adds the schema (`db`) and the worker of every area's due work.
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
from kernel import metrics
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


def _host_port(_ctx, _param, value: str | None) -> str | None:
    host, _, port = (value or "").rpartition(":")
    if value is not None and not (host and port.isdigit() and 0 < int(port) < 65536):
        raise click.BadParameter("attendu HOTE:PORT, par exemple 0.0.0.0:9101")
    return value


@click.command("worker")
@click.option("--once", is_flag=True, help="Une seule passe, puis s'arrêter (cron).")
@click.option(
    "--poll", type=click.FloatRange(min=0.1), default=1.0, show_default=True,
    help="Secondes entre deux passes quand rien n'est à faire.",
)  # fmt: skip
@click.option(
    "--metrics", "metrics_address", metavar="HOST:PORT", callback=_host_port,
    help="Exposer les compteurs du worker pour Prometheus sur cette adresse.",
)  # fmt: skip
@with_appcontext
def worker_command(once: bool, poll: float, metrics_address: str | None) -> None:
    """Send what is due: messages (first attempts of bulk sends, every retry) and
    back-channel logout tokens. Runs until SIGTERM/SIGINT; several may run at once."""
    if metrics_address:
        metrics.serve_process_metrics(metrics_address)
    if once:
        done = jobs.run_once()
        click.echo(", ".join(f"{name} : {count} envoi(s) tenté(s)" for name, count in done.items()))
        return
    click.echo("Worker démarré (Ctrl-C pour l'arrêter).")
    jobs.run_worker(poll_seconds=poll)


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
