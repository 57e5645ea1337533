"""Messaging: SMS and email for every area (templates under templates/messages/)."""

from flask import Blueprint

bp = Blueprint("messaging", __name__, template_folder="templates")
