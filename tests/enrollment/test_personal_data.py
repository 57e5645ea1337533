"""«Mes données» (issue 17, GDPR art. 15 and 20): a password typed within the last
five minutes opens the downloads; the JSON and the readable page hold the
parent's account, contacts, children and schools, consents, services, sign-ins,
browsers, FranceConnect links, messages without their bodies and audit events —
and nothing of another parent, even one sharing the family's email. Throttled,
audited."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine

from accounts import audit
from accounts import sessions
from accounts.models import AuditEvent
from enrollment import personal_data_words
from enrollment import profile
from federation.models import FranceConnectLink
from idp import clients
from idp import consents
from idp.oauth_models import SessionService
from kernel.extensions import db
from tests import factories
from tests.enrollment.conftest import text

START = dt.datetime(2026, 11, 24, 9, 30)
SHARED = "famille.martin@example.org"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def family(app_ctx, school, clock):
    """Gérald (signed in) and Anne share the family's email; each has their own child,
    messages, consent and FranceConnect link."""
    gerald = factories.make_family(school, email=SHARED)[0].account
    anne_guardian, _ = factories.make_family(
        school, first_name="Anne", last_name="Durand", email=SHARED, mobile="+33698765432"
    )
    anne = anne_guardian.account
    service, _ = clients.add_client(
        now=START,
        name="Portail famille",
        sector="portail.example",
        scope="openid profile",
        redirect_uris=["http://portail.example/cb"],
    )
    for account in (gerald, anne):
        factories.activate(account, password="Secret123")
        account.email, account.email_verified = SHARED, True
        account.terms_version, account.terms_accepted_at = "2026-09", START
        consents.record(account.id, service, "openid profile", now=START)
        profile.request_email_change(account, f"{account.identifier}@example.org", now=START)
        db.session.add(
            FranceConnectLink(
                sub=f"fc-{account.identifier}",
                account_id=account.id,
                given_name=account.first_name,
                family_name=account.last_name,
                linked_at=START,
            )
        )
    other_login = sessions.open_session(anne, now=START, amr=["pwd"], user_agent="Firefox/1")
    db.session.flush()
    db.session.add(
        SessionService(login_session_id=other_login.id, client_id=service.id, first_at=START)
    )
    db.session.commit()
    return gerald, anne, service


def signed_in(client, account, *, ago=dt.timedelta(0)):
    login = factories.sign_in_client(client, account, now=START - ago)
    return login


def readable_page(client, account, language: str) -> str:
    """The readable page of `account`'s data, signed in just now, in `language`."""
    signed_in(client, account)
    client.set_cookie("guichet_lang", language)
    return text(client.get("/compte/mes-donnees/consulter"))


def download(client):
    response = client.get("/compte/mes-donnees/donnees.json")
    assert response.status_code == 200, response.headers.get("Location")
    return response.get_json()


def test_my_data_needs_a_session(client):
    response = client.get("/compte/mes-donnees")
    assert response.headers["Location"] == "/connexion?next=/compte/mes-donnees"
    response = client.get("/compte/mes-donnees/donnees.json")
    assert response.headers["Location"].startswith("/connexion?next=")


def test_a_sign_in_older_than_five_minutes_asks_for_the_password(client, family):
    gerald, _, _ = family
    signed_in(client, gerald, ago=dt.timedelta(minutes=5, seconds=1))
    page = text(client.get("/compte/mes-donnees"))
    assert "saisissez à nouveau votre mot de passe" in page
    assert 'autocomplete="current-password"' in page
    for path in ("/compte/mes-donnees/donnees.json", "/compte/mes-donnees/consulter"):
        response = client.get(path)
        assert response.headers["Location"] == "/compte/mes-donnees"
    assert "Pour télécharger vos données" in text(client.get("/compte/mes-donnees"))


def test_a_fresh_sign_in_downloads_at_once(client, family):
    gerald, _, _ = family
    signed_in(client, gerald, ago=dt.timedelta(minutes=4, seconds=59))
    assert "Télécharger mes données" in text(client.get("/compte/mes-donnees"))
    assert download(client)["account"][0]["identifier"] == gerald.identifier


def test_the_password_opens_the_downloads_for_five_minutes(client, family, clock):
    gerald, _, _ = family
    login = signed_in(client, gerald, ago=dt.timedelta(minutes=10))
    refused = client.post("/compte/mes-donnees", data={"password": "Mauvais123"})
    assert refused.status_code == 400
    assert "Identifiant ou mot de passe incorrect." in text(refused)
    assert client.get("/compte/mes-donnees/donnees.json").status_code == 302

    accepted = client.post("/compte/mes-donnees", data={"password": "Secret123"})
    assert accepted.headers["Location"] == "/compte/mes-donnees"
    assert db.session.get(sessions.LoginSession, login.id).auth_time == START
    assert download(client)["account"][0]["identifier"] == gerald.identifier
    clock.shift(dt.timedelta(minutes=5))
    assert client.get("/compte/mes-donnees/donnees.json").status_code == 200
    clock.shift(dt.timedelta(seconds=1))
    assert client.get("/compte/mes-donnees/donnees.json").status_code == 302


