"""The frame every page shares: the base template and the shared macros
(`kernel/templates/`: `base.html`, `macros/forms.html`, the email layout), the State
design system's files (installed from npm by the setup command, never committed),
the liveness and readiness probes, and the door every request passes (NUL bytes)."""

from __future__ import annotations

import functools
import json
import logging
import sys
from pathlib import Path

from flask import Blueprint
from flask import Flask
from flask import abort
from flask import current_app
from flask import request
from flask import send_from_directory
from flask.globals import request_ctx
from flask.signals import request_tearing_down
from prometheus_client.core import GaugeMetricFamily
from redis import RedisError
from sqlalchemy.exc import SQLAlchemyError
from whitenoise import WhiteNoise

from kernel import redis_client
from kernel import runtime
from kernel.extensions import db

log = logging.getLogger("guichet.web")

bp = Blueprint(
    "kernel",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/kernel",
)

ACCOUNT_SECTIONS_KEY = "guichet.account_sections"
SIGN_IN_SECTIONS_KEY = "guichet.sign_in_sections"


bp.record_once(lambda state: add_machine_endpoints(state.app, "kernel.healthz", "kernel.readyz"))


# Static files: WhiteNoise serves them before Flask sees the request, gzip or Brotli
# when the browser accepts it (the files compressed once by `make setup`). The DSFR's
# addresses carry its version (/dsfr/1.15.3/…), so a browser keeps them a year and an
# upgrade changes every address; Guichet's own few files are kept an hour.
VERSIONED_MAX_AGE = 365 * 24 * 3600
STATIC_MAX_AGE = 3600
STATIC_FOLDER = Path(__file__).resolve().parent / "static"


def dsfr_version(dist: Path) -> str:
    """The installed DSFR's version (its package.json beside `dist/`)."""
    try:
        return json.loads((dist.parent / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return "dev"


def setup_static_files(app: Flask, dist: Path) -> None:
    version = dsfr_version(dist)
    app.extensions["guichet.dsfr_version"] = version
    served = _static_server(app.wsgi_app, version)
    # The files found by one scan per process (2,500 in the DSFR: most of a second),
    # not one per application built (the tests build hundreds).
    served.files = _catalogue(str(dist), version).files
    app.wsgi_app = served


def _static_server(application, version: str) -> WhiteNoise:
    prefix = f"/dsfr/{version}/"
    return WhiteNoise(
        application,
        max_age=STATIC_MAX_AGE,
        immutable_file_test=lambda _path, url: url.startswith(prefix),
    )


@functools.cache
def _catalogue(dist: str, version: str) -> WhiteNoise:
    files = _static_server(None, version)
    files.add_files(dist, prefix=f"/dsfr/{version}/")
    files.add_files(str(STATIC_FOLDER), prefix=bp.static_url_path + "/")
    return files


@bp.app_url_defaults
def _dsfr_version(endpoint: str, values: dict) -> None:
    if endpoint == "kernel.dsfr_asset":
        values.setdefault("version", current_app.extensions.get("guichet.dsfr_version", "dev"))


@bp.route("/dsfr/<version>/<path:filename>")
def dsfr_asset(version: str, filename: str):
    """Only reached for a file WhiteNoise does not know (none in a normal install)."""
    return send_from_directory(runtime.settings().dsfr_dist, filename, max_age=STATIC_MAX_AGE)


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


# Endpoints only programs call (token, userinfo, JWKS…): no browser session, no
# CSRF, no rate limit, so they skip the browser's shell (`App`).
MACHINE_ENDPOINTS_KEY = "guichet.machine_endpoints"


def add_machine_endpoints(app: Flask, *endpoints: str) -> None:
    app.extensions.setdefault(MACHINE_ENDPOINTS_KEY, set()).update(endpoints)


def for_machines_too(hook):
    """Mark an application-wide before/after-request hook that machine endpoints run too."""
    hook.guichet_for_machines = True
    return hook


_UNSET = object()


class App(Flask):
    """Flask, with the machine endpoints (`add_machine_endpoints`) skipping the shell
    pages need: of the application's before-, after- and teardown-request hooks they
    run only those marked `for_machines_too` (the NUL-byte door, the security
    headers), and no session cookie is written for them. The hooks skipped (CSRF,
    Flask-Limiter's bookkeeping) had nothing to do there, those views being exempt
    from both: they were a third of a token or userinfo request's cost
    (docs/benchmarks.md)."""

    def _is_machine_request(self) -> bool:
        return request.endpoint in self.extensions.get(MACHINE_ENDPOINTS_KEY, ())

    def preprocess_request(self):
        if not self._is_machine_request():
            return super().preprocess_request()
        for name in (None, *reversed(request.blueprints)):
            for hook in self.before_request_funcs.get(name, ()):
                if getattr(hook, "guichet_for_machines", False):
                    answer = hook()
                    if answer is not None:
                        return answer
        return None

    def process_response(self, response):
        if not self._is_machine_request():
            return super().process_response(response)
        for hook in request_ctx._after_request_functions:
            response = hook(response)
        for name in (*request.blueprints, None):
            for hook in reversed(self.after_request_funcs.get(name, ())):
                if getattr(hook, "guichet_for_machines", False):
                    response = hook(response)
        return response  # a program gets no session cookie

    def do_teardown_request(self, exc=_UNSET) -> None:
        if not self._is_machine_request():
            super().do_teardown_request(*(() if exc is _UNSET else (exc,)))
            return
        if exc is _UNSET:
            exc = sys.exc_info()[1]
        for name in (*request.blueprints, None):
            for hook in reversed(self.teardown_request_funcs.get(name, ())):
                if getattr(hook, "guichet_for_machines", False):
                    hook(exc)
        request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)


FORM_TYPES = frozenset(("application/x-www-form-urlencoded", "multipart/form-data"))


@bp.before_app_request
@for_machines_too
def refuse_nul_bytes():
    """A NUL byte is never in a name, a password or a code, and PostgreSQL refuses it
    in text: answer 400 at the door (a French page, or an OAuth error for programs)
    instead of a 500 from the database."""
    values = [(key, str(value)) for key, value in (request.view_args or {}).items()]
    if request.query_string:
        values += request.args.items(multi=True)
    if request.mimetype in FORM_TYPES:  # the only bodies request.form reads
        values += request.form.items(multi=True)
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
