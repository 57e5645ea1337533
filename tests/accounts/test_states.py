"""SPEC §4: every allowed transition, and every forbidden one refused; what the
console may do with an account in each state (SPEC §3, §5)."""

import datetime as dt

import pytest

from accounts import audit
from accounts import states
from accounts.errors import ForbiddenTransition
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.models import AuditEvent
from kernel.clock import paris_today
from kernel.extensions import db
from tests import factories

NOW = dt.datetime(2026, 11, 24, 9, 30)
ALL_LIVE = [
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
]


@pytest.fixture
def account_in(app_ctx):
    def _make(state):
        account = factories.make_account()
        factories.set_state(account, state)
        db.session.flush()
        return account

    return _make


def actions(account):
    return [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def test_import_creates_non_notifie_with_origin_non_renseigne(account_in):
    account = account_in(AccountState.NOT_NOTIFIED)
    assert account.state.label == "Non notifié"
    assert account.origin.label == "Non renseigné"


def test_notify_moves_non_notifie_to_notifie_with_origin_etablissement(account_in):
    account = account_in(AccountState.NOT_NOTIFIED)
    before = states.notify(account, today=NOW.date(), now=NOW, actor=audit.OPERATOR)
    assert before == AccountState.NOT_NOTIFIED
    assert account.state.label == "Notifié et non activé"
    assert account.origin.label == "Etablissement"
    assert account.distribution_date == NOW.date()
    assert "account.notified" in actions(account)


@pytest.mark.parametrize(
    "state", [AccountState.NOTIFIED, AccountState.ACTIVATING, AccountState.ACTIVATED]
)
def test_renotify_keeps_state_and_origin_but_sets_distribution_date(account_in, state):
    account = account_in(state)
    origin = account.origin
    later = NOW + dt.timedelta(days=40)
    states.notify(account, today=later.date(), now=later, actor=audit.OPERATOR)
    assert account.state == state
    assert account.origin == origin
    assert account.distribution_date == later.date()


def test_renotify_renews_the_temporary_password_deadline(account_in):
    account = account_in(AccountState.NOTIFIED)
    later = NOW + dt.timedelta(days=80)
    states.notify(account, today=later.date(), now=later, actor=audit.OPERATOR)
    assert account.temporary_password_issued_on == later.date()


def test_notification_is_dated_by_the_paris_calendar_day(account_in):
    """SPEC §4: at 23:30 UTC on 31 December it is already 1 January in Paris; the
    distribution date and the temporary password's validity start that day."""
    account = account_in(AccountState.NOT_NOTIFIED)
    new_year = dt.datetime(2026, 12, 31, 23, 30)
    states.notify(account, today=paris_today(new_year), now=new_year, actor=audit.OPERATOR)
    assert account.distribution_date == dt.date(2027, 1, 1)
    assert account.temporary_password_issued_on == dt.date(2027, 1, 1)


def test_activation_goes_notifie_then_en_cours_then_active(account_in):
    account = account_in(AccountState.NOTIFIED)
    states.start_activation(account, now=NOW)
    assert account.state.label == "En cours d'activation"
    states.confirm_activation(account, now=NOW)
    assert account.state.label == "Activé"
    assert account.origin == AccountOrigin.SCHOOL
    assert account.activated_at == NOW


@pytest.mark.parametrize(
    "state", [AccountState.NOT_NOTIFIED, AccountState.NOTIFIED, AccountState.ACTIVATING]
)
@pytest.mark.parametrize("via", [AccountOrigin.GUARDIAN, AccountOrigin.FRANCECONNECT])
def test_direct_activation_from_any_not_yet_activated_state_sets_origin(account_in, state, via):
    account = account_in(state)
    states.activate_directly(account, via=via, now=NOW)
    assert account.state == AccountState.ACTIVATED
    assert account.origin == via


@pytest.mark.parametrize(
    ("state", "move"),
    [
        (AccountState.NOT_NOTIFIED, "start_activation"),
        (AccountState.ACTIVATING, "start_activation"),
        (AccountState.ACTIVATED, "start_activation"),
        (AccountState.NOT_NOTIFIED, "confirm_activation"),
        (AccountState.NOTIFIED, "confirm_activation"),
        (AccountState.ACTIVATED, "confirm_activation"),
        (AccountState.ACTIVATED, "activate_directly"),
    ],
)
def test_forbidden_moves_are_refused(account_in, state, move):
    account = account_in(state)
    call = {
        "start_activation": lambda: states.start_activation(account, now=NOW),
        "confirm_activation": lambda: states.confirm_activation(account, now=NOW),
        "activate_directly": lambda: states.activate_directly(
            account, via=AccountOrigin.GUARDIAN, now=NOW
        ),
    }[move]
    with pytest.raises(ForbiddenTransition):
        call()
    assert account.state == state


def test_direct_activation_refuses_a_school_origin(account_in):
    with pytest.raises(ValueError):
        states.activate_directly(
            account_in(AccountState.NOTIFIED), via=AccountOrigin.SCHOOL, now=NOW
        )


@pytest.mark.parametrize("state", ALL_LIVE)
def test_merge_deletes_any_live_account(account_in, state):
    kept = account_in(AccountState.ACTIVATED)
    other = account_in(state)
    states.delete_merged(other, into=kept, now=NOW, actor=audit.guardian_actor(kept))
    assert other.state == AccountState.DELETED
    assert other.merged_into_id == kept.id


def test_deleted_account_can_be_neither_notified_nor_deleted_again(account_in):
    kept = account_in(AccountState.ACTIVATED)
    other = account_in(AccountState.NOTIFIED)
    states.delete_merged(other, into=kept, now=NOW, actor=audit.OPERATOR)
    with pytest.raises(ForbiddenTransition):
        states.notify(other, today=NOW.date(), now=NOW, actor=audit.OPERATOR)
    with pytest.raises(ForbiddenTransition):
        states.delete_merged(other, into=kept, now=NOW, actor=audit.OPERATOR)
    with pytest.raises(ForbiddenTransition):
        states.activate_directly(other, via=AccountOrigin.GUARDIAN, now=NOW)


def test_an_account_cannot_be_merged_into_itself(account_in):
    account = account_in(AccountState.ACTIVATED)
    with pytest.raises(ForbiddenTransition):
        states.delete_merged(account, into=account, now=NOW, actor=audit.OPERATOR)


def test_every_transition_is_audited(account_in):
    account = account_in(AccountState.NOT_NOTIFIED)
    states.notify(account, today=NOW.date(), now=NOW, actor=audit.OPERATOR)
    states.start_activation(account, now=NOW)
    states.confirm_activation(account, now=NOW)
    db.session.flush()
    assert actions(account) == [
        "account.notified",
        "account.activation_started",
        "account.activated",
    ]


# -- what the console may do in each state (SPEC §3, §5; 004 §5.2–§5.6) -------------

NN, N, EC, A, DELETED = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
    AccountState.DELETED,
)
EVERY_STATE = list(AccountState)


