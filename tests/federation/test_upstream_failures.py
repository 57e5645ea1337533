"""What the FranceConnect client accepts and refuses (issue 6), with `responses`
standing in for FranceConnect: every refusal ends on a French page with a way
back, and nobody is signed in and nothing is linked."""

from __future__ import annotations

import datetime as dt
import html
import time
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests
import responses
import time_machine
from joserfc import jwt
from joserfc.jwk import ECKey
from joserfc.jwk import KeySet
from joserfc.jwk import OctKey
from joserfc.jwk import RSAKey

from accounts.sessions import LoginSession
from federation.models import FranceConnectLink
from kernel.config import FranceConnectConfig
from kernel.extensions import db

ISSUER = "https://fc.example.test"
CLIENT_ID = FranceConnectConfig.client_id
SECRET = FranceConnectConfig.client_secret
KEY = RSAKey.generate_key(
    2048, parameters={"kid": "fc-1", "alg": "RS256", "use": "sig"}, private=True
)
# Another key under the same kid: what a forger without FranceConnect's key can sign.
FORGED = RSAKey.generate_key(2048, parameters={"kid": "fc-1", "alg": "RS256"}, private=True)
EC_KEY = ECKey.generate_key("P-256", parameters={"kid": "fc-ec", "alg": "ES256"}, private=True)
SUB = "fc-sub-123"
USERINFO = {"sub": SUB, "given_name": "Gérald", "family_name": "Martin", "birthdate": "1984-03-12"}


def _sign(claims: dict, key=KEY, alg: str = "RS256") -> str:
    header = {"alg": alg, "typ": "JWT"}
    if getattr(key, "kid", None):
        header["kid"] = key.kid
    return jwt.encode(header, claims, key)


def _id_token(expected_nonce: str, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": SUB,
        "aud": CLIENT_ID,
        "exp": now + 60,
        "iat": now,
        "nonce": expected_nonce,
        "acr": "eidas1",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


class FakeFranceConnect:
    """Discovery and JWKS as FranceConnect publishes them; token and userinfo per test."""

    def __init__(self, rsps: responses.RequestsMock, keys=(KEY, EC_KEY)):
        self.rsps = rsps
        rsps.get(
            ISSUER + "/.well-known/openid-configuration",
            json={
                "issuer": ISSUER,
                "authorization_endpoint": ISSUER + "/api/v2/authorize",
                "token_endpoint": ISSUER + "/api/v2/token",
                "userinfo_endpoint": ISSUER + "/api/v2/userinfo",
                "end_session_endpoint": ISSUER + "/api/v2/session/end",
                "jwks_uri": ISSUER + "/api/v2/jwks",
            },
        )
        rsps.get(ISSUER + "/api/v2/jwks", json=KeySet(list(keys)).as_dict(private=False))

    def answers(self, id_token: str, *, userinfo=None, userinfo_type="application/json"):
        self.rsps.post(
            ISSUER + "/api/v2/token",
            json={
                "access_token": "at-1",
                "token_type": "Bearer",
                "expires_in": 60,
                "id_token": id_token,
            },
        )
        body = userinfo if userinfo is not None else USERINFO
        if isinstance(body, dict):
            self.rsps.get(ISSUER + "/api/v2/userinfo", json=body)
        else:
            self.rsps.get(ISSUER + "/api/v2/userinfo", body=body, content_type=userinfo_type)


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fc_app(make_app):
    return make_app(FRANCECONNECT_ISSUER=ISSUER)


def _start(client) -> tuple[str, str]:
    response = client.get("/franceconnect/connexion?next=/healthz")
    assert response.status_code == 302, response.get_data(as_text=True)
    query = parse_qs(urlsplit(response.location).query)
    assert query["acr_values"] == ["eidas1"]
    assert query["scope"] == ["openid given_name family_name birthdate email"]
    return query["state"][0], query["nonce"][0]


def _callback(client, state: str, **params):
    return client.get(
        "/franceconnect/retour", query_string={"code": "code-1", "state": state, **params}
    )


def _assert_refused(app, response, status: int, text: str):
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == status
    assert text in page
    assert "Réessayer avec FranceConnect" in page
    assert "Se connecter avec un identifiant et un mot de passe" in page
    with app.app_context():
        assert db.session.scalar(db.select(LoginSession)) is None
        assert db.session.scalar(db.select(FranceConnectLink)) is None


NOT_VERIFIED = "La réponse de FranceConnect n'a pas pu être vérifiée"


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        pytest.param(
            lambda n: _sign(_id_token(n), key=FORGED), "bad_signature", id="bad-signature"
        ),
        pytest.param(lambda n: _sign(_id_token(n, aud="another")), "'aud'", id="wrong-aud"),
        pytest.param(
            lambda n: _sign(_id_token(n, iss="https://evil.test")), "'iss'", id="wrong-iss"
        ),
        pytest.param(lambda n: _sign(_id_token("another-nonce")), "'nonce'", id="nonce-mismatch"),
        pytest.param(lambda n: _sign(_id_token(n, nonce=None)), "'nonce'", id="nonce-missing"),
        pytest.param(lambda n: _sign(_id_token(n, acr=None)), "'acr'", id="acr-missing"),
        pytest.param(lambda n: _sign(_id_token(n, acr="eidas0")), "'acr'", id="acr-too-low"),
        pytest.param(
            lambda n: _sign(_id_token(n, exp=int(time.time()) - 600)), "expired", id="expired"
        ),
        pytest.param(
            lambda n: _sign(_id_token(n), key=OctKey.import_key(SECRET), alg="HS256"),
            "'HS256' not allowed",
            id="hs256-not-allowed",
        ),
        pytest.param(lambda n: "not.a-jwt", "not a compact JWS", id="not-a-jwt"),
    ],
)
def test_an_id_token_that_fails_a_check_is_refused(fc_app, rsps, caplog, make_token, reason):
    fake = FakeFranceConnect(rsps)
    client = fc_app.test_client()
    state, nonce = _start(client)
    fake.answers(make_token(nonce))

    _assert_refused(fc_app, _callback(client, state), 400, NOT_VERIFIED)
    assert reason in caplog.text


