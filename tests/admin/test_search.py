"""The search page (SPEC §5 «Search», 004 §5.1)."""

from __future__ import annotations

import re

import pytest

from accounts import states
from accounts.models import AccountState
from kernel.extensions import db
from registry.models import Admission
from tests import factories
from tests.admin.conftest import family
from tests.admin.conftest import search_args
from tests.admin.conftest import text


@pytest.fixture
def population(console):
    s = console.school
    zoumn, _ = family(
        s,
        "Guillaume",
        "Zoumn",
        [("Lucie", "Amejdobu", "CM1 NEW", "CM1"), ("Paul", "Edualibl", "CE1D", "CE1")],
        email="g.zoumn@example.org",
        state=AccountState.ACTIVATED,
    )
    reabu, _ = family(s, "Guillaume", "Reabu", [("Alice", "Aixthasi", "CM1 NEW", "CM1")])
    avisad, _ = family(
        s, "Guillaume", "Avisad", [("Elise", "Iluomrti", "PSMS", "PS")], state=AccountState.NOTIFIED
    )
    ehcam, _ = family(
        s,
        "Guillaume",
        "Ehcam",
        [("Camille", "Tuouhn", "GS", "GS")],
        email="ehcam@example.org",
        state=AccountState.ACTIVATING,
    )
    # Not shown: a pupil of another school, a pupil without INE, a non-legal guardian,
    # a deleted account.
    family(console.other_school, "Autre", "Ecole", [("Zoé", "Ailleurs", "CP A", "CP")])
    no_ine = factories.make_pupil(s, first_name="Sans", last_name="Ine", ine=None)
    provisional = factories.make_pupil(
        s, first_name="Pro", last_name="Visoire", admission=Admission.PROVISIONAL
    )
    factories.make_guardian(
        first_name="Pas",
        last_name="Legal",
        pupils=[(no_ine, True), (provisional, True)],
        account=factories.make_account("Pas", "Legal"),
    )
    lucie = db.session.scalar(
        db.select(factories.Pupil).where(factories.Pupil.first_name == "Lucie")
    )
    factories.make_guardian(
        first_name="Non",
        last_name="Legal",
        pupils=[(lucie, False)],
        account=factories.make_account("Non", "Legal"),
    )
    gone, _ = family(s, "Parti", "Fusionne", [("Merged", "Child", "GS", "GS")])
    states.delete_merged(gone, into=zoumn, now=factories.NOW, actor=states.audit.SYSTEM)
    db.session.commit()
    return {"zoumn": zoumn, "reabu": reabu, "avisad": avisad, "ehcam": ehcam}


def _pupil_column(page: str) -> list[str]:
    if "<tbody>" not in page:
        return []
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [m.strip() for m in re.findall(r"</div></td>\s*<td>([^<]+)</td>", body)]


def test_first_visit_waits_for_a_search_with_defaults(console, population):
    page = text(console.client.get("/admin/responsables"))
    assert "Saisissez vos critères" in page
    assert "<tbody>" not in page
    for value in ["not_notified", "notified", "activating", "activated", "avec", "sans"]:
        assert re.search(rf'value="{value}" checked', page)


def test_default_search_lists_pairs_sorted_by_pupil(console, population):
    page = text(console.client.get("/admin/responsables", query_string=search_args(console.school)))
    assert _pupil_column(page) == [
        "AIXTHASI Alice",
        "AMEJDOBU Lucie",
        "EDUALIBL Paul",
        "ILUOMRTI Elise",
        "TUOUHN Camille",
    ]
    assert "1 à 5 sur 5 élève(s)" in page
    assert "0 responsable(s) sélectionné(s)" in page
    assert "Tout sélectionner (4 responsable(s))" in page
    for heading in [
        "Élève",
        "Classe",
        "Responsable",
        "Identifiant",
        "Messagerie",
        "Origine du compte",
        "État de compte",
        "Date de distribution",
        "Date de dernier accès",
    ]:
        assert heading in page
    assert "g.zoumn" in page
    row = page.split("AMEJDOBU Lucie")[1].split("</tr>")[0]
    assert "CM1 NEW" in row and "ZOUMN Guillaume" in row and "Etablissement" in row
    assert "Activé" in row and "24-11-2026" in row
    assert "Ailleurs" not in page and "Visoire" not in page and "LEGAL" not in page
    assert "Merged" not in page


