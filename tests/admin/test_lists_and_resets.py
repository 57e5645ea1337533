"""Lists (004 §5.4), password resets (§5.5) and the resend of the activation email (§5.6)."""

from __future__ import annotations

import csv
import io

import pytest
from pypdf import PdfReader

from accounts.models import AccountState
from accounts.models import AuditEvent
from kernel import runtime
from kernel.extensions import db
from messaging.models import Message
from tests import factories
from tests.admin.conftest import family
from tests.admin.conftest import text

HEADER = (
    "RNE;Ecole;Nom de l'élève;Prénom de l'élève;Niveau de l'élève;Classe de l'élève;"
    "Nom du responsable;Prénom du responsable;Identifiant;Mot de passe"
)


@pytest.fixture
def frozen_console(monkeypatch):
    """The console's clock at 24/11/2026 09:30:05 UTC (10:30:05 in Paris)."""
    import datetime as dt

    monkeypatch.setattr("admin.list_views.utcnow", lambda: dt.datetime(2026, 11, 24, 9, 30, 5))


@pytest.fixture
def le_ramier(console):
    s = console.school
    cosams, (bilal, ismail) = family(
        s,
        "Abdelkader",
        "COSAMS",
        [
            ("Bilal", "'DXERNAD", "Classe 5 -MS - Mme DARTHOUT Emmanuelle", "MS"),
            ("Ismaïl", "XECIDIGU", "Classe 6 - GS - Mme MERCADE Cathy", "GS"),
        ],
        state=AccountState.NOTIFIED,
    )
    euozaalm = factories.make_account("Khadija", "EUOZAALM")
    factories.make_guardian(
        first_name="Khadija", last_name="EUOZAALM", pupils=[(bilal, True)], account=euozaalm
    )
    activated, _ = family(
        s,
        "Guillaume",
        "ZOUMN",
        [("Lucie", "AMEJDOBU", "CM1 NEW", "CM1")],
        state=AccountState.ACTIVATED,
    )
    db.session.commit()
    return cosams, euozaalm, activated


def test_csv_list_exact_bytes(console, le_ramier, frozen_console):
    cosams, euozaalm, activated = le_ramier
    response = console.client.post(
        "/admin/responsables/actions",
        data={"action": "list_csv", "ids": [cosams.id, euozaalm.id, activated.id]},
    )
    assert response.status_code == 200, response.headers.get("Location")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Guichet-ListeResponsables-20261124103005.csv"'
    )
    data = response.data
    assert data.startswith(b"\xef\xbb\xbf" + HEADER.encode() + b"\r\n")
    password = runtime.passwords().temporary_password(cosams)
    school = "0311478N;E.E.PR-SAINTE-FAMILLE DES MINIMES"
    # Sorted on the folded names: «-DXERNAD» sorts as «dxernad», after «amejdobu».
    assert data.decode("utf-8-sig").split("\r\n") == [
        HEADER,
        f"{school};AMEJDOBU;Lucie;Cours moyen 1re année;CM1 NEW;ZOUMN;Guillaume;g.zoumn;*****",
        f"{school};'DXERNAD;Bilal;Moyenne section;Classe 5 -MS - Mme DARTHOUT Emmanuelle;"
        f"COSAMS;Abdelkader;a.cosams;{password}",
        f"{school};'DXERNAD;Bilal;Moyenne section;Classe 5 -MS - Mme DARTHOUT Emmanuelle;"
        "EUOZAALM;Khadija;k.euozaalm;",
        f"{school};XECIDIGU;Ismaïl;Grande section;Classe 6 - GS - Mme MERCADE Cathy;"
        f"COSAMS;Abdelkader;a.cosams;{password}",
        "",
    ]
    event = db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "accounts.list_downloaded")
    )
    assert event.actor_label == "d.durand" and len(event.accounts) == 3


def test_pdf_list(console, le_ramier, frozen_console):
    cosams, euozaalm, _ = le_ramier
    response = console.client.post(
        "/admin/responsables/actions", data={"action": "list_pdf", "ids": [cosams.id, euozaalm.id]}
    )
    assert response.headers["Content-Type"] == "application/pdf"
    assert "Guichet-ListeResponsables-20261124103005.pdf" in response.headers["Content-Disposition"]
    content = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Date de création : 24/11/2026" in content
    assert "Ecole : 0311478N - E.E.PR-SAINTE-FAMILLE DES MINIMES" in content
    assert "Liste des responsables :" in content
    for column in [
        "Nom élève",
        "Prénom élève",
        "Niveau",
        "Classe",
        "Identifiant",
        "Mot de passe *",
    ]:
        assert column in content
    assert runtime.passwords().temporary_password(cosams) in content
    assert "k.euozaalm" in content
    assert "* Seuls les mots de passe provisoires sont affichés" in content


