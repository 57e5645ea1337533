"""The director's search (SPEC §5 «Search», 004 §5.1): one row per pupil–guardian
pair of the selected school, filtered, sorted both ways and paginated in SQL.

Every query of the console starts from `pairs(school)`: the accounts a director
may see are exactly those with an eligible pupil of their school (SPEC §2), so
an id from another school is never found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import String
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy.orm import aliased

from accounts.email_links import ACTIVATION
from accounts.email_links import EmailLink
from accounts.models import ORIGIN_LABELS
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.models import ChildExclusion
from accounts.states import LIVE_STATES
from accounts.states import live_criterion
from kernel.extensions import db
from kernel.names import ascii_fold
from kernel.names import search_words
from registry.eligibility import legal_link_criteria
from registry.models import Guardian
from registry.models import GuardianPupil
from registry.models import Pupil
from registry.models import School
from registry.models import SchoolClass

PAGE_SIZE = 50
ORIGINS = (
    AccountOrigin.SCHOOL,
    AccountOrigin.GUARDIAN,
    AccountOrigin.FRANCECONNECT,
    AccountOrigin.UNKNOWN,
)
EMAIL_CHOICES = ("avec", "sans")
SORT_KEYS = (
    "eleve",
    "classe",
    "responsable",
    "identifiant",
    "messagerie",
    "origine",
    "etat",
    "distribution",
    "acces",
)


@dataclass
class Criteria:
    """The search form; every list holds the selected values (all of them by default)."""

    q: str = ""
    classes: list[int] | None = None  # None: every class of the school
    states: list[str] = field(default_factory=lambda: [s.value for s in LIVE_STATES])
    email: list[str] = field(default_factory=lambda: list(EMAIL_CHOICES))
    origins: list[str] = field(default_factory=lambda: [o.value for o in ORIGINS])
    sort: str = "eleve"
    desc: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Criteria:
        if not data:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class Row:
    pupil_id: int
    pupil_last_name: str
    pupil_first_name: str
    class_name: str
    account_id: int
    last_name: str
    first_name: str
    identifier: str
    has_email: bool
    origin: AccountOrigin
    state: AccountState
    distribution_date: dt.date | None
    last_login_at: dt.datetime | None


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    page: int
    pages: int
    accounts: int = 0  # distinct guardian accounts among all the results

    @property
    def first(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * PAGE_SIZE + 1

    @property
    def last(self) -> int:
        return min(self.page * PAGE_SIZE, self.total)

    @property
    def links(self) -> list[int | None]:
        return page_links(self.page, self.pages)


def page_links(current: int, pages: int, *, around: int = 1) -> list[int | None]:
    """The page numbers the pagination shows, None for an ellipsis: the first, the
    last and the pages around the current one (1 … 4 5 6 … 11); a gap of a single
    page shows that page rather than «…»."""
    shown = {1, pages, *range(current - around, current + around + 1)}
    numbers = sorted(n for n in shown if 1 <= n <= pages)
    links: list[int | None] = []
    for n in numbers:
        if links and n - links[-1] == 2:
            links.append(n - 1)
        elif links and n - links[-1] > 2:
            links.append(None)
        links.append(n)
    return links


def has_email_expression():
    """SPEC §5: the account's confirmed email, else a registry email of its guardian records."""
    other = aliased(Guardian)
    registry_email = (
        db.select(other.id)
        .where(
            other.account_id == Account.id,
            other.email.is_not(None),
            other.email != "",
            other.withdrawn_at.is_(None),
        )
        .exists()
    )
    return or_(and_(Account.email.is_not(None), Account.email_verified.is_(True)), registry_email)


def pair_criteria(school_id: int) -> tuple:
    """The joins' conditions of a visible pupil–guardian pair of a school."""
    return (Pupil.school_id == school_id, *visible_pair_criteria())


def visible_pair_criteria() -> tuple:
    """The joins' conditions of a pupil–guardian pair a director of the pupil's school
    sees, whatever the school (the statistics of every school)."""
    return (
        *legal_link_criteria(),
        live_criterion(),
        ~db.select(ChildExclusion)
        .where(ChildExclusion.account_id == Account.id, ChildExclusion.pupil_id == Pupil.id)
        .exists(),
    )


