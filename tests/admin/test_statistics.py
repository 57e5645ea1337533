"""Statistics (SPEC §5, 004 §6) on a small hand-checked dataset."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from accounts import states
from accounts.models import AccountState
from admin import stats
from kernel.extensions import db
from registry.models import Level
from tests import factories
from tests.admin.conftest import text

NN, N, EC, A = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)


def _guardian(name, pupils, state):
    account = factories.make_account("Parent", name)
    factories.make_guardian(
        first_name="Parent", last_name=name, pupils=[(p, True) for p in pupils], account=account
    )
    factories.set_state(account, state)
    return account


@pytest.fixture
def dataset(console):
    """Hand-checked figures:

    pupils: p1 CP A (CP), p2 CP A (CP), p3 CE1 B (CE1), p4 CP/CE1 (CP), p5 CP/CE1 (CE1)
    G1 Activé: p1, p3 (two classes) · G2 Non notifié: p1 · G3 Notifié: p2
    G4 En cours: p4, p5 · G5 Activé: p5
    summary: 5 accounts (1, 1, 1, 2), 40.00 % activated; pupils 3/5 = 60.00 %
    classes: CE1 B 1 (A1) 100 % · CP A 3 (NN1 N1 A1) 33.33 % · CP/CE1 2 (EC1 A1) 50 %
             total 6 (1, 1, 1, 3) 50.00 %
    levels:  CP 4 (1, 1, 1, 1) 25 % · CE1 3 (0, 0, 1, 2) 66.67 % · total 7 42.86 %
    """
    s = console.school

    def pupil(first, class_name, level):
        return factories.make_pupil(s, first_name=first, class_name=class_name, level=level)

    p1, p2 = pupil("P1", "CP A", Level.CP), pupil("P2", "CP A", Level.CP)
    p3 = pupil("P3", "CE1 B", Level.CE1)
    p4, p5 = pupil("P4", "CP/CE1", Level.CP), pupil("P5", "CP/CE1", Level.CE1)
    g1 = _guardian("Un", [p1, p3], A)
    _guardian("Deux", [p1], NN)
    _guardian("Trois", [p2], N)
    _guardian("Quatre", [p4, p5], EC)
    _guardian("Cinq", [p5], A)
    # noise: another school, a deleted account, an ineligible pupil, a non-legal link
    other = factories.make_pupil(console.other_school, first_name="Ailleurs")
    _guardian("Autre", [other], A)
    gone = _guardian("Parti", [p2], NN)
    states.delete_merged(gone, into=g1, now=factories.NOW, actor=states.audit.SYSTEM)
    no_ine = factories.make_pupil(s, first_name="SansIne", ine=None)
    _guardian("SansIne", [no_ine], A)
    factories.make_guardian(
        first_name="Non",
        last_name="Legal",
        pupils=[(p3, False)],
        account=factories.make_account("Non", "Legal"),
    )
    db.session.commit()


def test_figures(console, dataset):
    stats.compute(now=factories.NOW, school_ids=[console.school.id])
    db.session.commit()
    data = stats.of_school(console.school).data
    assert data["summary"] == {
        "total": 5,
        "not_notified": 1,
        "notified": 1,
        "activating": 1,
        "activated": 2,
    }
    assert stats.format_percent(stats.activated_percent(data["summary"])) == "40.00 %"
    assert (data["pupils"], data["pupils_with_activated"]) == (5, 3)
    assert stats.format_percent(stats.pupils_percent(data)) == "60.00 %"
    classes = {c["name"]: c for c in data["classes"]}
    assert [c["name"] for c in data["classes"]] == ["CE1 B", "CP A", "CP/CE1"]
    assert classes["CP A"] == {
        "name": "CP A",
        "total": 3,
        "not_notified": 1,
        "notified": 1,
        "activating": 0,
        "activated": 1,
    }
    assert stats.format_percent(stats.activated_percent(classes["CP A"])) == "33.33 %"
    assert stats.total_row(data["classes"])["total"] == 6
    levels = {c["name"]: c for c in data["levels"]}
    assert [c["name"] for c in data["levels"]] == ["CP", "CE1"]
    assert levels["CE1"]["total"] == 3 and levels["CE1"]["activated"] == 2
    assert stats.format_percent(stats.activated_percent(levels["CE1"])) == "66.67 %"
    total = stats.total_row(data["levels"])
    assert total["total"] == 7
    assert stats.format_percent(stats.activated_percent(total)) == "42.86 %"


def test_page_computes_on_demand_and_shows_when(console, dataset, monkeypatch):
    page = text(console.client.get("/admin/statistiques"))
    assert "Calculer les statistiques" in page
    assert "n'ont pas encore été calculées" in page
    monkeypatch.setattr(
        "admin.statistics_views.utcnow", lambda: dt.datetime(2026, 11, 24, 8, 33, 39)
    )
    console.client.post("/admin/statistiques")
    page = text(console.client.get("/admin/statistiques"))
    assert "Dernière mise à jour le 24-11-2026 à 09:33:39" in page
    for title in [
        "Synthèse des comptes responsables de la structure",
        "Synthèse des comptes responsables par classe",
        "Synthèse des comptes responsables par niveau",
        "% d'élèves ayant au moins un resp. avec un compte activé",
        "Nombre de comptes notifiés et non activés",
    ]:
        assert title in page
    assert page.count("% d'élèves ayant au moins") == 1  # no pupil column in the details
    for figure in ["40.00 %", "60.00 %", "33.33 %", "66.67 %", "42.86 %", "50.00 %"]:
        assert figure in page
    assert re.search(r"<th scope=\"row\">Total</th><td>6</td>", page)
    assert re.search(r"<th scope=\"row\">Total</th><td>7</td>", page)
    assert "Il est normal que les nombres en ligne « Total »" in page
    assert "<svg" in page and "Activé (2)" in page


def test_nightly_command(console, dataset):
    runner = console.app.test_cli_runner()
    result = runner.invoke(args=["stats", "compute"])
    assert result.exit_code == 0, result.output
    assert "Statistiques calculées pour 2 écoles" in result.output
    other = stats.of_school(console.other_school).data
    assert other["summary"]["activated"] == 1
    result = runner.invoke(args=["stats", "compute", "--school", "0311478N"])
    assert "pour 1 école le" in result.output
    result = runner.invoke(args=["stats", "compute", "--school", "9999999Z"])
    assert result.exit_code != 0


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [(1, 800, "0.13 %"), (1, 8, "12.50 %"), (1, 3, "33.33 %"), (2, 3, "66.67 %"), (0, 0, "0.00 %")],
)
def test_percentages_round_half_up(part, whole, shown):
    """SPEC §5: 1/800 is 0.125 %, shown 0.13 % (a float rounds it to 0.12)."""
    assert stats.format_percent(stats.activated_percent({"activated": part, "total": whole})) == (
        shown
    )