def test_reset_from_the_list(console, le_ramier):
    cosams, euozaalm, activated = le_ramier
    old = runtime.passwords().temporary_password(cosams)
    old_nn = runtime.passwords().temporary_password(euozaalm)
    page = text(
        console.client.post(
            "/admin/responsables/actions",
            data={"action": "reset", "ids": [cosams.id, euozaalm.id, activated.id]},
        )
    )
    assert "Êtes-vous sûr de vouloir réinitialiser le(s) compte(s) ?" in page
    assert "3 responsable(s) sélectionné(s)" in page
    page = text(
        console.client.post(
            "/admin/responsables/reinitialiser",
            data={"ids": [cosams.id, euozaalm.id, activated.id], "origin": "list"},
        )
    )
    assert "Le mot de passe a bien été réinitialisé pour les responsable(s) sélectionné(s)." in page
    assert (
        "Avertissement : les mots de passe des comptes qui n'étaient pas encore notifiés "
        "n'ont pas été mis à jour." in page
    )
    db.session.expire_all()
    assert runtime.passwords().temporary_password(cosams) != old
    assert runtime.passwords().temporary_password(euozaalm) == old_nn
    assert runtime.passwords().temporary_password(activated) is not None
    assert activated.password_hash is None  # the old password stops working
    assert [cosams.state, euozaalm.state, activated.state] == [
        AccountState.NOTIFIED,
        AccountState.NOT_NOTIFIED,
        AccountState.ACTIVATED,
    ]
    event = db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "account.password_reset")
    )
    assert {a.id for a in event.accounts} == {cosams.id, activated.id}


def test_reset_from_the_account_page(console, le_ramier):
    _, euozaalm, activated = le_ramier
    page = text(console.client.post(f"/admin/comptes/{activated.id}/reinitialiser"))
    # 004:939, word for word
    assert "Êtes-vous sûr de vouloir réinitialiser le mot de passe du compte ?" in page
    response = console.client.post(
        "/admin/responsables/reinitialiser", data={"ids": [activated.id], "origin": "account"}
    )
    assert response.headers["Location"].endswith(f"/admin/comptes/{activated.id}")
    page = text(console.client.get(response.headers["Location"]))
    assert "Le mot de passe a bien été réinitialisé." in page
    # 004:946: the new password is shown at once on the account's page
    db.session.refresh(activated)
    new = runtime.passwords().temporary_password(activated)
    assert new and f"Mot de passe *</th><td>{new}</td>" in page
    assert console.client.post(f"/admin/comptes/{euozaalm.id}/reinitialiser").status_code == 404


def activation_mails(to: str) -> list[Message]:
    return db.session.scalars(
        db.select(Message).where(Message.recipient == to, Message.template == "C07")
    ).all()


def test_resend_activation_email_with_corrected_address(console):
    account, _ = family(
        console.school,
        "Guillaume",
        "Ehcama",
        [("Camille", "Tuohn", "GS", "GS")],
        email="educonnect_qualif@ac-test.fr",
        state=AccountState.ACTIVATING,
    )
    db.session.commit()
    page = text(console.client.get(f"/admin/comptes/{account.id}/courriel-activation"))
    assert "Vérification de l'adresse mail" in page and "Adresse mail :" in page
    assert 'value="educonnect_qualif@ac-test.fr"' in page
    page = text(
        console.client.post(
            f"/admin/comptes/{account.id}/courriel-activation", data={"email": "pas-une-adresse"}
        )
    )
    assert "Saisissez une adresse mail valide." in page
    assert activation_mails("pas-une-adresse") == []
    response = console.client.post(
        f"/admin/comptes/{account.id}/courriel-activation", data={"email": "Nouvelle@Example.org"}
    )
    assert response.status_code == 302
    assert "Le mail a été renvoyé." in text(console.client.get(response.headers["Location"]))
    (mail,) = activation_mails("nouvelle@example.org")
    assert f"avec l'identifiant {account.identifier}" in mail.body
    db.session.expire_all()
    assert account.email == "nouvelle@example.org" and account.email_verified is False
    assert db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "account.activation_email_resent")
    )


def test_resend_only_for_activating_accounts(console):
    account, _ = family(
        console.school,
        "Deja",
        "Active",
        [("C", "Active", "GS", "GS")],
        email="a@example.org",
        state=AccountState.ACTIVATED,
    )
    db.session.commit()
    assert console.client.get(f"/admin/comptes/{account.id}/courriel-activation").status_code == 404
    response = console.client.post(
        f"/admin/comptes/{account.id}/courriel-activation", data={"email": "a@example.org"}
    )
    assert response.status_code == 404
    assert activation_mails("a@example.org") == []


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(console, frozen_console):
    """OWASP CSV injection: registry names sit beside clear temporary passwords."""
    account, _ = family(
        console.school,
        '=HYPERLINK("http://evil.example","Cliquez")',
        "@SOMME(A1)",
        [("+1+1", "-2", "CP A", "CP")],
        state=AccountState.NOTIFIED,
    )
    db.session.commit()
    response = console.client.post(
        "/admin/responsables/actions", data={"action": "list_csv", "ids": [account.id]}
    )
    header, line = response.data.decode("utf-8-sig").split("\r\n")[:2]
    assert header == HEADER
    cells = next(csv.reader([line], delimiter=";"))
    assert cells[2:4] == ["'-2", "'+1+1"]
    assert cells[6:8] == ["'@SOMME(A1)", '\'=HYPERLINK("http://evil.example","Cliquez")']