@pytest.mark.parametrize("state", EVERY_STATE)
def test_directors_see_every_account_but_deleted_ones(state):
    assert states.is_live(state) is (state in {NN, N, EC, A})


@pytest.mark.parametrize("state", EVERY_STATE)
def test_every_account_but_a_deleted_one_may_be_notified(state):
    assert states.may_notify(state) is (state in {NN, N, EC, A})


@pytest.mark.parametrize("state", EVERY_STATE)
def test_a_password_reset_is_refused_for_non_notifie_and_deleted_accounts(state):
    assert states.may_reset_password(state) is (state in {N, EC, A})


@pytest.mark.parametrize("state", EVERY_STATE)
def test_no_password_is_shown_for_non_notifie_and_deleted_accounts(state):
    assert states.shows_password(state) is (state in {N, EC, A})


@pytest.mark.parametrize("state", EVERY_STATE)
def test_only_en_cours_d_activation_gets_its_activation_email_again(state):
    assert states.may_resend_activation_email(state) is (state == EC)


@pytest.mark.parametrize("state", EVERY_STATE)
def test_a_first_distribution_letter_goes_to_accounts_not_yet_signed_in(state):
    assert states.awaits_first_sign_in(state) is (state in {NN, N})


def test_the_sql_criterion_of_live_accounts_agrees_with_is_live(account_in):
    accounts = {state: account_in(state) for state in [NN, N, EC, A]}
    accounts[DELETED] = account_in(N)
    states.delete_merged(accounts[DELETED], into=accounts[A], now=NOW, actor=audit.OPERATOR)
    db.session.flush()
    found = set(
        db.session.scalars(
            db.select(Account.state).where(
                states.live_criterion(), Account.id.in_([a.id for a in accounts.values()])
            )
        )
    )
    assert found == {state for state in EVERY_STATE if states.is_live(state)}
