"""Finding the registry's guardian records of a person (SPEC §6.3, §6.4): by the
mobile given to the school and the names, compared after folding case, accents
and spaces."""

from __future__ import annotations

import re

from accounts.identifiers import ascii_fold
from accounts.models import Account
from accounts.models import AccountState
from idp.extensions import db
from registry.models import Guardian

_SPACES = re.compile(r"[\s'’-]+")


def fold_name(name: str) -> str:
    return _SPACES.sub(" ", ascii_fold(name)).strip()


def guardians_matching(last_name: str, first_name: str, mobile_e164: str) -> list[Guardian]:
    candidates = db.session.scalars(
        db.select(Guardian).where(Guardian.mobile == mobile_e164, Guardian.withdrawn_at.is_(None))
    )
    last, first = fold_name(last_name), fold_name(first_name)
    return [
        g for g in candidates if fold_name(g.last_name) == last and fold_name(g.first_name) == first
    ]


def guardians_with_mobile(mobile_e164: str) -> list[Guardian]:
    return list(
        db.session.scalars(
            db.select(Guardian).where(
                Guardian.mobile == mobile_e164, Guardian.withdrawn_at.is_(None)
            )
        )
    )


def live_accounts_of(guardians: list[Guardian]) -> list[Account]:
    """The distinct live accounts holding these records, oldest first."""
    accounts = {g.account.id: g.account for g in guardians if g.account is not None}
    return sorted(
        (a for a in accounts.values() if a.state != AccountState.DELETED), key=lambda a: a.id
    )
