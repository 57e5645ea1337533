"""«Ajouter des enfants depuis un autre compte» (SPEC §6.6, seed 002): signed in on the
account to keep, the parent proves the other account with its identifier and
password (temporary or own); names must be identical; «Ajouter» moves its
children and deletes it, in one transaction, audited (accounts.merging)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from accounts import audit
from accounts import children
from accounts import merging
from accounts.authentication import verify_password
from accounts.models import Account
from accounts.models import AccountState
from accounts.passwords import PasswordService
from kernel.config import AccountRules
from kernel.errors import DomainError
from registry.models import Pupil


class KeptAccountNotActivated(DomainError):
    code = "merge_keep_not_activated"
    message = _l(
        "Vous devez d'abord activer ce compte pour pouvoir y ajouter des enfants depuis un "
        "autre compte."
    )


class SameAccount(DomainError):
    code = "merge_same_account"
    message = _l("Il s'agit du compte sur lequel vous êtes connecté.")


def find_other(
    keep: Account,
    identifier: str,
    password: str,
    *,
    now: dt.datetime,
    passwords: PasswordService,
    rules: AccountRules,
) -> Account:
    """The account to merge, once its password is proven: the sign-in's own check
    (same throttle, same cost and refusal whether or not the identifier exists)."""
    if keep.state != AccountState.ACTIVATED:
        raise KeptAccountNotActivated()
    other = verify_password(identifier, password, now=now, passwords=passwords, rules=rules)
    if other.id == keep.id:
        raise SameAccount()
    if not merging.same_person_names(keep, other):
        raise merging.NamesDiffer()
    return other


def merge_into(
    keep: Account, other: Account, *, not_mine: set[int], now: dt.datetime
) -> list[Pupil]:
    """«Ajouter»: the children the parent did not disown move to `keep`, `other` is
    deleted. The caller commits once; any refusal leaves both accounts unchanged."""
    if keep.state != AccountState.ACTIVATED:
        raise KeptAccountNotActivated()
    actor = audit.guardian_actor(keep)
    disowned = [p for p in other.children() if p.id in not_mine]
    gained = merging.merge_accounts(keep, other, now=now, actor=actor)
    for pupil in disowned:
        children.report_not_mine(keep, pupil, now=now, actor=actor)
    return [p for p in gained if p.id not in not_mine]