def _joined(select):
    return (
        select.select_from(Pupil)
        .join(GuardianPupil, GuardianPupil.pupil_id == Pupil.id)
        .join(Guardian, Guardian.id == GuardianPupil.guardian_id)
        .join(Account, Account.id == Guardian.account_id)
    )


def visible_account_ids(school_id: int):
    """A subquery of the ids of the accounts a director of this school may see."""
    return _joined(db.select(Account.id)).where(*pair_criteria(school_id)).distinct()


def visible_account(school: School, account_id: int) -> Account | None:
    """The account if it belongs to this school's population, else None (a 404)."""
    query = db.select(Account).where(
        Account.id == account_id, Account.id.in_(visible_account_ids(school.id))
    )
    return db.session.scalar(query)


def visible_accounts(school: School, ids: list[int]) -> list[Account]:
    """The accounts among `ids` visible in this school; others are silently dropped."""
    if not ids:
        return []
    query = (
        db.select(Account)
        .where(Account.id.in_(ids), Account.id.in_(visible_account_ids(school.id)))
        .order_by(Account.last_name, Account.first_name, Account.id)
    )
    return list(db.session.scalars(query))


def _names_contain(last_name, first_name, words: list[str]):
    """Every word in the person's folded names, whatever the order, spaces ignored
    («Dasilva» finds «DA SILVA», «Bernard Julie» finds «Julie BERNARD»)."""

    def joined(column):
        return func.replace(column, " ", "", type_=String)

    return and_(
        *(
            or_(
                joined(last_name).contains(word, autoescape=True),
                joined(first_name).contains(word, autoescape=True),
            )
            for word in words
        )
    )


def text_criterion(text: str):
    """SPEC §5 «free text in pupil or guardian names», on the folded names kept with the
    data (`kernel.names`): the pupil's names or the guardian's hold every word typed,
    or the guardian's identifier holds the text («j.bernard»)."""
    words = search_words(text)
    identifier = ascii_fold(text.strip())
    matches = [Account.identifier.contains(identifier, autoescape=True)] if identifier else []
    if words:
        matches += [
            _names_contain(Pupil.folded_last_name, Pupil.folded_first_name, words),
            _names_contain(Account.folded_last_name, Account.folded_first_name, words),
        ]
    return or_(*matches) if matches else false()


def _pairs_select(school: School, criteria: Criteria):
    has_email = has_email_expression().label("has_email")
    query = _joined(
        db.select(
            Pupil.id.label("pupil_id"),
            Pupil.last_name.label("pupil_last_name"),
            Pupil.first_name.label("pupil_first_name"),
            Pupil.folded_last_name.label("pupil_folded_last"),
            Pupil.folded_first_name.label("pupil_folded_first"),
            SchoolClass.name.label("class_name"),
            Account.id.label("account_id"),
            Account.last_name.label("last_name"),
            Account.first_name.label("first_name"),
            Account.folded_last_name.label("folded_last"),
            Account.folded_first_name.label("folded_first"),
            Account.identifier.label("identifier"),
            has_email,
            Account.origin.label("origin"),
            Account.state.label("state"),
            Account.distribution_date.label("distribution_date"),
            Account.last_login_at.label("last_login_at"),
        )
    ).join(SchoolClass, SchoolClass.id == Pupil.class_id)
    query = query.where(*pair_criteria(school.id))
    text = criteria.q.strip()
    if text:
        query = query.where(text_criterion(text))
    if criteria.classes is not None:
        query = query.where(Pupil.class_id.in_(criteria.classes) if criteria.classes else false())
    query = query.where(
        Account.state.in_([AccountState(s) for s in criteria.states])
        if criteria.states
        else false()
    )
    query = query.where(
        Account.origin.in_([AccountOrigin(o) for o in criteria.origins])
        if criteria.origins
        else false()
    )
    wants = set(criteria.email)
    expression = has_email_expression()
    if wants == {"avec"}:
        query = query.where(expression)
    elif wants == {"sans"}:
        query = query.where(~expression)
    elif not wants:
        query = query.where(false())
    return query.distinct()


