"""Claiming one's children (SPEC §6.3, §6.4): from the registry's guardian records
of a person to the accounts that hold them."""

from __future__ import annotations

from accounts.models import Account
from accounts.models import AccountState
from registry.models import Guardian


def live_accounts_of(guardians: list[Guardian]) -> list[Account]:
    """The distinct live accounts holding these records, oldest first."""
    accounts = {g.account.id: g.account for g in guardians if g.account is not None}
    return sorted(
        (a for a in accounts.values() if a.state != AccountState.DELETED), key=lambda a: a.id
    )
