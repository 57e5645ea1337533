"""An account as the claims of the OpenID Connect provider read it (SPEC §7): a
read-model copy of `Account`'s rules kept for speed, one SELECT instead of ORM
objects (tests/accounts/test_account_claims.py keeps it equal to `Account`)."""

from __future__ import annotations

import dataclasses

from accounts.models import Account
from accounts.models import AccountState
from accounts.models import children_query
from kernel.extensions import db
from registry.models import Guardian
from registry.models import Pupil
from registry.models import School
from registry.models import SchoolClass


@dataclasses.dataclass(frozen=True)
class AccountClaims:
    """What claims read of an account, in one SELECT with the registry contact as
    subqueries: userinfo reads one on every single sign-on flow (docs/benchmarks.md).
    The rules are `Account`'s own (`contact_email` is called on this object)."""

    id: int
    state: AccountState
    identifier: str
    first_name: str
    last_name: str
    email: str | None
    email_verified: bool
    mobile: str | None
    mobile_verified: bool
    registry_email: str | None
    registry_mobile: str | None

    @classmethod
    def load(cls, account_id: int) -> AccountClaims | None:
        row = db.session.connection().execute(_LOAD_CLAIMS, {"b_account": account_id}).first()
        return cls(*row) if row is not None else None

    def registry_contact(self) -> tuple[str | None, str | None]:
        return self.registry_email, self.registry_mobile

    def contact_email(self) -> str | None:
        return Account.contact_email(self)

    def children(self) -> list:
        """`Account.children`'s rule, read as plain rows with the school and class in
        the same SELECT: one statement where the ORM needs one per relationship."""
        return db.session.connection().execute(_CHILDREN, {"b_account": self.id}).all()


def _first_registry_contact(column):
    """As `Account.registry_contact`: the first live guardian record that has one."""
    return (
        db.select(column)
        .where(
            Guardian.account_id == Account.__table__.c.id,
            Guardian.withdrawn_at.is_(None),
            column.is_not(None),
            column != "",
        )
        .order_by(Guardian.id)
        .limit(1)
        .scalar_subquery()
    )


# The columns of an `AccountClaims`, in order; idp.tokens selects them beside the
# bearer token so that userinfo reads token and account in one statement.
CLAIMS_COLUMNS = (
    *[Account.__table__.c[f.name] for f in dataclasses.fields(AccountClaims)[:9]],
    _first_registry_contact(Guardian.email),
    _first_registry_contact(Guardian.mobile),
)
_LOAD_CLAIMS = db.select(*CLAIMS_COLUMNS).where(  # built once
    Account.__table__.c.id == db.bindparam("b_account")
)


_CHILDREN = (
    children_query(  # built once: userinfo runs it on every flow with `children`
        Pupil.id,
        Pupil.last_name,
        Pupil.first_name,
        Pupil.birth_date,
        Pupil.ine,
        Pupil.level,
        School.uai.label("school_uai"),
        School.name.label("school_name"),
        SchoolClass.name.label("class_name"),
        account_id=db.bindparam("b_account"),
    )
    .join(School, School.id == Pupil.school_id)
    .join(SchoolClass, SchoolClass.id == Pupil.class_id)
)
