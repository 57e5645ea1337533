"""Folding of people's names, so that names written with or without accents, case,
hyphens or apostrophes compare equal (identifiers, registry matching, merges)."""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_SPACES = re.compile(r"[\s'’-]+")


def ascii_fold(text: str) -> str:
    """Lowercase ASCII with accents stripped and ligatures spelled out."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def fold_name(name: str) -> str:
    """`Jean-Éric  D'Ormesson` and `jean eric d ormesson` fold alike (SPEC §6.3 matching)."""
    return _SPACES.sub(" ", ascii_fold(name)).strip()
