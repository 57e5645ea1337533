"""A code that could not be sent (SPEC §6.3; docs/messaging.md): the parent reads why
on the same page and the code is not used up; Twilio answered by `responses`."""

from __future__ import annotations

import threading
import time

import pytest
import responses

from accounts.sms_codes import SmsChallenge
from kernel.extensions import db
from messaging.models import Message
from messaging.models import MessageStatus
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


@responses.activate
def test_a_code_delayed_by_a_twilio_outage_goes_on_with_a_warning(client, app_ctx):
    """The worker sends it once Twilio answers again: the code stays good."""
    responses.post(TWILIO_URL, status=503)
    response = client.post("/inscription", data=TYPED, follow_redirects=True)
    page = text(response).replace("&#39;", "'")
    assert "L'envoi du SMS a pris du retard" in page and "Saisissez le code" in page
    assert challenges() == 1


@responses.activate
def test_a_hung_twilio_never_holds_the_parent(make_app):
    """Twilio answers nothing for 10 s: the page comes back within 3 s, the SMS on its
    way (it leaves when Twilio answers)."""
    app = make_app(
        **TWILIO_SETTINGS, REDIS_URL="", WTF_CSRF_ENABLED=False, MESSAGE_WAIT_SECONDS="2"
    )
    release = threading.Event()

    def hung(request):
        release.wait(10)
        return (201, {}, '{"sid": "SM' + "b" * 32 + '", "status": "queued"}')

    responses.add_callback(responses.POST, TWILIO_URL, callback=hung)
    start = time.monotonic()
    try:
        response = app.test_client().post("/inscription", data=TYPED, follow_redirects=True)
        elapsed = time.monotonic() - start
    finally:
        release.set()
    assert elapsed < 3, f"the page took {elapsed:.1f} s"
    page = text(response).replace("&#39;", "'")
    assert "Le SMS est en cours d'envoi" in page and "Saisissez le code" in page
    with app.app_context():  # the SMS leaves once Twilio answers (and no later test sees it)
        for _ in range(200):
            db.session.remove()
            if db.session.scalar(db.select(Message.status)) == MessageStatus.SENT:
                break
            time.sleep(0.05)
        assert db.session.scalar(db.select(Message.status)) == MessageStatus.SENT
