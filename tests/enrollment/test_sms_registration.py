"""Self-registration by SMS (SPEC §6.3, seed 003): names + mobile → code → matching
guardians → children by birth date → password → Activé, origin Responsable,
identifier shown; every failure with its message and «Réessayer»."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.models import AuditEvent
from accounts.models import ChildExclusion
from kernel.extensions import db
from tests import factories
from tests.enrollment.conftest import code_in
from tests.enrollment.conftest import last_message
from tests.enrollment.conftest import text

START = dt.datetime(2026, 11, 24, 9, 30)
MOBILE = "+33612345678"
TYPED = {"last_name": "MARTIN", "first_name": "gerald", "region": "FR", "mobile": "06 12 34 56 78"}


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def family(app_ctx, school):
    guardian, pupils = factories.make_family(school, children=2)
    db.session.commit()
    return guardian.account, pupils


def send(client, **changes):
    return client.post("/inscription", data={**TYPED, **changes})


def enter_code(client):
    return client.post("/inscription/code", data={"code": code_in(last_message(MOBILE))})


def confirm(client, pupils, *, not_mine=(), dates=None):
    form = {}
    for pupil in pupils:
        if pupil in not_mine:
            form[f"not_mine_{pupil.id}"] = "y"
        else:
            form[f"birth_date_{pupil.id}"] = (dates or {}).get(
                pupil.id, pupil.birth_date.isoformat()
            )
    return client.post("/inscription/enfants", data=form)


def choose_password(client):
    return client.post(
        "/inscription/mot-de-passe",
        data={"password": "Famille2026", "confirm": "Famille2026", "terms": "y"},
    )


def test_self_registration_end_to_end(client, family, clock):
    account, pupils = family
    assert "Créer mon compte" in text(client.get("/inscription"))
    assert send(client).headers["Location"] == "/inscription/code"
    sms = last_message(MOBILE)
    assert "valable 30 minutes" in sms.body
    assert enter_code(client).headers["Location"] == "/inscription/enfants"
    page = text(client.get("/inscription/enfants"))
    assert "Léa Martin" in page and "Hugo Martin" in page
    assert "Je ne suis pas le représentant légal de cet élève" in page
    assert confirm(client, pupils).headers["Location"] == "/inscription/mot-de-passe"
    done = choose_password(client)
    assert done.status_code == 200
    assert f"<strong>{account.identifier}</strong>" in text(done)
    db.session.refresh(account)
    assert account.state == AccountState.ACTIVATED
    assert account.origin == AccountOrigin.GUARDIAN
    assert account.mobile == MOBILE and account.mobile_verified
    assert account.terms_accepted_at == START and account.terms_version
    assert client.get("/compte").status_code == 200
    # The journey is over: its pages are gone.
    assert "Réessayer" in text(client.post("/inscription/mot-de-passe", data={}))


def test_several_matching_records_are_merged_into_one_account(client, app_ctx, school, clock):
    first, first_pupils = factories.make_family(school)
    other_school = factories.make_school()
    second_pupil = factories.make_pupil(other_school, first_name="Zoé")
    second_account = factories.make_account()
    factories.make_guardian(pupils=[(second_pupil, True)], account=second_account)
    factories.set_state(second_account, AccountState.NOTIFIED)
    db.session.commit()
    # The Notifié account is more advanced than the older Non notifié one: it is kept.
    kept, merged = second_account, first.account

    send(client)
    enter_code(client)
    confirm(client, first_pupils + [second_pupil])
    done = choose_password(client)
    assert f"<strong>{kept.identifier}</strong>" in text(done)
    db.session.refresh(kept)
    db.session.refresh(merged)
    assert kept.state == AccountState.ACTIVATED
    assert {p.first_name for p in kept.children()} == {"Léa", "Zoé"}
    assert merged.state == AccountState.DELETED
    assert merged.merged_into_id == kept.id


def test_a_child_can_be_disowned(client, family, clock):
    account, pupils = family
    send(client)
    enter_code(client)
    confirm(client, pupils, not_mine=[pupils[1]])
    page = text(choose_password(client)).replace("&#39;", "'")
    assert "Ce n'est pas mon enfant" in page
    db.session.refresh(account)
    assert [p.first_name for p in account.children()] == ["Léa"]
    assert db.session.get(ChildExclusion, (account.id, pupils[1].id)) is not None
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "child.not_mine" in actions


def test_disowning_every_child_cannot_activate(client, family, clock):
    account, pupils = family
    send(client)
    enter_code(client)
    response = confirm(client, pupils, not_mine=pupils)
    assert response.status_code == 400
    assert "Aucun enfant n'a été confirmé" in text(response).replace("&#39;", "'")
    db.session.refresh(account)
    assert account.state == AccountState.NOT_NOTIFIED


def test_number_not_recognised(client, family, clock):
    send(client, first_name="Paul")
    response = enter_code(client)
    assert response.status_code == 400
    page = text(response).replace("&#39;", "'")
    assert "n'est pas reconnu" in page and "Vérifiez la saisie de votre numéro" in page
    assert 'href="/inscription">Réessayer' in page


def test_a_wrong_code_ends_it_and_retry_sends_a_new_one(client, family, clock):
    send(client)
    good = code_in(last_message(MOBILE))
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post("/inscription/code", data={"code": wrong})
    assert response.status_code == 400
    assert "incorrect ou a expiré" in text(response)
    assert "Réessayer" in text(response)
    assert client.post("/inscription/code", data={"code": good}).status_code == 400
    # «Réessayer»: the names and the number are typed again for the parent.
    assert 'value="06 12 34 56 78"' in text(client.get("/inscription"))
    send(client)
    assert enter_code(client).headers["Location"] == "/inscription/enfants"


def test_the_code_expires_after_30_minutes(client, family, clock):
    send(client)
    clock.shift(dt.timedelta(minutes=30, seconds=1))
    response = enter_code(client)
    assert response.status_code == 400
    assert "incorrect ou a expiré" in text(response)


def test_the_journey_expires_30_minutes_after_the_code(client, family, clock):
    _account, pupils = family
    send(client)
    enter_code(client)
    clock.shift(dt.timedelta(minutes=31))
    response = confirm(client, pupils)
    assert response.status_code == 400
    assert "a expiré ou est déjà terminée" in text(response)


def test_birth_date_not_recognised(client, family, clock):
    account, pupils = family
    send(client)
    enter_code(client)
    response = confirm(client, pupils, dates={pupils[1].id: "2015-02-03"})
    page = text(response).replace("&#39;", "'")
    assert "ne correspond pas à celle connue par l'école" in page
    assert "contactez l'école de votre enfant" in page
    db.session.refresh(account)
    assert account.state == AccountState.NOT_NOTIFIED


def test_wrong_birth_dates_lock_the_journey(client, family, clock):
    _account, pupils = family
    send(client)
    enter_code(client)
    for _ in range(3):
        confirm(client, pupils, dates={pupils[0].id: "2015-02-03"})
    assert "Trop de tentatives" in text(confirm(client, pupils))


def test_a_landline_is_refused_before_any_sms(client, family, clock):
    response = send(client, mobile="05 61 23 45 67")
    assert "pas un numéro de téléphone mobile valide" in text(response).replace("&#39;", "'")


def test_a_number_written_with_another_prefix(client, app_ctx, school, clock):
    factories.make_family(school, mobile="+262692123456")
    db.session.commit()
    assert send(client, region="RE", mobile="0692 12 34 56").status_code == 302
    assert last_message("+262692123456")


def test_codes_per_number_are_throttled(client, family, clock):
    for _ in range(3):
        assert send(client).status_code == 302
    response = send(client)
    assert "Trop de codes ont été demandés pour ce numéro" in text(response)


def test_sending_is_limited_per_client_address(client, app_ctx, clock):
    for n in range(10):
        send(client, mobile=f"06 12 34 56 {n:02d}")
    assert send(client, mobile="06 99 34 56 00").status_code == 429


def test_an_already_activated_account_is_named(client, app_ctx, school, clock):
    guardian, _ = factories.make_family(school)
    factories.activate(guardian.account, password="Secret123")
    db.session.commit()
    send(client)
    response = enter_code(client)
    assert response.status_code == 400
    assert guardian.account.identifier in text(response)
    assert "Mot de passe perdu" in text(response)


def test_when_every_matching_account_is_activated_the_kept_ones_identifier_is_named(
    client, app_ctx, school, clock
):
    older, _ = factories.make_family(school)
    newer, _ = factories.make_family(factories.make_school())
    factories.activate(older.account, password="Secret123")
    factories.activate(newer.account, password="Secret456")
    db.session.commit()
    send(client)
    response = enter_code(client)
    assert response.status_code == 400
    assert f"l'identifiant est {older.account.identifier}." in text(response).replace("&#39;", "'")
    db.session.refresh(newer.account)
    assert newer.account.state == AccountState.ACTIVATED  # nothing merged without a password


def test_records_of_an_activated_account_gain_the_other_accounts_children(
    client, app_ctx, school, clock
):
    guardian, _ = factories.make_family(school)
    factories.activate(guardian.account, password="Secret123")
    other_pupil = factories.make_pupil(school, first_name="Zoé")
    other_account = factories.make_account()
    factories.make_guardian(pupils=[(other_pupil, True)], account=other_account)
    db.session.commit()
    send(client)
    enter_code(client)
    assert "Léa" not in text(client.get("/inscription/enfants"))
    response = confirm(client, [other_pupil])
    assert guardian.account.identifier in text(response)
    db.session.refresh(other_account)
    assert other_account.state == AccountState.DELETED
    assert {p.first_name for p in guardian.account.children()} == {"Léa", "Zoé"}


def test_a_birth_date_typed_the_french_way_is_understood(client, family, clock):
    _account, pupils = family
    send(client)
    enter_code(client)
    dates = {p.id: p.birth_date.strftime("%d/%m/%Y") for p in pupils}
    assert confirm(client, pupils, dates=dates).headers["Location"] == "/inscription/mot-de-passe"


def test_a_missing_birth_date_is_asked_for_without_counting_a_failure(client, family, clock):
    _account, pupils = family
    send(client)
    enter_code(client)
    for _ in range(4):
        response = confirm(client, pupils, dates={pupils[0].id: ""})
        assert "Saisissez la date de naissance" in text(response)
    assert confirm(client, pupils).status_code == 302


def test_a_birth_date_lock_is_filed_under_the_account_for_the_director(client, family, clock):
    from accounts import throttle

    account, pupils = family
    for _ in range(8):
        send(client)
        enter_code(client)
        confirm(client, pupils, dates={pupils[0].id: "2015-02-03"})
        clock.shift(dt.timedelta(hours=2))
    assert [lock.kind for lock in throttle.locks_of(account)] == ["birth_date"]
