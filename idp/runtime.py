"""Accessors for the per-application services built by `create_app`.

Views and CLI commands fetch them here and pass them to domain functions as
arguments; domain modules never import this module.
"""

from __future__ import annotations

from flask import current_app

from accounts.passwords import PasswordService
from idp.config import Settings


def settings() -> Settings:
    return current_app.extensions["guichet.settings"]


def passwords() -> PasswordService:
    return current_app.extensions["guichet.passwords"]
