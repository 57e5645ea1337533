"""A code sent to a mobile typed on a page (accounts.sms_delivery; docs/messaging.md):
self-registration, FranceConnect linking and the mobile change answer alike — the
refusal, or why the SMS could not leave, under the mobile field, and a code never
received is not used up. Twilio answered by `responses`."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import responses

from accounts.sms_codes import SmsChallenge
from federation.client import FranceConnectIdentity
from federation.views import LINKING_KEY
from kernel.clock import utcnow
from kernel.extensions import db
from tests import factories
from tests.messaging.conftest import TWILIO_SETTINGS
from tests.messaging.conftest import TWILIO_URL

MOBILE = "+33612345678"
ACCEPTED = {"json": {"sid": "SM" + "a" * 32, "status": "queued"}, "status": 201}
NOT_A_MOBILE = {
    "json": {"code": 21614, "message": "not a mobile", "more_info": "", "status": 400},
    "status": 400,
}


@pytest.fixture
def app(make_app):
    return make_app(**TWILIO_SETTINGS, REDIS_URL="", WTF_CSRF_ENABLED=False)


def registration(client, account):
    typed = {"last_name": "Martin", "first_name": "Gérald", "region": "FR", "mobile": MOBILE}
    return client.post("/inscription", data=typed)


def franceconnect_linking(client, account):
    identity = FranceConnectIdentity(sub="fc-gerald", given_name="Gérald", family_name="Martin")
    with client.session_transaction() as browser:
        browser[LINKING_KEY] = {
            "identity": identity.to_dict(),
            "next": "",
            "expires": (utcnow() + dt.timedelta(minutes=30)).isoformat(),
        }
    return client.post("/franceconnect/liaison", data={"mobile": MOBILE})


def mobile_change(client, account):
    factories.sign_in_client(client, account)
    return client.post("/compte/mobile", data={"region": "FR", "mobile": MOBILE})


PAGES = [
    pytest.param(registration, "/inscription/code", id="registration"),
    pytest.param(franceconnect_linking, "/franceconnect/liaison/code", id="franceconnect"),
    pytest.param(mobile_change, "/compte/mobile/code", id="mobile_change"),
]


@pytest.fixture
def account(app_ctx):
    account = factories.make_family(factories.make_school(), mobile=MOBILE)[0].account
    factories.activate(account, password="Secret123")
    db.session.commit()
    return account


def under_the_mobile_field(response) -> str:
    match = re.search(r'<p[^>]*id="mobile-error"[^>]*>(.*?)</p>', response.get_data(as_text=True))
    assert match, "no error under the mobile field"
    return html.unescape(match.group(1))


def challenges() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(SmsChallenge))


@pytest.mark.parametrize(("page", "code_page"), PAGES)
@responses.activate
def test_a_code_on_its_way_leads_to_the_code_page(client, account, page, code_page):
    responses.post(TWILIO_URL, **ACCEPTED)
    assert page(client, account).location == code_page
    assert challenges() == 1


@pytest.mark.parametrize(("page", "code_page"), PAGES)
@responses.activate
def test_an_sms_that_could_not_leave_is_explained_under_the_field_and_not_used_up(
    client, account, page, code_page
):
    responses.post(TWILIO_URL, **NOT_A_MOBILE)

    response = page(client, account)

    assert response.status_code == 200
    assert "Ce numéro ne peut pas recevoir de SMS" in under_the_mobile_field(response)
    assert challenges() == 0


@pytest.mark.parametrize(("page", "code_page"), PAGES)
@responses.activate
def test_a_refused_send_is_explained_under_the_field(client, account, page, code_page):
    responses.post(TWILIO_URL, **ACCEPTED)
    for _ in range(3):
        assert page(client, account).location == code_page

    response = page(client, account)

    assert "Trop de codes ont été demandés pour ce numéro" in under_the_mobile_field(response)
    assert challenges() == 3
