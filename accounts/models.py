"""Guardian accounts, directors and the audit log (SPEC §2–§5).

State, origin, distribution date and last sign-in belong to the account, not to
a school. `Account.state` and `Account.origin` are written only by
`accounts.states`; everything else reads them.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Enum
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from kernel.extensions import db
from kernel.folded_names import FoldedNames
from registry.eligibility import legal_link_criteria
from registry.models import Guardian
from registry.models import GuardianPupil
from registry.models import Pupil
from registry.models import School

# What the sign-in forms accept and the column holds: identifiers are cut to fit.
IDENTIFIER_MAX_LENGTH = 80


class AccountState(enum.StrEnum):
    NOT_NOTIFIED = "not_notified"
    NOTIFIED = "notified"
    ACTIVATING = "activating"
    ACTIVATED = "activated"
    DELETED = "deleted"

    @property
    def label(self) -> str:
        """The state as the seeds write it (004 §1.3.5)."""
        return STATE_LABELS[self]


STATE_LABELS = {
    AccountState.NOT_NOTIFIED: "Non notifié",
    AccountState.NOTIFIED: "Notifié et non activé",
    AccountState.ACTIVATING: "En cours d'activation",
    AccountState.ACTIVATED: "Activé",
    AccountState.DELETED: "Supprimé",
}


class AccountOrigin(enum.StrEnum):
    SCHOOL = "school"
    GUARDIAN = "guardian"
    FRANCECONNECT = "franceconnect"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return ORIGIN_LABELS[self]


ORIGIN_LABELS = {
    AccountOrigin.SCHOOL: "Etablissement",
    AccountOrigin.GUARDIAN: "Responsable",
    AccountOrigin.FRANCECONNECT: "FranceConnect",
    AccountOrigin.UNKNOWN: "Non renseigné",
}


class Account(FoldedNames, db.Model):
    __tablename__ = "accounts"
    __table_args__ = (
        Index("ix_accounts_names", "last_name", "first_name"),
        Index("ix_accounts_folded_names", "folded_last_name", "folded_first_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(IDENTIFIER_MAX_LENGTH), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    state: Mapped[AccountState] = mapped_column(
        Enum(AccountState, native_enum=False, length=16), index=True
    )
    origin: Mapped[AccountOrigin] = mapped_column(Enum(AccountOrigin, native_enum=False, length=16))

    # The chosen password, argon2id; None until the parent picks one.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # The temporary password, encrypted (kernel.secretbox); shown to the director
    # until the parent changes it, and the only password a distributed account has.
    temporary_password_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    temporary_password_issued_on: Mapped[dt.date | None] = mapped_column(Date)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)

    distribution_date: Mapped[dt.date | None] = mapped_column(Date)
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    # The account's own contact data, apart from the registry's (never written back).
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    mobile_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    # Issue 17: an email when a sign-in comes from a browser never seen on the account
    # (accounts.devices); the parent turns it on in «Mes connexions».
    new_device_alerts: Mapped[bool] = mapped_column(Boolean, default=False)

    # The language of the parent's emails and SMS (kernel.languages); None: French.
    locale: Mapped[str | None] = mapped_column(String(8))

    terms_version: Mapped[str | None] = mapped_column(String(20))
    terms_accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    # By id, so that "the first record" (`registry_contact`) is the one the claims'
    # copy reads (accounts.account_claims), whatever order the database returns rows in.
    guardians: Mapped[list[Guardian]] = relationship(back_populates="account", order_by=Guardian.id)

    def __repr__(self) -> str:
        return f"<Account {self.identifier} {self.state}>"

    @property
    def is_deleted(self) -> bool:
        return self.state == AccountState.DELETED

    def children(self) -> list[Pupil]:
        """SPEC §2: pupils linked to one of the account's guardian records as a legal
        guardian, and eligible; the same list feeds the console and the `children` claim."""
        return list(db.session.scalars(children_query(Pupil, account_id=self.id)))

    def registry_contact(self) -> tuple[str | None, str | None]:
        """(email, mobile) as given to the school: the first guardian record that has them."""
        email = next((g.email for g in self.guardians if g.email and not g.withdrawn_at), None)
        mobile = next((g.mobile for g in self.guardians if g.mobile and not g.withdrawn_at), None)
        return email, mobile

    def contact_email(self) -> str | None:
        """SPEC §5: the account's own email once confirmed wins over the registry's."""
        if self.email and self.email_verified:
            return self.email
        return self.registry_contact()[0]


def children_query(*columns, account_id):
    """The account's children (see `Account.children`), selecting `columns`, in the
    order parents see them. `account_id` may be a bound parameter: the `children`
    claim builds this statement once (idp.claims)."""
    return (
        db.select(*columns)
        .join(GuardianPupil, GuardianPupil.pupil_id == Pupil.id)
        .join(Guardian, Guardian.id == GuardianPupil.guardian_id)
        .where(
            Guardian.account_id == account_id,
            *legal_link_criteria(),
            ~db.select(ChildExclusion)
            .where(ChildExclusion.account_id == account_id, ChildExclusion.pupil_id == Pupil.id)
            .exists(),
        )
        .order_by(Pupil.last_name, Pupil.first_name, Pupil.id)
        .distinct()
    )


def accounts_at_school(school_uai: str):
    """(school id, SELECT of the ids of the accounts holding a guardian record of one
    of its pupils), or None when no school has that UAI: the operators' switch that
    signs out a school's parents (idp.logout)."""
    school_id = db.session.scalar(db.select(School.id).where(School.uai == school_uai))
    if school_id is None:
        return None
    return school_id, (
        db.select(Guardian.account_id)
        .join(GuardianPupil, GuardianPupil.guardian_id == Guardian.id)
        .join(Pupil, Pupil.id == GuardianPupil.pupil_id)
        .where(Pupil.school_id == school_id, Guardian.account_id.is_not(None))
        .distinct()
    )


class ChildExclusion(db.Model):
    """«Je ne suis pas le représentant légal de cet élève» (SPEC §6.3, 002): the parent
    said this pupil is not theirs; it is left out of the account until the registry
    is fixed, and the report is shown to the director."""

    __tablename__ = "child_exclusions"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True)
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Director(db.Model):
    """A school director: administers the guardian accounts of their schools (SPEC §5)."""

    __tablename__ = "directors"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(IDENTIFIER_MAX_LENGTH), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    schools: Mapped[list[School]] = relationship(
        secondary="director_schools", order_by="School.uai"
    )


class DirectorSchool(db.Model):
    __tablename__ = "director_schools"

    director_id: Mapped[int] = mapped_column(ForeignKey("directors.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)


class AuditEvent(db.Model):
    """Who did what, to which accounts, when (SPEC §5, last item)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    # "director", "guardian", "operator" or "system"
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column()
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    accounts: Mapped[list[Account]] = relationship(secondary="audit_event_accounts")


class AuditEventAccount(db.Model):
    __tablename__ = "audit_event_accounts"

    event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True, index=True)
