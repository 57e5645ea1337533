"""Claiming one's children (SPEC §6.3, §6.4; 004 §1.2): the steps SMS self-registration
and FranceConnect linking share, from a person's guardian records in the registry
to one Activé account holding their children.

1. `accounts_matching`: the live accounts holding the records that carry the mobile
   the parent proved and their names (registry.matching).
2. `children_to_confirm`: each child of those accounts, with the record through
   which it is claimed.
3. `confirm_children`: each child confirmed by birth date or disowned («Je ne suis
   pas le représentant légal de cet élève»), at least one confirmed; the accounts
   the parent proved, and the one kept among them. It writes nothing but attempt
   counters, and the reports of the disowned children when none is confirmed.
4. `complete`: in the caller's transaction, all of it or nothing: the other proven
   accounts merged into the kept one, the disowned children reported, Activé when
   it never was, the terms recorded, the proven mobile kept.

Each journey keeps only its own steps: the SMS code and the password for
self-registration (enrollment.registration); the FranceConnect identity, its name
candidates and the link for FranceConnect (federation.services).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from accounts import audit
from accounts import children
from accounts import merging
from accounts import states
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.models import children_query
from accounts.terms import record_terms
from kernel.errors import DomainError
from kernel.extensions import db
from registry import matching
from registry.models import Guardian
from registry.models import Pupil

# SPEC §6.3: the account kept in a merge is the most advanced, then the oldest.
ADVANCEMENT = (
    AccountState.ACTIVATED,
    AccountState.ACTIVATING,
    AccountState.NOTIFIED,
    AccountState.NOT_NOTIFIED,
)


class NoChildConfirmed(DomainError):
    code = "claim_no_child_confirmed"
    message = _l(
        "Aucun enfant n'a été confirmé : le compte ne peut pas être activé. Contactez l'école "
        "de votre enfant pour leur signaler et leur demander de rectifier les données."
    )


class AnswersIncomplete(DomainError):
    code = "claim_answers_incomplete"
    message = _l(
        "Pour chaque enfant, saisissez sa date de naissance ou cochez « Je ne suis pas le "
        "représentant légal de cet élève »."
    )


class ChildMismatch(children.BirthDateMismatch):
    """A birth date not recognised, with the child it is about (for the page)."""

    def __init__(self, pupil: Pupil):
        self.pupil = pupil
        super().__init__()


@dataclass(frozen=True)
class Child:
    """A child the parent is asked about, and the registry record through which it is
    claimed (its birth-date attempts count against that record)."""

    guardian: Guardian
    pupil: Pupil

    @property
    def account(self) -> Account:
        """The account holding the record (the kept one once merged)."""
        return self.guardian.account


@dataclass(frozen=True)
class Answer:
    birth_date: dt.date | None = None
    not_mine: bool = False


@dataclass(frozen=True)
class Claim:
    """What the parent proved: the accounts that become one, and the children disowned."""

    keep: Account
    accounts: list[Account]  # the kept one included, oldest first
    disowned: list[Child]

    @property
    def merged(self) -> list[Account]:
        return [a for a in self.accounts if a.id != self.keep.id]


def live_accounts_of(guardians: list[Guardian]) -> list[Account]:
    """The distinct live accounts holding these records, oldest first."""
    accounts = {g.account.id: g.account for g in guardians if g.account is not None}
    return sorted(
        (a for a in accounts.values() if a.state != AccountState.DELETED), key=lambda a: a.id
    )


def accounts_matching(
    last_names: Iterable[str], first_names: Iterable[str], mobile_e164: str
) -> list[Account]:
    """The live accounts of the person who proved this mobile, oldest first."""
    return live_accounts_of(matching.guardians_matching(last_names, first_names, mobile_e164))


def children_to_confirm(accounts: list[Account], *, ask_activated: bool = True) -> list[Child]:
    """Each child of the accounts once, claimed through the first record linking it.

    A journey that does not open an account already Activé (self-registration: its
    own password is still needed to sign in) does not ask again for the children
    proved when it was activated: `ask_activated=False`."""
    found: dict[int, Child] = {}
    for account in accounts:
        if account.state == AccountState.ACTIVATED and not ask_activated:
            continue
        rows = db.session.execute(
            children_query(Guardian, Pupil, account_id=account.id).order_by(Guardian.id)
        )
        for guardian, pupil in rows:
            found.setdefault(pupil.id, Child(guardian, pupil))
    return list(found.values())


def account_to_keep(accounts: list[Account]) -> Account:
    """The most advanced account keeps its identifier, password and origin (Activé >
    En cours d'activation > Notifié et non activé > Non notifié); between equals, the
    oldest."""
    return min(accounts, key=lambda a: (ADVANCEMENT.index(a.state), a.id))


def birth_date_subject(guardian: Guardian) -> str:
    """One throttle subject per guardian record, whichever journey asks: restarting the
    journey, or switching from SMS to FranceConnect, does not start the count again."""
    return f"guardian:{guardian.id}"


def confirm_children(
    accounts: list[Account], asked: list[Child], answers: dict[int, Answer], *, now: dt.datetime
) -> Claim:
    """Check every answer (keyed by pupil id) before anything changes.

    A wrong birth date counts against its guardian record, filed under the account
    holding it, where the director sees the lock and lifts it. An account all of
    whose children are disowned is left out: nothing proves it is the parent's."""
    _check_complete(asked, answers)
    confirmed = [c for c in asked if not answers[c.pupil.id].not_mine]
    disowned = [c for c in asked if answers[c.pupil.id].not_mine]
    _verify(confirmed, answers, now=now)
    if not confirmed:
        _report(disowned, now=now)  # the school hears of it all the same
        raise NoChildConfirmed()
    left_out = {c.account.id for c in disowned} - {c.account.id for c in confirmed}
    proven = [a for a in accounts if a.id not in left_out]
    claim = Claim(keep=account_to_keep(proven), accounts=proven, disowned=disowned)
    _check_mergeable(claim)
    return claim


def complete(
    claim: Claim,
    *,
    via: AccountOrigin,
    mobile_e164: str,
    terms_version: str | None,
    now: dt.datetime,
) -> Account:
    """Make the claim one Activé account; refuses before its first change.

    `terms_version` is the version the parent accepted in this journey (None when
    the journey asked nothing); an acceptance of the same version is not rewritten.
    The proven mobile becomes the account's own only when it has none: a number the
    parent chose in their account wins."""
    keep = claim.keep
    _check_mergeable(claim)  # again: self-registration confirms and completes apart
    for other in claim.merged:
        merging.merge_accounts(keep, other, now=now, actor=audit.guardian_actor(keep))
    _report(claim.disowned, now=now)
    if keep.state != AccountState.ACTIVATED:
        states.activate_directly(keep, via=via, now=now)
    if terms_version is not None and keep.terms_version != terms_version:
        record_terms(keep, version=terms_version, now=now)
    if not keep.mobile:
        keep.mobile = mobile_e164
        keep.mobile_verified = True
    return keep


def _check_mergeable(claim: Claim) -> None:
    for other in claim.merged:
        merging.check_mergeable(claim.keep, other)


def _check_complete(asked: list[Child], answers: dict[int, Answer]) -> None:
    """Each child asked has its answer, a date or «pas mon enfant», before any date is
    checked: a missing one counts no attempt."""
    for child in asked:
        answer = answers.get(child.pupil.id)
        if answer is None or (not answer.not_mine and answer.birth_date is None):
            raise AnswersIncomplete()


def _verify(confirmed: list[Child], answers: dict[int, Answer], *, now: dt.datetime) -> None:
    """One attempt per guardian record for the children claimed through it: all right
    clears the record's delays, one wrong counts once against it."""
    by_record: dict[int, list[Child]] = {}
    for child in confirmed:
        by_record.setdefault(child.guardian.id, []).append(child)
    for claimed in by_record.values():
        try:
            children.verify_birth_dates(
                [(c.pupil, answers[c.pupil.id].birth_date) for c in claimed],
                now=now,
                subject=birth_date_subject(claimed[0].guardian),
                account=claimed[0].account,
            )
        except children.BirthDateMismatch as exc:
            raise ChildMismatch(exc.context["pupil"]) from exc


def _report(disowned: list[Child], *, now: dt.datetime) -> None:
    """Each report goes to the account holding the record: the kept one after a merge."""
    for child in disowned:
        children.report_not_mine(
            child.account, child.pupil, now=now, actor=audit.guardian_actor(child.account)
        )
