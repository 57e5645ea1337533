"""Accessors for the per-application services built by `create_app`.

Views and CLI commands fetch them here and pass them to domain functions as
arguments; domain modules never import this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

from kernel.config import Settings

if TYPE_CHECKING:  # the service is built by the roof; the kernel imports no area
    from accounts.passwords import PasswordService


def settings() -> Settings:
    return current_app.extensions["guichet.settings"]


def passwords() -> PasswordService:  # noqa: F821
    return current_app.extensions["guichet.passwords"]
