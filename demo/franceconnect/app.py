"""The mock FranceConnect: a small but real OpenID Connect provider for the demo and
the tests (issue 6).

Its own Flask app, its own signing key (generated at start), discovery, JWKS, an
authorization page where one picks a test identity, a token endpoint (client
secret, single-use codes), userinfo (signed JWT like FranceConnect v2, or JSON)
and RP-initiated logout. Everything lives in memory: one process, restarted at
will. Never deploy it: it authenticates anyone who clicks.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Flask
from joserfc.jwk import ECKey
from joserfc.jwk import RSAKey

from demo.franceconnect.endpoints import MockClient
from demo.franceconnect.endpoints import MockState
from demo.franceconnect.endpoints import register
from kernel.contact import normalise_mobile
from kernel.names import fold_name

IDENTITIES_FILE = Path(__file__).with_name("identities.json")


def load_identities(path: Path | str | None = None) -> list[dict]:
    data = json.loads(Path(path or IDENTITIES_FILE).read_text(encoding="utf-8"))
    return data["identities"]


NOBODY = {
    "sub": "fc-demo-nobody",
    "given_name": "Lucie",
    "family_name": "Inconnue",
    "birthdate": "1990-01-20",
    "gender": "female",
    "email": "lucie.inconnue@example.org",
    "demo": {
        "mobile": "06 11 22 33 44",
        "note": "Ne correspond à aucun compte : la liaison échoue, numéro non reconnu.",
    },
}


def identities_from_demo(seed: dict, *, limit: int = 10) -> list[dict]:
    """Test identities derived from `guichet demo seed --json`: one per person (same
    names and mobile), those matching several accounts and those whose `purpose`
    names FranceConnect first, plus one matching nobody."""
    people: dict[tuple, list[dict]] = {}
    for account in seed.get("accounts", []):
        mobile = normalise_mobile(account.get("mobile"))
        if not mobile or account.get("state") in ("deleted", "Supprimé"):
            continue
        key = (fold_name(account["first_name"]), fold_name(account["last_name"]), mobile)
        people.setdefault(key, []).append(account)

    def rank(item):
        accounts = item[1]
        wanted = any("franceconnect" in str(a.get("purpose", "")).lower() for a in accounts)
        return (not wanted, len(accounts) < 2, accounts[0]["identifier"])

    identities = []
    for (_first, _last, mobile), accounts in sorted(people.items(), key=rank)[:limit]:
        first = accounts[0]
        digest = hashlib.sha256(f"{_first}|{_last}|{mobile}".encode()).hexdigest()
        identifiers = ", ".join(a["identifier"] for a in accounts)
        identities.append(
            {
                "sub": f"fc-demo-{digest[:20]}",
                "given_name": first["first_name"],
                "family_name": first["last_name"],
                "birthdate": _birthdate(digest),
                "gender": "",
                "email": first.get("email") or "",
                "demo": {
                    "mobile": mobile,
                    "note": (
                        f"Correspond à {len(accounts)} comptes ({identifiers}) : ils sont "
                        "regroupés pendant la liaison."
                        if len(accounts) > 1
                        else f"Correspond au compte {identifiers}."
                    ),
                },
            }
        )
    return [*identities, NOBODY]


def create_mock_app(
    *,
    issuer: str,
    clients: list[MockClient],
    identities: list[dict] | None = None,
    signing_alg: str = "RS256",
    userinfo_format: str = "jwt",
) -> Flask:
    """The mock provider answering at `issuer` (scheme, host, port; no path)."""
    app = Flask(__name__, template_folder="templates")
    issuer = issuer.rstrip("/")
    if signing_alg == "ES256":
        key = ECKey.generate_key("P-256", parameters={"use": "sig", "alg": "ES256"}, private=True)
    else:
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, private=True)
        signing_alg = "RS256"
    key.ensure_kid()
    app.config.update(
        MOCK_ISSUER=issuer,
        MOCK_CLIENTS={c.client_id: c for c in clients},
        MOCK_IDENTITIES={i["sub"]: i for i in (identities or load_identities())},
        MOCK_KEY=key,
        MOCK_ALG=signing_alg,
        MOCK_USERINFO_FORMAT=userinfo_format,
        MOCK_STATE=MockState(),
    )
    register(app)
    return app


def _birthdate(digest: str) -> str:
    """A stable, plausible birth date for a derived identity (1970–1994)."""
    year = 1970 + int(digest[:2], 16) % 25
    month = 1 + int(digest[2], 16) % 12
    day = 1 + int(digest[3:5], 16) % 28
    return f"{year}-{month:02d}-{day:02d}"
