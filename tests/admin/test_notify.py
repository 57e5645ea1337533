"""(Re)notification (SPEC §5, 004 §5.3, annex A1): the letter matrix, the PDF (one
page per account, text checked with pypdf), emails, warnings and skipped list."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from accounts.models import AccountState
from accounts.models import AuditEvent
from admin.models import LetterBatch
from admin.services import Channel
from admin.services import choose_letter
from kernel import runtime
from kernel.extensions import db
from messaging.models import Message
from tests import factories
from tests.admin.conftest import family
from tests.admin.conftest import search_args
from tests.admin.conftest import text

NN, N, EC, A = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _notify(console, ids, channel, reset=False, origin="list"):
    data = {"ids": ids, "channel": channel, "origin": origin}
    if reset:
        data["reset"] = "y"
    return console.client.post("/admin/responsables/notifier", data=data)


def _letters_pdf(console, page: str) -> list[str]:
    link = re.search(r'href="(/admin/courriers/[0-9a-f]+\.pdf)"', page).group(1)
    response = console.client.get(link)
    assert response.headers["Content-Type"] == "application/pdf"
    return pdf_pages(response.data)


# state before, channel, reset, earlier reset still unchanged -> letter, password in it
MATRIX = [
    (NN, "letter", False, False, "C01", True),
    (NN, "email", False, False, "C02", True),
    (NN, "letter", True, False, "C01", True),
    (NN, "email", True, False, "C02", True),
    (N, "letter", False, False, "C01", True),
    (N, "email", False, False, "C02", True),
    (N, "letter", True, False, "C01", True),
    (N, "email", True, False, "C02", True),
    (EC, "letter", False, False, "C03", False),
    (EC, "email", False, False, "C04", False),
    (EC, "letter", True, False, "C05", True),
    (EC, "email", True, False, "C06", True),
    (A, "letter", False, False, "C03", False),
    (A, "email", False, False, "C04", False),
    (A, "letter", True, False, "C05", True),
    (A, "email", True, False, "C06", True),
    # our resolution: a reset earlier and still unchanged password needs C05/C06
    (A, "letter", False, True, "C05", True),
    (A, "email", False, True, "C06", True),
    (EC, "letter", False, True, "C05", True),
]


@pytest.mark.parametrize(("state", "channel", "reset", "earlier", "letter", "shows"), MATRIX)
def test_letter_matrix(console, state, channel, reset, earlier, letter, shows):
    account, _ = family(
        console.school,
        "Jean",
        "Dupont",
        [("Léa", "Dupont", "CM1 NEW", "CM1"), ("Enzo", "Dupont", "CE1D", "CE1")],
        email="jean.dupont@example.org",
        state=state,
    )
    if earlier:
        runtime.passwords().issue_temporary(account, today=factories.NOW.date())
    db.session.commit()
    before_password = runtime.passwords().temporary_password(account)
    assert choose_letter(state, Channel(channel), temporary_password=earlier or reset) == letter

    page = text(_notify(console, [account.id], channel, reset))
    db.session.refresh(account)
    password = runtime.passwords().temporary_password(account)
    if channel == "letter":
        [content] = _letters_pdf(console, page)
        assert "A l'attention de Jean DUPONT." in content
    else:
        message = db.session.scalar(db.select(Message).where(Message.template == letter))
        assert message.recipient == "jean.dupont@example.org"
        content = message.body
        assert "A l'attention de" not in content
    content = " ".join(content.split())
    assert "- Léa DUPONT" in content and "- Enzo DUPONT" in content
    assert account.identifier in content
    if shows:
        assert f"Mot de passe * : {password}" in content
        assert "Votre mot de passe est inchangé." not in content
    else:
        assert password is None
        assert "Votre mot de passe est inchangé." in content
        assert "Mot de passe *" not in content
    if letter in ("C01", "C02"):
        assert "E.E.PR-SAINTE-FAMILLE DES MINIMES" in content
        assert "à modifier lors de la première connexion" in content
    if letter in ("C03", "C04"):
        assert "est toujours valide." in content and "SAINTE-FAMILLE" not in content
    if letter in ("C05", "C06"):
        assert "Demande de changement de mot de passe pour les services en ligne" in content
        assert "à modifier lors de la prochaine connexion" in content
    if reset and state != NN:
        assert password != before_password
    if state == NN:
        assert password == before_password  # a Non notifié password is never reset
    # state: Non notifié becomes Notifié et non activé, others stay; distribution today
    assert account.state == (N if state == NN else state)
    assert account.distribution_date == factories.NOW.date() or account.distribution_date


def test_email_subjects_and_sender(console):
    activated, _ = family(
        console.school,
        "Jean",
        "Dupont",
        [("Léa", "Dupont", "CM1 NEW", "CM1")],
        email="jean@example.org",
        state=A,
    )
    db.session.commit()
    _notify(console, [activated.id], "email", reset=True)
    message = db.session.scalar(db.select(Message))
    assert message.subject == (
        "Services en ligne de l'éducation nationale - demande de changement de mot de passe"
    )
    new, _ = family(
        console.school, "Anne", "Neuve", [("Tom", "Neuve", "CP A", "CP")], email="anne@example.org"
    )
    db.session.commit()
    _notify(console, [new.id], "email")
    message = db.session.scalar(db.select(Message).where(Message.recipient == "anne@example.org"))
    assert message.subject == (
        "Mise à disposition de services en ligne pour suivre la scolarité de votre enfant"
    )
    assert "http://localhost/" in message.body


def test_many_letters_one_page_each_and_state_change(console):
    accounts = []
    for i, state in enumerate([NN, N, EC, A]):
        account, _ = family(
            console.school,
            "Parent",
            f"Numero{i}",
            [(f"Enfant{i}", f"Numero{i}", "CP A", "CP")],
            state=state,
        )
        accounts.append(account)
    db.session.commit()
    page = text(_notify(console, [a.id for a in accounts], "letter", reset=True))
    assert (
        "La distribution a été effectuée avec succès pour le(s) compte(s) sélectionné(s) :" in page
    )
    assert "Télécharger le courrier au format PDF" in page
    assert (
        "Avertissement : les mots de passe des comptes qui n'étaient pas encore notifiés "
        "n'ont pas été mis à jour." in page
    )
    pages = _letters_pdf(console, page)
    assert len(pages) == 4
    for account, content in zip(sorted(accounts, key=lambda a: a.last_name), pages, strict=True):
        assert account.identifier in content
    db.session.expire_all()
    assert [a.state for a in accounts] == [N, N, EC, A]
    assert all(a.distribution_date == factories.NOW.date() for a in accounts) or all(
        a.distribution_date for a in accounts
    )
    actions = list(db.session.scalars(db.select(AuditEvent.action)))
    assert "accounts.notified" in actions and "letters.downloaded" in actions


def test_email_without_address_is_skipped_and_listed(console):
    with_email, _ = family(
        console.school, "Avec", "Adresse", [("A", "Adresse", "CP A", "CP")], email="a@example.org"
    )
    skipped = []
    for name in ["Hafir", "Renzeks"]:
        account, _ = family(console.school, "Sans", name, [("B", name, "CP A", "CP")])
        skipped.append(account)
    db.session.commit()
    page = text(_notify(console, [with_email.id] + [a.id for a in skipped], "email"))
    assert (
        "Aucune adresse mail n'étant renseignée, la distribution par mail est impossible pour "
        "le(s) responsable(s) suivant(s) (total : 2 compte(s)) :" in page
    )
    assert "HAFIR Sans , RENZEKS Sans" in page
    assert (
        "La distribution a été effectuée avec succès pour le(s) compte(s) sélectionné(s)." in page
    )
    db.session.expire_all()
    assert with_email.state == N
    assert [a.state for a in skipped] == [NN, NN]  # not distributed


def test_single_account_by_email_without_address(console):
    account, _ = family(console.school, "Sans", "Mail", [("B", "Mail", "CP A", "CP")])
    db.session.commit()
    response = console.client.post(
        f"/admin/comptes/{account.id}/notifier", data={"channel": "email", "origin": "account"}
    )
    page = text(response)
    assert "Êtes-vous sûr de vouloir notifier le compte (par email) ?" in page
    assert "un nouveau mot de passe provisoire sera attribué au responsable." in page
    page = text(_notify(console, [account.id], "email", origin="account"))
    assert (
        "Aucune adresse mail n'étant renseignée, la distribution par mail est impossible." in page
    )
    assert "La distribution a été effectuée avec succès" not in page


def test_single_account_letter(console):
    account, _ = family(console.school, "Un", "Seul", [("C", "Seul", "CP A", "CP")], state=A)
    db.session.commit()
    page = text(
        console.client.post(
            f"/admin/comptes/{account.id}/notifier",
            data={"channel": "letter", "reset": "y", "origin": "account"},
        )
    )
    assert "Êtes-vous sûr de vouloir notifier le compte (par feuille individuelle) ?" in page
    assert 'name="reset" value="y"' in page
    page = text(_notify(console, [account.id], "letter", reset=True, origin="account"))
    assert "La distribution a été effectuée avec succès." in page
    [content] = _letters_pdf(console, page)
    assert "Demande de changement de mot de passe" in content


def test_email_batch_has_a_progress_page(console):
    ids = []
    for i in range(3):
        account, _ = family(
            console.school,
            "P",
            f"Lot{i}",
            [(f"E{i}", f"Lot{i}", "CP A", "CP")],
            email=f"lot{i}@example.org",
        )
        ids.append(account.id)
    db.session.commit()
    page = text(_notify(console, ids, "email"))
    link = re.search(r'href="(/admin/envois/[0-9a-f]+)"', page).group(1)
    progress = text(console.client.get(link))
    assert "courrier(s) traité(s) sur 3" in progress
    batch = db.session.scalar(db.select(LetterBatch))
    assert (
        db.session.scalar(
            db.select(db.func.count()).where(Message.batch_id == batch.message_batch_id)
        )
        == 3
    )


def test_a_single_email_that_cannot_be_sent_yet_is_said(make_app):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there
    app = make_app(
        WTF_CSRF_ENABLED=False,
        MAIL_BACKEND="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(port),
        SMTP_TIMEOUT="2",
        REDIS_URL="",
    )
    from tests.admin.conftest import make_director
    from tests.admin.conftest import sign_in

    with app.app_context():
        school = factories.make_school("0311478N", "École")
        make_director(schools=[school])
        account, _ = family(
            school, "Jean", "Dupont", [("Léa", "Dupont", "CP A", "CP")], email="j@example.org"
        )
        db.session.commit()
        account_id = account.id
    client = app.test_client()
    sign_in(client)
    page = text(
        client.post(
            "/admin/responsables/notifier",
            data={"ids": [account_id], "channel": "email", "origin": "account"},
        )
    )
    # The relay is down: the email is not sent yet, the worker will try again.
    assert "Le courrier électronique à j@example.org n'est pas encore parti." in page
    assert "il sera retenté dans quelques minutes" in page


def test_a_notification_at_2330_utc_on_31_december_is_dated_1_january(console, monkeypatch):
    """SPEC §4: the distribution date is the Paris calendar date, and the temporary
    password's validity starts that day; the account page and the search list show it."""
    account, _ = family(console.school, "Jean", "Dupont", [("Léa", "Dupont", "CM1 NEW", "CM1")])
    db.session.commit()
    new_year = dt.datetime(2026, 12, 31, 23, 30)  # 00:30 on 1 January 2027 in Paris
    for module in ("admin.notify_views", "admin.account_views"):  # the console's clock
        monkeypatch.setattr(f"{module}.utcnow", lambda: new_year)
    _notify(console, [account.id], "letter")
    db.session.refresh(account)
    assert account.distribution_date == dt.date(2027, 1, 1)
    assert account.temporary_password_issued_on == dt.date(2027, 1, 1)

    page = text(console.client.get(f"/admin/comptes/{account.id}"))
    assert "Date de distribution</th><td>01-01-2027</td>" in page
    # Three calendar months (SPEC §4): issued on 1 January, valid through 1 April.
    assert "mot de passe provisoire valable jusqu'au 01-04-2027" in page
    results = text(
        console.client.get("/admin/responsables", query_string=search_args(console.school))
    )
    row = results.split("DUPONT Léa")[1].split("</tr>")[0]
    assert "<td>01-01-2027</td>" in row
