"""A code that could not be sent (SPEC §6.3; docs/messaging.md): the parent reads why
on the same page and the code is not used up; Twilio answered by `responses`."""

from __future__ import annotations

import pytest
import responses

from accounts.sms_codes import SmsChallenge
from kernel.extensions import db
from tests.enrollment.conftest import text
from tests.messaging.conftest import TWILIO_SETTINGS
from tests.messaging.conftest import TWILIO_URL

TYPED = {"last_name": "Martin", "first_name": "Gérald", "region": "FR", "mobile": "06 12 34 56 78"}


@pytest.fixture
def app(make_app):
    return make_app(
        **TWILIO_SETTINGS,
        REDIS_URL="",
        WTF_CSRF_ENABLED=False,
    )


def challenges() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(SmsChallenge))


@responses.activate
def test_a_code_twilio_accepts_leads_to_the_code_page(client, app_ctx):
    responses.post(TWILIO_URL, json={"sid": "SM" + "a" * 32, "status": "queued"}, status=201)
    response = client.post("/inscription", data=TYPED)
    assert response.headers["Location"] == "/inscription/code"
    assert challenges() == 1


@pytest.mark.parametrize(
    ("code", "status", "says"),
    [
        (21614, 400, "ne peut pas recevoir de SMS"),
        (21211, 400, "n'est pas valide"),
        (None, 503, "momentanément indisponible"),
    ],
)
@responses.activate
def test_a_code_that_could_not_be_sent_is_explained_and_not_used_up(
    client, app_ctx, code, status, says
):
    body = {"code": code, "message": "refused", "more_info": "", "status": status}
    responses.post(TWILIO_URL, json=body, status=status)
    response = client.post("/inscription", data=TYPED)
    assert response.status_code == 200
    assert says in text(response).replace("&#39;", "'")
    assert challenges() == 0
