"""Directors: operator management (`guichet directors …`), console sign-in and the
server-side console session with the school picked (SPEC §5, 004 §2, §4.1).

Sign-in is throttled like the parents' (accounts.throttle, policy
`director_password`) and costs one argon2id verification whatever the answer.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask_babel import lazy_gettext as _l

from accounts import audit
from accounts import throttle
from accounts.models import Director
from accounts.models import DirectorSchool
from accounts.passwords import PasswordService
from accounts.passwords import validate_chosen_password
from accounts.session_timeouts import TOUCH_EVERY
from admin import totp
from admin.models import DirectorSession
from admin.models import DirectorTotp
from kernel.errors import DomainError
from kernel.extensions import db
from registry.models import School


class DirectorInvalidCredentials(DomainError):
    code = "director_invalid_credentials"
    message = _l("Identifiant ou mot de passe incorrect.")


class DirectorLocked(DomainError):
    code = "director_locked"
    message = _l(
        "Trop de tentatives infructueuses : votre accès à l'administration des comptes est "
        "bloqué. Contactez l'assistance de votre académie."
    )


def _check(subject: str, *, now: dt.datetime) -> None:
    try:
        throttle.attempt("director_password", subject, now=now)
    except throttle.JourneyLocked as locked:
        raise DirectorLocked() from locked


class UnknownDirector(DomainError):
    code = "unknown_director"
    message = _l("Aucun directeur n'a cet identifiant.")


class DirectorExists(DomainError):
    code = "director_exists"
    message = _l("Un directeur a déjà cet identifiant.")


class UnknownSchool(DomainError):
    code = "unknown_school"
    message = _l("Aucune école n'a cet UAI.")


_DUMMY: dict[int, str] = {}


def _subject(identifier: str) -> str:
    return f"director:{identifier.strip().lower()}"


def find(identifier: str) -> Director | None:
    return db.session.scalar(
        db.select(Director).where(Director.identifier == identifier.strip().lower())
    )


def authenticate(
    identifier: str, password: str, *, now: dt.datetime, passwords: PasswordService
) -> Director:
    """The director whose password this is, or DirectorInvalidCredentials (throttled)."""
    subject = _subject(identifier)
    _check(subject, now=now)
    director = find(identifier)
    if director is None:
        key = id(passwords)
        if key not in _DUMMY:
            _DUMMY[key] = passwords.hash("guichet-timing-equaliser")
        passwords.verify_hash(_DUMMY[key], password)
        ok = False
    else:
        ok = passwords.verify_hash(director.password_hash, password)
    if not ok:
        throttle.record_failure("director_password", subject, now=now)
        raise DirectorInvalidCredentials()
    throttle.record_success("director_password", subject)
    if passwords.needs_rehash(director.password_hash):
        director.password_hash = passwords.hash(password)
    return director


def complete_sign_in(director: Director, *, now: dt.datetime) -> DirectorSession:
    """Every factor checked: the console session opens (caller commits)."""
    director.last_login_at = now
    audit.record("director.signed_in", actor=audit.director_actor(director), now=now)
    return open_session(director, now=now)


# ---- second factor (TOTP) -------------------------------------------------------------


class InvalidCode(DomainError):
    code = "director_invalid_code"
    message = _l("Code incorrect. Saisissez le code à 6 chiffres affiché par votre application.")


def totp_of(director: Director) -> DirectorTotp | None:
    return db.session.get(DirectorTotp, director.id)


def enable_totp(director: Director, *, box, now: dt.datetime) -> str:
    """A new secret for the director (replacing any); returns it in base32 for the app."""
    secret = totp.new_secret()
    row = totp_of(director)
    if row is None:
        row = DirectorTotp(director_id=director.id)
        db.session.add(row)
    row.secret_encrypted = box.encrypt(secret)
    row.created_at = now
    row.last_step = None
    audit.record(
        "director.totp_enabled", actor=audit.OPERATOR, now=now, summary=director.identifier
    )
    return secret


def disable_totp(director: Director, *, now: dt.datetime) -> bool:
    row = totp_of(director)
    if row is None:
        return False
    db.session.delete(row)
    audit.record(
        "director.totp_disabled", actor=audit.OPERATOR, now=now, summary=director.identifier
    )
    return True


def verify_code(director: Director, code: str, *, box, now: dt.datetime) -> None:
    """The second factor, throttled like the password; a code is accepted once."""
    subject = f"director-totp:{director.id}"
    _check(subject, now=now)
    row = totp_of(director)
    step = None
    if row is not None:
        step = totp.matching_step(
            box.decrypt(row.secret_encrypted), code, now=now, after=row.last_step
        )
    if step is None:
        throttle.record_failure("director_password", subject, now=now)
        raise InvalidCode()
    throttle.record_success("director_password", subject)
    row.last_step = step


def open_session(director: Director, *, now: dt.datetime) -> DirectorSession:
    """A new console session; with a single school, that school is selected (004 §2.1)."""
    login = DirectorSession(
        id=secrets.token_urlsafe(32),
        director_id=director.id,
        created_at=now,
        last_seen_at=now,
        school_id=director.schools[0].id if len(director.schools) == 1 else None,
    )
    db.session.add(login)
    return login


def find_live_session(session_id: str | None, *, now: dt.datetime) -> DirectorSession | None:
    if not session_id:
        return None
    login = db.session.get(DirectorSession, session_id)
    if login is None or not login.is_live(now):
        return None
    if now - login.last_seen_at >= TOUCH_EVERY:
        login.last_seen_at = now
        db.session.commit()
    return login


def end_session(login: DirectorSession, *, now: dt.datetime) -> None:
    login.ended_at = now
    audit.record("director.signed_out", actor=audit.director_actor(login.director), now=now)


def school_of(director: Director, school_id: int | None) -> School | None:
    """The school if it is one of the director's, else None (never another school)."""
    if school_id is None:
        return None
    return next((s for s in director.schools if s.id == school_id), None)


