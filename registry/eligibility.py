"""Which pupils count (SPEC §2 «Eligibility», 004 §1.3.1), written once.

An account exists only for a legal guardian of at least one pupil who is
definitively admitted, has a national INE and is assigned to a class; the
children of an account are those same pupils. The nightly import (which
guardian records get an account), the console (which pairs a director sees,
and counts) and the `children` claim all filter with these criteria, in SQL,
so they cannot drift apart.
"""

from __future__ import annotations

from registry.models import Admission
from registry.models import Guardian
from registry.models import GuardianPupil
from registry.models import Pupil


def eligible_pupil_criteria() -> tuple:
    """A pupil that counts: still in the registry, definitively admitted (not
    provisionally, not struck off), with an INE, in a class. Criteria on `Pupil`."""
    return (
        Pupil.withdrawn_at.is_(None),
        Pupil.admission == Admission.DEFINITIVE,
        Pupil.ine.is_not(None),
        Pupil.ine != "",
        Pupil.class_id.is_not(None),
    )


def legal_link_criteria() -> tuple:
    """A guardian record that counts for a pupil: still in the registry, the pupil's
    legal guardian, and the pupil eligible. Criteria on `Guardian`, `GuardianPupil`
    and `Pupil`, joined by the caller."""
    return (
        Guardian.withdrawn_at.is_(None),
        GuardianPupil.is_legal.is_(True),
        *eligible_pupil_criteria(),
    )
