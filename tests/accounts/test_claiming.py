"""Claiming one's children (SPEC §6.3, §6.4; accounts.claiming): the steps SMS
self-registration and FranceConnect linking share. The rules are checked on the
module, and through the pages of both journeys where a parent would notice them:
which account is kept and whose identifier is shown, the one «no child confirmed»
refusal, the birth-date attempts counted per guardian record, an account whose
children are all disowned left out, and refusals that leave nothing half-written."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine

from accounts import claiming
from accounts import merging
from accounts import throttle
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.models import AuditEvent
from accounts.models import ChildExclusion
from accounts.sessions import LoginSession
from federation.client import FranceConnectIdentity
from federation.models import FranceConnectLink
from federation.views import LINKING_KEY
from kernel.clock import utcnow
from kernel.extensions import db
from registry.models import Pupil
from tests import factories
from tests.enrollment.conftest import code_in
from tests.enrollment.conftest import last_message

NOW = dt.datetime(2026, 11, 24, 9, 30)
MOBILE = "+33612345678"
GERALD = FranceConnectIdentity(sub="fc-gerald", given_name="Gérald", family_name="Martin")
NOT_MINE = None  # the answer «Je ne suis pas le représentant légal de cet élève»


@pytest.fixture
def app(make_app):
    return make_app(WTF_CSRF_ENABLED=False)


# -- the two journeys, from the proven mobile to their last page ------------------------


def by_sms(client, answers: dict[Pupil, dt.date | None]) -> str:
    """Self-registration: names and mobile, the code, the children, the password."""
    typed = {"last_name": "Martin", "first_name": "Gérald", "region": "FR", "mobile": MOBILE}
    client.post("/inscription", data=typed)
    client.post("/inscription/code", data={"code": code_in(last_message(MOBILE))})
    form = {}
    for pupil, birth in answers.items():
        if birth is NOT_MINE:
            form[f"not_mine_{pupil.id}"] = "y"
        else:
            form[f"birth_date_{pupil.id}"] = birth.isoformat()
    response = client.post("/inscription/enfants", data=form)
    if response.location == "/inscription/mot-de-passe":
        password = {"password": "Famille2026", "confirm": "Famille2026", "terms": "y"}
        response = client.post(response.location, data=password)
    return html.unescape(response.get_data(as_text=True))


def by_franceconnect(client, answers: dict[Pupil, dt.date | None]) -> str:
    """FranceConnect linking, its mobile proved: the children page, then the account page."""
    with client.session_transaction() as browser:
        browser[LINKING_KEY] = {
            "identity": GERALD.to_dict(),
            "next": "/compte",
            "expires": (utcnow() + dt.timedelta(minutes=30)).isoformat(),
            "mobile": MOBILE,
            "verified": True,
        }
    form = {"accept_terms": "y"}
    for pupil, birth in answers.items():
        key = f"{_holder(pupil).id}_{pupil.id}"
        if birth is NOT_MINE:
            form[f"not_mine_{key}"] = "y"
        else:
            form[f"birth_{key}"] = birth.isoformat()
    response = client.post("/franceconnect/liaison/enfants", data=form)
    if response.status_code == 302:
        response = client.get(response.location)
    return html.unescape(response.get_data(as_text=True))


JOURNEYS = [pytest.param(by_sms, id="sms"), pytest.param(by_franceconnect, id="franceconnect")]


def _holder(pupil: Pupil) -> Account:
    return pupil.guardian_links[0].guardian.account


def _identifier_shown(page: str) -> str:
    match = re.search(r"Votre identifiant est\W*(?:<strong>)?([a-z0-9-]+\.[a-z0-9-]+)", page)
    assert match, page
    return match.group(1)


def _two_accounts(older_state=AccountState.NOT_NOTIFIED, newer_state=AccountState.NOT_NOTIFIED):
    """One parent under two registry ids (two schools): Léa on the older account, Zoé on
    the newer one; same names, same mobile."""
    older, [lea] = factories.make_family(factories.make_school())
    newer, [zoe] = factories.make_family(factories.make_school())
    zoe.first_name, zoe.birth_date = "Zoé", dt.date(2018, 6, 2)
    factories.set_state(older.account, older_state)
    factories.set_state(newer.account, newer_state)
    db.session.commit()
    return older, lea, newer, zoe


# -- 1 and 2: the account kept, and the identifier shown ----------------------------------


@pytest.mark.parametrize("journey", JOURNEYS)
@pytest.mark.parametrize(
    ("older_state", "newer_state", "kept"),
    [
        (AccountState.NOT_NOTIFIED, AccountState.NOTIFIED, "newer"),
        (AccountState.NOTIFIED, AccountState.ACTIVATING, "newer"),
        (AccountState.ACTIVATING, AccountState.ACTIVATED, "newer"),
        (AccountState.NOTIFIED, AccountState.NOTIFIED, "older"),
    ],
)
def test_the_most_advanced_then_oldest_account_is_kept_and_its_identifier_shown(
    client, app_ctx, journey, older_state, newer_state, kept
):
    older, lea, newer, zoe = _two_accounts(older_state, newer_state)
    keep, other = (
        (newer.account, older.account) if kept == "newer" else (older.account, newer.account)
    )

    page = journey(client, {lea: lea.birth_date, zoe: zoe.birth_date})

    assert _identifier_shown(page) == keep.identifier
    db.session.expire_all()
    assert keep.state == AccountState.ACTIVATED
    assert (other.state, other.merged_into_id) == (AccountState.DELETED, keep.id)
    assert {p.id for p in keep.children()} == {lea.id, zoe.id}


@pytest.mark.parametrize(
    ("states", "kept"),
    [
        ([AccountState.NOT_NOTIFIED, AccountState.NOTIFIED], 1),
        ([AccountState.ACTIVATING, AccountState.NOTIFIED], 0),
        ([AccountState.NOTIFIED, AccountState.ACTIVATED, AccountState.ACTIVATING], 1),
        ([AccountState.NOT_NOTIFIED, AccountState.NOT_NOTIFIED], 0),
        ([AccountState.ACTIVATED, AccountState.ACTIVATED], 0),
    ],
)
def test_account_to_keep(app_ctx, states, kept):
    accounts = [factories.set_state(factories.make_account(), state) for state in states]
    assert claiming.account_to_keep(accounts) is accounts[kept]


def test_between_two_activated_accounts_the_oldest_is_kept_whenever_activated(app_ctx):
    older, newer = factories.make_account(), factories.make_account()
    factories.activate(newer, password="Secret123", now=NOW)
    factories.activate(older, password="Secret123", now=NOW + dt.timedelta(days=1))
    assert claiming.account_to_keep([newer, older]) is older


# -- 3: one refusal when no child is confirmed -------------------------------------------


@pytest.mark.parametrize("journey", JOURNEYS)
def test_no_child_confirmed_is_one_refusal_and_the_reports_reach_the_school(
    client, app_ctx, journey
):
    guardian, pupils = factories.make_family(factories.make_school(), children=2)
    db.session.commit()

    page = journey(client, dict.fromkeys(pupils, NOT_MINE))

    assert str(claiming.NoChildConfirmed.message) in page
    assert "Contactez l'école de votre enfant pour leur signaler" in page
    db.session.expire_all()
    assert guardian.account.state == AccountState.NOT_NOTIFIED
    assert db.session.scalar(db.select(LoginSession)) is None
    reported = db.session.scalars(db.select(ChildExclusion.pupil_id)).all()
    assert sorted(reported) == sorted(p.id for p in pupils)


def test_nothing_to_confirm_is_refused_alike(app_ctx):
    account = factories.make_account()  # no child in the registry
    with pytest.raises(claiming.NoChildConfirmed):
        claiming.confirm_children([account], [], {}, now=NOW)


# -- 4: birth-date attempts count per guardian record ------------------------------------


@pytest.mark.parametrize("journey", JOURNEYS)
def test_a_wrong_birth_date_counts_against_the_record_claiming_the_child(client, app_ctx, journey):
    older, lea, newer, zoe = _two_accounts()

    page = journey(client, {lea: lea.birth_date, zoe: dt.date(2015, 1, 1)})

    assert "La date de naissance saisie ne correspond pas" in page
    counter = throttle._counter("birth_date", f"guardian:{newer.id}")
    assert (counter.failures, counter.account_id) == (1, newer.account.id)
    assert throttle._counter("birth_date", f"guardian:{older.id}") is None


def test_both_journeys_count_on_one_counter_and_the_director_sees_the_lock(client, app_ctx):
    guardian, [lea] = factories.make_family(factories.make_school())
    db.session.commit()
    wrong = {lea: dt.date(2015, 1, 1)}
    subject = claiming.birth_date_subject(guardian)

    with time_machine.travel(NOW, tick=False) as clock:
        by_sms(client, wrong)
        by_franceconnect(client, wrong)
        assert throttle._counter("birth_date", subject).failures == 2
        for journey in [by_sms, by_franceconnect] * 3:
            clock.shift(dt.timedelta(hours=2))
            journey(client, wrong)
        clock.shift(dt.timedelta(hours=2))
        assert "Trop de tentatives" in by_franceconnect(client, {lea: lea.birth_date})

    [lock] = throttle.locks_of(guardian.account)
    assert (lock.kind, lock.subject) == ("birth_date", subject)


def test_a_confirmed_child_clears_the_delays_of_its_record(app_ctx):
    guardian, [lea] = factories.make_family(factories.make_school())
    accounts = [guardian.account]
    asked = claiming.children_to_confirm(accounts)
    with pytest.raises(claiming.ChildMismatch):
        claiming.confirm_children(
            accounts, asked, {lea.id: claiming.Answer(dt.date(2015, 1, 1))}, now=NOW
        )
    claiming.confirm_children(accounts, asked, {lea.id: claiming.Answer(lea.birth_date)}, now=NOW)
    assert throttle._counter("birth_date", claiming.birth_date_subject(guardian)) is None


# -- the children asked, and the accounts taking part --------------------------------------


def test_each_child_is_asked_once_through_the_record_claiming_it(app_ctx):
    older, lea, newer, zoe = _two_accounts(newer_state=AccountState.ACTIVATED)
    factories.make_guardian(pupils=[(lea, True)], account=newer.account)  # Léa on both

    asked = claiming.children_to_confirm([older.account, newer.account])
    without_activated = claiming.children_to_confirm(
        [older.account, newer.account], ask_activated=False
    )

    assert [(c.guardian.id, c.pupil.id) for c in asked] == [(older.id, lea.id), (newer.id, zoe.id)]
    assert [c.pupil.id for c in without_activated] == [lea.id]


@pytest.mark.parametrize("journey", JOURNEYS)
def test_an_account_whose_children_are_all_disowned_is_left_out(client, app_ctx, journey):
    older, lea, newer, zoe = _two_accounts()
    left_out = newer.account

    journey(client, {lea: lea.birth_date, zoe: NOT_MINE})

    db.session.expire_all()
    assert older.account.state == AccountState.ACTIVATED
    assert left_out.state == AccountState.NOT_NOTIFIED
    assert newer.account_id == left_out.id  # its record stays where it was
    assert db.session.get(ChildExclusion, (left_out.id, zoe.id)) is not None
    assert [p.id for p in older.account.children()] == [lea.id]


def test_every_answer_is_needed_before_any_is_checked(app_ctx):
    guardian, [lea, hugo] = factories.make_family(factories.make_school(), children=2)
    accounts = [guardian.account]
    with pytest.raises(claiming.AnswersIncomplete):
        claiming.confirm_children(
            accounts,
            claiming.children_to_confirm(accounts),
            {lea.id: claiming.Answer(dt.date(2015, 1, 1))},
            now=NOW,
        )
    assert db.session.scalar(db.select(throttle.AttemptCounter)) is None


# -- all or nothing ------------------------------------------------------------------------


@pytest.mark.parametrize("journey", JOURNEYS)
def test_names_that_differ_refuse_the_merge_before_any_change(client, app_ctx, journey):
    older, lea, newer, zoe = _two_accounts()
    newer.account.last_name = "Martin-Durand"  # the account's names differ from its record
    db.session.commit()

    page = journey(client, {lea: lea.birth_date, zoe: zoe.birth_date})

    assert str(merging.NamesDiffer.message) in page
    db.session.expire_all()
    assert {a.state for a in db.session.scalars(db.select(Account))} == {AccountState.NOT_NOTIFIED}
    assert db.session.scalar(db.select(FranceConnectLink)) is None
    assert db.session.scalar(db.select(LoginSession)) is None
    assert db.session.scalar(db.select(ChildExclusion)) is None
    assert db.session.scalar(db.select(throttle.AttemptCounter)) is None
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "account.merged" not in actions and "account.activated" not in actions


def test_complete_refuses_before_its_first_change(app_ctx):
    older, lea, newer, zoe = _two_accounts()
    claim = claiming.Claim(keep=older.account, accounts=[older.account, newer.account], disowned=[])
    newer.account.first_name = "Gérard"

    with pytest.raises(merging.NamesDiffer):
        claiming.complete(
            claim, via=AccountOrigin.GUARDIAN, mobile_e164=MOBILE, terms_version="t", now=NOW
        )

    assert {a.state for a in claim.accounts} == {AccountState.NOT_NOTIFIED}
    assert newer.account_id == claim.accounts[1].id


# -- what the kept account takes from the journey --------------------------------------------


@pytest.mark.parametrize(
    ("own_mobile", "after"), [(None, MOBILE), ("+33698765432", "+33698765432")]
)
def test_the_proven_mobile_becomes_the_accounts_own_only_when_it_has_none(
    app_ctx, own_mobile, after
):
    guardian, [lea] = factories.make_family(factories.make_school())
    account = guardian.account
    account.mobile, account.mobile_verified = own_mobile, own_mobile is not None
    claim = claiming.Claim(keep=account, accounts=[account], disowned=[])

    claiming.complete(
        claim, via=AccountOrigin.FRANCECONNECT, mobile_e164=MOBILE, terms_version="v2", now=NOW
    )

    assert (account.mobile, account.mobile_verified) == (after, True)
    assert (account.state, account.origin) == (AccountState.ACTIVATED, AccountOrigin.FRANCECONNECT)
    assert (account.terms_version, account.terms_accepted_at) == ("v2", NOW)
