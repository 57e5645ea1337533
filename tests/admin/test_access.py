"""Director sign-in, school picker, sign-out, and the CLI (SPEC §5, 004 §2, §4.1)."""

from __future__ import annotations

import html
import json

from accounts.models import AuditEvent
from accounts.models import Director
from admin.models import DirectorSession
from kernel.extensions import db
from tests import factories
from tests.admin.conftest import DIRECTOR_PASSWORD
from tests.admin.conftest import make_director
from tests.admin.conftest import sign_in


def test_console_pages_need_a_director(console_app):
    client = console_app.test_client()
    for path in ["/admin/", "/admin/responsables", "/admin/statistiques", "/admin/journal"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/connexion")


def test_sign_in_with_one_school_selects_it(console):
    page = console.client.get("/admin/").get_data(as_text=True)
    assert "0311478N" in page
    assert "Responsables" in page and "Statistiques" in page
    assert "Choisissez l'établissement" not in page


def test_wrong_password_is_refused_and_throttled(console_app):
    with console_app.app_context():
        make_director("d.martin", schools=[factories.make_school()])
        db.session.commit()
    client = console_app.test_client()
    for _ in range(5):
        page = sign_in(client, "d.martin", "Mauvais123").get_data(as_text=True)
        assert "Identifiant ou mot de passe incorrect." in page
    page = sign_in(client, "d.martin", DIRECTOR_PASSWORD).get_data(as_text=True)
    assert "Trop de tentatives" in page
    page = sign_in(client, "inconnu", "Mauvais123").get_data(as_text=True)
    assert "Identifiant ou mot de passe incorrect." in page


def test_several_schools_pick_one_and_it_holds(console_app):
    with console_app.app_context():
        first = factories.make_school("0310001A", "École A")
        second = factories.make_school("0310002B", "École B")
        make_director("d.multi", schools=[first, second])
        db.session.commit()
        second_id = second.id
    client = console_app.test_client()
    sign_in(client, "d.multi")
    page = client.get("/admin/").get_data(as_text=True)
    assert "Choisissez l'établissement à administrer" in page
    assert client.get("/admin/responsables").status_code == 302  # no school yet
    client.post("/admin/", data={"school_id": second_id})
    page = client.get("/admin/responsables").get_data(as_text=True)
    assert "0310002B" in page
    page = client.get("/admin/statistiques").get_data(as_text=True)
    assert "0310002B" in page


def test_picking_another_directors_school_is_refused(console):
    response = console.client.post("/admin/", data={"school_id": console.other_school.id})
    assert response.status_code in (400, 404)
    assert "0312151V" not in console.client.get("/admin/").get_data(as_text=True)


def test_sign_out_shows_a_confirmation_and_ends_the_session(console):
    page = console.client.get("/admin/").get_data(as_text=True)
    assert "Se déconnecter" in page
    response = console.client.post("/admin/deconnexion")
    assert response.headers["Location"] == "/admin/deconnecte"
    page = console.client.get("/admin/deconnecte").get_data(as_text=True)
    assert "Vous êtes déconnecté" in page
    assert console.client.get("/admin/responsables").status_code == 302
    login = db.session.scalar(db.select(DirectorSession))
    assert login.ended_at is not None
    actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert {"director.signed_in", "director.signed_out"} <= actions


def test_directors_cli(console_app):
    runner = console_app.test_cli_runner()
    with console_app.app_context():
        factories.make_school("0310003C", "École C")
        factories.make_school("0310004D", "École D")
        db.session.commit()
    result = runner.invoke(
        args=[
            "directors",
            "add",
            "C.Petit",
            "--first-name",
            "Claire",
            "--last-name",
            "Petit",
            "--school",
            "0310003C",
            "--password",
            "Motdepasse1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "c.petit" in result.output
    result = runner.invoke(args=["directors", "assign", "c.petit", "0310004D"])
    assert result.exit_code == 0 and "0310003C 0310004D" in result.output
    result = runner.invoke(args=["directors", "list", "--json"])
    rows = json.loads(result.output)
    assert rows[0]["identifier"] == "c.petit"
    assert rows[0]["schools"] == ["0310003C", "0310004D"]
    result = runner.invoke(args=["directors", "remove", "c.petit", "0310003C"])
    assert result.exit_code == 0 and "0310004D" in result.output
    result = runner.invoke(args=["directors", "assign", "c.petit", "9999999Z"])
    assert result.exit_code != 0 and "Aucune école" in result.output
    client = console_app.test_client()
    assert sign_in(client, "c.petit", "Motdepasse1").status_code == 302
    result = runner.invoke(args=["directors", "remove", "c.petit"])
    assert result.exit_code == 0
    with console_app.app_context():
        assert db.session.scalar(db.select(Director)) is None
    assert client.get("/admin/").status_code == 302


def test_real_http_sign_in_search_and_sign_out(app, live_server):
    """Over real HTTP with CSRF checks on: cookies, tokens and redirects as a browser sees them."""
    import re

    import requests

    with app.app_context():
        school = factories.make_school("0311478N", "École du Centre")
        make_director(schools=[school])
        family_guardian, _ = factories.make_family(school)
        db.session.commit()
    browser = requests.Session()
    page = browser.get(f"{live_server}/admin/connexion", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = browser.post(
        f"{live_server}/admin/connexion",
        data={"identifier": "d.durand", "password": DIRECTOR_PASSWORD, "csrf_token": token},
        timeout=10,
    )
    assert response.url.endswith("/admin/") and "0311478N" in response.text
    response = browser.get(
        f"{live_server}/admin/responsables",
        params={
            "rechercher": "1",
            "etat": "not_notified",
            "messagerie": ["avec", "sans"],
            "origine": "unknown",
            "classe": re.findall(
                r'name="classe" value="(\d+)"',
                browser.get(f"{live_server}/admin/responsables", timeout=10).text,
            ),
        },
        timeout=10,
    )
    assert "1 à 1 sur 1 élève(s)" in response.text and "g.martin" in response.text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text).group(1)
    response = browser.post(
        f"{live_server}/admin/deconnexion", data={"csrf_token": token}, timeout=10
    )
    assert "Vous êtes déconnecté" in response.text
    assert browser.get(f"{live_server}/admin/", timeout=10).url.startswith(
        f"{live_server}/admin/connexion"
    )


def test_locked_director_is_unlocked_by_an_operator_and_password_reset(console_app):
    with console_app.app_context():
        make_director("d.lock", schools=[factories.make_school()])
        db.session.commit()
    client = console_app.test_client()
    runner = console_app.test_cli_runner()
    from kernel.clock import utcnow

    with console_app.app_context():
        factories.fail_attempts("director_password", "director:d.lock", now=utcnow(), count=20)
        db.session.commit()
    page = sign_in(client, "d.lock").get_data(as_text=True)
    assert "votre accès à l'administration des comptes est bloqué" in html.unescape(page)
    assert "école de votre enfant" not in html.unescape(page)
    result = runner.invoke(args=["directors", "unlock", "d.lock"])
    assert result.exit_code == 0 and "Blocage levé." in result.output
    assert sign_in(client, "d.lock").status_code == 302
    assert client.get("/admin/").status_code == 200
    result = runner.invoke(args=["directors", "password", "d.lock", "--password", "Nouveau123"])
    assert result.exit_code == 0, result.output
    assert client.get("/admin/").status_code == 302  # its sessions ended
    assert sign_in(client, "d.lock", "Nouveau123").status_code == 302
    result = runner.invoke(args=["directors", "password", "d.lock", "--password", "court"])
    assert result.exit_code != 0 and "8 à 14 caractères" in result.output
