"""Console fixtures: two schools, a director of the first, a signed-in browser.

Most tests run with CSRF checks off to post forms directly; `test_security.py`
turns them on and checks every action refuses a post without the token.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from accounts.models import Director
from kernel import runtime
from kernel.extensions import db
from tests import factories

DIRECTOR_PASSWORD = "Directeur1"  # noqa: S105 - test secret


@dataclass
class Console:
    app: object
    client: object
    school: object
    other_school: object
    director: object


def make_director(identifier="d.durand", schools=(), password=DIRECTOR_PASSWORD):
    director = Director(
        identifier=identifier,
        first_name="Dominique",
        last_name="Durand",
        password_hash=runtime.passwords().hash(password),
        created_at=dt.datetime(2026, 9, 1),
    )
    director.schools = list(schools)
    db.session.add(director)
    db.session.flush()
    return director


def sign_in(client, identifier="d.durand", password=DIRECTOR_PASSWORD):
    return client.post("/admin/connexion", data={"identifier": identifier, "password": password})


@pytest.fixture
def console_app(make_app):
    return make_app(WTF_CSRF_ENABLED=False)


@pytest.fixture
def console(console_app):
    with console_app.app_context():
        school = factories.make_school("0311478N", "E.E.PR-SAINTE-FAMILLE DES MINIMES")
        other = factories.make_school("0312151V", "E.E.PU-ALFRED DE MUSSET")
        director = make_director(schools=[school])
        db.session.commit()
        ids = (school.id, other.id, director.id)
    ctx = console_app.app_context()
    ctx.push()
    client = console_app.test_client()
    response = sign_in(client)
    assert response.status_code == 302
    yield Console(
        console_app,
        client,
        db.session.get(type(school), ids[0]),
        db.session.get(type(other), ids[1]),
        db.session.get(Director, ids[2]),
    )
    db.session.remove()
    ctx.pop()


def family(school, guardian_first, guardian_last, pupils, *, email=None, state=None, mobile=None):
    """A legal guardian of `pupils` [(first, last, class, level)] with an account in `state`."""
    from accounts.models import AccountState
    from registry.models import Level

    made = []
    for first, last, class_name, level in pupils:
        made.append(
            factories.make_pupil(
                school,
                first_name=first,
                last_name=last,
                class_name=class_name,
                level=Level(level),
                birth_date=dt.date(2016, 3, 14),
            )
        )
    account = factories.make_account(guardian_first, guardian_last)
    factories.make_guardian(
        first_name=guardian_first,
        last_name=guardian_last,
        email=email,
        mobile=mobile,
        pupils=[(p, True) for p in made],
        account=account,
    )
    if state is not None and state != AccountState.NOT_NOTIFIED:
        factories.set_state(account, state)
    return account, made


def search_args(school, **overrides):
    """The query string of the search form with every default ticked."""
    from admin.search import classes_of

    args = {
        "rechercher": "1",
        "q": "",
        "classe": [str(c.id) for c in classes_of(school)],
        "etat": ["not_notified", "notified", "activating", "activated"],
        "messagerie": ["avec", "sans"],
        "origine": ["school", "guardian", "franceconnect", "unknown"],
    }
    args.update(overrides)
    return args


def text(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))
