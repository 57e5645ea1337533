"""The two demo services of examples/ (README): their settings live in
services.json, read by the services themselves and registered in Guichet here."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from idp import clients

SERVICES_FILE = Path(__file__).with_name("services.json")


def demo_services(path: Path | None = None) -> list[dict]:
    return json.loads((path or SERVICES_FILE).read_text(encoding="utf-8"))


def ensure_registered(
    host: str, *, now: dt.datetime, services: list[dict] | None = None
) -> list[tuple[str, bool]]:
    """Register the demo services missing in Guichet (idempotent); returns each
    service's name and whether it was registered now. The caller commits."""
    done = []
    for service in services if services is not None else demo_services():
        base = f"http://{host}:{service['port']}"
        try:
            clients.get_client(service["client_id"])
            done.append((service["name"], False))
            continue
        except clients.UnknownClient:
            pass
        clients.add_client(
            name=service["name"],
            client_id=service["client_id"],
            client_secret=service["client_secret"],
            redirect_uris=[base + "/callback"],
            post_logout_redirect_uris=[base + "/"],
            backchannel_logout_uri=base + "/backchannel-logout",
            scope=service["scope"],
            trusted=service["trusted"],
            sector=f"{host}:{service['port']}",
            now=now,
        )
        done.append((service["name"], True))
    return done