def test_an_id_token_expired_by_the_time_it_arrives_is_refused(fc_app, rsps):
    fake = FakeFranceConnect(rsps)
    client = fc_app.test_client()
    state, nonce = _start(client)
    fake.answers(_sign(_id_token(nonce)))  # valid for 60 s

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=3), tick=False):
        response = _callback(client, state)

    _assert_refused(fc_app, response, 400, NOT_VERIFIED)


def test_userinfo_signed_with_a_wrong_key_is_refused(fc_app, rsps):
    fake = FakeFranceConnect(rsps)
    client = fc_app.test_client()
    state, nonce = _start(client)
    forged = _sign({**USERINFO, "iss": ISSUER, "aud": CLIENT_ID}, key=FORGED)
    fake.answers(_sign(_id_token(nonce)), userinfo=forged, userinfo_type="application/jwt")

    _assert_refused(fc_app, _callback(client, state), 400, NOT_VERIFIED)


def test_userinfo_about_another_person_is_refused(fc_app, rsps):
    fake = FakeFranceConnect(rsps)
    client = fc_app.test_client()
    state, nonce = _start(client)
    fake.answers(_sign(_id_token(nonce)), userinfo={**USERINFO, "sub": "someone-else"})

    _assert_refused(fc_app, _callback(client, state), 400, NOT_VERIFIED)


def test_a_token_endpoint_timeout_ends_on_a_try_again_page(fc_app, rsps):
    FakeFranceConnect(rsps)
    client = fc_app.test_client()
    state, _nonce = _start(client)
    rsps.post(ISSUER + "/api/v2/token", body=requests.exceptions.ReadTimeout("too slow"))

    _assert_refused(fc_app, _callback(client, state), 502, "FranceConnect ne répond pas")


def test_an_unreachable_franceconnect_is_said_at_the_button(fc_app, rsps):
    rsps.get(
        ISSUER + "/.well-known/openid-configuration",
        body=requests.exceptions.ConnectTimeout("no route"),
    )
    response = fc_app.test_client().get("/franceconnect/connexion")

    _assert_refused(fc_app, response, 502, "FranceConnect ne répond pas")


def test_every_upstream_call_has_a_timeout(fc_app, rsps):
    fake = FakeFranceConnect(rsps)
    client = fc_app.test_client()
    state, nonce = _start(client)
    fake.answers(_sign(_id_token(nonce)))
    _callback(client, state)

    assert len(rsps.calls) == 4  # discovery, token, JWKS, userinfo
    assert all(call.request.req_kwargs.get("timeout") == 5.0 for call in rsps.calls)


def test_an_error_from_franceconnect_links_nothing(fc_app, rsps):
    FakeFranceConnect(rsps)
    client = fc_app.test_client()
    state, _nonce = _start(client)

    response = client.get(
        "/franceconnect/retour", query_string={"error": "access_denied", "state": state}
    )

    _assert_refused(fc_app, response, 400, "a été annulée ou refusée")