def _order(pairs, sort: str, desc: bool) -> list:
    c = pairs.c
    state_rank = case(*[(c.state == s, i) for i, s in enumerate(LIVE_STATES)], else_=9)
    origin_label = case(*[(c.origin == o, ORIGIN_LABELS[o]) for o in ORIGINS], else_="")
    keys = {
        "eleve": [c.pupil_folded_last, c.pupil_folded_first],
        "classe": [c.class_name],
        "responsable": [c.folded_last, c.folded_first],
        "identifiant": [c.identifier],
        "messagerie": [c.has_email],
        "origine": [origin_label],
        "etat": [state_rank],
        "distribution": [c.distribution_date],
        "acces": [c.last_login_at],
    }[sort if sort in SORT_KEYS else "eleve"]
    ordered = [k.desc().nulls_last() if desc else k.asc().nulls_first() for k in keys]
    tie = [c.pupil_folded_last, c.pupil_folded_first, c.pupil_id, c.folded_last, c.account_id]
    return ordered + tie


def search(school: School, criteria: Criteria, *, page: int = 1) -> Page:
    pairs = _pairs_select(school, criteria).subquery("pairs")
    total, accounts = db.session.execute(
        db.select(func.count(), func.count(func.distinct(pairs.c.account_id)))
    ).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    query = (
        db.select(pairs)
        .order_by(*_order(pairs, criteria.sort, criteria.desc))
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    rows = [
        Row(
            pupil_id=r.pupil_id,
            pupil_last_name=r.pupil_last_name,
            pupil_first_name=r.pupil_first_name,
            class_name=r.class_name,
            account_id=r.account_id,
            last_name=r.last_name,
            first_name=r.first_name,
            identifier=r.identifier,
            has_email=bool(r.has_email),
            origin=AccountOrigin(r.origin),
            state=AccountState(r.state),
            distribution_date=r.distribution_date,
            last_login_at=r.last_login_at,
        )
        for r in db.session.execute(query)
    ]
    return Page(rows=rows, total=total, page=page, pages=pages, accounts=accounts)


def all_account_ids(school: School, criteria: Criteria) -> list[int]:
    """Every account of the search's results (the «select all» of the header)."""
    pairs = _pairs_select(school, criteria).subquery("pairs")
    return list(db.session.scalars(db.select(pairs.c.account_id).distinct()))


def classes_of(school: School) -> list[SchoolClass]:
    return list(
        db.session.scalars(
            db.select(SchoolClass)
            .where(SchoolClass.school_id == school.id)
            .order_by(SchoolClass.name)
        )
    )


def list_rows(school: School, account_ids: list[int]) -> list:
    """The pupil–guardian pairs of the selected accounts in this school, for lists (§5.4)."""
    if not account_ids:
        return []
    pairs = (
        _joined(db.select(Pupil.id.label("pupil_id"), Account.id.label("account_id")))
        .where(*pair_criteria(school.id), Account.id.in_(account_ids))
        .distinct()
        .subquery("pairs")
    )
    query = (
        db.select(Pupil, SchoolClass, Account)
        .select_from(pairs)
        .join(Pupil, Pupil.id == pairs.c.pupil_id)
        .join(Account, Account.id == pairs.c.account_id)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .order_by(
            Pupil.folded_last_name,
            Pupil.folded_first_name,
            Pupil.id,
            Account.folded_last_name,
            Account.id,
        )
    )
    return list(db.session.execute(query))


def children_split(account: Account, school: School) -> tuple[list[Pupil], list[Pupil]]:
    """The account's children in this school, and in other schools (004 §5.2)."""
    children = account.children()
    here = [p for p in children if p.school_id == school.id]
    elsewhere = [p for p in children if p.school_id != school.id]
    return here, elsewhere


def exclusions_of(account: Account) -> list[tuple[Pupil, dt.datetime]]:
    """«Ce n'est pas mon enfant» reports of the parent (SPEC §6.3), shown to the director."""
    query = (
        db.select(Pupil, ChildExclusion.reported_at)
        .join(ChildExclusion, ChildExclusion.pupil_id == Pupil.id)
        .where(ChildExclusion.account_id == account.id)
        .order_by(ChildExclusion.reported_at)
    )
    return [(pupil, at) for pupil, at in db.session.execute(query)]


def activation_link_expiry(account: Account) -> dt.datetime | None:
    """When the activation link last sent (C07) expires, for an En cours account (SPEC §4)."""

    return db.session.scalar(
        db.select(EmailLink.expires_at)
        .where(
            EmailLink.account_id == account.id,
            EmailLink.purpose == ACTIVATION,
            EmailLink.used_at.is_(None),
        )
        .order_by(EmailLink.created_at.desc())
        .limit(1)
    )
