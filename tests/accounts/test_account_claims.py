"""`AccountClaims` is a copy of `Account` read with one SELECT for the claims (SPEC
§7): its columns, its registry contact and its children must answer as the
original does, over every state and every way a contact or a child comes to an
account. A new column of `Account` is either copied or listed here as not claimed."""

from __future__ import annotations

import dataclasses

import pytest

from accounts.account_claims import CLAIMS_COLUMNS
from accounts.account_claims import AccountClaims
from accounts.models import Account
from accounts.models import AccountState
from accounts.models import ChildExclusion
from kernel.extensions import db
from registry.models import Admission
from tests import factories

NOW = factories.NOW

# Columns of `accounts` no claim reads.
NOT_CLAIMED = {
    "origin",
    "password_hash",
    "temporary_password_encrypted",
    "temporary_password_issued_on",
    "must_change_password",
    "distribution_date",
    "activated_at",
    "last_login_at",
    "terms_version",
    "terms_accepted_at",
    "locale",
    "created_at",
    "deleted_at",
    "merged_into_id",
    "folded_last_name",  # the console's search key (kernel.names), not a claim
    "folded_first_name",
    "new_device_alerts",  # «Mes connexions» (issue 17)
}
REGISTRY_CONTACT = ("registry_email", "registry_mobile")


def test_every_account_column_is_copied_or_said_not_claimed():
    copied = [f.name for f in dataclasses.fields(AccountClaims) if f.name not in REGISTRY_CONTACT]
    columns = {column.name for column in Account.__table__.columns}
    assert set(copied) <= columns
    assert columns - set(copied) == NOT_CLAIMED
    selected = [getattr(column, "name", None) for column in CLAIMS_COLUMNS]
    assert selected[: len(copied)] == copied  # the SELECT fills the fields in order
    assert len(CLAIMS_COLUMNS) == len(copied) + len(REGISTRY_CONTACT)


def _guardian(account, email=None, mobile=None, *, withdrawn=False, pupils=()):
    guardian = factories.make_guardian(
        email=email, mobile=mobile, account=account, pupils=[(p, True) for p in pupils]
    )
    if withdrawn:
        guardian.withdrawn_at = NOW
    return guardian


def _own(account, email=None, email_verified=False, mobile=None, mobile_verified=False):
    account.email, account.email_verified = email, email_verified
    account.mobile, account.mobile_verified = mobile, mobile_verified


def own_contact_confirmed(account):
    _own(account, "own@example.org", True, "+33700000001", True)
    _guardian(account, "registry@example.org", "+33600000001")


def own_contact_not_confirmed(account):
    _own(account, "own@example.org", False, "+33700000001", False)
    _guardian(account, "registry@example.org", "+33600000001")


def registry_contact_on_the_second_record(account):
    _guardian(account, None, "")
    _guardian(account, "second@example.org", "+33600000002")


def first_record_withdrawn(account):
    _guardian(account, "gone@example.org", "+33600000003", withdrawn=True)
    _guardian(account, "kept@example.org", "+33600000004")


def first_record_rewritten_after_the_second(account):
    """A later import changes the first record: its row is written after the second's."""
    first = _guardian(account, "first@example.org", None)
    _guardian(account, "second@example.org", "+33600000005")
    db.session.flush()
    first.email, first.mobile = "first.new@example.org", "+33600000006"


def no_contact_at_all(account):
    _guardian(account, "", None)


CONTACTS = [
    own_contact_confirmed,
    own_contact_not_confirmed,
    registry_contact_on_the_second_record,
    first_record_withdrawn,
    first_record_rewritten_after_the_second,
    no_contact_at_all,
]


def _original_answers(account: Account) -> dict:
    return {
        **{name: getattr(account, name) for name in _copied_names()},
        "registry_contact": account.registry_contact(),
        "contact_email": account.contact_email(),
    }


def _copy_answers(claims: AccountClaims) -> dict:
    return {
        **{name: getattr(claims, name) for name in _copied_names()},
        "registry_contact": claims.registry_contact(),
        "contact_email": claims.contact_email(),
    }


def _copied_names() -> list[str]:
    return [f.name for f in dataclasses.fields(AccountClaims) if f.name not in REGISTRY_CONTACT]


@pytest.mark.parametrize("contact", CONTACTS, ids=lambda case: case.__name__)
def test_the_copy_answers_as_the_account_in_every_state(app_ctx, contact):
    accounts = {}
    for state in AccountState:
        account = factories.make_account("Aline", "Rousseau")
        contact(account)
        factories.set_state(account, state)
        accounts[state] = account.id
    db.session.commit()
    db.session.expire_all()
    for state, account_id in accounts.items():
        original = _original_answers(db.session.get(Account, account_id))
        assert original["state"] == state
        assert _copy_answers(AccountClaims.load(account_id)) == original, state


def test_an_unknown_account_has_no_copy(app_ctx):
    assert AccountClaims.load(123456) is None


def test_the_copy_lists_the_same_children(app_ctx):
    """Eligible, ineligible in each way, excluded, not a legal guardian's, reached
    through a withdrawn record, reached through two records; names out of order."""
    school, other_school = factories.make_school(), factories.make_school(name="École Curie")
    account = factories.make_account("Thomas", "Moreau")
    pupil = factories.make_pupil
    zoe = pupil(school, first_name="Zoé", last_name="Moreau")
    adam = pupil(other_school, first_name="Adam", last_name="Moreau", class_name="CP B")
    lea = pupil(school, first_name="Léa", last_name="Bernard", level=None)
    ineligible = [
        pupil(school, first_name="Retiré", admission=Admission.DEFINITIVE),
        pupil(school, first_name="Provisoire", admission=Admission.PROVISIONAL),
        pupil(school, first_name="SansINE", ine=None),
        pupil(school, first_name="INEVide", ine=""),
        pupil(school, first_name="SansClasse", class_name=None),
    ]
    ineligible[0].withdrawn_at = NOW
    excluded = pupil(school, first_name="Exclu")
    not_legal = pupil(school, first_name="NonLégal")
    through_withdrawn = pupil(school, first_name="ParUnRetrait")
    _guardian(account, pupils=[zoe, adam, *ineligible, excluded])
    _guardian(account, pupils=[zoe, lea])
    _guardian(account, pupils=[through_withdrawn], withdrawn=True)
    factories.make_guardian(account=account, pupils=[(not_legal, False)])
    db.session.add(ChildExclusion(account_id=account.id, pupil_id=excluded.id, reported_at=NOW))
    db.session.commit()
    db.session.expire_all()

    original = [
        (
            p.id,
            p.last_name,
            p.first_name,
            p.birth_date,
            p.ine,
            p.level,
            p.school.uai,
            p.school.name,
            p.school_class.name,
        )
        for p in db.session.get(Account, account.id).children()
    ]
    copy = [tuple(row) for row in AccountClaims.load(account.id).children()]
    assert copy == original
    assert [row[2] for row in original] == ["Léa", "Adam", "Zoé"]