@pytest.mark.parametrize(
    ("sort", "desc", "expected_first"),
    [
        ("eleve", True, "TUOUHN Camille"),
        ("classe", False, "EDUALIBL Paul"),  # CE1D
        ("classe", True, "ILUOMRTI Elise"),  # PSMS
        ("responsable", False, "ILUOMRTI Elise"),  # AVISAD
        ("responsable", True, "AMEJDOBU Lucie"),  # ZOUMN
        ("etat", False, "AIXTHASI Alice"),  # Non notifié
        ("etat", True, "AMEJDOBU Lucie"),  # Activé
        ("messagerie", True, "AMEJDOBU Lucie"),
        ("identifiant", False, "ILUOMRTI Elise"),  # g.avisad
    ],
)
def test_every_column_sorts_both_ways(console, population, sort, desc, expected_first):
    args = search_args(console.school, tri=sort, ordre="desc" if desc else "asc")
    page = text(console.client.get("/admin/responsables", query_string=args))
    assert _pupil_column(page)[0] == expected_first


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"q": "zoum"}, {"AMEJDOBU Lucie", "EDUALIBL Paul"}),
        ({"q": "camil"}, {"TUOUHN Camille"}),
        ({"etat": ["notified", "activating"]}, {"ILUOMRTI Elise", "TUOUHN Camille"}),
        ({"messagerie": ["avec"]}, {"AMEJDOBU Lucie", "EDUALIBL Paul", "TUOUHN Camille"}),
        ({"messagerie": ["sans"]}, {"AIXTHASI Alice", "ILUOMRTI Elise"}),
        ({"origine": ["unknown"]}, {"AIXTHASI Alice"}),
        (
            {"origine": ["school"]},
            {"AMEJDOBU Lucie", "EDUALIBL Paul", "ILUOMRTI Elise", "TUOUHN Camille"},
        ),
        ({"origine": ["guardian", "franceconnect"]}, set()),
    ],
)
def test_filters(console, population, overrides, expected):
    args = search_args(console.school, **overrides)
    page = text(console.client.get("/admin/responsables", query_string=args))
    assert set(_pupil_column(page)) == expected


def test_class_filter(console, population):
    from admin.search import classes_of

    cm1 = next(c for c in classes_of(console.school) if c.name == "CM1 NEW")
    args = search_args(console.school, classe=[str(cm1.id)])
    page = text(console.client.get("/admin/responsables", query_string=args))
    assert set(_pupil_column(page)) == {"AIXTHASI Alice", "AMEJDOBU Lucie"}


def test_empty_result_message(console, population):
    args = search_args(console.school, q="personne")
    page = text(console.client.get("/admin/responsables", query_string=args))
    assert (
        "Attention ! Aucun responsable ne correspond à vos critères de sélection. "
        "Veuillez modifier votre demande." in page
    )


def test_coming_back_from_an_account_reruns_the_last_search(console, population):
    args = search_args(console.school, q="zoum", tri="eleve", ordre="desc")
    console.client.get("/admin/responsables", query_string=args)
    account_page = text(console.client.get(f"/admin/comptes/{population['zoumn'].id}"))
    assert "/admin/responsables?retour=1" in account_page
    page = text(console.client.get("/admin/responsables?retour=1"))
    assert _pupil_column(page) == ["EDUALIBL Paul", "AMEJDOBU Lucie"]
    assert 'value="zoum"' in page
    # any other way in resets the criteria and waits
    page = text(console.client.get("/admin/responsables"))
    assert "<tbody>" not in page and 'value=""' in page


def test_pagination_text_and_pages(console):
    for i in range(57):
        family(
            console.school,
            "Parent",
            f"Nom{i:02d}",
            [(f"Eleve{i:02d}", f"Enfant{i:02d}", "CP A", "CP")],
        )
    db.session.commit()
    page = text(console.client.get("/admin/responsables", query_string=search_args(console.school)))
    assert "1 à 50 sur 57 élève(s)" in page
    assert "Précédent" in page and "Suivant" in page
    page = text(
        console.client.get(
            "/admin/responsables", query_string=search_args(console.school, page="2")
        )
    )
    assert "51 à 57 sur 57 élève(s)" in page
    assert _pupil_column(page)[0] == "ENFANT50 Eleve50"


def test_action_without_selection_says_so(console, population):
    console.client.get("/admin/responsables", query_string=search_args(console.school))
    response = console.client.post(
        "/admin/responsables/actions", data={"action": "notify_letter"}, follow_redirects=True
    )
    assert "Vous devez sélectionner un ou plusieurs comptes." in text(response)


def test_selection_count_on_confirmation(console, population):
    ids = [population["zoumn"].id, population["reabu"].id, population["zoumn"].id]
    response = console.client.post(
        "/admin/responsables/actions", data={"action": "notify_letter", "ids": ids}
    )
    page = text(response)
    assert "2 responsable(s) sélectionné(s)" in page
    assert "Êtes-vous sûr de vouloir notifier le(s) compte(s) (par feuille individuelle) ?" in page


def test_select_all_results(console, population):
    console.client.get(
        "/admin/responsables", query_string=search_args(console.school, q="guillaume")
    )
    response = console.client.post(
        "/admin/responsables/actions",
        data={"action": "notify_email", "all_results": "y"},
    )
    page = text(response)
    assert "4 responsable(s) sélectionné(s)" in page
    assert "(par email)" in page
