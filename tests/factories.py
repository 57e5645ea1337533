"""Small factories for registry rows and accounts, used by every area's tests."""

from __future__ import annotations

import datetime as dt
import itertools

from accounts import states
from accounts.identifiers import allocate_identifier
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from kernel import runtime
from kernel.clock import paris_today
from kernel.extensions import db
from registry.models import Admission
from registry.models import Guardian
from registry.models import GuardianPupil
from registry.models import Level
from registry.models import Pupil
from registry.models import School
from registry.models import SchoolClass

NOW = dt.datetime(2026, 11, 24, 9, 30)
_seq = itertools.count(1)


def make_school(uai: str | None = None, name: str = "École élémentaire Jean Jaurès") -> School:
    n = next(_seq)
    school = School(
        uai=uai or f"{3110000 + n:07d}X", name=name, academy="Toulouse", city="Toulouse"
    )
    db.session.add(school)
    db.session.flush()
    return school


def make_class(school: School, name: str = "CM1 A") -> SchoolClass:
    existing = db.session.scalar(
        db.select(SchoolClass).where(SchoolClass.school_id == school.id, SchoolClass.name == name)
    )
    if existing:
        return existing
    school_class = SchoolClass(school=school, name=name)
    db.session.add(school_class)
    db.session.flush()
    return school_class


def make_pupil(
    school: School,
    *,
    first_name: str = "Léa",
    last_name: str = "Martin",
    birth_date: dt.date = dt.date(2016, 4, 11),
    class_name: str | None = "CM1 A",
    level: Level | None = Level.CM1,
    ine: str | None = "default",
    admission: Admission = Admission.DEFINITIVE,
) -> Pupil:
    n = next(_seq)
    pupil = Pupil(
        registry_id=f"E{n:08d}",
        ine=f"{n:09d}AB" if ine == "default" else ine,
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
        school=school,
        school_class=make_class(school, class_name) if class_name else None,
        level=level,
        admission=admission,
    )
    db.session.add(pupil)
    db.session.flush()
    return pupil


def make_guardian(
    *,
    first_name: str = "Gérald",
    last_name: str = "Martin",
    mobile: str | None = "+33612345678",
    email: str | None = "gerald.martin@example.org",
    pupils: list[tuple[Pupil, bool]] = (),
    account: Account | None = None,
) -> Guardian:
    n = next(_seq)
    guardian = Guardian(
        registry_id=f"R{n:08d}",
        first_name=first_name,
        last_name=last_name,
        mobile=mobile,
        email=email,
        address="1 rue de la République, 31000 Toulouse",
    )
    db.session.add(guardian)
    for pupil, is_legal in pupils:
        db.session.add(GuardianPupil(guardian=guardian, pupil=pupil, is_legal=is_legal))
    if account is not None:
        guardian.account = account
    db.session.flush()
    return guardian


def make_account(first_name: str = "Gérald", last_name: str = "Martin", *, now=NOW) -> Account:
    account = Account(
        identifier=allocate_identifier(first_name, last_name),
        first_name=first_name,
        last_name=last_name,
        must_change_password=True,
    )
    states.create(account, now=now)
    runtime.passwords().issue_temporary(account, today=None)
    db.session.add(account)
    db.session.flush()
    return account


def make_family(school: School, *, children: int = 1, **guardian_fields) -> tuple[Guardian, list]:
    """A legal guardian with `children` eligible pupils and a Non notifié account."""
    first = guardian_fields.get("first_name", "Gérald")
    last = guardian_fields.get("last_name", "Martin")
    pupils = [
        make_pupil(school, first_name=name, last_name=last)
        for name in ["Léa", "Hugo", "Inès", "Noah"][:children]
    ]
    account = make_account(first, last)
    guardian = make_guardian(pupils=[(p, True) for p in pupils], account=account, **guardian_fields)
    return guardian, pupils


def activate(account: Account, *, password: str, now=NOW) -> Account:
    """Bring an account to Activé the way SMS self-registration does."""
    runtime.passwords().set_chosen(account, password)
    states.activate_directly(account, via=AccountOrigin.GUARDIAN, now=now)
    return account


def set_state(account: Account, state: AccountState, *, now=NOW) -> Account:
    """Walk the state machine to `state` through its allowed moves (Supprimé: merged
    into a new account of the same names)."""
    from accounts import audit

    if state == AccountState.DELETED:
        into = make_account(account.first_name, account.last_name, now=now)
        states.delete_merged(account, into=into, now=now, actor=audit.SYSTEM)
        return account
    if state == AccountState.NOT_NOTIFIED:
        return account
    states.notify(account, today=paris_today(now), now=now, actor=audit.OPERATOR)
    runtime.passwords().issue_temporary(account, today=now.date())
    if state == AccountState.NOTIFIED:
        return account
    runtime.passwords().set_chosen(account, "Secret123")
    states.start_activation(account, now=now)
    if state == AccountState.ACTIVATING:
        return account
    states.confirm_activation(account, now=now)
    return account


def sign_in_client(client, account: Account, *, amr=("pwd",), now=None):
    """Open a server-side session for `account` and bind the test client to it."""
    from accounts import sessions
    from idp.web_session import SESSION_KEY
    from kernel.clock import utcnow

    login = sessions.open_session(account, now=now or utcnow(), amr=list(amr))
    db.session.commit()
    with client.session_transaction() as browser:
        browser[SESSION_KEY] = login.id
    return login


def fail_attempts(kind: str, subject: str, *, now=NOW, account=None, count: int = 1) -> None:
    """`count` wrong guesses at a throttled secret, as a journey makes them."""
    from accounts import throttle

    at = now
    for _ in range(count):
        throttle.attempt(kind, subject, now=at)
        counter = throttle.record_failure(kind, subject, now=at, account=account)
        at = max(at, counter.blocked_until or at) + dt.timedelta(seconds=1)  # past each delay
