"""Statistics of 004 §6 (SPEC §5): per school, per class and per level.

A guardian account counts once in the school summary, and once in each class
and each level where it has a child (so the detail totals may exceed the
summary's). Computed for every school in a few grouped SQL queries (nightly,
`guichet stats compute`), or for one school on demand; the figures are stored
with the time of the computation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP
from decimal import Decimal

from sqlalchemy import func

from accounts.models import Account
from accounts.models import AccountState
from accounts.states import LIVE_STATES
from admin.models import SchoolStatistics
from admin.search import visible_pair_criteria
from kernel.extensions import db
from registry.models import Guardian
from registry.models import GuardianPupil
from registry.models import Level
from registry.models import Pupil
from registry.models import School
from registry.models import SchoolClass

CENT = Decimal("0.01")

STATES = tuple(state.value for state in LIVE_STATES)


def _empty() -> dict:
    return {"total": 0, **{s: 0 for s in STATES}}


def _percent(part: int, whole: int) -> Decimal:
    """Two decimals rounded half up, in exact arithmetic (SPEC §5: 1/800 → 0.13 %; a
    float's 0.125 would round to 0.12)."""
    if not whole:
        return Decimal("0.00")
    return (Decimal(part * 100) / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def _pairs(school_ids: list[int] | None):
    """(school, class, level, pupil, account, state) of every visible pair."""
    query = (
        db.select(
            Pupil.school_id.label("school_id"),
            Pupil.class_id.label("class_id"),
            Pupil.level.label("level"),
            Pupil.id.label("pupil_id"),
            Account.id.label("account_id"),
            Account.state.label("state"),
        )
        .select_from(Pupil)
        .join(GuardianPupil, GuardianPupil.pupil_id == Pupil.id)
        .join(Guardian, Guardian.id == GuardianPupil.guardian_id)
        .join(Account, Account.id == Guardian.account_id)
    )
    query = query.where(*visible_pair_criteria())
    if school_ids is not None:
        query = query.where(Pupil.school_id.in_(school_ids))
    return query.distinct().subquery("pairs")


def compute(*, now: dt.datetime, school_ids: list[int] | None = None) -> int:
    """Compute and store the statistics of the schools given (all when None).
    Returns the number of schools written. Caller commits."""
    pairs = _pairs(school_ids)
    summary: dict[int, dict] = defaultdict(_empty)
    by_class: dict[int, dict[int, dict]] = defaultdict(lambda: defaultdict(_empty))
    by_level: dict[int, dict[str, dict]] = defaultdict(lambda: defaultdict(_empty))

    per_school = db.select(
        pairs.c.school_id, pairs.c.state, func.count(func.distinct(pairs.c.account_id))
    ).group_by(pairs.c.school_id, pairs.c.state)
    for school_id, state, count in db.session.execute(per_school):
        summary[school_id][str(AccountState(state).value)] += count
        summary[school_id]["total"] += count

    for key, target in ((pairs.c.class_id, by_class), (pairs.c.level, by_level)):
        grouped = db.select(
            pairs.c.school_id,
            key,
            pairs.c.state,
            func.count(func.distinct(pairs.c.account_id)),
        ).group_by(pairs.c.school_id, key, pairs.c.state)
        for school_id, group, state, count in db.session.execute(grouped):
            label = group.value if isinstance(group, Level) else group
            cell = target[school_id][label]
            cell[str(AccountState(state).value)] += count
            cell["total"] += count

    activated = func.max(db.case((pairs.c.state == AccountState.ACTIVATED, 1), else_=0))
    per_pupil = (
        db.select(pairs.c.school_id, pairs.c.pupil_id, activated.label("activated"))
        .group_by(pairs.c.school_id, pairs.c.pupil_id)
        .subquery()
    )
    pupils = {
        school_id: (total, with_activated or 0)
        for school_id, total, with_activated in db.session.execute(
            db.select(
                per_pupil.c.school_id, func.count(), func.sum(per_pupil.c.activated)
            ).group_by(per_pupil.c.school_id)
        )
    }

    ids = school_ids
    if ids is None:
        ids = list(db.session.scalars(db.select(School.id)))
    classes_query = db.select(SchoolClass.id, SchoolClass.name)
    existing_query = db.select(SchoolStatistics)
    if school_ids is not None:  # all schools: no list of ids in the SQL
        classes_query = classes_query.where(SchoolClass.school_id.in_(ids))
        existing_query = existing_query.where(SchoolStatistics.school_id.in_(ids))
    class_names = dict(db.session.execute(classes_query).all())
    existing = {s.school_id: s for s in db.session.scalars(existing_query)}
    for school_id in ids:
        classes = [
            {"name": class_names.get(cid, "?"), **cell} for cid, cell in by_class[school_id].items()
        ]
        classes.sort(key=lambda c: c["name"])
        order = [level.value for level in Level]
        levels = [
            {"name": name, **cell}
            for name, cell in sorted(
                by_level[school_id].items(),
                key=lambda kv: order.index(kv[0]) if kv[0] in order else 99,
            )
        ]
        total_pupils, pupils_activated = pupils.get(school_id, (0, 0))
        data = {
            "summary": summary[school_id] if school_id in summary else _empty(),
            "pupils": total_pupils,
            "pupils_with_activated": int(pupils_activated),
            "classes": classes,
            "levels": levels,
        }
        row = existing.get(school_id)
        if row is None:
            db.session.add(SchoolStatistics(school_id=school_id, computed_at=now, data=data))
        else:
            row.computed_at = now
            row.data = data
    return len(ids)


def of_school(school: School) -> SchoolStatistics | None:
    return db.session.get(SchoolStatistics, school.id)


def activated_percent(cell: dict) -> Decimal:
    return _percent(cell["activated"], cell["total"])


def pupils_percent(data: dict) -> Decimal:
    return _percent(data["pupils_with_activated"], data["pupils"])


def total_row(cells: list[dict]) -> dict:
    total = _empty()
    for cell in cells:
        for key in total:
            total[key] += cell[key]
    return total


def format_percent(value: Decimal) -> str:
    """SPEC §5: percentages with two decimals («0.84 %», «3.70 %»), 004 §6's dot and space."""
    return f"{value:.2f} %"