def test_wrong_passwords_are_throttled_like_the_sign_in(client, family):
    gerald, _, _ = family
    signed_in(client, gerald, ago=dt.timedelta(minutes=10))
    factories.fail_attempts("password", f"password:{gerald.identifier}", now=START, count=20)
    response = client.post("/compte/mes-donnees", data={"password": "Secret123"})
    assert response.status_code == 400
    assert "ce parcours est bloqué" in text(response)
    assert client.get("/compte/mes-donnees/donnees.json").status_code == 302


def test_the_json_holds_everything_about_the_parent(client, family):
    gerald, _, _ = family
    signed_in(client, gerald)
    data = download(client)
    assert data["account"][0]["state"] == "Activé"
    assert data["contacts"][0]["email"] == SHARED
    assert [r["email"] for r in data["registry_records"]] == [SHARED]
    [child] = data["children"]
    assert (child["first_name"], child["birth_date"]) == ("Léa", "2016-04-11")
    assert child["school_name"] == "École élémentaire Jean Jaurès" and child["class"] == "CM1 A"
    assert child["level"] == "Cours moyen 1re année"
    assert {c["version"] for c in data["consents"]} == {"2026-09", None}
    portal = next(c for c in data["consents"] if c["scope"] == "openid profile")
    assert portal["shared"] == "Identifiant de connexion ; Nom et prénom"
    assert data["consents"][0]["given_at"] == "2026-11-24T09:30:00Z"
    assert [link["given_name"] for link in data["franceconnect"]] == ["Gérald"]
    assert data["sign_ins"][0]["open"] is True
    subjects = {m["subject"] for m in data["messages"]}
    assert len(data["messages"]) == 2 and all(subjects)
    assert {(m["channel"], m["channel_code"]) for m in data["messages"]} == {("Courriel", "email")}
    assert {m["status_code"]: m["status"] for m in data["messages"]}["sent"] == "Envoyé"
    operations = {e["action"]: e["operation"] for e in data["audit_events"]}
    assert operations["account.email_change_requested"] == "Changement d'adresse mail demandé"


def test_another_parent_never_appears_even_sharing_the_email(client, family):
    gerald, anne, _ = family
    signed_in(client, gerald)
    body = client.get("/compte/mes-donnees/donnees.json").get_data(as_text=True)
    assert "Anne" not in body and "Durand" not in body and anne.identifier not in body
    assert "+33698765432" not in body and "Firefox" not in body
    data = download(client)
    assert data["services"] == []  # Anne's session reached the portal, not Gérald's
    assert all(m["recipient"] != f"{anne.identifier}@example.org" for m in data["messages"])


def test_messages_are_listed_without_their_bodies(client, family):
    gerald, _, _ = family
    signed_in(client, gerald)
    body = client.get("/compte/mes-donnees/donnees.json").get_data(as_text=True)
    assert "/compte/adresse/valider/" not in body  # the one-time link of the email change
    assert "Bonjour" not in body


def test_the_readable_page_shows_the_same_in_french(client, family):
    gerald, _, _ = family
    signed_in(client, gerald)
    response = client.get("/compte/mes-donnees/consulter")
    assert response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert "Mes données, au 24/11/2026 à 10:30" in page
    for heading in ("Enfants", "Consentements", "Historique des connexions", "Messages envoyés"):
        assert f">{heading}</h2>" in page
    assert "Liaisons FranceConnect" in page and "Cours moyen 1re année" in page
    assert "11/04/2016" in page and "Anne" not in page


@pytest.mark.parametrize(
    ("language", "downloaded", "change_requested", "sent_by_email", "data_shared"),
    [
        (
            "fr",
            "Données personnelles téléchargées par le responsable",
            "adresse mail demandé",
            "<td>Courriel</td>",
            "<td>Identifiant de connexion ; Nom et prénom</td>",
        ),
        (
            "en",
            "Personal data downloaded by the parent",
            "Email address change requested",
            "<td>Email</td>",
            "<td>Sign-in identifier; Name</td>",
        ),
    ],
)
def test_the_journal_messages_and_consents_read_in_the_parents_words_never_as_codes(
    client, family, language, downloaded, change_requested, sent_by_email, data_shared
):
    gerald, _, _ = family
    readable_page(client, gerald, language)  # audited: «Mes données» downloaded
    page = text(client.get("/compte/mes-donnees/consulter"))
    assert downloaded in page and change_requested in page
    assert "account.data_exported" not in page and "account.email_change" not in page
    assert sent_by_email in page and "<td>email</td>" not in page
    assert data_shared in page and "openid profile" not in page  # words only
    assert download(client)["audit_events"][-1]["operation"] == downloaded