def test_a_callback_with_another_state_is_refused(fc_app, rsps):
    fake = FakeFranceConnect(rsps)
    client = fc_app.test_client()
    _state, nonce = _start(client)
    fake.answers(_sign(_id_token(nonce)))

    response = _callback(client, "forged-state")

    _assert_refused(fc_app, response, 400, "a expiré ou a déjà été utilisée")
    assert not any(call.request.url.endswith("/token") for call in rsps.calls)


def test_a_callback_with_any_text_as_state_gets_a_page_not_an_error(fc_app, rsps):
    FakeFranceConnect(rsps)
    client = fc_app.test_client()
    _start(client)

    response = _callback(client, "état-forgé")

    _assert_refused(fc_app, response, 400, "a expiré ou a déjà été utilisée")


def test_an_authorization_response_from_another_issuer_is_refused(fc_app, rsps):
    fake = FakeFranceConnect(rsps)
    client = fc_app.test_client()
    state, nonce = _start(client)
    fake.answers(_sign(_id_token(nonce)))

    response = _callback(client, state, iss="https://evil.test")

    _assert_refused(fc_app, response, 400, NOT_VERIFIED)
    assert not any(call.request.url.endswith("/token") for call in rsps.calls)


def test_a_callback_replayed_after_success_is_refused(fc_app, rsps):
    fake = FakeFranceConnect(rsps)
    client = fc_app.test_client()
    state, nonce = _start(client)
    fake.answers(_sign(_id_token(nonce)))
    assert _callback(client, state).location == "/franceconnect/liaison"

    _assert_refused(fc_app, _callback(client, state), 400, "a expiré ou a déjà été utilisée")


@pytest.mark.parametrize(
    ("settings", "make_token", "userinfo", "userinfo_type"),
    [
        pytest.param({}, lambda n: _sign(_id_token(n)), USERINFO, None, id="rs256-json-userinfo"),
        pytest.param(
            {},
            lambda n: _sign(_id_token(n), key=EC_KEY, alg="ES256"),
            _sign({**USERINFO, "iss": ISSUER, "aud": CLIENT_ID}, key=EC_KEY, alg="ES256"),
            "application/jwt",
            id="es256-jwt-userinfo",
        ),
        pytest.param(
            {"FRANCECONNECT_ALLOW_HS256": "1"},
            lambda n: _sign(_id_token(n), key=OctKey.import_key(SECRET), alg="HS256"),
            USERINFO,
            None,
            id="hs256-when-configured",
        ),
        pytest.param(
            {},
            lambda n: _sign(_id_token(n, acr="eidas2")),
            USERINFO,
            None,
            id="higher-acr",
        ),
    ],
)
def test_a_valid_answer_leads_to_linking(
    make_app, rsps, settings, make_token, userinfo, userinfo_type
):
    app = make_app(FRANCECONNECT_ISSUER=ISSUER, **settings)
    fake = FakeFranceConnect(rsps)
    client = app.test_client()
    state, nonce = _start(client)
    fake.answers(make_token(nonce), userinfo=userinfo, userinfo_type=userinfo_type)

    response = _callback(client, state)

    assert response.status_code == 302
    assert response.location == "/franceconnect/liaison"
    page = html.unescape(client.get(response.location).get_data(as_text=True))
    assert "Bonjour Gérald Martin" in page


def test_rotated_keys_are_fetched_again(fc_app, rsps):
    fake = FakeFranceConnect(rsps, keys=[EC_KEY])  # the JWKS cached before the rotation
    client = fc_app.test_client()
    state, nonce = _start(client)
    rsps.get(ISSUER + "/api/v2/jwks", json=KeySet([KEY]).as_dict(private=False))
    fake.answers(_sign(_id_token(nonce)))
    # The first JWKS answer is served once, then the rotated one.
    response = _callback(client, state, iss=ISSUER)

    assert response.location == "/franceconnect/liaison"


def test_a_linked_identity_signs_in_and_never_leaves_for_another_site(fc_app, rsps):
    from federation.models import FranceConnectLink as Link
    from kernel.clock import utcnow
    from tests import factories

    with fc_app.app_context():
        account = factories.make_family(factories.make_school())[0].account
        factories.activate(account, password="Secret123")
        db.session.add(Link(sub=SUB, account=account, linked_at=utcnow()))
        db.session.commit()
    fake = FakeFranceConnect(rsps)
    client = fc_app.test_client()
    response = client.get("/franceconnect/connexion?next=https://evil.test/")
    query = parse_qs(urlsplit(response.location).query)
    fake.answers(_sign(_id_token(query["nonce"][0], acr="eidas2")))

    response = _callback(client, query["state"][0])

    assert response.location == "/compte"
    with fc_app.app_context():
        login = db.session.scalar(db.select(LoginSession))
        assert (login.amr, login.acr) == (["fc"], "eidas2")
