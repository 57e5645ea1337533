"""FranceConnect federation (SPEC §4, §6.4): the upstream OpenID Connect client,
and the first-sign-in linking journey."""

from flask import Blueprint

from kernel.web import add_account_section

bp = Blueprint("federation", __name__, template_folder="templates", url_prefix="/franceconnect")
# The parent's account page shows the FranceConnect links and the way to add one.
bp.record_once(lambda state: add_account_section(state.app, "federation/_account_links.html"))

from federation import logout  # noqa: E402,F401  (sign-out routes)
from federation import views  # noqa: E402,F401  (routes attach to bp)
