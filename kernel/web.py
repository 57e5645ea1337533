"""The frame every page shares: the base template and the shared macros
(`kernel/templates/`: `base.html`, `macros/forms.html`, the email layout), the State
design system's files (installed from npm by the setup command, never committed),
the liveness and readiness probes, and the door every request passes (NUL bytes)."""

from __future__ import annotations

import logging

from flask import Blueprint
from flask import Flask
from flask import abort
from flask import current_app
from flask import request
from flask import send_from_directory
from prometheus_client.core import GaugeMetricFamily
from redis import RedisError
from sqlalchemy.exc import SQLAlchemyError

from kernel import redis_client
from kernel import runtime
from kernel.extensions import db

log = logging.getLogger("guichet.web")

bp = Blueprint("kernel", __name__, template_folder="templates")

ACCOUNT_SECTIONS_KEY = "guichet.account_sections"
SIGN_IN_SECTIONS_KEY = "guichet.sign_in_sections"


@bp.route("/dsfr/<path:filename>")
def dsfr_asset(filename: str):
    return send_from_directory(runtime.settings().dsfr_dist, filename, max_age=86400)


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers (a dependency down is /readyz's business)."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Readiness: each dependency answers; 503 naming the one that does not, so a load
    balancer stops sending parents to a node that cannot serve them."""
    checks = {"database": _database_answers()}
    if runtime.settings().redis_url:
        checks["redis"] = _redis_answers()
    for name, check in current_app.extensions.get(READINESS_CHECKS_KEY, {}).items():
        checks[name] = check()
    ready = all(state == "ok" for state in checks.values())
    return checks, 200 if ready else 503


# Checks the process that serves adds ("server": "stopping" while `guichet serve`
# drains before a stop): name -> function answering "ok" or what is wrong.
READINESS_CHECKS_KEY = "guichet.readiness_checks"


def add_readiness_check(app: Flask, name: str, check) -> None:
    app.extensions.setdefault(READINESS_CHECKS_KEY, {})[name] = check


def readiness_families() -> list[GaugeMetricFamily]:
    """/readyz's checks on /metrics (`guichet_ready`), read at scrape time, so that an
    alert sees a node that answers Prometheus but not parents."""
    ready = GaugeMetricFamily(
        "guichet_ready",
        "1 when the dependency answers this node (as /readyz checks it), else 0.",
        labels=["dependency"],
    )
    ready.add_metric(["database"], 1.0 if _database_answers() == "ok" else 0.0)
    if runtime.settings().redis_url:
        ready.add_metric(["redis"], 1.0 if _redis_answers() == "ok" else 0.0)
    return [ready]


def _database_answers() -> str:
    try:
        db.session.execute(db.text("SELECT 1"))
    except SQLAlchemyError:
        log.exception("readiness: the database does not answer")
        db.session.rollback()
        return "unreachable"
    return "ok"


def _redis_answers() -> str:
    try:
        redis_client.connection().ping()
    except RedisError:
        log.warning("readiness: Redis does not answer", exc_info=True)
        return "unreachable"
    return "ok"


# Requests whose answer is JSON for a program (OAuth endpoints), not a page: a
# malformed request gets a JSON error there (areas register them at start-up).
JSON_ENDPOINTS_KEY = "guichet.json_endpoints"


def add_json_endpoints(app: Flask, *endpoints: str) -> None:
    app.extensions.setdefault(JSON_ENDPOINTS_KEY, set()).update(endpoints)


@bp.before_app_request
def refuse_nul_bytes():
    """A NUL byte is never in a name, a password or a code, and PostgreSQL refuses it
    in text: answer 400 at the door (a French page, or an OAuth error for programs)
    instead of a 500 from the database."""
    values = [*request.args.items(multi=True), *request.form.items(multi=True)]
    values += [(key, str(value)) for key, value in (request.view_args or {}).items()]
    if not any("\x00" in key or "\x00" in value for key, value in values):
        return None
    if request.endpoint in current_app.extensions.get(JSON_ENDPOINTS_KEY, ()):
        body = {"error": "invalid_request", "error_description": "NUL byte in the request"}
        return body, 400
    abort(400)


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


def add_sign_in_section(app: Flask, template: str) -> None:
    """An area offers another way in on the sign-in page (passkeys): the page includes
    `template` (with `next_url` in its context) without naming the area that owns it."""
    sections = app.extensions.setdefault(SIGN_IN_SECTIONS_KEY, [])
    if template not in sections:
        sections.append(template)


def sign_in_sections() -> list[str]:
    return current_app.extensions.get(SIGN_IN_SECTIONS_KEY, [])
