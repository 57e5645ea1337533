"""Director isolation on every console route, CSRF on every action, and the audit log
page (SPEC §5: «a URL naming another school's account answers 404, never its data»)."""

from __future__ import annotations

import re

import pytest

from accounts import throttle
from accounts.models import AccountState
from admin import services
from admin.models import LetterBatch
from kernel.extensions import db
from tests import factories
from tests.admin.conftest import family
from tests.admin.conftest import make_director
from tests.admin.conftest import text


@pytest.fixture
def foreign(console):
    """An account, a lock and letter/email sends of the *other* school, done by its director."""
    account, _ = family(
        console.other_school,
        "Secret",
        "Ailleurs",
        [("Cache", "Ailleurs", "CP A", "CP")],
        email="secret@example.org",
        state=AccountState.ACTIVATING,
    )
    factories.fail_attempts("password", "password:x", account=account, count=20)
    other_director = make_director("d.autre", schools=[console.other_school])
    from kernel import runtime

    letters = services.notify(
        [account],
        channel=services.Channel.LETTER,
        reset=False,
        school=console.other_school,
        director=other_director,
        passwords=runtime.passwords(),
        product=runtime.settings().product,
        now=factories.NOW,
    )
    second, _ = family(
        console.other_school,
        "Autre",
        "Ailleurs",
        [("B", "Ailleurs", "CP A", "CP")],
        email="autre@example.org",
    )
    emails = services.notify(
        [account, second],
        channel=services.Channel.EMAIL,
        reset=False,
        school=console.other_school,
        director=other_director,
        passwords=runtime.passwords(),
        product=runtime.settings().product,
        now=factories.NOW,
    )
    db.session.commit()
    lock = throttle.locks_of(account)[0]
    return {
        "account": account,
        "lock": lock,
        "letters": letters.batch.id,
        "emails": emails.batch.id,
    }


def test_every_account_route_answers_404_for_another_schools_account(console, foreign):
    a = foreign["account"].id
    gets = [
        f"/admin/comptes/{a}",
        f"/admin/comptes/{a}/courriel-activation",
        f"/admin/courriers/{foreign['letters']}.pdf",
        f"/admin/envois/{foreign['emails']}",
    ]
    for path in gets:
        response = console.client.get(path)
        assert response.status_code == 404, path
        assert "Ailleurs" not in text(response) and "secret@" not in text(response)
    posts = [
        (f"/admin/comptes/{a}/notifier", {"channel": "letter"}),
        (f"/admin/comptes/{a}/reinitialiser", {}),
        (f"/admin/comptes/{a}/courriel-activation", {"email": "x@example.org"}),
        (f"/admin/comptes/{a}/verrous/{foreign['lock'].id}", {}),
    ]
    for path, data in posts:
        assert console.client.post(path, data=data).status_code == 404, path
    assert throttle.locks_of(foreign["account"])  # still locked


def test_selection_routes_ignore_another_schools_ids(console, foreign):
    a = foreign["account"].id
    before = foreign["account"].distribution_date
    for path, data in [
        ("/admin/responsables/actions", {"action": "list_csv", "ids": [a]}),
        ("/admin/responsables/actions", {"action": "reset", "ids": [a]}),
        ("/admin/responsables/notifier", {"ids": [a], "channel": "letter"}),
        ("/admin/responsables/reinitialiser", {"ids": [a]}),
    ]:
        response = console.client.post(path, data=data, follow_redirects=True)
        page = text(response)
        assert "Vous devez sélectionner un ou plusieurs comptes." in page, path
        assert "Ailleurs" not in page
    db.session.expire_all()
    assert foreign["account"].distribution_date == before


def test_search_stats_and_journal_never_show_another_school(console, foreign):
    page = text(
        console.client.get(
            "/admin/responsables?rechercher=1&etat=activating&messagerie=avec&messagerie=sans&origine=school&origine=unknown"
        )
    )
    assert "Ailleurs" not in page
    console.client.post("/admin/statistiques")
    page = text(console.client.get("/admin/statistiques"))
    assert "Nombre de comptes responsables" in page
    assert re.search(r"<tbody><tr><td>0</td>", page)
    page = text(console.client.get("/admin/journal"))
    assert "d.autre" not in page and "ailleurs" not in page.lower()
    assert "d.autre" not in console.client.get("/admin/journal.csv").data.decode("utf-8-sig")


@pytest.fixture
def csrf_console(make_app):
    app = make_app()  # CSRF checks on
    with app.app_context():
        school = factories.make_school("0311478N", "École")
        make_director(schools=[school])
        account, _ = family(
            school,
            "Jean",
            "Dupont",
            [("Léa", "Dupont", "CP A", "CP")],
            email="j@example.org",
            state=AccountState.ACTIVATING,
        )
        factories.fail_attempts("password", "password:j", account=account, count=20)
        db.session.commit()
        lock_id = throttle.locks_of(account)[0].id
        account_id = account.id
    client = app.test_client()
    page = client.get("/admin/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert (
        client.post(
            "/admin/connexion", data={"identifier": "d.durand", "password": "Directeur1"}
        ).status_code
        == 400
    )  # sign-in itself needs the token
    response = client.post(
        "/admin/connexion",
        data={"identifier": "d.durand", "password": "Directeur1", "csrf_token": token},
    )
    assert response.status_code == 302
    return app, client, account_id, lock_id


