"""A hostile or sloppy registry line never aborts the night (issue 13): every field
is checked against its column and its characters during validation, so the line is
reported with its file, line number and a French reason and nothing is written; a
very long compound surname still gives an identifier the sign-in form accepts."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from accounts.models import IDENTIFIER_MAX_LENGTH
from accounts.models import Account
from kernel import runtime
from kernel.extensions import db
from registry import feed
from registry.models import Guardian
from registry_import.importer import import_feed
from tests import factories
from tests.registry.feeds import family_feed

NOW = dt.datetime(2026, 9, 1, 2, 0)
LONG_SURNAME = "De La Roche-Saint-Hilaire-" + "Montmorency-" * 5 + "Villeneuve"


def run_import(folder):
    return import_feed(folder, now=NOW, passwords=runtime.passwords())


def accounts() -> list[str]:
    return list(db.session.scalars(db.select(Account.identifier)))


@pytest.mark.parametrize(
    ("file", "edit", "reason"),
    [
        (feed.GUARDIANS, lambda f: f.guardian("R1").__setitem__(1, "N" * 101), "trop long"),
        (feed.GUARDIANS, lambda f: f.guardian("R1").__setitem__(2, "Gé\x00rald"), "U+0000"),
        (feed.PUPILS, lambda f: f.pupil("E1").__setitem__(3, "L" * 101), "trop long"),
        (feed.PUPILS, lambda f: f.pupil("E1").__setitem__(6, "C" * 61), "trop long"),
        (feed.SCHOOLS, lambda f: f.schools[0].__setitem__(1, "É" * 201), "trop long"),
        (feed.GUARDIANS, lambda f: f.guardian("R2").__setitem__(5, "A" * 401), "trop long"),
        (feed.GUARDIANS, lambda f: f.guardian("R3").__setitem__(1, "Du\u200bbois"), "U+200B"),
    ],
)
def test_a_field_that_does_not_fit_its_column_is_a_bad_line(app_ctx, tmp_path, file, edit, reason):
    rows = family_feed()
    edit(rows)
    with pytest.raises(feed.FeedInvalid) as refused:
        run_import(rows.write(tmp_path / "feed"))
    mine = [e for e in refused.value.errors if e.file == file]
    assert len(mine) == 1 and reason in mine[0].reason and "champ" in mine[0].reason
    assert accounts() == []


def test_the_command_reports_a_nul_byte_and_exits_2(runner, tmp_path):
    rows = family_feed()
    rows.guardian("R1")[1] = "Mar\x00tin"
    folder = rows.write(tmp_path / "feed")
    result = runner.invoke(args=["registry", "import", str(folder)])
    assert result.exit_code == 2
    assert f"{folder / 'responsables.csv'}:2: champ « nom » : caractère non autorisé" in (
        result.stderr
    )
    assert "Traceback" not in result.output + result.stderr


def test_a_very_long_compound_surname_gets_a_usable_identifier(app, app_ctx, tmp_path):
    assert len(LONG_SURNAME) <= 100 and len("x." + LONG_SURNAME) > IDENTIFIER_MAX_LENGTH
    rows = family_feed()
    rows.guardian("R4")[1] = LONG_SURNAME
    rows.guardians.append(["R8", LONG_SURNAME, "Anna", "0699999999", "", ""])
    rows.links.append(["E3", "R8", "1"])
    rows.pupil("E3")[8] = "definitive"
    run_import(rows.write(tmp_path / "feed"))

    holders = db.session.scalars(
        db.select(Guardian).where(Guardian.last_name == LONG_SURNAME)
    ).all()
    identifiers = sorted(g.account.identifier for g in holders)
    assert len(identifiers) == 2 and identifiers[0] != identifiers[1]
    assert all(len(i) <= IDENTIFIER_MAX_LENGTH for i in identifiers)
    account = holders[0].account
    factories.activate(account, password="Secret123")
    db.session.commit()
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed_in = client.post(
        "/connexion",
        data={"csrf_token": token, "identifier": account.identifier, "password": "Secret123"},
    )
    assert signed_in.status_code == 302 and signed_in.location.endswith("/compte")
