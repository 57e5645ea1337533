"""The directors' console (SPEC §5, 004 §2–§6): blueprint only.

Its routes live in one module per job (`*_views.py`), on the page frame of
`admin.frame`; importing them here registers them on the blueprint.
"""

from flask import Blueprint

bp = Blueprint(
    "admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static"
)

from admin import account_views  # noqa: E402, F401
from admin import journal_views  # noqa: E402, F401
from admin import notify_views  # noqa: E402, F401
from admin import reset_views  # noqa: E402, F401
from admin import search_views  # noqa: E402, F401
from admin import sign_in_views  # noqa: E402, F401
from admin import statistics_views  # noqa: E402, F401
