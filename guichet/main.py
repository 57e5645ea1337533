"""The `guichet` console script: Flask's CLI on the application the roof builds."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from guichet import create_app


@click.group(cls=FlaskGroup, create_app=create_app)
def main() -> None:
    """Guichet: operator commands."""
