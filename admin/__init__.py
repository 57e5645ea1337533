"""The directors' console (SPEC §5, 004 §2–§6): blueprint only."""

from flask import Blueprint

bp = Blueprint(
    "admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static"
)

from admin import views  # noqa: E402, F401  (routes)
