"""Every page a parent or a director sees is French, on the DSFR frame, and keeps the
RGAA habits `tests/html_audit.py` checks: one page per state a person meets it in
(signed out, parent signed in, pending activation, FranceConnect linking, director with
a school, error pages, forms sent back with their errors)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import render_template

from accounts.models import AccountState
from idp import clients
from kernel import runtime
from kernel.clock import utcnow
from kernel.extensions import db
from messaging.models import Channel
from messaging.models import Message
from messaging.models import MessageStatus
from tests import factories
from tests.admin.conftest import make_director
from tests.admin.conftest import search_args
from tests.admin.conftest import sign_in as director_sign_in
from tests.html_audit import audit

MOBILE = "+33612345678"
TYPED_MOBILE = "06 12 34 56 78"


@pytest.fixture
def app(make_app):
    return make_app(WTF_CSRF_ENABLED=False, RECOVERY_MIN_SECONDS=0)


@pytest.fixture
def language() -> str:
    """The language the browser chose (the switch's cookie); parents' pages are
    audited in each (IN_EVERY_LANGUAGE), the console's in French only."""
    return "fr"


@pytest.fixture
def client(app, language):
    client = app.test_client()
    if language != "fr":
        client.set_cookie("guichet_lang", language)
    return client


IN_EVERY_LANGUAGE = pytest.mark.parametrize("language", ["fr", "en", "ar"])


class Pages:
    """What a browser met, page by page, audited together at the end."""

    def __init__(self, app, language: str = "fr"):
        self.app = app
        self.language = language
        self.seen: list[tuple[str, int, str, str]] = []

    def add(
        self,
        label: str,
        response,
        status: int | tuple = 200,
        *,
        at: str | None = None,
        language: str | None = None,
    ):
        """Keep a page; `at` is the path the browser must have reached (redirects followed);
        `language` for a page French whatever the choice (the console's)."""
        statuses = status if isinstance(status, tuple) else (status,)
        assert response.status_code in statuses, (label, response.status_code)
        if at is not None:
            assert response.request.path == at, (label, response.request.path)
        assert response.mimetype == "text/html", (label, response.mimetype)
        self.seen.append(
            (
                label,
                response.status_code,
                response.get_data(as_text=True),
                language or self.language,
            )
        )
        return response

    def problems(self) -> list[str]:
        name = self.app.extensions["guichet.settings"].product.name
        found = []
        for label, status, html, language in self.seen:
            found += [
                f"{label} [{status}, {language}]: {problem}"
                for problem in audit(html, name, language)
            ]
        return found


def check(pages: Pages) -> None:
    assert pages.seen
    problems = pages.problems()
    assert not problems, "\n".join(problems)


def last_message(to: str) -> Message:
    query = db.select(Message).where(Message.recipient == to).order_by(Message.id.desc())
    message = db.session.scalars(query).first()
    assert message is not None, f"no message to {to}"
    return message


def code_in(message: Message) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def link_in(message: Message) -> str:
    url = re.search(r"https?://[^\s\"<>]+", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def notified_account(school, **names):
    guardian, pupils = factories.make_family(school, **names)
    factories.set_state(guardian.account, AccountState.NOTIFIED, now=utcnow())
    temporary = runtime.passwords().temporary_password(guardian.account)
    db.session.commit()
    return guardian.account, temporary, pupils


# -- signed out ---------------------------------------------------------------------


@IN_EVERY_LANGUAGE
def test_signed_out_pages(app, client, app_ctx, language):
    pages = Pages(app, language)
    for path in (
        "/connexion",
        "/inscription",
        "/identifiant-perdu",
        "/identifiant-perdu?mode=email",
        "/identifiant-perdu?mode=sms",
        "/mot-de-passe-perdu",
        "/aide",
    ):
        pages.add(path, client.get(path))
    pages.add("sign-in, empty", client.post("/connexion", data={}), 400)
    pages.add(
        "sign-in, refused",
        client.post("/connexion", data={"identifier": "x.y", "password": "faux"}),
        400,
    )
    pages.add("registration, empty", client.post("/inscription", data={}), (200, 400))
    pages.add(
        "lost identifier, bad email",
        client.post("/identifiant-perdu?mode=email", data={"email": "pas-une-adresse"}),
        (200, 400),
    )
    pages.add(
        "lost identifier, bad mobile",
        client.post("/identifiant-perdu?mode=sms", data={"region": "FR", "mobile": "12"}),
        (200, 400),
    )
    pages.add("lost password, empty", client.post("/mot-de-passe-perdu", data={}), (200, 400))
    pages.add(
        "lost identifier, sent",
        client.post("/identifiant-perdu?mode=email", data={"email": "a@example.org"}),
    )
    for path in ("/activation", "/mot-de-passe/nouveau", "/activation/courriel"):
        pages.add(f"{path}, expired", client.get(path), (200, 400))
    pages.add("bad activation link", client.get("/activation/valider/inconnu"), (200, 400, 404))
    pages.add("bad reset link", client.get("/mot-de-passe-perdu/lien/inconnu"), (200, 400, 404))
    pages.add("signed out", client.get("/deconnexion", follow_redirects=True))
    check(pages)


@IN_EVERY_LANGUAGE
def test_error_pages(app, client, make_app, language):
    pages = Pages(app, language)
    pages.add("404", client.get("/nulle-part"), 404)
    not_allowed = pages.add("405", client.get("/admin/deconnexion"), 405, language="fr")
    assert "POST" in not_allowed.headers["Allow"]
    pages.add("OIDC error", client.get("/authorize?client_id=inconnu&response_type=code"), 400)
    pages.add(
        "OIDC error, no client",
        client.get("/authorize?response_type=code&scope=openid"),
        400,
    )
    strict = make_app()  # CSRF on
    strict_client = strict.test_client()
    if language != "fr":
        strict_client.set_cookie("guichet_lang", language)
    pages.add("CSRF", strict_client.post("/connexion", data={}), 400)
    with app.test_request_context("/"):
        for template in ("errors/429.html", "errors/500.html"):
            html = render_template(template)
            pages.seen.append((template, 0, html, "fr"))
    check(pages)


# -- SMS self-registration and recovery ---------------------------------------------


@IN_EVERY_LANGUAGE
def test_sms_registration_pages(app, client, app_ctx, school, language):
    _guardian, pupils = factories.make_family(school, children=2)
    db.session.commit()
    pages = Pages(app, language)
    typed = {"last_name": "Martin", "first_name": "Gérald", "region": "FR"}
    pages.add(
        "registration, unknown number",
        client.post(
            "/inscription", data={**typed, "mobile": "06 99 99 99 99"}, follow_redirects=True
        ),
        (200, 400),
    )
    pages.add(
        "code page",
        client.post("/inscription", data={**typed, "mobile": TYPED_MOBILE}, follow_redirects=True),
        at="/inscription/code",
    )
    pages.add("code, empty", client.post("/inscription/code", data={}), (200, 400))
    pages.add(
        "children page",
        client.post(
            "/inscription/code",
            data={"code": code_in(last_message(MOBILE))},
            follow_redirects=True,
        ),
        at="/inscription/enfants",
    )
    pages.add(
        "children, missing date",
        client.post("/inscription/enfants", data={}),
        (200, 400),
    )
    pages.add(
        "children, wrong date",
        client.post(
            "/inscription/enfants",
            data={f"birth_date_{p.id}": "2001-01-01" for p in pupils},
        ),
        (200, 400),
    )
    pages.add(
        "password page",
        client.post(
            "/inscription/enfants",
            data={f"birth_date_{p.id}": p.birth_date.isoformat() for p in pupils},
            follow_redirects=True,
        ),
        at="/inscription/mot-de-passe",
    )
    pages.add(
        "password, mismatched",
        client.post("/inscription/mot-de-passe", data={"password": "Famille2026", "confirm": "x"}),
        (200, 400),
    )
    pages.add(
        "registered",
        client.post(
            "/inscription/mot-de-passe",
            data={"password": "Famille2026", "confirm": "Famille2026", "terms": "y"},
            follow_redirects=True,
        ),
    )
    # A wrong code ends the journey (003).
    other = app.test_client()
    other.post("/inscription", data={**typed, "mobile": TYPED_MOBILE})
    pages.add("code, wrong", other.post("/inscription/code", data={"code": "000000"}), (200, 400))
    check(pages)


@IN_EVERY_LANGUAGE
def test_recovery_pages(app, client, app_ctx, activated_account, language):
    activated_account.email, activated_account.email_verified = "gerald@example.org", True
    activated_account.mobile, activated_account.mobile_verified = MOBILE, True
    db.session.commit()
    identifier = activated_account.identifier
    pages = Pages(app, language)
    pages.add(
        "lost password, email sent",
        client.post(
            "/mot-de-passe-perdu",
            data={"identifier": identifier, "mode": "email", "email": "gerald@example.org"},
        ),
    )
    link = link_in(last_message("gerald@example.org"))
    pages.add("new password", client.get(link))
    pages.add(
        "new password, mismatched",
        client.post(link, data={"password": "Nouveau2026", "confirm": "Autre2026"}),
        (200, 400),
    )
    pages.add(
        "password changed",
        client.post(
            link, data={"password": "Nouveau2026", "confirm": "Nouveau2026"}, follow_redirects=True
        ),
    )
    pages.add(
        "lost password, code page",
        client.post(
            "/mot-de-passe-perdu",
            data={"identifier": identifier, "mode": "sms"},
            follow_redirects=True,
        ),
        at="/mot-de-passe-perdu/code",
    )
    pages.add("code, empty", client.post("/mot-de-passe-perdu/code", data={}), (200, 400))
    pages.add(
        "code, wrong", client.post("/mot-de-passe-perdu/code", data={"code": "000000"}), (200, 400)
    )
    client.post("/mot-de-passe-perdu", data={"identifier": identifier, "mode": "sms"})
    new_password = pages.add(
        "new password after the SMS code",
        client.post(
            "/mot-de-passe-perdu/code",
            data={"code": code_in(last_message(MOBILE))},
            follow_redirects=True,
        ),
    )
    assert new_password.request.path == "/mot-de-passe-perdu/nouveau"
    pages.add(
        "new password after the SMS code, mismatched",
        client.post("/mot-de-passe-perdu/nouveau", data={"password": "Nouveau2026"}),
        (200, 400),
    )
    check(pages)


# -- pending activation, forced password change ------------------------------------------


@IN_EVERY_LANGUAGE
def test_pending_activation_pages(app, client, app_ctx, school, language):
    account, temporary, _pupils = notified_account(school)
    pages = Pages(app, language)
    signed = client.post(
        "/connexion", data={"identifier": account.identifier, "password": temporary}
    )
    assert signed.headers["Location"].startswith("/activation")
    pages.add("activation", client.get("/activation"))
    pages.add("activation, empty", client.post("/activation", data={}), (200, 400))
    pages.add(
        "activation, wrong birth date",
        client.post(
            "/activation",
            data={
                "password": "Nouveau2026",
                "confirm": "Nouveau2026",
                "email": "gerald@example.org",
                "birth_date": "2001-01-01",
                "terms": "y",
            },
        ),
        (200, 400),
    )
    pages.add(
        "awaiting email",
        client.post(
            "/activation",
            data={
                "password": "Nouveau2026",
                "confirm": "Nouveau2026",
                "email": "gerald@example.org",
                "birth_date": "2016-04-11",
                "terms": "y",
            },
            follow_redirects=True,
        ),
        at="/activation/courriel",
    )
    pages.add(
        "awaiting email, bad address",
        client.post("/activation/courriel", data={"email": "pas-une-adresse"}),
        (200, 400),
    )
    link = link_in(last_message("gerald@example.org"))
    browser = app.test_client()
    pages.add("confirm email", browser.get(link))
    pages.add("activated", browser.post(link, follow_redirects=True))

    # An activated account whose password was reset: a new password first.
    reset, temporary, _ = notified_account(school, first_name="Anne", last_name="Petit")
    factories.set_state(reset, AccountState.ACTIVATED, now=utcnow())
    runtime.passwords().issue_temporary(reset, today=utcnow().date())
    temporary = runtime.passwords().temporary_password(reset)
    db.session.commit()
    other = app.test_client()
    other.post("/connexion", data={"identifier": reset.identifier, "password": temporary})
    pages.add("choose password", other.get("/mot-de-passe/nouveau"))
    pages.add(
        "choose password, too short",
        other.post("/mot-de-passe/nouveau", data={"password": "court", "confirm": "court"}),
        (200, 400),
    )
    check(pages)


# -- parent signed in ---------------------------------------------------------------------


@IN_EVERY_LANGUAGE
def test_parent_pages(app, client, app_ctx, school, activated_account, language):
    factories.sign_in_client(client, activated_account)
    other, other_password, _ = notified_account(
        factories.make_school(), first_name=activated_account.first_name
    )
    pages = Pages(app, language)
    for path in (
        "/compte",
        "/compte/adresse",
        "/compte/mobile",
        "/compte/mot-de-passe",
        "/compte/enfants/ajouter",
        "/session",
    ):
        pages.add(path, client.get(path))
    pages.add(
        "email, mismatched",
        client.post("/compte/adresse", data={"email": "a@b.fr"}),
        (200, 400),
    )
    pages.add(
        "email pending",
        client.post(
            "/compte/adresse",
            data={"email": "nouvelle@example.org", "confirm": "nouvelle@example.org"},
            follow_redirects=True,
        ),
    )
    pages.add("email pending, change page", client.get("/compte/adresse"))
    link = link_in(last_message("nouvelle@example.org"))
    pages.add("confirm new email", client.get(link))
    pages.add("email confirmed", client.post(link, follow_redirects=True))
    pages.add(
        "mobile, landline",
        client.post("/compte/mobile", data={"region": "FR", "mobile": "01 23 45 67 89"}),
        (200, 400),
    )
    pages.add(
        "mobile code",
        client.post(
            "/compte/mobile",
            data={"region": "FR", "mobile": "07 81 22 33 44"},
            follow_redirects=True,
        ),
        at="/compte/mobile/code",
    )
    pages.add(
        "mobile code, wrong",
        client.post("/compte/mobile/code", data={"code": "000000"}),
        (200, 400),
    )
    pages.add(
        "password, wrong current",
        client.post(
            "/compte/mot-de-passe",
            data={"current": "faux", "password": "Nouveau2026", "confirm": "Nouveau2026"},
        ),
        (200, 400),
    )
    pages.add("merge, empty", client.post("/compte/enfants/ajouter", data={}), (200, 400))
    pages.add(
        "merge, wrong password",
        client.post(
            "/compte/enfants/ajouter", data={"identifier": other.identifier, "password": "faux"}
        ),
        (200, 400),
    )
    pages.add(
        "merge, confirm",
        client.post(
            "/compte/enfants/ajouter",
            data={"identifier": other.identifier, "password": other_password},
            follow_redirects=True,
        ),
        at="/compte/enfants/ajouter/confirmer",
    )
    pages.add(
        "merged",
        client.post("/compte/enfants/ajouter/confirmer", data={}, follow_redirects=True),
    )
    pages.add("sign-out confirmation", client.get("/deconnexion"))

    # An account waiting for its activation link.
    waiting, _temporary, _ = notified_account(school, first_name="Anne", last_name="Petit")
    factories.set_state(waiting, AccountState.ACTIVATING, now=utcnow())
    db.session.commit()
    browser = app.test_client()
    factories.sign_in_client(browser, waiting)
    pages.add("account page, activating", browser.get("/compte"))
    check(pages)


@IN_EVERY_LANGUAGE
def test_parent_connections_and_data_pages(app, client, app_ctx, activated_account, language):
    """«Mes connexions» and «Mes données» (issue 17): two sessions, the alert switch,
    the password asked again (wrong once), the downloads and the readable page."""
    from accounts import sessions

    now = utcnow()
    factories.sign_in_client(client, activated_account, now=now - dt.timedelta(minutes=10))
    sessions.open_session(
        activated_account, now=now, amr=["pwd"], user_agent="Mozilla/5.0 (iPhone) Safari/604.1"
    )
    db.session.commit()
    pages = Pages(app, language)
    pages.add("my connections", client.get("/compte/connexions"))
    pages.add(
        "my connections, alert on",
        client.post("/compte/connexions/alertes", data={"enabled": "y"}, follow_redirects=True),
        at="/compte/connexions",
    )
    pages.add(
        "my connections, one ended",
        client.post("/compte/connexions/terminer", data={"which": "others"}, follow_redirects=True),
        at="/compte/connexions",
    )
    pages.add("my data, password asked", client.get("/compte/mes-donnees"))
    pages.add("my data, empty password", client.post("/compte/mes-donnees", data={}), (200, 400))
    pages.add(
        "my data, wrong password",
        client.post("/compte/mes-donnees", data={"password": "faux"}),
        (200, 400),
    )
    pages.add(
        "my data, downloads",
        client.post("/compte/mes-donnees", data={"password": "Secret123"}, follow_redirects=True),
        at="/compte/mes-donnees",
    )
    pages.add("my data, readable", client.get("/compte/mes-donnees/consulter"))
    pages.add(
        "my connections, all ended",
        client.post("/compte/connexions/terminer", data={"which": "all"}, follow_redirects=True),
        at="/connexion",
    )
    check(pages)


@IN_EVERY_LANGUAGE
def test_consent_page(app, client, app_ctx, activated_account, language):
    client_row, _secret = clients.add_client(
        now=utcnow(),
        name="Cantine",
        redirect_uris=["http://rp.example/callback"],
        post_logout_redirect_uris=["http://rp.example/"],
        scope="openid profile email",
        trusted=False,
    )
    db.session.commit()
    query = (
        f"/authorize?client_id={client_row.client_id}&response_type=code&scope=openid+profile"
        "&redirect_uri=http://rp.example/callback&state=s&nonce=n"
        "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    )
    pages = Pages(app, language)
    pages.add("sign-in at the authorization request", client.get(query))
    pages.add("sign-in there, empty", client.post(query, data={"password": ""}), 400)
    pages.add(
        "sign-in there, refused",
        client.post(query, data={"identifier": "x.y", "password": "faux"}),
        400,
    )
    factories.sign_in_client(client, activated_account)
    pages.add("consent", client.get(query))
    asked = pages.add(
        "sign-out asked by a service",
        client.get(
            f"/deconnexion?client_id={client_row.client_id}"
            "&post_logout_redirect_uri=http://rp.example/"
        ),
    )
    assert "Cantine" in asked.get_data(as_text=True)
    if language == "fr":
        assert "« Cantine » demande votre déconnexion" in asked.get_data(as_text=True)
    check(pages)


# -- FranceConnect ------------------------------------------------------------------------


@IN_EVERY_LANGUAGE
def test_franceconnect_pages(app, client, app_ctx, school, language):
    guardian, pupils = factories.make_family(school)
    db.session.commit()
    pages = Pages(app, language)
    pages.add("linking expired", client.get("/franceconnect/liaison", follow_redirects=True))
    pages.add("callback without request", client.get("/franceconnect/retour"), 400)
    pages.add("sign-out confirmation", client.get("/franceconnect/deconnexion"))
    pages.add("signed out", client.get("/franceconnect/deconnexion/fin"))
    with client.session_transaction() as browser:
        browser["fc_linking"] = {
            "identity": {"sub": "fc-a11y", "given_name": "Gérald", "family_name": "Martin"},
            "next": None,
            "expires": (utcnow() + dt.timedelta(minutes=30)).isoformat(),
        }
    pages.add("link: mobile", client.get("/franceconnect/liaison"))
    pages.add("link: mobile, empty", client.post("/franceconnect/liaison", data={}), (200, 400))
    pages.add(
        "link: code",
        client.post("/franceconnect/liaison", data={"mobile": TYPED_MOBILE}, follow_redirects=True),
        at="/franceconnect/liaison/code",
    )
    pages.add("link: code, empty", client.post("/franceconnect/liaison/code", data={}), (200, 400))
    pages.add(
        "link: code, wrong",
        client.post("/franceconnect/liaison/code", data={"code": "000000"}),
        (200, 400),
    )
    client.post("/franceconnect/liaison", data={"mobile": TYPED_MOBILE})
    pages.add(
        "link: children",
        client.post(
            "/franceconnect/liaison/code",
            data={"code": code_in(last_message(MOBILE))},
            follow_redirects=True,
        ),
        at="/franceconnect/liaison/enfants",
    )
    key = f"{guardian.account.id}_{pupils[0].id}"
    pages.add(
        "link: children, errors",
        client.post("/franceconnect/liaison/enfants", data={f"birth_{key}": "pas une date"}),
        (200, 400),
    )
    pages.add(
        "account page, linked",
        client.post(
            "/franceconnect/liaison/enfants",
            data={f"birth_{key}": pupils[0].birth_date.isoformat(), "accept_terms": "y"},
            follow_redirects=True,
        ),
    )
    check(pages)


# -- the directors' console ---------------------------------------------------------------


def test_console_pages(app, client, app_ctx):
    from tests.admin.conftest import family

    school = factories.make_school("0311478N", "E.E.PR-SAINTE-FAMILLE DES MINIMES")
    other_school = factories.make_school("0312151V", "E.E.PU-ALFRED DE MUSSET")
    make_director(schools=[school, other_school])
    activating, _ = family(
        school,
        "Jean",
        "Dupont",
        [("Léa", "Dupont", "CP A", "CP")],
        email="j@example.org",
        state=AccountState.ACTIVATING,
    )
    paul, _ = family(
        school, "Paul", "Durand", [("Hugo", "Durand", "CE1 B", "CE1")], email="p@example.org"
    )
    factories.fail_attempts("password", "password:j", now=utcnow(), account=activating, count=20)
    db.session.commit()
    a = activating.id
    pages = Pages(app)
    pages.add("sign-in", client.get("/admin/connexion"))
    pages.add("sign-in, empty", client.post("/admin/connexion", data={}), (200, 400))
    pages.add(
        "sign-in, refused",
        client.post("/admin/connexion", data={"identifier": "d.durand", "password": "faux"}),
        (200, 400),
    )
    assert director_sign_in(client).status_code == 302
    pages.add("home, two schools", client.get("/admin/"))
    pages.add(
        "home, school picked",
        client.post("/admin/", data={"school_id": school.id}, follow_redirects=True),
        at="/admin/",
    )
    pages.add("search, waiting", client.get("/admin/responsables"))
    pages.add(
        "search, results", client.get("/admin/responsables", query_string=search_args(school))
    )
    pages.add(
        "search, nothing",
        client.get("/admin/responsables", query_string=search_args(school, q="Personne")),
    )
    pages.add("account", client.get(f"/admin/comptes/{a}"))
    pages.add("resend", client.get(f"/admin/comptes/{a}/courriel-activation"))
    pages.add(
        "resend, bad address",
        client.post(f"/admin/comptes/{a}/courriel-activation", data={"email": "pas-une-adresse"}),
        (200, 400),
    )
    pages.add("statistics, never computed", client.get("/admin/statistiques"))
    pages.add("statistics", client.post("/admin/statistiques", follow_redirects=True))
    pages.add("journal", client.get("/admin/journal"))
    pages.add("journal, bad date", client.get("/admin/journal?date_from=hier"), (200, 400))
    for action in ("notify_letter", "reset"):
        pages.add(
            f"confirm {action}",
            client.post("/admin/responsables/actions", data={"action": action, "ids": [a]}),
        )
    pages.add(
        "nothing selected",
        client.post("/admin/responsables/actions", data={"action": "reset"}, follow_redirects=True),
    )
    notified = pages.add(
        "notified by email",
        client.post("/admin/responsables/notifier", data={"ids": [a, paul.id], "channel": "email"}),
    )
    pages.add(
        "notified by letter",
        client.post(
            f"/admin/comptes/{a}/notifier", data={"channel": "letter"}, follow_redirects=True
        ),
    )
    pages.add("reset", client.post("/admin/responsables/reinitialiser", data={"ids": [a]}))
    pages.add(
        "notified, one letter",
        client.post(
            "/admin/responsables/notifier",
            data={"ids": [a], "channel": "letter", "origin": "account"},
        ),
    )
    progress = re.search(r'href="(/admin/envois/[^"]+)"', notified.get_data(as_text=True))
    assert progress, "no link to the progress page"
    pages.add("progress", client.get(progress.group(1)))
    pages.add("signed out", client.post("/admin/deconnexion", follow_redirects=True))
    check(pages)


def test_console_pages_without_school_and_with_a_second_factor(app, client, app_ctx):
    make_director("d.seul")
    make_director("d.totp", schools=[factories.make_school()])
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["directors", "totp", "d.totp"])
    assert result.exit_code == 0, result.output
    pages = Pages(app)
    assert director_sign_in(client, "d.seul").status_code == 302
    pages.add("home, no school", client.get("/admin/"))
    other = app.test_client()
    assert director_sign_in(other, "d.totp").headers["Location"] == "/admin/connexion/code"
    pages.add("second factor", other.get("/admin/connexion/code"))
    pages.add(
        "second factor, wrong",
        other.post("/admin/connexion/code", data={"code": "000000"}),
        (200, 400),
    )
    pages.add("second factor, empty", other.post("/admin/connexion/code", data={}), (200, 400))
    check(pages)


# -- development outbox --------------------------------------------------------------------


def test_outbox_pages(app, client, app_ctx, school):
    factories.make_family(school)
    db.session.commit()
    typed = {"last_name": "Martin", "first_name": "Gérald", "region": "FR", "mobile": TYPED_MOBILE}
    client.post("/inscription", data=typed)
    sms = db.session.scalar(db.select(Message).where(Message.channel == Channel.SMS))
    pages = Pages(app)
    pages.add("outbox", client.get("/dev/outbox"))
    pages.add("outbox, filtered", client.get(f"/dev/outbox?to={MOBILE}"))
    pages.add("outbox, bad filter", client.get("/dev/outbox?to=n'importe"), (200, 400))
    pages.add("message", client.get(f"/dev/outbox/{sms.id}"))
    sms.status, sms.error = MessageStatus.FAILED, "Connection refused by the provider"
    db.session.commit()
    pages.add("failed message", client.get(f"/dev/outbox/{sms.id}"))
    pages.add("outbox, a failure", client.get("/dev/outbox"))
    check(pages)


# -- the audit itself ---------------------------------------------------------------------

GOOD = """<!doctype html><html lang="fr"><head><title>Erreur : Connexion — Guichet</title>
<link rel="stylesheet" href="/dsfr/dsfr.min.css"></head><body>
<div class="fr-skiplinks"><a href="#contenu">Contenu</a></div>
<header role="banner" class="fr-header"></header>
<main id="contenu"><h1>Connexion</h1>
<form method="post"><div class="fr-input-group fr-input-group--error">
<label for="x">Identifiant</label>
<input id="x" name="x" class="fr-input fr-input--error" aria-describedby="x-error">
<p id="x-error" class="fr-error-text">Ce champ est obligatoire.</p></div>
<button type="submit">Valider</button></form></main>
<footer role="contentinfo" class="fr-footer"></footer></body></html>"""


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (('lang="fr"', 'lang="en"'), "lang"),
        (("Erreur : Connexion — Guichet", "Guichet — Guichet"), "does not name the page"),
        (("Erreur : Connexion", "Connexion"), "does not start with «Erreur»"),
        (("<h1>Connexion</h1>", "<h1>Connexion</h1><h1>Encore</h1>"), "<h1>"),
        (('<label for="x">', '<label for="y">'), "no <label for>"),
        ((' aria-describedby="x-error"', ""), "aria-describedby"),
        ((" fr-input--error", ""), "fr-input--error"),
        (("Ce champ est obligatoire.", "This field is required."), "another language"),
        (("Valider</button>", "</button>"), "without text"),
        (('<input id="x"', '<input type="email" id="x"'), "no autocomplete"),
        ((">Identifiant</label>", "></label>"), "empty <label"),
        (('<button type="submit">Valider</button>', ""), "without a submit button"),
        (('<header role="banner" class="fr-header"></header>', ""), "DSFR header"),
        (('<footer role="contentinfo" class="fr-footer"></footer>', ""), "DSFR footer"),
        (('href="#contenu"', 'href="#ailleurs"'), "skip link"),
        (
            ('<input id="x"', '<input type="radio" value="1" id="x"'),
            "without <fieldset> and <legend>",
        ),
    ],
)
def test_the_audit_catches_each_broken_rule(change, complaint):
    assert audit(GOOD, "Guichet") == []
    broken = audit(GOOD.replace(*change), "Guichet")
    assert any(complaint in problem for problem in broken), broken


