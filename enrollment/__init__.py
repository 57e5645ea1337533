"""Parent journeys (SPEC §6, issue 5): activation of a distributed account, SMS
self-registration, lost identifier and password (blueprint `enrollment`), and the
parent's account page with its changes and merges (blueprint `account`)."""

from flask import Blueprint

bp = Blueprint("enrollment", __name__, template_folder="templates")
account_bp = Blueprint("account", __name__, template_folder="templates", url_prefix="/compte")

from enrollment import account_views  # noqa: E402, F401
from enrollment import connections_views  # noqa: E402, F401
from enrollment import personal_data_views  # noqa: E402, F401
from enrollment import recovery_views  # noqa: E402, F401
from enrollment import register_views  # noqa: E402, F401
from enrollment import views  # noqa: E402, F401