@pytest.mark.parametrize(
    ("language", "methods", "ended"),
    [
        ("fr", "Code reçu par SMS et mot de passe", "Fermée depuis « Mes connexions »"),
        ("en", "Code received by SMS and password", "Ended from “My connections”"),
    ],
)
def test_sign_ins_say_how_they_were_opened_and_ended_in_words(
    client, family, language, methods, ended
):
    gerald, _, _ = family
    earlier = sessions.open_session(gerald, now=START, amr=["sms", "pwd"], user_agent="Firefox/1")
    sessions.end_session(earlier, now=START, reason="ended_by_parent")
    db.session.commit()
    page = readable_page(client, gerald, language).replace("&amp;", "&")
    assert methods in page and ended in page
    assert "ended_by_parent" not in page and ">pwd<" not in page
    ended_row = next(r for r in download(client)["sign_ins"] if r["ended_at"])
    assert ended_row["amr"] == ["sms", "pwd"] and ended_row["methods"] == methods
    assert ended_row["ended_reason_code"] == "ended_by_parent"
    assert ended_row["ended_reason"] == ended


@pytest.mark.parametrize(
    ("language", "notified", "ended"),
    [
        ("fr", "par courrier, avec un nouveau mot de passe provisoire", "2 connexions terminées"),
        ("en", "by letter, with a new temporary password", "2 connections ended"),
    ],
)
def test_the_journals_details_are_in_the_parents_language(
    client, family, language, notified, ended
):
    gerald, _, _ = family
    audit.record(
        "accounts.notified",
        actor=audit.OPERATOR,
        now=START,
        accounts=[gerald],
        summary="12 comptes, courrier, avec réinitialisation",
        details={"channel": "letter", "reset": True, "skipped": ["x.autre"]},
    )
    audit.record(
        "sessions.ended_by_parent",
        actor=audit.guardian_actor(gerald),
        now=START,
        accounts=[gerald],
        summary="2 connexion(s) terminée(s) depuis « Mes connexions »",
        details={"which": "others", "count": 2},
    )
    audit.record(
        "passkey.added", actor=audit.guardian_actor(gerald), now=START, accounts=[gerald],
        summary="Téléphone de Gérald",
    )  # fmt: skip
    db.session.commit()
    page = readable_page(client, gerald, language)
    assert f"<td>{notified}</td>" in page and f"<td>{ended}</td>" in page
    assert "<td>Téléphone de Gérald</td>" in page  # a name reads the same in every language
    assert "12 comptes" not in page and "x.autre" not in page  # the console's count
    data = download(client)
    recorded = {e["action"]: e for e in data["audit_events"]}["accounts.notified"]
    assert recorded["summary"] == "12 comptes, courrier, avec réinitialisation"
    assert recorded["detail"] == notified and "details" not in recorded


def _prose_summaries() -> dict[str, str]:
    """The actions the code records about accounts with a summary in French prose (a
    `plural(...)` or words in a string), and where."""
    found = {}
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {"tests", ".venv", "node_modules", "bench"}:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "record"):
                continue
            if not (node.args and isinstance(node.args[0], ast.Constant)):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            summary = keywords.get("summary")
            if (
                "accounts" in keywords
                and summary is not None
                and any(
                    (isinstance(part, ast.Call) and getattr(part.func, "id", None) == "plural")
                    or (isinstance(part, ast.Constant) and re.search(r"[a-zA-Z]", str(part.value)))
                    for part in ast.walk(summary)
                )
            ):
                found[node.args[0].value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_summary_in_french_prose_has_its_words_for_parents():
    """Directors' own actions never concern a parent's account: the console only."""
    prose = _prose_summaries()
    assert {"accounts.notified", "sessions.ended_by_parent"} <= set(prose)
    missing = {
        action: where
        for action, where in prose.items()
        if action not in personal_data_words.DETAILS_IN_WORDS and not action.startswith("director.")
    }
    assert missing == {}


def test_each_download_is_audited(client, family):
    gerald, _, _ = family
    signed_in(client, gerald)
    download(client)
    client.get("/compte/mes-donnees/consulter")
    events = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "account.data_exported")
    ).all()
    assert len(events) == 2
    assert all(event.actor_id == gerald.id and event.accounts == [gerald] for event in events)


def test_downloads_are_throttled_per_account(client, family):
    gerald, _, _ = family
    signed_in(client, gerald)
    for _ in range(10):
        assert client.get("/compte/mes-donnees/donnees.json").status_code == 200
    assert client.get("/compte/mes-donnees/donnees.json").status_code == 429


def test_an_account_without_a_password_is_told_to_sign_in_again(client, family):
    gerald, _, _ = family
    gerald.password_hash = None
    db.session.commit()
    signed_in(client, gerald, ago=dt.timedelta(minutes=10))
    page = text(client.get("/compte/mes-donnees"))
    assert "reconnectez-vous avec FranceConnect" in page
    assert 'type="password"' not in page
