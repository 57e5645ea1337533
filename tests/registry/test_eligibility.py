"""SPEC §2 «Eligibility», written once (registry.eligibility): the nightly import,
the console and the `children` claim agree on which pupils count."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.account_claims import AccountClaims
from admin import search
from kernel import runtime
from kernel.extensions import db
from registry.models import Guardian
from registry.models import Pupil
from registry.models import School
from registry_import.importer import import_feed
from tests import factories
from tests.registry.feeds import family_feed

NOW = dt.datetime(2026, 9, 1, 2, 0)

# pupil of family_feed -> the guardian record that is legal guardian of it alone
KINDS = {
    "eligible": ("E1", "R2"),
    "provisional admission": ("E3", "R4"),
    "no INE": ("E4", "R5"),
    "no class": ("E5", "R6"),
    "withdrawn (radié)": ("E6", "R7"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_import_console_and_claims_agree_on_which_pupils_count(app_ctx, tmp_path, kind):
    pupil_rid, guardian_rid = KINDS[kind]
    eligible = kind == "eligible"
    import_feed(family_feed().write(tmp_path / "feed"), now=NOW, passwords=runtime.passwords())
    guardian = db.session.scalar(db.select(Guardian).where(Guardian.registry_id == guardian_rid))
    pupil = db.session.scalar(db.select(Pupil).where(Pupil.registry_id == pupil_rid))
    school = db.session.scalar(db.select(School).where(School.uai == "0311478N"))

    # the import: an account for the legal guardian of this pupil alone, or none
    assert (guardian.account is not None) is eligible

    # an account that holds the record anyway (made in a year the pupil counted)
    if guardian.account is None:
        guardian.account = factories.make_account(guardian.first_name, guardian.last_name)
        db.session.flush()
    account = guardian.account

    # the console: the director of the pupil's school sees the account, and the pair
    assert (search.visible_account(school, account.id) is not None) is eligible
    assert (pupil.id in [p.id for p, _, _ in search.list_rows(school, [account.id])]) is eligible
    # the children of the account and the `children` claim
    assert (pupil in account.children()) is eligible
    claimed = [child.id for child in AccountClaims.load(account.id).children()]
    assert (pupil.id in claimed) is eligible
