"""Merging two accounts of one parent into one (SPEC §2, §6.3, §6.4, §6.6; seed 002).

The kept account takes over every registry guardian record of the other, hence
its children; the other account is deleted (invisible to directors, never
purged) and its sessions end. Names must be identical. All of it happens in the
caller's transaction: it commits whole or not at all.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from accounts import audit
from accounts import sessions
from accounts import states
from accounts.models import Account
from accounts.models import AccountState
from accounts.models import ChildExclusion
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.names import fold_name
from registry.models import Pupil


class NamesDiffer(DomainError):
    code = "merge_names_differ"
    message = _l(
        "Il est impératif que le nom et le prénom des comptes à regrouper soient identiques. "
        "Sollicitez l'école de votre enfant pour la rectification des données."
    )


class CannotMerge(DomainError):
    code = "merge_impossible"
    message = _l("Ces comptes ne peuvent pas être regroupés.")


class AlreadyMerged(CannotMerge):
    code = "merge_already_done"
    message = _l(
        "Ce compte vient d'être regroupé avec un autre compte : ses enfants y sont déjà "
        "rattachés. Connectez-vous avec l'identifiant du compte conservé."
    )


def same_person_names(a: Account, b: Account) -> bool:
    return fold_name(a.last_name) == fold_name(b.last_name) and fold_name(
        a.first_name
    ) == fold_name(b.first_name)


def check_mergeable(keep: Account, other: Account) -> None:
    """The refusals of `merge_accounts`, for a journey that must refuse before its first
    change (several merges, or a merge among other writes)."""
    if keep.id == other.id or AccountState.DELETED in (keep.state, other.state):
        raise CannotMerge()
    if not same_person_names(keep, other):
        raise NamesDiffer()


def _lock(*accounts: Account) -> None:
    """Row locks until the caller's commit, with the states read again after them."""
    db.session.scalars(
        db.select(Account)
        .where(Account.id.in_([a.id for a in accounts]))
        .order_by(Account.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def merge_accounts(
    keep: Account, other: Account, *, now: dt.datetime, actor: audit.Actor
) -> list[Pupil]:
    """Move `other`'s records and children to `keep`, delete `other`; returns the
    children `keep` gained. Both accounts are locked first (in id order, so two merges
    never wait on each other): of two merges of one account started together, the
    second sees it deleted and is refused with `AlreadyMerged`."""
    check_mergeable(keep, other)
    _lock(keep, other)
    if AccountState.DELETED in (keep.state, other.state):
        raise AlreadyMerged()
    before = {p.id for p in keep.children()}
    for guardian in list(other.guardians):
        guardian.account = keep
    for exclusion in db.session.scalars(
        db.select(ChildExclusion).where(ChildExclusion.account_id == other.id)
    ):
        if db.session.get(ChildExclusion, (keep.id, exclusion.pupil_id)) is None:
            db.session.add(
                ChildExclusion(
                    account_id=keep.id,
                    pupil_id=exclusion.pupil_id,
                    reported_at=exclusion.reported_at,
                )
            )
    db.session.flush()
    gained = [p for p in keep.children() if p.id not in before]
    states.delete_merged(other, into=keep, now=now, actor=actor)
    sessions.end_sessions_of(other, now=now, reason="merged")
    audit.record(
        "account.merged",
        actor=actor,
        now=now,
        accounts=[keep, other],
        summary=", ".join(f"{p.first_name} {p.last_name}" for p in gained),
        details={
            "kept": keep.identifier,
            "deleted": other.identifier,
            "pupil_ids": [p.id for p in gained],
        },
    )
    return gained
