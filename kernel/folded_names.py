"""The folded names kept with a row that holds a person's names (pupils, accounts):
the console searches and sorts on them (SPEC §5 «Search»), so they are written
with the names, on every write.

ORM writes fill them here (`validates`); the registry import, which writes in
bulk with Core statements, fills them with the same `kernel.names.folded_names`.
The columns are NOT NULL without a default, so a writer that forgets them fails
loudly rather than hiding a person from the search."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import validates

from kernel.names import FOLDED_LENGTH
from kernel.names import fold_name


class FoldedNames:
    """Mixin of a model with `last_name` and `first_name` columns."""

    folded_last_name: Mapped[str] = mapped_column(String(FOLDED_LENGTH))
    folded_first_name: Mapped[str] = mapped_column(String(FOLDED_LENGTH))

    @validates("last_name", "first_name")
    def _fold_with_the_name(self, key: str, value: str) -> str:
        setattr(self, f"folded_{key}", fold_name(value or "")[:FOLDED_LENGTH])
        return value
