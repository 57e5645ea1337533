"""The account state machine (SPEC §4, 004 §1.3.4–§1.3.5).

Non notifié → Notifié et non activé → En cours d'activation → Activé, plus the
direct activations (SMS self-registration, FranceConnect) and deletion after a
merge. One function per allowed move: each checks its precondition, writes the
new state, origin and dates, and leaves an audit row in the same transaction.
Nobody assigns `account.state` or `account.origin` anywhere else.

Beside the moves, the questions the console asks of a state (SPEC §3, §5; 004
§5.2–§5.6): may it be seen, (re)notified, reset, shown its password, sent its
activation email again. Views, services and templates ask these predicates
rather than comparing states themselves, so a rule changes in one place.
"""

from __future__ import annotations

import datetime as dt

from accounts import audit
from accounts.errors import ForbiddenTransition
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState

# The states a director sees, in the order of 004 §1.3.5 (search filter, sorting, statistics).
LIVE_STATES = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)
NOT_YET_ACTIVATED = frozenset(
    {AccountState.NOT_NOTIFIED, AccountState.NOTIFIED, AccountState.ACTIVATING}
)
DIRECT_ACTIVATION_ORIGINS = frozenset({AccountOrigin.GUARDIAN, AccountOrigin.FRANCECONNECT})


def create(account: Account, *, now: dt.datetime) -> Account:
    """A registry import pre-creates accounts Non notifié, origin Non renseigné (SPEC §2)."""
    for column, value in initial_columns().items():
        setattr(account, column, value)
    account.created_at = now
    return account


def initial_columns() -> dict:
    """The state and origin of an account the registry import creates in bulk (SPEC §2)."""
    return {"state": AccountState.NOT_NOTIFIED, "origin": AccountOrigin.UNKNOWN}


def notify(
    account: Account,
    *,
    today: dt.date,
    now: dt.datetime,
    actor: audit.Actor,
    school_id: int | None = None,
) -> AccountState:
    """(Re)notification by the school (004 §5.3).

    Non notifié becomes Notifié et non activé with origin Etablissement; any other
    live state stays. The distribution date becomes `today`, and a temporary
    password still in use is renewed for another validity period from that day
    (SPEC §4 deadline). `today` is the Paris calendar date of `now`
    (`kernel.clock.paris_today`): a letter handed out at 00:30 in Paris is dated
    that day, not the day before as UTC would have it.
    Returns the state the account had before, which chooses the letter.
    """
    _require(account, may_notify(account.state), "notify")
    before = account.state
    if before == AccountState.NOT_NOTIFIED:
        account.state = AccountState.NOTIFIED
        account.origin = AccountOrigin.SCHOOL
    account.distribution_date = today
    if account.temporary_password_encrypted is not None:
        account.temporary_password_issued_on = today
    audit.record(
        "account.notified",
        actor=actor,
        now=now,
        accounts=[account],
        school_id=school_id,
        details={"from": before.value, "to": account.state.value},
    )
    return before


def start_activation(account: Account, *, now: dt.datetime) -> None:
    """First sign-in completed (new password, email, birth date): awaiting the email link."""
    _require(account, account.state == AccountState.NOTIFIED, "start_activation")
    account.state = AccountState.ACTIVATING
    audit.record(
        "account.activation_started",
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
    )


def confirm_activation(account: Account, *, now: dt.datetime) -> None:
    """The parent clicked the link of the activation email (letter C07)."""
    _require(account, account.state == AccountState.ACTIVATING, "confirm_activation")
    account.state = AccountState.ACTIVATED
    account.activated_at = now
    audit.record(
        "account.activated",
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
        details={"via": "email_link"},
    )


def activate_directly(account: Account, *, via: AccountOrigin, now: dt.datetime) -> None:
    """SMS self-registration or FranceConnect activate any not-yet-activated account,
    and the origin becomes the way it was activated (SPEC §4, our resolution)."""
    if via not in DIRECT_ACTIVATION_ORIGINS:
        raise ValueError(f"{via} is not a direct activation channel")
    _require(account, account.state in NOT_YET_ACTIVATED, "activate_directly")
    before = account.state
    account.state = AccountState.ACTIVATED
    account.origin = via
    account.activated_at = now
    audit.record(
        "account.activated",
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
        details={"via": via.value, "from": before.value},
    )


def delete_merged(account: Account, *, into: Account, now: dt.datetime, actor: audit.Actor) -> None:
    """After a merge the other account is deleted: invisible to directors, never purged."""
    _require(account, is_live(account.state) and account.id != into.id, "delete")
    before = account.state
    account.state = AccountState.DELETED
    account.deleted_at = now
    account.merged_into_id = into.id
    audit.record(
        "account.deleted_after_merge",
        actor=actor,
        now=now,
        accounts=[account, into],
        details={"from": before.value, "into": into.identifier},
    )


# ---- what may be done with an account in a state (SPEC §3, §5) -----------------------


def is_live(state: AccountState) -> bool:
    """Deleted accounts (after a merge) are kept but invisible to directors (SPEC §2):
    no search, page, list, statistic or action reaches them."""
    return state != AccountState.DELETED


def live_criterion():
    """`is_live` as an SQL criterion on `Account`, for the console's queries."""
    return Account.state != AccountState.DELETED


def may_reach_services(state: AccountState) -> bool:
    """SPEC §4: only Activé accounts reach services, whichever way the parent signs in
    (a passkey or FranceConnect never opens a session the password would not)."""
    return state == AccountState.ACTIVATED


def may_notify(state: AccountState) -> bool:
    """004 §5.3: every live account may be (re)notified, whatever its state."""
    return is_live(state)


def may_reset_password(state: AccountState) -> bool:
    """004 §5.5: a Non notifié account has never been given a password, so there is
    nothing to reset (its first notification carries the one it has)."""
    return is_live(state) and state != AccountState.NOT_NOTIFIED


def shows_password(state: AccountState) -> bool:
    """SPEC §3: the director reads a password (in clear while it is the temporary
    one, `*****` once the parent changed it) for every account but a Non notifié
    one, whose password no parent has seen yet."""
    return is_live(state) and state != AccountState.NOT_NOTIFIED


def may_resend_activation_email(state: AccountState) -> bool:
    """004 §5.6: only an En cours d'activation account waits for the link of its
    activation email (C07); it is also the only one whose link's deadline the
    account page shows."""
    return state == AccountState.ACTIVATING


def awaits_first_sign_in(state: AccountState) -> bool:
    """Non notifié and Notifié et non activé: the parent has not yet used the
    school's credentials, so a letter is a first distribution with the temporary
    password (C01/C02 of the letter matrix, SPEC §5)."""
    return state in (AccountState.NOT_NOTIFIED, AccountState.NOTIFIED)


def _require(account: Account, condition: bool, move: str) -> None:
    if not condition:
        raise ForbiddenTransition(move=move, state=account.state.value)
