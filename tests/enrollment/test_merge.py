"""«Ajouter des enfants depuis un autre compte» (SPEC §6.6, seed 002): identical names,
children listed, «Ajouter» moves them and deletes the other account, in one
transaction, audited; «Je ne suis pas le représentant légal de cet élève»."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts import children
from accounts.models import AccountState
from accounts.models import AuditEvent
from accounts.models import ChildExclusion
from accounts.sessions import LoginSession
from kernel import runtime
from kernel.errors import DomainError
from kernel.extensions import db
from tests import factories
from tests.enrollment.conftest import text

START = dt.datetime(2026, 11, 24, 9, 30)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def accounts(client, app_ctx, school, clock):
    """An Activé account (Léa) signed in, and a second account of the same parent,
    distributed by another school (Zoé, Tom), with its temporary password."""
    keep = factories.make_family(school)[0].account
    factories.activate(keep, password="Secret123")
    other_school = factories.make_school(name="École maternelle Les Tilleuls")
    zoe = factories.make_pupil(other_school, first_name="Zoé", birth_date=dt.date(2020, 1, 4))
    tom = factories.make_pupil(other_school, first_name="Tom", birth_date=dt.date(2019, 3, 2))
    other = factories.make_account()
    factories.make_guardian(pupils=[(zoe, True), (tom, True)], account=other, mobile=None)
    factories.set_state(other, AccountState.NOTIFIED, now=START)
    temporary = runtime.passwords().temporary_password(other)
    factories.sign_in_client(client, keep, now=START)
    return keep, other, temporary, (zoe, tom)


def search(client, identifier, password):
    return client.post(
        "/compte/enfants/ajouter", data={"identifier": identifier, "password": password}
    )


def test_merging_moves_the_children_and_deletes_the_other_account(client, accounts):
    keep, other, temporary, (zoe, tom) = accounts
    other_session = factories.sign_in_client(client.application.test_client(), other, now=START)
    assert "Recherchez le compte" in text(client.get("/compte/enfants/ajouter"))
    response = search(client, other.identifier, temporary)
    assert response.headers["Location"] == "/compte/enfants/ajouter/confirmer"
    page = text(client.get("/compte/enfants/ajouter/confirmer"))
    assert "Zoé Martin — 04/01/2020" in page and "Tom Martin" in page
    assert "Je ne suis pas le représentant légal de cet élève" in page
    response = client.post("/compte/enfants/ajouter/confirmer", data={})
    assert response.headers["Location"] == "/compte"
    assert "Enfant(s) ajouté(s) à votre compte" in text(client.get("/compte"))
    db.session.refresh(other)
    assert {p.first_name for p in keep.children()} == {"Léa", "Zoé", "Tom"}
    assert other.state == AccountState.DELETED and other.merged_into_id == keep.id
    assert db.session.get(LoginSession, other_session.id).ended_reason == "merged"
    merged = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "account.merged")
    ).one()
    assert merged.actor_label == keep.identifier


def test_the_other_accounts_own_password_works_too(client, accounts):
    keep, other, _temporary, _ = accounts
    runtime.passwords().set_chosen(other, "Autre2026")
    db.session.commit()
    assert search(client, other.identifier, "Autre2026").status_code == 302


def test_a_disowned_child_stays_out(client, accounts):
    keep, other, temporary, (zoe, tom) = accounts
    search(client, other.identifier, temporary)
    client.post("/compte/enfants/ajouter/confirmer", data={"not_mine": str(tom.id)})
    assert "Ce n'est pas mon enfant" in text(client.get("/compte")).replace("&#39;", "'")
    assert {p.first_name for p in keep.children()} == {"Léa", "Zoé"}
    assert db.session.get(ChildExclusion, (keep.id, tom.id)) is not None


def test_names_must_be_identical(client, accounts, school):
    other = factories.make_family(school, first_name="Gérard")[0].account
    factories.set_state(other, AccountState.NOTIFIED, now=START)
    temporary = runtime.passwords().temporary_password(other)
    db.session.commit()
    response = search(client, other.identifier, temporary)
    assert "Il est impératif que le nom et le prénom" in text(response)


@pytest.mark.parametrize("password", ["MAUVAIS1", ""])
def test_a_wrong_password_is_refused(client, accounts, password):
    _keep, other, _temporary, _ = accounts
    response = search(client, other.identifier, password)
    assert response.status_code == 200
    body = text(response)
    assert "Identifiant ou mot de passe incorrect." in body or "obligatoire" in body


def test_an_unknown_identifier_reads_like_a_wrong_password(client, accounts):
    response = search(client, "personne.x", "ABCD2345")
    assert "Identifiant ou mot de passe incorrect." in text(response)


def test_the_signed_in_account_cannot_be_merged_with_itself(client, accounts):
    keep, *_ = accounts
    assert "Il s'agit du compte" in text(search(client, keep.identifier, "Secret123")).replace(
        "&#39;", "'"
    )


def test_guessing_the_other_password_is_throttled(client, accounts):
    _keep, other, temporary, _ = accounts
    for _ in range(5):
        search(client, other.identifier, "MAUVAIS1")
    assert "Trop de tentatives" in text(search(client, other.identifier, temporary))


def test_the_merge_rolls_back_entirely_when_a_step_fails(client, accounts, monkeypatch):
    keep, other, temporary, (zoe, tom) = accounts
    search(client, other.identifier, temporary)

    class ReportFailed(DomainError):
        message = "Le signalement n'a pas pu être enregistré."

    def failing_report(*args, **kwargs):
        raise ReportFailed()

    monkeypatch.setattr(children, "report_not_mine", failing_report)
    response = client.post("/compte/enfants/ajouter/confirmer", data={"not_mine": str(tom.id)})
    assert "Le signalement n&#39;a pas pu être enregistré." in text(response)
    db.session.expire_all()
    assert {p.first_name for p in keep.children()} == {"Léa"}
    assert other.state == AccountState.NOTIFIED
    assert {p.first_name for p in other.children()} == {"Zoé", "Tom"}
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "account.merged" not in actions


def test_the_found_account_must_be_confirmed_within_10_minutes(client, accounts, clock):
    _keep, other, temporary, _ = accounts
    search(client, other.identifier, temporary)
    clock.shift(dt.timedelta(minutes=11))
    factories.sign_in_client(client, _keep)
    response = client.post("/compte/enfants/ajouter/confirmer", data={})
    assert response.headers["Location"] == "/compte/enfants/ajouter"
    db.session.refresh(other)
    assert other.state == AccountState.NOTIFIED


def test_the_kept_account_must_be_activated(client, app_ctx, school, accounts):
    _keep, other, temporary, _ = accounts
    waiting = factories.make_family(school)[0].account
    factories.set_state(waiting, AccountState.ACTIVATING)
    factories.sign_in_client(client, waiting)
    response = search(client, other.identifier, temporary)
    assert "Vous devez d'abord activer ce compte" in text(response).replace("&#39;", "'")


def test_an_account_merged_once_cannot_be_merged_again(client, accounts):
    _keep, other, temporary, _ = accounts
    search(client, other.identifier, temporary)
    client.post("/compte/enfants/ajouter/confirmer", data={})
    response = search(client, other.identifier, temporary)
    assert "Identifiant ou mot de passe incorrect." in text(response)


def test_an_expired_temporary_password_cannot_prove_the_other_account(client, accounts, clock):
    keep, other, temporary, _ = accounts
    clock.shift(dt.timedelta(days=93))
    factories.sign_in_client(client, keep)
    response = search(client, other.identifier, temporary)
    assert "mot de passe provisoire a expiré" in text(response)
