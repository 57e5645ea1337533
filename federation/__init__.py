"""FranceConnect federation (SPEC §4, §6.4): the upstream OpenID Connect client,
and the first-sign-in linking journey."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from federation.personal_data import franceconnect_links
from kernel.personal_data import add_personal_data
from kernel.web import add_account_section

bp = Blueprint("federation", __name__, template_folder="templates", url_prefix="/franceconnect")
# The parent's account page shows the FranceConnect links and the way to add one.
bp.record_once(lambda state: add_account_section(state.app, "federation/_account_links.html"))
# «Mes données» lists them too (issue 17).
bp.record_once(
    lambda state: add_personal_data(
        state.app, "franceconnect", _l("Liaisons FranceConnect"), franceconnect_links
    )
)

from federation import logout  # noqa: E402,F401  (sign-out routes)
from federation import views  # noqa: E402,F401  (routes attach to bp)
