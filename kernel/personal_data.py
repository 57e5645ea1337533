"""What each area holds about a parent, gathered for «Mes données» (issue 17, GDPR
art. 15 and 20) without the page's area importing the others: an area registers
at start-up a function giving its part for an account id (federation's
FranceConnect links), the way it adds a block to the account page (kernel.web)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask import current_app

PERSONAL_DATA_KEY = "guichet.personal_data"

# (key in the export, French title, function of the account id -> rows)
Collector = tuple[str, str, Callable[[int], list[dict]]]


def add_personal_data(app: Flask, key: str, title: str, collect: Callable[[int], list[dict]]):
    collectors = app.extensions.setdefault(PERSONAL_DATA_KEY, {})
    collectors[key] = (key, title, collect)


def personal_data_collectors() -> list[Collector]:
    return list(current_app.extensions.get(PERSONAL_DATA_KEY, {}).values())
