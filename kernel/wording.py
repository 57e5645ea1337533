"""French agreement of a count with its noun, in one place: «1 champ», «2 champs»,
«0 compte» (in French, 0 and 1 take the singular). Used by the console's pages and
journal and by the registry import's reports."""

from __future__ import annotations

import re

_COUNTED = re.compile(r"(\d+)(\D*)")
_MARK = "(s)"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`plural(2, "champ")` → «2 champs»; `plural(1, "compte créé", "comptes créés")`."""
    many = plural_form if plural_form is not None else singular + "s"
    return f"{count} {singular if abs(count) < 2 else many}"


def agree(text: str) -> str:
    """Resolve the «(s)» marks of a text after each number: «2 compte(s) créé(s)» →
    «2 comptes créés», «1 courrier(s)» → «1 courrier» (the journal's older rows)."""

    def resolve(match: re.Match) -> str:
        ending = "s" if int(match.group(1)) >= 2 else ""
        return match.group(1) + match.group(2).replace(_MARK, ending)

    return _COUNTED.sub(resolve, text)
