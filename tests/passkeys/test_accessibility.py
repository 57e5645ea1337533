"""The passkey pages keep the habits tests/html_audit.py checks (French, DSFR frame,
labelled fields, one h1, error titles…), in each state a parent meets them."""

from __future__ import annotations

from kernel.extensions import db
from passkeys.models import Passkey
from tests.html_audit import audit
from tests.passkeys.conftest import csrf_token
from tests.passkeys.conftest import register
from tests.passkeys.conftest import sign_in_options
from tests.passkeys.conftest import sign_in_with_password


def problems(app, label: str, response, status: int) -> list[str]:
    assert response.status_code == status, (label, response.status_code)
    html = response.get_data(as_text=True)
    name = app.extensions["guichet.settings"].product.name
    return [f"{label}: {problem}" for problem in audit(html, name)]


def test_every_passkey_page_passes_the_audit(app, client, parent, authenticator):
    found = problems(app, "sign-in page", client.get("/connexion"), 200)
    _, token, _ = sign_in_options(client)
    refused = client.post("/connexion/cle-d-acces", data={"csrf_token": token, "credential": "{"})
    found += problems(app, "sign-in refused", refused, 400)
    assert refused.get_data(as_text=True).count("<title>Erreur") == 1

    sign_in_with_password(client, parent)
    found += problems(app, "no passkey yet", client.get("/compte/cles-d-acces"), 200)
    page = client.get("/compte/cles-d-acces").get_data(as_text=True)
    empty = client.post("/compte/cles-d-acces", data={"csrf_token": csrf_token(page)})
    found += problems(app, "added without JavaScript", empty, 400)
    register(client, authenticator, name="Téléphone")
    found += problems(app, "one passkey", client.get("/compte/cles-d-acces"), 200)
    found += problems(app, "account page", client.get("/compte"), 200)
    passkey = db.session.scalars(db.select(Passkey)).one()
    path = f"/compte/cles-d-acces/{passkey.id}/renommer"
    found += problems(app, "rename", client.get(path), 200)
    blank = client.post(path, data={"csrf_token": csrf_token(page), "name": ""})
    found += problems(app, "rename refused", blank, 400)
    assert found == []
