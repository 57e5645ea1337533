"""Messages go out only when the change that caused them commits."""

import datetime as dt

from flask import Flask

from kernel.extensions import db
from messaging.compose import compose_sms
from messaging.models import Message
from messaging.models import MessageStatus

NOW = dt.datetime(2026, 11, 24, 9, 30)


def _register_template(app: Flask, tmp_path):
    (tmp_path / "messages").mkdir()
    (tmp_path / "messages" / "hello.sms.txt").write_text("Votre code : {{ code }}")
    from jinja2 import ChoiceLoader
    from jinja2 import FileSystemLoader

    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(tmp_path)), app.jinja_loader])


def test_a_committed_message_is_sent_and_recorded(app, tmp_path):
    _register_template(app, tmp_path)
    with app.test_request_context():
        compose_sms("+33612345678", "hello", {"code": "123456"}, now=NOW)
        db.session.commit()
        [message] = db.session.scalars(db.select(Message)).all()
        db.session.refresh(message)
        assert message.status == MessageStatus.SENT
        assert message.body == "Votre code : 123456"


def test_a_rolled_back_message_is_never_sent(app, tmp_path):
    _register_template(app, tmp_path)
    with app.test_request_context():
        compose_sms("+33612345678", "hello", {"code": "123456"}, now=NOW)
        db.session.rollback()
        db.session.commit()
        assert db.session.scalars(db.select(Message)).all() == []
