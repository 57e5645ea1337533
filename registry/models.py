"""The school registry as imported every night (SPEC §2): schools, classes, pupils,
guardian records and the pupil–guardian links.

Nothing in the service edits these rows except the import: directors fix data
in the registry and see it the next day. An account (accounts.models) holds one
or more guardian records; the registry never stores the parent's own contact
data.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Enum
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from kernel.extensions import db
from kernel.folded_names import FoldedNames

if TYPE_CHECKING:
    from accounts.models import Account


class Level(enum.StrEnum):
    """School levels of the primary school, with the long labels of the registry."""

    PS = "PS"
    MS = "MS"
    GS = "GS"
    CP = "CP"
    CE1 = "CE1"
    CE2 = "CE2"
    CM1 = "CM1"
    CM2 = "CM2"

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_LABELS = {
    Level.PS: "Petite section",
    Level.MS: "Moyenne section",
    Level.GS: "Grande section",
    Level.CP: "Cours préparatoire",
    Level.CE1: "Cours élémentaire 1re année",
    Level.CE2: "Cours élémentaire 2e année",
    Level.CM1: "Cours moyen 1re année",
    Level.CM2: "Cours moyen 2e année",
}


class Admission(enum.StrEnum):
    """Admission status of a pupil in the registry (ONDE)."""

    DEFINITIVE = "definitive"
    PROVISIONAL = "provisional"
    WITHDRAWN = "withdrawn"


class School(db.Model):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    uai: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    academy: Mapped[str] = mapped_column(String(100))
    city: Mapped[str] = mapped_column(String(100))

    classes: Mapped[list[SchoolClass]] = relationship(back_populates="school")

    def __repr__(self) -> str:
        return f"<School {self.uai} {self.name}>"


class SchoolClass(db.Model):
    __tablename__ = "school_classes"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    name: Mapped[str] = mapped_column(String(60))

    school: Mapped[School] = relationship(back_populates="classes")


class Pupil(FoldedNames, db.Model):
    """A pupil; `folded_last_name`/`folded_first_name` (FoldedNames) are what the
    console searches and sorts on, indexed with the school."""

    __tablename__ = "pupils"
    __table_args__ = (
        Index("ix_pupils_school_id_class_id", "school_id", "class_id"),
        Index("ix_pupils_folded_names", "school_id", "folded_last_name", "folded_first_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_id: Mapped[str] = mapped_column(String(40), unique=True)
    ine: Mapped[str | None] = mapped_column(String(11))
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_classes.id"))
    level: Mapped[Level | None] = mapped_column(Enum(Level, native_enum=False, length=3))
    admission: Mapped[Admission] = mapped_column(Enum(Admission, native_enum=False, length=12))
    # Set when the pupil disappears from the feed; the row is kept for history.
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    school: Mapped[School] = relationship()
    school_class: Mapped[SchoolClass | None] = relationship()
    guardian_links: Mapped[list[GuardianPupil]] = relationship(back_populates="pupil")


class Guardian(db.Model):
    """One guardian record of the registry; an account holds one or several of them."""

    __tablename__ = "guardians"

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_id: Mapped[str] = mapped_column(String(40), unique=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    # E.164 (+33612345678) when the registry's number parses, else None.
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    address: Mapped[str | None] = mapped_column(String(400))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    account: Mapped[Account | None] = relationship(back_populates="guardians")
    pupil_links: Mapped[list[GuardianPupil]] = relationship(back_populates="guardian")


class GuardianPupil(db.Model):
    __tablename__ = "guardian_pupils"

    guardian_id: Mapped[int] = mapped_column(ForeignKey("guardians.id"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True, index=True)
    is_legal: Mapped[bool] = mapped_column(Boolean)

    guardian: Mapped[Guardian] = relationship(back_populates="pupil_links")
    pupil: Mapped[Pupil] = relationship(back_populates="guardian_links")