def test_every_action_needs_the_csrf_token(csrf_console):
    app, client, a, lock = csrf_console
    posts = [
        ("/admin/", {"school_id": "1"}),
        ("/admin/responsables/actions", {"action": "reset", "ids": [a]}),
        ("/admin/responsables/notifier", {"ids": [a], "channel": "letter"}),
        ("/admin/responsables/reinitialiser", {"ids": [a]}),
        (f"/admin/comptes/{a}/notifier", {"channel": "letter"}),
        (f"/admin/comptes/{a}/reinitialiser", {}),
        (f"/admin/comptes/{a}/courriel-activation", {"email": "x@example.org"}),
        (f"/admin/comptes/{a}/verrous/{lock}", {}),
        ("/admin/statistiques", {}),
        ("/admin/deconnexion", {}),
    ]
    for path, data in posts:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
    with app.app_context():
        from accounts.models import Account

        account = db.session.get(Account, a)
        assert account.distribution_date == factories.NOW.date()  # untouched by the posts
        assert throttle.locks_of(account)
        assert db.session.scalar(db.select(LetterBatch)) is None
    # and the pages carry the token their forms need
    page = client.get(f"/admin/comptes/{a}").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 4


def test_journal_lists_filters_and_exports(console):
    account, _ = family(
        console.school,
        "Jean",
        "Dupont",
        [("Léa", "Dupont", "CP A", "CP")],
        state=AccountState.ACTIVATED,
    )
    db.session.commit()
    console.client.post(
        "/admin/responsables/reinitialiser", data={"ids": [account.id], "origin": "list"}
    )
    console.client.post(
        "/admin/responsables/actions", data={"action": "list_csv", "ids": [account.id]}
    )
    page = text(console.client.get("/admin/journal"))
    assert "Réinitialisation du mot de passe" in page
    assert "Liste des comptes téléchargée" in page
    assert "d.durand" in page and account.identifier in page
    page = text(console.client.get("/admin/journal?action=account.password_reset"))
    rows = page.split("<tbody>")[1]
    assert "Réinitialisation du mot de passe" in rows
    assert "Liste des comptes téléchargée" not in rows
    page = text(console.client.get("/admin/journal?account=personne"))
    assert "Aucune action ne correspond à ces critères." in page
    page = text(console.client.get("/admin/journal?date_from=pas-une-date"))
    assert "Date invalide." in page
    response = console.client.get(f"/admin/journal.csv?account={account.identifier}")
    body = response.data.decode("utf-8-sig")
    assert body.startswith("Date;Auteur;Type d'auteur;Action;Comptes;Détail\r\n")
    assert "Réinitialisation du mot de passe" in body
    assert 'attachment; filename="Guichet-Journal-' in response.headers["Content-Disposition"]


def test_the_journal_of_a_shared_parent_shows_nothing_of_the_other_school(console):
    """A parent with a child in each school: what the other school's director did to
    that account, and the other school's accounts named beside it, stay out of this
    school's journal and its CSV (issue 13)."""
    from kernel import runtime

    shared, _ = family(
        console.school, "Paul", "Partage", [("Lou", "Partage", "CP A", "CP")],
        state=AccountState.NOTIFIED,
    )  # fmt: skip
    elsewhere = factories.make_pupil(console.other_school, first_name="Max", last_name="Partage")
    factories.make_guardian(pupils=[(elsewhere, True)], account=shared)
    theirs, _ = family(
        console.other_school, "Eve", "Ailleurs", [("Zoe", "Ailleurs", "CP A", "CP")],
        state=AccountState.NOTIFIED,
    )  # fmt: skip
    other_director = make_director("d.autre", schools=[console.other_school])
    services.reset_passwords(
        [shared, theirs],
        school=console.other_school,
        director=other_director,
        passwords=runtime.passwords(),
        now=factories.NOW,
    )
    services.reset_passwords(
        [shared],
        school=console.school,
        director=console.director,
        passwords=runtime.passwords(),
        now=factories.NOW,
    )
    db.session.commit()
    page = text(console.client.get("/admin/journal"))
    exported = console.client.get("/admin/journal.csv").data.decode("utf-8-sig")
    for seen in (page, exported):
        assert "d.autre" not in seen and theirs.identifier not in seen
        assert shared.identifier in seen and "d.durand" in seen


def test_console_pages_and_downloads_are_never_cached(console):
    """The account page shows a clear temporary password; lists and letters hold them."""
    account, _ = family(
        console.school, "Jean", "Cache", [("Ana", "Cache", "CP A", "CP")],
        state=AccountState.NOTIFIED,
    )  # fmt: skip
    db.session.commit()
    for response in (
        console.client.get(f"/admin/comptes/{account.id}"),
        console.client.get("/admin/journal.csv"),
        console.client.post(
            "/admin/responsables/actions", data={"action": "list_csv", "ids": [account.id]}
        ),
        console.client.post(
            "/admin/responsables/actions", data={"action": "list_pdf", "ids": [account.id]}
        ),
    ):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
