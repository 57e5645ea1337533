"""`guichet demo seed|services|franceconnect`: what `make demo` prepares and runs."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import click
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from demo import seed as demo_seed
from demo.franceconnect import MockClient
from demo.franceconnect import create_mock_app
from demo.franceconnect import identities_from_demo
from demo.franceconnect import load_identities
from demo.services import demo_services
from demo.services import ensure_registered
from federation import client as fc_client
from kernel import runtime
from kernel.clock import utcnow
from kernel.extensions import db


@click.group("demo")
def demo_group() -> None:
    """Demo data, demo services and the mock FranceConnect, for trying every journey."""


@demo_group.command("seed")
@click.option("--json", "as_json", is_flag=True, help="Print the credentials as one JSON object.")
@with_appcontext
def seed_command(as_json: bool) -> None:
    """Create the demo schools, accounts and director (once), then print the credentials."""
    created = demo_seed.seed(now=utcnow(), passwords=runtime.passwords())
    described = demo_seed.describe(passwords=runtime.passwords())
    if as_json:
        click.echo(json.dumps(described, ensure_ascii=False))
        return
    click.echo("Données de démonstration " + ("créées." if created else "déjà présentes."))
    for director in described["directors"]:
        click.echo(
            f"\nDirecteur·rice (console /admin/) : {director['identifier']} / "
            f"{director['password']} — écoles {', '.join(director['schools'])}"
        )
    click.echo("\nResponsables :")
    for account in described["accounts"]:
        password = account["password"] or "(aucun mot de passe connu)"
        click.echo(
            f"- {account['identifier']} / {password} — {account['state']}, "
            f"{account['origin']} — {account['purpose']}"
        )


# Where the demo services listen and which settings they use: `services` and `prepare`.
host_option = click.option("--host", default="127.0.0.1", show_default=True)
services_file_option = click.option(
    "--file",
    "services_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The services' settings (default: demo/services.json; make demo writes its ports).",
)


@demo_group.command("services")
@host_option
@services_file_option
@with_appcontext
def services_command(host: str, services_file: str | None) -> None:
    """Register the two demo services of examples/ if missing (idempotent)."""
    services = demo_services(Path(services_file) if services_file else None)
    for name, registered in ensure_registered(host, now=utcnow(), services=services):
        click.echo(f"{name} : " + ("enregistré." if registered else "déjà enregistré."))
    db.session.commit()


# What `make demo` prepares, in order: schema, demo data, signing keys (current +
# next), the two demo services, the FranceConnect identity of the demo parent
# activated through FranceConnect (so she signs in directly), the console statistics.
# Each step is the `guichet` command of its area, found by name (no import of them).
PREPARE_STEPS: list[tuple[tuple[str, ...], dict]] = [
    (("db", "upgrade"), {"revision": "head"}),
    (("demo", "seed"), {"as_json": False}),
    (("keys", "ensure"), {}),
    (("demo", "services"), {}),  # host and file: the options of `prepare`
    (
        ("franceconnect", "link"),
        {
            "identifier": None,
            "registry_id": "DEMO-FC",
            "sub": "fc-demo-aline-rousseau",
            "skip_missing": True,
        },
    ),
    (("stats", "compute"), {"uai": None}),
]


@demo_group.command("prepare")
@host_option
@services_file_option
@click.pass_context
def prepare_command(ctx: click.Context, host: str, services_file: str | None) -> None:
    """Every step `make demo` prepares, in one process (each is idempotent), then the
    credentials as one JSON object on the last line."""
    root = ctx.find_root()
    for path, arguments in PREPARE_STEPS:
        command = root.command
        for name in path:
            command = command.get_command(root, name)
        if path == ("demo", "services"):
            arguments = {"host": host, "services_file": services_file}
        ctx.invoke(command, **arguments)
    ctx.invoke(seed_command, as_json=True)


def guichet_client(settings) -> MockClient:
    """Guichet as the mock FranceConnect's one client, from Guichet's own settings (the
    demo, the federation tests and the browser tests register it the same way)."""
    config = settings.franceconnect
    return MockClient(
        client_id=config.client_id,
        client_secret=config.client_secret,
        redirect_uris=[fc_client.redirect_uri(settings)],
        post_logout_redirect_uris=[fc_client.post_logout_redirect_uri(settings)],
    )


@demo_group.command("franceconnect")
@click.option("--port", type=int, default=None, help="Port (default: FRANCECONNECT_ISSUER's).")
@click.option("--host", default=None, help="Interface (default: FRANCECONNECT_ISSUER's host).")
@click.option(
    "--identities",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="JSON file of test identities (default: demo/franceconnect/identities.json).",
)
@click.option(
    "--demo-json",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Derive the identities from `guichet demo seed --json` output instead.",
)
@click.option("--userinfo", type=click.Choice(["jwt", "json"]), default="jwt")
@click.option("--alg", type=click.Choice(["RS256", "ES256"]), default="RS256")
@with_appcontext
def franceconnect_command(port, host, identities, demo_json, userinfo, alg) -> None:
    """Run the mock FranceConnect (demo only: anyone who clicks is authenticated)."""
    settings = runtime.settings()
    config = settings.franceconnect
    parts = urlsplit(config.issuer)
    host = host or parts.hostname or "127.0.0.1"
    port = port or parts.port or 5090
    issuer = urlunsplit((parts.scheme or "http", f"{parts.hostname or host}:{port}", "", "", ""))
    app = create_mock_app(
        issuer=issuer,
        clients=[guichet_client(settings)],
        identities=(
            identities_from_demo(json.loads(Path(demo_json).read_text(encoding="utf-8")))
            if demo_json
            else load_identities(identities)
        ),
        signing_alg=alg,
        userinfo_format=userinfo,
    )
    click.echo(f"FranceConnect simulé : {issuer}/ (client {config.client_id})")
    run_simple(host, port, app, threaded=True, use_reloader=False)
