"""Guichet's roof: the application factory, the only place that knows every area.

`create_app()` reads the settings once, then runs a short list of `setup_*`
steps; `gunicorn 'guichet:create_app()'` serves the whole service. Nothing imports
this package (lint-imports checks it): areas reach the application through
`flask.current_app` and the kernel's accessors.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from jinja2 import StrictUndefined
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from accounts.passwords import PasswordService
from admin import bp as admin_bp
from enrollment import account_bp as enrollment_account_bp
from enrollment import bp as enrollment_bp
from federation import bp as federation_bp
from guichet import models  # noqa: F401  (every table known to the metadata)
from guichet.cli import register_commands
from idp.provider import setup_provider
from idp.views import bp as idp_bp
from kernel import jobs
from kernel import languages
from kernel import logs
from kernel import metrics
from kernel import request_ids
from kernel import web
from kernel.config import Settings
from kernel.db_pool import ping_idle_connections
from kernel.error_pages import setup_error_pages
from kernel.extensions import babel
from kernel.extensions import csrf
from kernel.extensions import db
from kernel.extensions import limiter
from kernel.redis_client import setup_redis
from kernel.secretbox import SecretBox
from messaging import bp as messaging_bp
from messaging.backends import build_transports
from messaging.backlog import setup_backlog
from messaging.dispatch import setup_dispatch
from messaging.worker import setup_worker
from passkeys import bp as passkeys_bp
from registry_import.metrics import setup_import_metrics

TRANSLATIONS = Path(__file__).resolve().parent.parent / "kernel" / "translations"


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Build the service. `config` overrides environment settings (tests, scripts)."""
    overrides = dict(config or {})
    app = web.App(__name__, instance_path=str(_instance_path(overrides)))
    environ = {**os.environ, **{k: str(v) for k, v in overrides.items() if v is not None}}
    settings = Settings.from_env(environ, Path(app.instance_path))
    setup_config(app, settings, overrides)
    setup_logging(app, settings)
    setup_observability(app, settings)
    setup_database(app)
    setup_security(app, settings)
    setup_babel(app)
    setup_services(app, settings)
    setup_web(app, settings)
    return app


def _instance_path(overrides: Mapping[str, object]) -> Path:
    raw = overrides.get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH")
    return Path(str(raw)) if raw else Path.cwd() / "instance"


def setup_config(app: Flask, settings: Settings, overrides: Mapping[str, object]) -> None:
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url),
        SESSION_COOKIE_NAME="guichet_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_STORAGE_OPTIONS={
            "socket_timeout": settings.redis_timeout_seconds,
            "socket_connect_timeout": settings.redis_timeout_seconds,
        },
        # Redis unreachable: each process counts on its own until Redis answers again.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_HEADERS_ENABLED=True,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.config.update({k: v for k, v in overrides.items() if k.isupper()})
    app.extensions["guichet.settings"] = settings


def _engine_options(url: str) -> dict:
    """A connection PostgreSQL dropped (a restart, a failover) is replaced before a
    request uses it (kernel.db_pool pings connections idle for more than a second,
    set up in `setup_database`), so no request fails once the server is back."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_recycle": 300, "pool_size": 10, "max_overflow": 10}


def setup_logging(app: Flask, settings: Settings) -> None:
    logs.setup_logging(settings.log_format)
    limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, LoudLimiterFallback) for f in limiter_log.filters):
        limiter_log.addFilter(LoudLimiterFallback())


class LoudLimiterFallback(logging.Filter):
    """Flask-Limiter says «falling back to in-memory storage» as a warning; an operator
    must not miss that the limits now count per process: it becomes an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "falling back to in-memory" in record.getMessage():
            record.levelno, record.levelname = logging.ERROR, "ERROR"
            record.msg = (
                "Redis unreachable: rate limits now count in each process's memory "
                "until Redis answers again"
            )
            record.args = ()
        return True


def setup_observability(app: Flask, settings: Settings) -> None:
    """Request ids, metrics and (JSON) access lines: first of the request hooks, so
    that a request another hook refuses is still counted and logged with its id."""
    request_ids.setup_request_ids(app)
    metrics.setup_metrics(
        app, token=settings.metrics_token, multiprocess_dir=settings.metrics_multiprocess_dir
    )
    metrics.add_source(app, web.readiness_families)
    if settings.log_format == "json":
        logs.setup_access_log(app)


def setup_database(app: Flask) -> None:
    db.init_app(app)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            ping_idle_connections(db.engine)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():

            @event.listens_for(db.engine, "connect")
            def _sqlite_pragmas(dbapi_connection, _record):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.close()


def setup_security(app: Flask, settings: Settings) -> None:
    csrf.init_app(app)
    limiter.init_app(app)
    if settings.trusted_proxy_hops:
        # The client address (rate limits, logs) from X-Forwarded-For, trusting only
        # as many hops as there are proxies of ours; without it the header is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxy_hops)

    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self' http: https:"
        ),
    }
    if settings.secure_cookies:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    security_headers = tuple((name.lower(), name, value) for name, value in headers.items())

    @app.after_request
    @web.for_machines_too
    def _security_headers(response):
        """Every response gets them, unless the view set its own (names read once)."""
        present = {name.lower() for name, _ in response.headers.items()}
        for key, name, value in security_headers:
            if key not in present:
                response.headers.add(name, value)
        return response

    app.session_interface = CachedSerializerSessionInterface()


class CachedSerializerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its serializer built once per secret key
    instead of on every request (a tenth of a request's cost on the machine
    endpoints, which carry no cookie at all)."""

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = getattr(self, "_serializer", None)
        if cached is None or cached[0] != keys:
            self._serializer = (keys, super().get_signing_serializer(app))
        return self._serializer[1]


def setup_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "fr")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Paris")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=languages.select_locale)
    # The directors' console (and its letters) and the development outbox stay French.
    languages.keep_french(app, "admin", "/admin")
    languages.keep_french(app, "messaging", "/dev")


def setup_services(app: Flask, settings: Settings) -> None:
    box = SecretBox(settings.data_encryption_key, settings.secret_key)
    app.extensions["guichet.passwords"] = PasswordService(settings.argon2, box, settings.passwords)
    setup_redis(app, url=settings.redis_url, timeout=settings.redis_timeout_seconds)
    jobs.setup_jobs(app)
    setup_dispatch(app, build_transports(settings.messaging))
    setup_worker(app)
    setup_backlog(app)
    setup_import_metrics(app)
    setup_oidc(app, settings)


def setup_oidc(app: Flask, settings: Settings) -> None:
    """The OpenID Connect provider (idp.provider) and its signing-key box (keys/)."""
    oidc = settings.oidc
    keybox = SecretBox(
        oidc.signing_keys_encryption_key or settings.data_encryption_key, settings.secret_key
    )
    salt = (oidc.pairwise_salt or "pairwise:" + settings.secret_key).encode()
    setup_provider(app, oidc, keybox, hashlib.sha256(salt).digest())


def setup_web(app: Flask, settings: Settings) -> None:
    if app.config.get("TESTING"):
        app.jinja_env.undefined = StrictUndefined
    app.jinja_env.globals["product"] = settings.product
    setup_error_pages(app)
    web.setup_static_files(app, settings.dsfr_dist)
    for blueprint in (
        web.bp,
        languages.bp,
        messaging_bp,
        idp_bp,
        enrollment_bp,
        enrollment_account_bp,
        federation_bp,
        passkeys_bp,
        admin_bp,
    ):
        app.register_blueprint(blueprint)
    metrics.initialise_endpoints(app)
    register_commands(app)
