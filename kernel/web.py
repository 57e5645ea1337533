"""The frame every page shares: the base template and the shared macros
(`kernel/templates/`: `base.html`, `macros/forms.html`, the email layout), the State
design system's files (installed from npm by the setup command, never committed),
and the liveness probe."""

from __future__ import annotations

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import send_from_directory

from kernel import runtime
from kernel.extensions import db

bp = Blueprint("kernel", __name__, template_folder="templates")

ACCOUNT_SECTIONS_KEY = "guichet.account_sections"


@bp.route("/dsfr/<path:filename>")
def dsfr_asset(filename: str):
    return send_from_directory(runtime.settings().dsfr_dist, filename, max_age=86400)


@bp.get("/healthz")
def healthz():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}


def external_url(endpoint: str, **values) -> str:
    """An absolute address on PUBLIC_URL (never the request's Host header), usable from
    the console, the CLI and jobs as well as from a page."""
    public = runtime.settings().public_url.rstrip("/")
    scheme, _, rest = public.partition("://")
    host, _, script = rest.partition("/")
    adapter = current_app.url_map.bind(
        host, url_scheme=scheme, script_name="/" + script if script else None
    )
    return adapter.build(endpoint, values, force_external=True)


def product_context() -> dict:
    """What every message says of the product: its name, address and help page."""
    product = runtime.settings().product
    return {"product": product, "service_url": product.service_url, "help_url": product.help_url}


def add_account_section(app: Flask, template: str) -> None:
    """An area shows a block of its own on the parent's account page (FranceConnect's
    links): the page includes `template` without naming the area that owns it."""
    sections = app.extensions.setdefault(ACCOUNT_SECTIONS_KEY, [])
    if template not in sections:
        sections.append(template)


def account_sections() -> list[str]:
    return current_app.extensions.get(ACCOUNT_SECTIONS_KEY, [])
