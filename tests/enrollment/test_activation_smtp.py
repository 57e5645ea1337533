"""Letter C07 through a real local SMTP relay (aiosmtpd): the parent receives the
annex's subject, sender and text, and its link activates the account."""

from __future__ import annotations

import re

from accounts.activation_email import send_activation_email
from accounts.models import AccountState
from kernel.clock import utcnow
from kernel.extensions import db
from tests import factories
from tests.messaging.conftest import plain_relay  # noqa: F401  (fixture)
from tests.messaging.conftest import plain_settings


def test_the_activation_email_reaches_the_parent_and_its_link_works(make_app, plain_relay):  # noqa: F811
    app = make_app(
        **plain_settings(plain_relay),
        REDIS_URL="",
        WTF_CSRF_ENABLED=False,
    )
    with app.app_context():
        account = factories.make_family(factories.make_school())[0].account
        factories.set_state(account, AccountState.ACTIVATING)
        send_activation_email(account, "parent@example.org", now=utcnow())
        db.session.commit()
        account_id = account.id

    [mail] = plain_relay.received
    assert mail["Subject"] == "Services en ligne de l'éducation nationale - activation du compte"
    assert mail["From"].startswith("Administrateur des services en ligne")
    assert mail["To"] == "parent@example.org"
    body = mail.get_body(("plain",)).get_content()
    assert "Pour activer votre compte, vous devez d'abord valider votre adresse mail" in body
    assert mail.get_body(("html",)) is not None
    path = re.search(r"http://localhost(/activation/valider/\S+)", body).group(1)

    client = app.test_client()
    assert "Votre compte est activé" in client.post(path).get_data(as_text=True)
    with app.app_context():
        from accounts.models import Account

        assert db.session.get(Account, account_id).state == AccountState.ACTIVATED
