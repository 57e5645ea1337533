"""FranceConnect sign-in against the mock FranceConnect over real HTTP (SPEC §6.4):
first sign-in links (mobile, SMS code, birth dates), later sign-ins go straight
through, two accounts are merged on the way, sign-out chains to FranceConnect."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs
from urllib.parse import urljoin
from urllib.parse import urlsplit

from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.models import AuditEvent
from accounts.sessions import LoginSession
from federation.models import FranceConnectLink
from kernel.extensions import db
from tests.federation.conftest import CAMILLE
from tests.federation.conftest import NOBODY
from tests.federation.conftest import THOMAS
from tests.federation.conftest import last_sms_code
from tests.federation.conftest import make_demo_families


def _link(browser, world, *, mobile_typed, mobile_e164, answers):
    """From the mobile page to the end of the linking journey."""
    page = browser.get(world.url + "/franceconnect/liaison")
    page = browser.submit(page, {"mobile": mobile_typed})
    assert "/franceconnect/liaison/code" in page.url, page.text
    with world.app.app_context():
        code = last_sms_code(mobile_e164)
    page = browser.submit(page, {"code": code})
    assert "/franceconnect/liaison/enfants" in page.url, page.text
    return browser.submit(page, {**answers, "accept_terms": "y"})


def _camille_linked(world):
    """A browser signed in through FranceConnect as Camille, her identity just linked."""
    with world.app.app_context():
        families = make_demo_families()
        account_id, pupil_id = families.camille.id, families.camille_child.id
        birth = families.camille_child.birth_date.isoformat()
    browser = world.browser()
    browser.franceconnect(CAMILLE)
    _link(
        browser,
        world,
        mobile_typed="0610000001",
        mobile_e164="+33610000001",
        answers={f"birth_{account_id}_{pupil_id}": birth},
    )
    return browser


def _audit_actions(app) -> list[str]:
    with app.app_context():
        return [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def test_first_sign_in_links_the_identity_activates_the_account_and_signs_in(world):
    with world.app.app_context():
        families = make_demo_families()
        account_id, pupil_id = families.camille.id, families.camille_child.id
        birth = families.camille_child.birth_date.isoformat()
    browser = world.browser()

    page = browser.franceconnect(CAMILLE)
    assert page.url == world.url + "/franceconnect/liaison"
    assert "Camille Lefèvre" in page.text
    page = _link(
        browser,
        world,
        mobile_typed="06 10 00 00 01",
        mobile_e164="+33610000001",
        answers={f"birth_{account_id}_{pupil_id}": birth},
    )

    assert page.url == world.url + "/healthz"
    with world.app.app_context():
        account = db.session.get(Account, account_id)
        assert account.state == AccountState.ACTIVATED
        assert account.origin == AccountOrigin.FRANCECONNECT
        assert account.terms_accepted_at is not None
        link = db.session.scalar(db.select(FranceConnectLink))
        assert (link.sub, link.account_id) == (CAMILLE, account_id)
        login = db.session.scalar(db.select(LoginSession))
        assert login.account_id == account_id and login.amr == ["fc"]
        assert login.acr == "eidas1" and login.upstream_id_token
    assert "franceconnect.linked" in _audit_actions(world.app)


def test_later_sign_ins_go_straight_through(world):
    with world.app.app_context():
        families = make_demo_families()
        account_id, pupil_id = families.camille.id, families.camille_child.id
        birth = families.camille_child.birth_date.isoformat()
    first = world.browser()
    first.franceconnect(CAMILLE)
    _link(
        first,
        world,
        mobile_typed="+33 6 10 00 00 01",
        mobile_e164="+33610000001",
        answers={f"birth_{account_id}_{pupil_id}": birth},
    )

    later = world.browser()
    page = later.franceconnect(CAMILLE, next="/healthz")

    assert page.url == world.url + "/healthz"
    assert [r.url for r in page.history if "/liaison" in r.url] == []
    with world.app.app_context():
        sessions = db.session.scalars(db.select(LoginSession)).all()
        assert len(sessions) == 2 and {s.account_id for s in sessions} == {account_id}


def test_an_identity_matching_two_accounts_merges_them_while_linking(world):
    with world.app.app_context():
        families = make_demo_families()
        keep, other = families.thomas_accounts
        answers = {
            f"birth_{account.id}_{pupil.id}": pupil.birth_date.isoformat()
            for account, pupil in zip(
                families.thomas_accounts, families.thomas_children, strict=True
            )
        }
        keep_id, other_id = keep.id, other.id
        children_ids = {p.id for p in families.thomas_children}
    browser = world.browser()
    browser.franceconnect(THOMAS)
    page = _link(
        browser, world, mobile_typed="0610000004", mobile_e164="+33610000004", answers=answers
    )

    assert page.url == world.url + "/healthz"
    with world.app.app_context():
        kept = db.session.get(Account, keep_id)
        assert kept.state == AccountState.ACTIVATED
        assert kept.origin == AccountOrigin.FRANCECONNECT
        assert {p.id for p in kept.children()} == children_ids
        assert db.session.get(Account, other_id).state == AccountState.DELETED
        assert db.session.scalar(db.select(FranceConnectLink)).account_id == keep_id
    actions = _audit_actions(world.app)
    assert "account.merged" in actions and "franceconnect.linked" in actions


def test_an_identity_matching_no_account_is_told_the_number_is_not_recognised(world):
    with world.app.app_context():
        make_demo_families()
    browser = world.browser()
    page = browser.franceconnect(NOBODY)
    page = browser.submit(page, {"mobile": "06 11 22 33 44"})

    assert page.url == world.url + "/franceconnect/liaison"
    assert "Ce numéro de téléphone portable n'est pas reconnu" in html.unescape(page.text)
    with world.app.app_context():
        assert db.session.scalar(db.select(FranceConnectLink)) is None
        assert db.session.scalar(db.select(LoginSession)) is None


def test_a_replayed_callback_is_refused_and_links_nothing(world):
    with world.app.app_context():
        make_demo_families()
    browser = world.browser()
    page = browser.franceconnect(CAMILLE)
    callback = next(r for r in page.history if "/franceconnect/retour" in r.url).url

    replay = browser.get(callback)

    assert replay.status_code == 400
    assert "a expiré ou a déjà été utilisée" in html.unescape(replay.text)
    assert "Réessayer avec FranceConnect" in replay.text


def test_signing_out_chains_to_franceconnect_logout(world):
    browser = _camille_linked(world)
    with world.app.app_context():
        id_token = db.session.scalar(db.select(LoginSession)).upstream_id_token
    confirm = browser.get(world.url + "/franceconnect/deconnexion")
    page = browser.submit(confirm, {})

    upstream = next(r for r in page.history if r.url.startswith(world.mock_url))
    query = parse_qs(urlsplit(upstream.url).query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == [world.url + "/franceconnect/deconnexion/fin"]
    assert query["state"][0]
    assert page.url.startswith(world.url + "/franceconnect/deconnexion/fin?state=")
    assert "déconnecté de Guichet et de FranceConnect" in page.text
    with world.app.app_context():
        login = db.session.scalar(db.select(LoginSession))
        assert login.ended_at is not None and login.ended_reason == "logout"


def test_the_provider_sign_out_of_a_franceconnect_session_chains_too(world):
    """`/deconnexion` (the OpenID end-session endpoint every service sends parents
    to) ends a FranceConnect session at FranceConnect as well."""
    browser = _camille_linked(world)
    confirm = browser.get(world.url + "/deconnexion")
    page = browser.submit(confirm, {})

    assert any(r.url.startswith(world.mock_url) for r in page.history)
    assert page.url.startswith(world.url + "/franceconnect/deconnexion/fin?state=")
    assert "déconnecté de Guichet et de FranceConnect" in page.text
    with world.app.app_context():
        assert db.session.scalar(db.select(LoginSession)).ended_at is not None


def test_the_button_on_a_services_sign_in_page_comes_back_with_a_code(world):
    """The FranceConnect button of the page `/authorize` shows (a GET form whose
    `next` is a field) leads back to the service's authorization request."""
    from idp import clients
    from kernel.clock import utcnow

    _camille_linked(world)
    with world.app.app_context():
        service, _ = clients.add_client(
            now=utcnow(),
            name="Livret scolaire",
            redirect_uris=["http://rp.example/callback"],
            scope="openid profile",
            trusted=True,
        )
        db.session.commit()
        client_id = service.client_id

    browser = world.browser()
    page = browser.get(
        world.url + "/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": "http://rp.example/callback",
            "scope": "openid profile",
            "state": "etat",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
    )
    assert page.status_code == 200 and "Se connecter" in page.text
    button = re.search(r'<form method="get" action="([^"]+)">\s*(.*?)</form>', page.text, re.S)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', button.group(2)))
    # As a browser does: a GET form's fields replace the query of its action.
    upstream = browser.get(
        world.url + html.unescape(button.group(1)).split("?")[0],
        params={k: html.unescape(v) for k, v in fields.items()},
    )
    assert upstream.url.startswith(world.mock_url)
    hidden = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', upstream.text)
    )
    back = browser.post(
        upstream.url.split("?")[0],
        data={**hidden, "sub": CAMILLE, "action": "continue"},
        allow_redirects=False,
    )
    for _ in range(5):  # mock → Guichet's callback → the authorization request → service
        location = back.headers["Location"]
        if location.startswith("http://rp.example/"):
            break
        back = browser.get(urljoin(back.url, location), allow_redirects=False)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith("http://rp.example/callback?")
    assert query["state"] == ["etat"] and query["code"]
