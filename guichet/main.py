"""The `guichet` console script: Flask's CLI on the application the roof builds.

An operator never reads a raw traceback: a failure a command did not turn into its
own French message ends with one saying what happened and what to do (the
traceback only with GUICHET_DEBUG=1)."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import FlaskGroup
from redis import RedisError
from sqlalchemy.exc import SQLAlchemyError

from guichet import create_app
from guichet.serving import serve_command

DATABASE_FAILED = (
    "La base de données n'a pas répondu ou a refusé l'opération ({error}). Ce qui était en "
    "cours a été annulé : rien n'a été modifié. Vérifiez DATABASE_URL et que la base "
    "fonctionne, puis relancez la commande."
)
REDIS_FAILED = (
    "Redis n'a pas répondu ({error}). Vérifiez REDIS_URL et que Redis fonctionne, puis "
    "relancez la commande."
)
UNEXPECTED = (
    "Erreur inattendue ({error}). Relancez la commande avec GUICHET_DEBUG=1 pour le détail "
    "technique, et transmettez-le à l'équipe d'exploitation."
)


class GuichetGroup(FlaskGroup):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as error:
            if os.environ.get("GUICHET_DEBUG"):
                raise
            click.echo(_french(error), err=True)
            sys.exit(1)


def _french(error: Exception) -> str:
    summary = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    if isinstance(error, SQLAlchemyError):
        return DATABASE_FAILED.format(error=summary)
    if isinstance(error, RedisError):
        return REDIS_FAILED.format(error=summary)
    return UNEXPECTED.format(error=summary)


@click.group(cls=GuichetGroup, create_app=create_app)
def main() -> None:
    """Guichet: operator commands."""


# Not an application command: the server's workers build their own applications.
main.add_command(serve_command)
