"""The linking journey's rules (SPEC §4, §6.4): SMS code, birth dates (throttled),
«pas mon enfant», origins, terms of use; and the link afterwards (account page,
unlink, merges made elsewhere). The journey starts here right after a verified
FranceConnect callback (the callback itself: test_sign_in_live, test_upstream_failures)."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from flask import Blueprint

from accounts import audit
from accounts import claiming
from accounts import merging
from accounts import throttle
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.models import AuditEvent
from accounts.models import ChildExclusion
from accounts.sessions import LoginSession
from federation import services
from federation.client import FranceConnectIdentity
from federation.models import FranceConnectLink
from federation.views import LINKING_KEY
from kernel.clock import utcnow
from kernel.contact import mask_mobile
from kernel.extensions import db
from tests import factories
from tests.federation.conftest import last_sms_code

MOBILE = "+33612345678"
GERALD = FranceConnectIdentity(
    sub="fc-gerald",
    given_name="Gérald Jean",
    family_name="Martin",
    acr="eidas1",
    id_token="id-token-from-franceconnect",
)


@pytest.fixture
def app(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    if "idp.login" not in app.view_functions:
        # The sign-in page belongs to the idp area (`idp.login`, /connexion); until the
        # branches meet, a stand-in answers at its address so `login_required` can redirect.
        stand_in = Blueprint("idp", __name__)
        stand_in.add_url_rule("/connexion", "login", lambda: "connexion")
        app.register_blueprint(stand_in)
    return app


@pytest.fixture
def family(app_ctx, school):
    guardian, pupils = factories.make_family(school, children=2, mobile=MOBILE)
    db.session.commit()
    return guardian.account, pupils


def _begin(client, identity=GERALD, *, verified_mobile: str | None = None, expires=None):
    data = {
        "identity": identity.to_dict(),
        "next": "/healthz",
        "expires": (expires or utcnow() + dt.timedelta(minutes=30)).isoformat(),
    }
    if verified_mobile:
        data.update(mobile=verified_mobile, verified=True)
    with client.session_transaction() as browser:
        browser[LINKING_KEY] = data


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _answers(account, pupils, dates=None, not_mine=()):
    form = {"accept_terms": "y"}
    for pupil in pupils:
        key = f"{account.id}_{pupil.id}"
        if pupil in not_mine:
            form[f"not_mine_{key}"] = "y"
        else:
            birth = (dates or {}).get(pupil.id, pupil.birth_date)
            form[f"birth_{key}"] = birth.isoformat()
    return form


def test_the_sms_code_proves_the_mobile(client, family):
    _begin(client)
    response = client.post("/franceconnect/liaison", data={"mobile": "06 12 34 56 78"})
    assert response.location == "/franceconnect/liaison/code"
    assert mask_mobile(MOBILE) in _text(client.get(response.location))

    response = client.post("/franceconnect/liaison/code", data={"code": last_sms_code(MOBILE)})

    assert response.location == "/franceconnect/liaison/enfants"
    page = _text(client.get(response.location))
    assert "Date de naissance de Léa Martin" in page
    assert "Je ne suis pas le représentant légal de cet élève" in page


def test_a_wrong_sms_code_ends_the_code_and_offers_to_try_again(client, family):
    _begin(client)
    client.post("/franceconnect/liaison", data={"mobile": MOBILE})
    code = last_sms_code(MOBILE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    page = _text(client.post("/franceconnect/liaison/code", data={"code": wrong}))

    assert "Le code de validation est incorrect ou a expiré" in page
    assert "Réessayer" in page
    response = client.post("/franceconnect/liaison/code", data={"code": code})
    assert response.location == "/franceconnect/liaison"  # start again at the number
    assert client.get("/franceconnect/liaison/enfants").location == "/franceconnect/liaison"


def test_the_code_of_another_identity_is_refused(client, family):
    _begin(
        client, FranceConnectIdentity(sub="someone-else", given_name="Gérald", family_name="Martin")
    )
    client.post("/franceconnect/liaison", data={"mobile": MOBILE})
    code = last_sms_code(MOBILE)
    _begin(client)  # the same browser, now another FranceConnect identity
    with client.session_transaction() as browser:
        challenge = db.session.scalars(db.select(services.sms_codes.SmsChallenge)).one()
        browser[LINKING_KEY] = {**browser[LINKING_KEY], "challenge": challenge.id}

    page = _text(client.post("/franceconnect/liaison/code", data={"code": code}))

    assert "Le code de validation est incorrect ou a expiré" in page


def test_an_invalid_number_is_explained(client, family):
    _begin(client)
    page = _text(client.post("/franceconnect/liaison", data={"mobile": "12"}))
    assert "Ce numéro de téléphone n'est pas valide" in page


def test_a_number_known_under_other_names_is_not_recognised(client, family):
    _begin(client, FranceConnectIdentity(sub="x", given_name="Paul", family_name="Martin"))
    page = _text(client.post("/franceconnect/liaison", data={"mobile": MOBILE}))
    assert "Ce numéro de téléphone portable n'est pas reconnu" in page
    assert "contactez l'école de votre enfant" in page


def test_a_wrong_birth_date_links_nothing_and_counts_against_the_guardian_record(client, family):
    account, pupils = family
    _begin(client, verified_mobile=MOBILE)
    wrong = {pupils[1].id: dt.date(2015, 1, 1)}

    page = _text(
        client.post("/franceconnect/liaison/enfants", data=_answers(account, pupils, wrong))
    )

    assert "La date de naissance saisie ne correspond pas" in page
    db.session.expire_all()
    assert account.state == AccountState.NOT_NOTIFIED
    assert db.session.scalar(db.select(FranceConnectLink)) is None
    assert db.session.scalar(db.select(LoginSession)) is None
    counter = throttle._counter("birth_date", f"guardian:{account.guardians[0].id}")
    assert counter.failures == 1
    assert counter.account_id == account.id  # where the director sees the lock


def test_birth_date_guesses_are_throttled(client, family):
    account, pupils = family
    _begin(client, verified_mobile=MOBILE)
    wrong = _answers(account, pupils, {pupils[0].id: dt.date(2015, 1, 1)})
    for _ in range(throttle.POLICIES["birth_date"].free_attempts):
        client.post("/franceconnect/liaison/enfants", data=wrong)

    page = _text(client.post("/franceconnect/liaison/enfants", data=_answers(account, pupils)))

    assert "Trop de tentatives" in page
    assert db.session.scalar(db.select(FranceConnectLink)) is None


def test_the_terms_of_use_must_be_accepted(client, family):
    account, pupils = family
    _begin(client, verified_mobile=MOBILE)
    data = _answers(account, pupils)
    del data["accept_terms"]

    page = _text(client.post("/franceconnect/liaison/enfants", data=data))

    assert "Vous devez accepter les conditions d'utilisation" in page
    assert db.session.scalar(db.select(FranceConnectLink)) is None


def test_linking_a_never_activated_account_activates_it_with_origin_franceconnect(client, family):
    account, pupils = family
    _begin(client, verified_mobile=MOBILE)

    response = client.post("/franceconnect/liaison/enfants", data=_answers(account, pupils))

    assert response.location == "/healthz"
    db.session.expire_all()
    assert (account.state, account.origin) == (AccountState.ACTIVATED, AccountOrigin.FRANCECONNECT)
    assert account.mobile == MOBILE and account.mobile_verified
    login = db.session.scalar(db.select(LoginSession))
    assert login.upstream_id_token == "id-token-from-franceconnect"
    event = db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "franceconnect.linked")
    )
    assert event.details["sub"] == "fc-gerald" and event.accounts == [account]


@pytest.mark.parametrize(
    ("state", "origin_after"),
    [
        (AccountState.NOTIFIED, AccountOrigin.FRANCECONNECT),
        (AccountState.ACTIVATING, AccountOrigin.FRANCECONNECT),
        (AccountState.ACTIVATED, AccountOrigin.SCHOOL),
    ],
)
def test_origin_becomes_franceconnect_only_when_never_activated(
    client, family, state, origin_after
):
    account, pupils = family
    factories.set_state(account, state)
    db.session.commit()
    _begin(client, verified_mobile=MOBILE)

    client.post("/franceconnect/liaison/enfants", data=_answers(account, pupils))

    db.session.expire_all()
    assert (account.state, account.origin) == (AccountState.ACTIVATED, origin_after)


def test_a_child_reported_as_not_mine_is_left_out_and_the_school_told(client, family):
    account, pupils = family
    _begin(client, verified_mobile=MOBILE)

    client.post(
        "/franceconnect/liaison/enfants", data=_answers(account, pupils, not_mine=[pupils[1]])
    )

    db.session.expire_all()
    assert [p.id for p in account.children()] == [pupils[0].id]
    assert db.session.get(ChildExclusion, (account.id, pupils[1].id)) is not None
    assert db.session.scalar(db.select(FranceConnectLink)).account_id == account.id


def test_when_every_child_is_reported_nothing_is_linked_but_the_reports_stay(client, family):
    account, pupils = family
    _begin(client, verified_mobile=MOBILE)

    page = _text(
        client.post(
            "/franceconnect/liaison/enfants", data=_answers(account, pupils, not_mine=pupils)
        )
    )

    assert "Aucun enfant n'a été confirmé" in page
    assert db.session.scalar(db.select(FranceConnectLink)) is None
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert actions.count("child.not_mine") == 2


def test_a_linking_journey_expires_after_30_minutes(client, family):
    _begin(client, expires=utcnow() - dt.timedelta(seconds=1))
    response = client.get("/franceconnect/liaison")
    assert response.status_code == 302
    assert client.get("/franceconnect/liaison").status_code == 302


def test_linking_without_a_franceconnect_sign_in_is_impossible(client, family):
    account, pupils = family
    response = client.post("/franceconnect/liaison/enfants", data=_answers(account, pupils))
    assert response.status_code == 302
    assert db.session.scalar(db.select(FranceConnectLink)) is None


# -- the link afterwards ---------------------------------------------------------------


def _linked(account, sub="fc-gerald"):
    link = FranceConnectLink(
        sub=sub, account=account, given_name="Gérald", family_name="Martin", linked_at=utcnow()
    )
    db.session.add(link)
    db.session.commit()
    return link


def test_the_account_page_lists_the_links(activated_account):
    link = _linked(activated_account)
    assert services.links_of(activated_account) == [link]


def test_a_parent_removes_the_link_and_it_is_audited(client, activated_account):
    link = _linked(activated_account)
    factories.sign_in_client(client, activated_account)

    response = client.post(f"/franceconnect/liens/{link.id}/supprimer")

    assert response.status_code == 302
    assert services.links_of(activated_account) == []
    event = db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "franceconnect.unlinked")
    )
    assert event.accounts == [activated_account]


def test_a_parent_cannot_remove_someone_elses_link(client, school, activated_account):
    other = factories.make_family(school, first_name="Zoé")[0].account
    factories.activate(other, password="Secret123")
    link = _linked(other)
    factories.sign_in_client(client, activated_account)

    client.post(f"/franceconnect/liens/{link.id}/supprimer")

    assert services.links_of(other) == [link]


def test_unlinking_needs_a_signed_in_parent(client, activated_account):
    link = _linked(activated_account)
    response = client.post(f"/franceconnect/liens/{link.id}/supprimer")
    assert response.status_code == 302
    assert response.location == "/connexion?next=/compte"
    assert services.links_of(activated_account) == [link]


def test_a_link_follows_an_account_merged_elsewhere(app_ctx, school):
    keep = factories.make_family(school)[0].account
    other = factories.make_family(factories.make_school())[0].account
    factories.activate(keep, password="Secret123")
    factories.activate(other, password="Secret456")
    _linked(other)
    merging.merge_accounts(keep, other, now=utcnow(), actor=audit.guardian_actor(keep))
    db.session.commit()

    assert services.account_for("fc-gerald", now=utcnow()) == keep
    assert db.session.scalar(db.select(FranceConnectLink)).account_id == keep.id


def test_an_unknown_identity_has_no_account(app_ctx):
    assert services.account_for("nobody", now=utcnow()) is None


def test_merging_refuses_accounts_whose_names_differ_before_any_change(app_ctx, school):
    first_guardian, [first_pupil] = factories.make_family(school, mobile=MOBILE)
    second_guardian, [second_pupil] = factories.make_family(
        factories.make_school(), mobile=MOBILE, first_name="Gérald", last_name="Martin"
    )
    second = second_guardian.account
    second.last_name = "Martin-Durand"  # the account's names differ from its registry record
    db.session.commit()
    identity = FranceConnectIdentity(sub="fc-x", given_name="Gérald", family_name="Martin")
    answers = {
        first_pupil.id: claiming.Answer(first_pupil.birth_date),
        second_pupil.id: claiming.Answer(second_pupil.birth_date),
    }

    with pytest.raises(merging.NamesDiffer):
        services.link(identity, MOBILE, answers, now=utcnow(), terms_version="t")

    assert {a.state for a in db.session.scalars(db.select(Account))} == {AccountState.NOT_NOTIFIED}
    assert db.session.scalar(db.select(FranceConnectLink)) is None


def test_an_unreadable_birth_date_is_explained_in_french(client, family):
    account, pupils = family
    _begin(client, verified_mobile=MOBILE)
    data = _answers(account, pupils)
    data[f"birth_{account.id}_{pupils[0].id}"] = "31/02/20xx"

    response = client.post("/franceconnect/liaison/enfants", data=data)

    assert response.status_code == 200
    assert "N'est pas une date valide." in _text(response)
    assert db.session.scalar(db.select(FranceConnectLink)) is None


def test_the_account_page_block_shows_the_link_and_its_remove_button(app, activated_account):
    from flask import render_template_string

    link = _linked(activated_account)
    with app.test_request_context("/compte"):
        block = html.unescape(
            render_template_string(
                '{% include "federation/_account_links.html" %}', account=activated_account
            )
        )
    assert "lié à l'identité FranceConnect de Gérald Martin" in block
    assert f"/franceconnect/liens/{link.id}/supprimer" in block
    assert "Supprimer la liaison avec FranceConnect" in block


def test_the_account_page_block_offers_to_link_when_there_is_none(app, activated_account):
    from flask import render_template_string

    with app.test_request_context("/compte"):
        block = html.unescape(
            render_template_string(
                '{% include "federation/_account_links.html" %}', account=activated_account
            )
        )
    assert "Lier mon compte à FranceConnect" in block
    assert "/franceconnect/connexion?next=/compte" in block


# -- sign-out --------------------------------------------------------------------------


def test_a_password_session_signs_out_of_guichet_only(client, activated_account):
    login = factories.sign_in_client(client, activated_account)

    response = client.post("/franceconnect/deconnexion")

    assert response.location == "/franceconnect/deconnexion/fin"
    page = _text(client.get(response.location))
    assert "Vous avez été déconnecté de Guichet." in page
    db.session.refresh(login)
    assert login.ended_at is not None


def test_sign_out_still_ends_the_session_when_franceconnect_is_unreachable(
    client, activated_account
):
    import requests
    import responses

    login = factories.sign_in_client(client, activated_account)
    login.upstream_id_token = "id-token"
    db.session.commit()
    with responses.RequestsMock() as rsps:
        rsps.get(
            "http://127.0.0.1:5090/.well-known/openid-configuration",
            body=requests.exceptions.ConnectTimeout("down"),
        )
        response = client.post("/franceconnect/deconnexion")

    assert response.location == "/franceconnect/deconnexion/fin"
    db.session.refresh(login)
    assert login.ended_at is not None


def test_the_sign_out_page_asks_for_confirmation(client, activated_account):
    factories.sign_in_client(client, activated_account)
    page = _text(client.get("/franceconnect/deconnexion"))
    assert "Voulez-vous vous déconnecter ?" in page
    assert "Se déconnecter" in page


def test_a_number_that_cannot_receive_sms_is_said_at_once_and_uses_no_code(make_app):
    import responses

    from accounts.sms_codes import SmsChallenge
    from tests.messaging.conftest import TWILIO_SETTINGS
    from tests.messaging.conftest import TWILIO_URL

    app = make_app(WTF_CSRF_ENABLED=False, **TWILIO_SETTINGS)
    with app.app_context():
        factories.make_family(factories.make_school(), mobile=MOBILE)
        db.session.commit()
    client = app.test_client()
    _begin(client)
    with responses.RequestsMock() as rsps:
        rsps.post(
            TWILIO_URL,
            json={"code": 21614, "message": "not a mobile", "more_info": "", "status": 400},
            status=400,
        )
        page = _text(client.post("/franceconnect/liaison", data={"mobile": MOBILE}))

    assert "Ce numéro ne peut pas recevoir de SMS" in page
    with app.app_context():
        assert db.session.scalar(db.select(SmsChallenge)) is None


# -- operators -------------------------------------------------------------------------


def test_an_operator_links_an_activated_account_once(runner, activated_account):
    guardian = activated_account.guardians[0]
    args = ["franceconnect", "link", "--registry-id", guardian.registry_id, "--sub", "fc-op"]

    first = runner.invoke(args=args)
    again = runner.invoke(args=args)

    assert first.exit_code == 0 and again.exit_code == 0, first.output
    assert [link.sub for link in services.links_of(activated_account)] == ["fc-op"]
    event = db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "franceconnect.linked")
    )
    assert event.actor_type == "operator"


def test_an_operator_cannot_link_an_account_not_yet_activated(runner, family):
    account, _pupils = family
    result = runner.invoke(
        args=["franceconnect", "link", "--identifier", account.identifier, "--sub", "fc-op"]
    )
    assert result.exit_code != 0
    assert "Seul un compte activé" in result.output


def test_linking_a_missing_account_can_be_skipped_for_the_demo(runner, app_ctx):
    args = ["franceconnect", "link", "--registry-id", "DEMO-FC", "--sub", "fc-x"]
    assert runner.invoke(args=args).exit_code != 0
    skipped = runner.invoke(args=[*args, "--skip-missing"])
    assert skipped.exit_code == 0 and "rien n'est lié" in skipped.output


def test_an_operator_removes_a_link(runner, activated_account):
    _linked(activated_account, sub="fc-op")
    result = runner.invoke(args=["franceconnect", "unlink", "--sub", "fc-op"])
    assert result.exit_code == 0
    assert services.links_of(activated_account) == []
    assert runner.invoke(args=["franceconnect", "unlink", "--sub", "fc-op"]).exit_code != 0


def test_a_chained_sign_out_can_continue_to_a_service(app, activated_account):
    import responses

    from federation.logout import chain_sign_out

    login = factories.sign_in_client(app.test_client(), activated_account)
    login.upstream_id_token = "id-token"
    issuer = "http://127.0.0.1:5090"
    with responses.RequestsMock() as rsps, app.test_request_context("/deconnexion"):
        rsps.get(
            issuer + "/.well-known/openid-configuration",
            json={
                "issuer": issuer,
                "authorization_endpoint": issuer + "/a",
                "token_endpoint": issuer + "/t",
                "jwks_uri": issuer + "/k",
                "end_session_endpoint": issuer + "/logout",
            },
        )
        response = chain_sign_out(login, then="https://service.example/au-revoir")
        from flask import session

        state = session["fc_logout_state"]["state"]
    assert response.location.startswith(issuer + "/logout?id_token_hint=id-token&state=")
    client = app.test_client()
    with client.session_transaction() as browser:
        browser["fc_logout_state"] = {"state": state, "then": "https://service.example/au-revoir"}
    back = client.get(f"/franceconnect/deconnexion/fin?state={state}")
    assert back.location == "https://service.example/au-revoir"


def test_the_end_of_sign_out_accepts_any_state_text(client):
    with client.session_transaction() as browser:
        browser["fc_logout_state"] = {"state": "abc", "then": ""}
    response = client.get("/franceconnect/deconnexion/fin?state=état")
    assert response.status_code == 200
    assert "et de FranceConnect" not in _text(response)
