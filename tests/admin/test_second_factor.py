"""Directors' optional second factor (TOTP, RFC 6238), set up by operators."""

from __future__ import annotations

import base64
import datetime as dt
import re

from admin import totp
from admin.models import DirectorSession
from kernel.extensions import db
from tests import factories
from tests.admin.conftest import make_director
from tests.admin.conftest import sign_in
from tests.admin.conftest import text

NOW = dt.datetime(2026, 11, 24, 9, 30)


def test_rfc_6238_vectors():
    secret = base64.b32encode(b"12345678901234567890").decode()
    for seconds, expected in [(59, "94287082"), (1111111109, "07081804"), (2000000000, "69279037")]:
        assert totp.code_at(secret, seconds // 30) == expected[-6:]


def test_a_code_is_accepted_once_and_within_one_step():
    secret = totp.new_secret()
    step = totp.step_of(NOW)
    code = totp.code_at(secret, step)
    assert totp.matching_step(secret, code, now=NOW, after=None) == step
    assert totp.matching_step(secret, code, now=NOW, after=step) is None  # replay
    later = NOW + dt.timedelta(seconds=30)
    assert totp.matching_step(secret, code, now=later, after=None) == step
    assert totp.matching_step(secret, code, now=NOW + dt.timedelta(minutes=2), after=None) is None
    assert totp.matching_step(secret, "abc", now=NOW, after=None) is None


def test_sign_in_with_a_second_factor(console_app, monkeypatch):
    with console_app.app_context():
        make_director("d.totp", schools=[factories.make_school("0310009Z", "École Z")])
        db.session.commit()
    runner = console_app.test_cli_runner()
    result = runner.invoke(args=["directors", "totp", "d.totp"])
    assert result.exit_code == 0, result.output
    secret = re.search(r"Clé secrète : ([A-Z2-7]+)", result.output).group(1)
    assert "otpauth://totp/Guichet%20administration%3Ad.totp?secret=" in result.output

    clock = {"now": NOW}
    for module in ("admin.sign_in_views", "admin.frame"):  # the console's clock
        monkeypatch.setattr(f"{module}.utcnow", lambda: clock["now"])
    client = console_app.test_client()
    response = sign_in(client, "d.totp")
    assert response.headers["Location"] == "/admin/connexion/code"
    assert client.get("/admin/").status_code == 302  # not signed in yet
    page = text(client.post("/admin/connexion/code", data={"code": "000000"}))
    assert "Code incorrect." in page
    code = totp.code_at(secret, totp.step_of(NOW))
    response = client.post("/admin/connexion/code", data={"code": code})
    assert response.headers["Location"] == "/admin/"
    with console_app.app_context():
        assert db.session.scalar(db.select(DirectorSession)) is not None

    # the same code cannot open a second session
    other = console_app.test_client()
    sign_in(other, "d.totp")
    assert "Code incorrect." in text(other.post("/admin/connexion/code", data={"code": code}))

    result = runner.invoke(args=["directors", "totp", "d.totp", "--disable"])
    assert "Second facteur retiré." in result.output
    third = console_app.test_client()
    assert sign_in(third, "d.totp").headers["Location"] == "/admin/"


def test_code_page_needs_a_password_first(console_app):
    client = console_app.test_client()
    assert client.get("/admin/connexion/code").headers["Location"] == "/admin/connexion"