def select_school(login: DirectorSession, school_id: int, *, now: dt.datetime) -> School | None:
    school = school_of(login.director, school_id)
    if school is not None:
        login.school_id = school.id
        login.last_search = None
    return school


# ---- operator commands -------------------------------------------------------------


def _school_by_uai(uai: str) -> School:
    school = db.session.scalar(db.select(School).where(School.uai == uai.strip().upper()))
    if school is None:
        raise UnknownSchool(uai=uai)
    return school


def add(
    identifier: str,
    *,
    first_name: str,
    last_name: str,
    email: str | None,
    password: str,
    uais: list[str],
    passwords: PasswordService,
    now: dt.datetime,
) -> Director:
    identifier = identifier.strip().lower()
    if find(identifier) is not None:
        raise DirectorExists(identifier=identifier)

    validate_chosen_password(password, passwords.policy)
    director = Director(
        identifier=identifier,
        first_name=first_name,
        last_name=last_name,
        email=email or None,
        password_hash=passwords.hash(password),
        created_at=now,
    )
    director.schools = [_school_by_uai(uai) for uai in uais]
    db.session.add(director)
    db.session.flush()
    audit.record(
        "director.added",
        actor=audit.OPERATOR,
        now=now,
        summary=identifier,
        details={"schools": [s.uai for s in director.schools]},
    )
    return director


def assign(identifier: str, uais: list[str], *, now: dt.datetime) -> Director:
    director = _existing(identifier)
    for uai in uais:
        school = _school_by_uai(uai)
        if school not in director.schools:
            director.schools.append(school)
    audit.record(
        "director.assigned",
        actor=audit.OPERATOR,
        now=now,
        summary=director.identifier,
        details={"schools": [u.upper() for u in uais]},
    )
    return director


def remove(identifier: str, uais: list[str], *, now: dt.datetime) -> Director | None:
    """Unassign the schools given; with none, delete the director (sessions ended)."""
    director = _existing(identifier)
    if uais:
        drop = {_school_by_uai(uai).id for uai in uais}
        director.schools = [s for s in director.schools if s.id not in drop]
        db.session.execute(
            db.update(DirectorSession)
            .where(DirectorSession.director_id == director.id, DirectorSession.school_id.in_(drop))
            .values(school_id=None)
        )
        audit.record(
            "director.unassigned",
            actor=audit.OPERATOR,
            now=now,
            summary=director.identifier,
            details={"schools": [u.upper() for u in uais]},
        )
        return director
    db.session.execute(db.delete(DirectorSession).where(DirectorSession.director_id == director.id))
    db.session.execute(db.delete(DirectorTotp).where(DirectorTotp.director_id == director.id))
    db.session.execute(db.delete(DirectorSchool).where(DirectorSchool.director_id == director.id))
    audit.record("director.removed", actor=audit.OPERATOR, now=now, summary=director.identifier)
    db.session.delete(director)
    return None


def set_password(identifier: str, password: str, *, passwords: PasswordService, now) -> Director:

    director = _existing(identifier)
    validate_chosen_password(password, passwords.policy)
    director.password_hash = passwords.hash(password)
    db.session.execute(
        db.update(DirectorSession)
        .where(DirectorSession.director_id == director.id, DirectorSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    audit.record(
        "director.password_set", actor=audit.OPERATOR, now=now, summary=director.identifier
    )
    return director


def unlock(identifier: str, *, now: dt.datetime) -> int:
    """Lift the sign-in locks and delays of a director (password and second factor)."""
    director = _existing(identifier)
    subjects = [_subject(director.identifier), f"director-totp:{director.id}"]
    counters = list(
        db.session.scalars(
            db.select(throttle.AttemptCounter).where(
                throttle.AttemptCounter.kind == "director_password",
                throttle.AttemptCounter.subject.in_(subjects),
            )
        )
    )
    for counter in counters:
        db.session.delete(counter)
    audit.record("director.unlocked", actor=audit.OPERATOR, now=now, summary=director.identifier)
    return len(counters)


def all_directors() -> list[Director]:
    return list(db.session.scalars(db.select(Director).order_by(Director.identifier)))


def _existing(identifier: str) -> Director:
    director = find(identifier)
    if director is None:
        raise UnknownDirector(identifier=identifier)
    return director
