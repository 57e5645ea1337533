"""FranceConnect federation (SPEC §4, §6.4): the upstream OpenID Connect client,
the first-sign-in linking journey and the mock FranceConnect of the demo."""

from flask import Blueprint

bp = Blueprint("federation", __name__, template_folder="templates", url_prefix="/franceconnect")

from federation import logout  # noqa: E402,F401  (sign-out routes)
from federation import views  # noqa: E402,F401  (routes attach to bp)
