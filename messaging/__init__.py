"""Messaging: SMS and email for every area (templates under templates/messages/)."""

from flask import Blueprint

bp = Blueprint("messaging", __name__, template_folder="templates")

from messaging import views  # noqa: E402, F401  (routes of the development outbox)
