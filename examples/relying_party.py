"""A demo education service (relying party) signing parents in with Guichet through
Authlib's Flask client: authorization code + PKCE S256, ID token checked against
the JWKS, userinfo for the parent's name and children, RP-initiated logout, and a
back-channel logout endpoint that ends the local session when Guichet says so.

    python -m examples.relying_party SERVICES.json livret-scolaire [GUICHET_URL]
    python -m examples.relying_party SERVICES.json inscription [GUICHET_URL]

It is an independent service: it imports nothing of Guichet and takes its client
settings from a JSON file, a list of services each with `client_id`,
`client_secret`, `name`, `scope` and `port` (the demo's is demo/services.json,
registered in Guichet by `guichet demo services`; make demo does both). Sessions
are kept in this process's memory: it is a demo, not a template for a
production service.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import threading
from pathlib import Path

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import abort
from flask import redirect
from flask import render_template_string
from flask import request
from flask import session
from flask import url_for
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

EVENT = "http://schemas.openid.net/event/backchannel-logout"

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{{ name }}</title><link rel="icon" href="data:,">
<style>body{font-family:Marianne,Arial,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}
header{border-bottom:3px solid #000091;margin-bottom:1.5rem}
header .title{font-size:1.75rem;font-weight:bold;margin:0}
a.btn{background:#000091;color:#fff;padding:.5rem 1rem;text-decoration:none;display:inline-block}
</style></head>
<body><header><p class="title">Démonstration</p>
<p>Service de démonstration connecté à Guichet</p></header>
<main>
<h1>{{ name }}</h1>
{% if user %}
  <p>Bonjour <strong>{{ user.given_name }} {{ user.family_name }}</strong>.</p>
  {% if user.children %}<h2>Vos enfants</h2><ul>
  {% for child in user.children %}<li>{{ child.given_name }} {{ child.family_name }}, né(e) le
   {{ child.birthdate }} — {{ child.school.name }} ({{ child.school.uai }}){% if child['class'] %},
   classe {{ child['class'] }}{% endif %}</li>{% endfor %}</ul>
  {% else %}<p>Aucun enfant n'est rattaché à votre compte.</p>{% endif %}
  <p><a class="btn" href="{{ url_for('logout') }}">Se déconnecter</a></p>
  {% if other %}<p>Autre service : <a href="{{ other }}">{{ other }}</a></p>{% endif %}
{% else %}
  {% if error %}<p role="alert">La connexion n'a pas abouti : {{ error }}</p>{% endif %}
  <p>Vous n'êtes pas connecté.</p>
  <p><a class="btn" href="{{ url_for('login') }}">Se connecter avec Guichet</a></p>
{% endif %}
</main>
</body></html>"""


def create_app(
    demo: dict,
    *,
    issuer: str | None = None,
    base: str | None = None,
    others: list[str] | None = None,
) -> Flask:
    """The service described by `demo` (client_id, client_secret, name, scope, port);
    `base` is its own address (default from its port), `others` the demo services to
    link to."""
    issuer = (issuer or os.environ.get("GUICHET_URL", "http://127.0.0.1:5000")).rstrip("/")
    host = os.environ.get("DEMO_HOST", "127.0.0.1")
    base = base or f"http://{host}:{demo['port']}"
    others = others or []

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("DEMO_RP_SECRET_KEY") or secrets.token_urlsafe(32),
        # Both demos and Guichet share 127.0.0.1: one cookie name each.
        SESSION_COOKIE_NAME=f"rp_{demo['client_id']}",
    )
    oauth = OAuth(app)
    guichet = oauth.register(
        "guichet",
        client_id=demo["client_id"],
        client_secret=demo["client_secret"],
        server_metadata_url=issuer + "/.well-known/openid-configuration",
        client_kwargs={"scope": demo["scope"], "code_challenge_method": "S256"},
    )
    # sid -> signed out by Guichet (back-channel); kept in memory for the demo.
    ended_sids: set[str] = set()
    lock = threading.Lock()

    def current_user():
        user = session.get("user")
        if user and session.get("sid") in ended_sids:
            session.clear()
            return None
        return user

    @app.get("/")
    def home():
        if request.args.get("state"):
            # Back from Guichet's sign-out: a stale or unknown state only means nothing to check.
            with contextlib.suppress(OAuthError):
                guichet.validate_logout_response()
        return render_template_string(
            PAGE,
            name=demo["name"],
            user=current_user(),
            other=others[0] if others else None,
            error=request.args.get("error"),
        )

    @app.get("/login")
    def login():
        return guichet.authorize_redirect(base + "/callback")

    @app.get("/callback")
    def callback():
        try:
            token = guichet.authorize_access_token()
        except OAuthError as exc:
            return redirect(url_for("home", error=exc.error or "erreur"))
        claims = token["userinfo"]  # the verified ID token (signature, iss, aud, nonce)
        user = guichet.userinfo(token=token)
        session.clear()
        session["user"] = dict(user)
        session["sid"] = claims.get("sid")
        session["id_token"] = token["id_token"]
        return redirect(url_for("home"))

    @app.get("/logout")
    def logout():
        id_token = session.get("id_token")
        session.clear()
        return guichet.logout_redirect(post_logout_redirect_uri=base + "/", id_token_hint=id_token)

    @app.post("/backchannel-logout")
    def backchannel_logout():
        """OpenID Connect Back-Channel Logout 1.0 §2.5–2.8."""
        raw = request.form.get("logout_token", "")
        try:
            keys = KeySet.import_key_set(guichet.fetch_jwk_set(force=True))
            token = jwt.decode(raw, keys, algorithms=["RS256", "ES256"])
            registry = jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": issuer},
                aud={"essential": True, "value": demo["client_id"]},
            )
            registry.validate(token.claims)
        except (JoseError, ValueError):
            abort(400)
        claims = token.claims
        if EVENT not in (claims.get("events") or {}) or "nonce" in claims or not claims.get("sid"):
            abort(400)
        with lock:
            ended_sids.add(claims["sid"])
        return "", 200

    return app


def main(argv: list[str]) -> int:
    services = json.loads(Path(argv[0]).read_text(encoding="utf-8")) if argv else []
    demo = next((d for d in services if len(argv) > 1 and d["client_id"] == argv[1]), None)
    if demo is None or len(argv) > 3:
        print("usage: python -m examples.relying_party SERVICES.json CLIENT_ID [GUICHET_URL]")
        return 2
    host = os.environ.get("DEMO_HOST", "127.0.0.1")
    issuer = argv[2] if len(argv) == 3 else None
    others = [f"http://{host}:{d['port']}/" for d in services if d is not demo]
    create_app(demo, issuer=issuer, others=others).run(host=host, port=demo["port"], threaded=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
