"""Account identifiers (SPEC §3): first-name initial, a dot, the last name.

Lowercase ASCII, accents stripped, spaces and apostrophes removed, hyphens
kept, a number appended when taken (`g.zoumn`, `g.reabu5`). An identifier is
never changed once given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from accounts.models import IDENTIFIER_MAX_LENGTH
from accounts.models import Account
from kernel.extensions import db
from kernel.names import ascii_fold

_DROPPED = re.compile(r"[^a-z0-9-]")
_HYPHEN_RUNS = re.compile(r"-{2,}")


def _name_part(name: str) -> str:
    folded = _DROPPED.sub("", ascii_fold(name))
    return _HYPHEN_RUNS.sub("-", folded).strip("-")


# Room left after the base for a number (`g.zoumn9999`), within IDENTIFIER_MAX_LENGTH.
SUFFIX_ROOM = 4


def base_identifier(first_name: str, last_name: str) -> str:
    """`Gérald`, `Zoumn` → `g.zoumn`; `Anne-Sophie`, `D'Artagnan-Le Goff` → `a.dartagnan-legoff`.
    A very long compound name is cut so that the identifier, number included, stays
    within what the sign-in form accepts."""
    initial = _name_part(first_name)[:1] or "x"
    last = _name_part(last_name)[: IDENTIFIER_MAX_LENGTH - SUFFIX_ROOM - 2].rstrip("-")
    return f"{initial}.{last or 'responsable'}"


class IdentifierAllocator:
    """Hands out free identifiers against a known set of taken ones.

    The registry import allocates thousands at once: it loads the taken
    identifiers once and keeps, per base, the next number to try, so each
    allocation is O(1) instead of one query per candidate.
    """

    def __init__(self, taken: Iterable[str]):
        self._taken = set(taken)
        self._next_suffix: dict[str, int] = {}

    def allocate(self, first_name: str, last_name: str) -> str:
        base = base_identifier(first_name, last_name)
        if base not in self._taken:
            self._taken.add(base)
            return base
        suffix = self._next_suffix.get(base, 1)
        while f"{base}{suffix}" in self._taken:
            suffix += 1
        identifier = f"{base}{suffix}"
        self._taken.add(identifier)
        self._next_suffix[base] = suffix + 1
        return identifier


def allocate_identifier(first_name: str, last_name: str) -> str:
    """One identifier, checked against the database (for single creations)."""
    base = base_identifier(first_name, last_name)
    taken = db.session.scalars(
        db.select(Account.identifier).where(Account.identifier.startswith(base, autoescape=True))
    )
    return IdentifierAllocator(taken).allocate(first_name, last_name)
