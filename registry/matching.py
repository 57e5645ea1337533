"""Finding the registry's guardian records of a person (SPEC §6.3, §6.4): by the
mobile given to the school and the names, compared after folding case, accents
and spaces."""

from __future__ import annotations

from kernel.extensions import db
from kernel.names import fold_name
from registry.models import Guardian


def guardians_matching(last_name: str, first_name: str, mobile_e164: str) -> list[Guardian]:
    last, first = fold_name(last_name), fold_name(first_name)
    return [
        g
        for g in guardians_with_mobile(mobile_e164)
        if fold_name(g.last_name) == last and fold_name(g.first_name) == first
    ]


def guardians_with_mobile(mobile_e164: str) -> list[Guardian]:
    return list(
        db.session.scalars(
            db.select(Guardian).where(
                Guardian.mobile == mobile_e164, Guardian.withdrawn_at.is_(None)
            )
        )
    )
