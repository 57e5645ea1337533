"""Proving a parent's children (SPEC §4, §6.2–§6.4, §6.6): the birth-date check and
the «ce n'est pas mon enfant» report.

Birth dates are a guessable secret: every wrong answer counts against the
journey's subject (accounts.throttle, kind "birth_date"), with growing delays
and then a lock the director lifts. Activation, SMS self-registration and
FranceConnect linking all call `verify_birth_date`; activation counts against
the account (`birth_date_subject`), the two claiming journeys against the
guardian record (accounts.claiming).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from accounts import audit
from accounts import throttle
from accounts.models import Account
from accounts.models import ChildExclusion
from kernel.errors import DomainError
from kernel.extensions import db
from registry.models import Pupil


class BirthDateMismatch(DomainError):
    """`context["pupil"]`: the child whose birth date was not the school's."""

    code = "birth_date_mismatch"
    message = _l(
        "La date de naissance saisie ne correspond pas à celle connue par l'école. "
        "Vérifiez votre saisie ; si elle est exacte, contactez l'école de votre enfant pour "
        "faire rectifier les données."
    )


def birth_date_subject(account: Account) -> str:
    """Activation's throttle subject: the account whose named child is asked."""
    return f"account:{account.id}"


def verify_birth_date(
    pupil: Pupil,
    answer: dt.date | None,
    *,
    now: dt.datetime,
    subject: str,
    account: Account | None = None,
) -> None:
    verify_birth_dates([(pupil, answer)], now=now, subject=subject, account=account)


def verify_birth_dates(
    answers: list[tuple[Pupil, dt.date | None]],
    *,
    now: dt.datetime,
    subject: str,
    account: Account | None = None,
) -> None:
    """The children claimed through one subject (a guardian record, an account) are
    one attempt: all right clears the subject, one wrong counts once and raises
    `BirthDateMismatch` naming the first child whose date is not the school's."""
    throttle.attempt("birth_date", subject, now=now)
    wrong = next((p for p, answer in answers if answer is None or answer != p.birth_date), None)
    if wrong is not None:
        throttle.record_failure("birth_date", subject, now=now, account=account)
        raise BirthDateMismatch(pupil=wrong)
    throttle.record_success("birth_date", subject)


def report_not_mine(
    account: Account, pupil: Pupil, *, now: dt.datetime, actor: audit.Actor
) -> None:
    """Leave the pupil out of the account and tell the school (audit row, console)."""
    if db.session.get(ChildExclusion, (account.id, pupil.id)) is None:
        db.session.add(ChildExclusion(account_id=account.id, pupil_id=pupil.id, reported_at=now))
    audit.record(
        "child.not_mine",
        actor=actor,
        now=now,
        accounts=[account],
        school_id=pupil.school_id,
        summary=f"{pupil.first_name} {pupil.last_name}",
        details={"pupil_id": pupil.id},
    )
