"""`guichet demo seed`: the demo world of issue 3, and its credentials for scripts."""

from __future__ import annotations

import json

from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.models import Director
from demo.cli import demo_group
from kernel import runtime
from kernel.extensions import db
from registry.models import Guardian
from registry.models import GuardianPupil
from registry.models import Pupil
from registry.models import School

STATES = {"Non notifié", "Notifié et non activé", "En cours d'activation", "Activé"}


def seed_json(runner) -> dict:
    result = runner.invoke(demo_group, ["seed", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def accounts_in(uai: str) -> list[Account]:
    return db.session.scalars(
        db.select(Account)
        .join(Guardian, Guardian.account_id == Account.id)
        .join(GuardianPupil, GuardianPupil.guardian_id == Guardian.id)
        .join(Pupil, Pupil.id == GuardianPupil.pupil_id)
        .join(School, School.id == Pupil.school_id)
        .where(School.uai == uai)
        .distinct()
    ).all()


def test_the_demo_world_has_every_case(app, runner):
    data = seed_json(runner)

    with app.app_context():
        schools = db.session.scalars(db.select(School)).all()
        assert len(schools) == 2 and len({s.academy for s in schools}) == 1
        large = accounts_in("0311000A")
        assert 220 <= len(large) <= 260
        assert {a.state for a in large} >= set(AccountState) - {AccountState.DELETED}
        assert {a.origin for a in large} == set(AccountOrigin)
        director = db.session.scalars(db.select(Director)).one()
        assert {s.uai for s in director.schools} == {s.uai for s in schools}

    assert data["directors"] == [
        {
            "identifier": "m.dupont",
            "password": "Directrice2026",
            "schools": ["0311000A", "0311999Z"],
        }
    ]
    by_purpose = {entry["identifier"]: entry for entry in data["accounts"]}
    assert {entry["state"] for entry in data["accounts"]} == STATES
    both = [e for e in data["accounts"] if len({c["uai"] for c in e["children"]}) == 2]
    assert both, "a guardian with children in both schools"
    assert [e["first_name"] for e in data["accounts"] if e["last_name"] == "Moreau"] == [
        "Thomas",
        "Thomas",
    ], "one parent under two registry ids: two accounts to merge"
    assert any(e["email"] is None and e["mobile"] is None for e in data["accounts"])
    assert all(e["password"] is None for e in data["accounts"] if e["state"] == "Non notifié")
    known = [e for e in data["accounts"] if e["state"] == "Activé" and e["password"]]
    with app.app_context():
        account = db.session.scalar(
            db.select(Account).where(Account.identifier == known[0]["identifier"])
        )
        assert runtime.passwords().verify_hash(account.password_hash, known[0]["password"])
        notified = next(e for e in data["accounts"] if e["state"] == "Notifié et non activé")
        account = db.session.scalar(
            db.select(Account).where(Account.identifier == notified["identifier"])
        )
        assert runtime.passwords().check_temporary(account, notified["password"])
    assert all(
        set(e) >= {"identifier", "origin", "children", "purpose"} for e in by_purpose.values()
    )


def test_seeding_twice_changes_nothing(app, runner):
    first = seed_json(runner)
    with app.app_context():
        count = db.session.scalar(db.select(db.func.count()).select_from(Account))
    second = seed_json(runner)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Account)) == count
    assert second == first


def test_the_text_output_names_the_director_and_each_journey(runner):
    result = runner.invoke(demo_group, ["seed"])
    assert "Données de démonstration créées." in result.stdout
    assert "m.dupont / Directrice2026" in result.stdout
    assert "inscription par SMS" in result.stdout
