"""Finding the registry's guardian records of a person (SPEC §6.3, §6.4): by the
mobile given to the school and the names, compared after folding case, accents
and spaces."""

from __future__ import annotations

from collections.abc import Iterable

from kernel.extensions import db
from kernel.names import fold_name
from registry.models import Guardian


def guardians_matching(
    last_names: Iterable[str], first_names: Iterable[str], mobile_e164: str
) -> list[Guardian]:
    """The records with this mobile whose names are among the candidates: one of each
    for a name typed by the parent, several for FranceConnect (birth or usage name,
    every first name or the first one)."""
    lasts = {fold_name(name) for name in last_names}
    firsts = {fold_name(name) for name in first_names}
    return [
        g
        for g in guardians_with_mobile(mobile_e164)
        if fold_name(g.last_name) in lasts and fold_name(g.first_name) in firsts
    ]


def guardians_with_mobile(mobile_e164: str) -> list[Guardian]:
    return list(
        db.session.scalars(
            db.select(Guardian).where(
                Guardian.mobile == mobile_e164, Guardian.withdrawn_at.is_(None)
            )
        )
    )