ENGLISH_PAGE = (
    GOOD.replace('lang="fr"', 'lang="en"')
    .replace("Erreur : Connexion", "Error: Sign in")
    .replace("<h1>Connexion</h1>", "<h1>Sign in</h1>")
    .replace(">Identifiant<", ">Identifier<")
    .replace("Ce champ est obligatoire.", "Required.")
    .replace(">Valider<", ">Confirm<")
)


@pytest.mark.parametrize(
    ("language", "change", "complaint"),
    [
        ("en", ("Required.", "Ce champ est obligatoire."), "another language than 'en'"),
        ("en", ('lang="en"', 'lang="fr"'), '<html lang="en">'),
        ("en", ('<html lang="en">', '<html lang="en" dir="rtl">'), "dir='rtl'"),
        ("en", ("Error: Sign in", "Erreur : Sign in"), "does not start with «Error»"),
        ("ar", ('lang="en"', 'lang="ar"'), "dir=None"),
        ("ar", ('lang="en"', 'lang="ar" dir="rtl"'), "another language than 'ar'"),
    ],
)
def test_the_audit_wants_the_page_in_one_language(language, change, complaint):
    assert audit(ENGLISH_PAGE, "Guichet", "en") == []
    broken = audit(ENGLISH_PAGE.replace(*change), "Guichet", language)
    assert any(complaint in problem for problem in broken), broken


def test_a_language_name_marked_with_its_lang_is_not_a_foreign_word():
    switch = '<p><span lang="fr">Français</span> <span lang="fr">Mon compte</span></p></main>'
    assert audit(ENGLISH_PAGE.replace("</main>", switch), "Guichet", "en") == []
