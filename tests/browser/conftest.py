"""The browser suite: headless Chromium (Playwright) against the whole demo, served
over real HTTP in this process: Guichet, the two demo services of examples/ and the
mock FranceConnect, on free ports, with the demo data (`guichet demo seed`).

One browser and one set of servers per pytest worker (session scope), on a database
of their own, so the rest of the suite's per-test clean-up never touches them; each
test opens a fresh browser context (no cookies) and uses demo parents no other
browser test changes. Without a Chromium these tests are skipped, saying how to get
one; `CHROMIUM=/path/to/chrome` picks another.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from demo.cli import demo_group
from demo.cli import guichet_client
from demo.franceconnect import create_mock_app
from demo.franceconnect import load_identities
from demo.services import demo_services
from demo.services import ensure_registered
from examples.relying_party import create_app as create_service
from guichet import create_app
from guichet.migrations import upgrade
from kernel.clock import utcnow
from kernel.extensions import db
from kernel.extensions import limiter
from tests.browser.pages import Checker
from tests.databases import recreate_postgres_database

FC_ALINE = "fc-demo-aline-rousseau"
HOW_TO_GET_ONE = (
    "no Chromium found for the browser tests: `apt-get install -y chromium` "
    "(Debian), or set CHROMIUM=/path/to/chromium"
)


def chromium_path() -> str | None:
    """Debian's Chromium (or another one named by CHROMIUM); Playwright drives it
    through its `executable_path`, so no browser download is needed."""
    named = os.environ.get("CHROMIUM")
    if named:
        return named if Path(named).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def pytest_report_header(config) -> str:
    found = chromium_path()
    return f"browser tests: {found}" if found else f"browser tests SKIPPED: {HOW_TO_GET_ONE}"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch arguments, with the browser found here."""
    found = chromium_path()
    if not found:
        pytest.skip(HOW_TO_GET_ONE)
    return {**browser_type_launch_args, "executable_path": found}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "locale": "fr-FR"}


@dataclass
class Site:
    """Every address of the demo and the Guichet app (for reading the database)."""

    app: object
    guichet: str
    livret: str
    inscription: str
    franceconnect: str

    def query(self, statement):
        with self.app.app_context():
            return db.session.execute(statement).all()


class _LateApp:
    """A WSGI app set once the server's port (hence its URL) is known."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def _serve():
    holder = _LateApp()
    server = make_server("127.0.0.1", 0, holder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    return holder, server, thread, f"http://127.0.0.1:{server.server_port}"


def _own_database(url: str, tmp_path_factory) -> str:
    """The browser world's database, beside the worker's (never cleared by the
    per-test clean-up of the rest of the suite)."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path_factory.mktemp('browser') / 'guichet.sqlite3'}"
    return recreate_postgres_database(url, f"{sa.engine.make_url(url).database}_browser")


@pytest.fixture(scope="session")
def site(base_config, tmp_path_factory, browser_type_launch_args):
    served = {name: _serve() for name in ("guichet", "franceconnect", *_service_ids())}
    url = {name: entry[3] for name, entry in served.items()}
    # Guichet under a host name: a WebAuthn relying party id cannot be an IP address,
    # and `localhost` is a secure context (the passkey tests need both).
    url["guichet"] = url["guichet"].replace("127.0.0.1", "localhost")
    config = {
        **base_config,
        "DATABASE_URL": _own_database(base_config["DATABASE_URL"], tmp_path_factory),
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("browser-instance")),
        "PUBLIC_URL": url["guichet"],
        "FRANCECONNECT_ISSUER": url["franceconnect"],
        "PRODUCT_HELP_URL": url["guichet"] + "/aide",
    }
    app = create_app(config)
    with app.app_context():
        upgrade()
    _prepare_demo(app, url)
    served["guichet"][0].app = app
    served["franceconnect"][0].app = _mock_franceconnect(app, url["franceconnect"])
    for demo in demo_services():
        others = [url[o] + "/" for o in _service_ids() if o != demo["client_id"]]
        base = url[demo["client_id"]]
        served[demo["client_id"]][0].app = create_service(
            demo, issuer=url["guichet"], base=base, others=others
        )
    for _, _, thread, _ in served.values():
        thread.start()
    yield Site(
        app=app,
        guichet=url["guichet"],
        livret=url["livret-scolaire"],
        inscription=url["inscription"],
        franceconnect=url["franceconnect"],
    )
    for _, server, thread, _ in served.values():
        server.shutdown()
        thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def _service_ids() -> list[str]:
    return [demo["client_id"] for demo in demo_services()]


def _prepare_demo(app, url: dict) -> None:
    """What `make demo` prepares (demo.cli.PREPARE_STEPS), the demo services
    registered at this run's free ports."""
    runner = app.test_cli_runner()
    for command, step in (
        (demo_group, ["seed"]),
        (None, ["keys", "ensure"]),
        (None, ["franceconnect", "link", "--registry-id", "DEMO-FC", "--sub", FC_ALINE]),
        (None, ["stats", "compute"]),
    ):
        result = runner.invoke(command, step) if command else runner.invoke(args=step)
        assert result.exit_code == 0, (step, result.output)
    services = [
        {**demo, "port": int(url[demo["client_id"]].rsplit(":", 1)[1])} for demo in demo_services()
    ]
    with app.app_context():
        ensure_registered("127.0.0.1", now=utcnow(), services=services)
        db.session.commit()


def _mock_franceconnect(app, issuer: str):
    settings = app.extensions["guichet.settings"]
    return create_mock_app(
        issuer=issuer, clients=[guichet_client(settings)], identities=load_identities()
    )


@pytest.fixture
def check(page, site, request):
    """`check(name)`: audit the page as it stands (axe at 1280 and 375 px, no script
    error), and with SCREENSHOTS=folder take its picture at both widths; the rate
    limits start afresh for each test."""
    with site.app.app_context():
        limiter.reset()
    # Generous: two cores shared with the rest of the suite.
    page.set_default_timeout(15_000)
    page.set_default_navigation_timeout(30_000)
    folder = os.environ.get("SCREENSHOTS")
    name = request.node.name.removesuffix("[chromium]")
    checker = Checker(page, name=name, screenshots=Path(folder) if folder else None)
    yield checker
    checker.no_script_errors()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
