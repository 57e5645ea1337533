"""Cells a spreadsheet opens safely (OWASP «CSV injection»): a cell that begins with
`=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula by
Excel or LibreOffice — and the console's lists put registry names next to clear
temporary passwords. Such a cell is written with a leading apostrophe, which the
spreadsheet shows as text and does not display."""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def spreadsheet_safe(row: Iterable[object]) -> list[str]:
    return [safe_cell(value) for value in row]
