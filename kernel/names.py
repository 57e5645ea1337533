"""Folding of people's names, so that names written with or without accents, case,
hyphens or apostrophes compare equal (identifiers, registry matching, merges, the
console's search and its sorting by name).

One home for the rule: the registry's matching, the import's sibling grouping, the
folded columns kept with pupils and accounts (`folded_names`) and the words a
director types (`search_words`) all fold here, so a name and its search agree."""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_SPACES = re.compile(r"[\s'’-]+")
# Lengths of the folded columns: a folded name is never longer than 2× the name
# (ligatures spelled out), and the columns hold the registry's 100 characters.
FOLDED_LENGTH = 200


def ascii_fold(text: str) -> str:
    """Lowercase ASCII with accents stripped and ligatures spelled out."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def fold_name(name: str) -> str:
    """`Jean-Éric  D'Ormesson` and `jean eric d ormesson` fold alike (SPEC §6.3 matching)."""
    return _SPACES.sub(" ", ascii_fold(name)).strip()


def folded_names(last_name: str | None, first_name: str | None) -> dict[str, str]:
    """The folded columns of a row holding a person's names: what the console
    searches and sorts on («ANDRÉ Jade» beside «André Anaïs»)."""
    return {
        "folded_last_name": fold_name(last_name or "")[:FOLDED_LENGTH],
        "folded_first_name": fold_name(first_name or "")[:FOLDED_LENGTH],
    }


def search_words(text: str) -> list[str]:
    """The words of a search, folded like names: «Bernard Julie», «DA-SILVA» or
    «Élise» become words each of which must appear in one person's names."""
    return [word for word in fold_name(text).split(" ") if word]
