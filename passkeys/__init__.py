"""Passkeys (WebAuthn) as a second way in (issue 17): registered from the parent's
account page, offered on the sign-in page."""

from flask import Blueprint

from kernel.web import add_account_section
from kernel.web import add_sign_in_section

bp = Blueprint(
    "passkeys",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/passkeys/static",
)
# The account page lists the parent's passkeys; the sign-in page offers them.
bp.record_once(lambda state: add_account_section(state.app, "passkeys/_account_section.html"))
bp.record_once(lambda state: add_sign_in_section(state.app, "passkeys/_sign_in.html"))

from passkeys import views  # noqa: E402,F401  (routes attach to bp)
