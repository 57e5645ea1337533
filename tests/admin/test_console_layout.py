"""The search page a director can read (issue 15): the results table wraps its cells
instead of cutting its last column, each row's way in is visible, the classes'
checkboxes are spaced and can all be ticked or unticked with or without JavaScript,
and the pagination shows an ellipsis."""

from __future__ import annotations

import re

import pytest

from admin import search
from admin.search import page_links
from kernel.extensions import db
from tests.admin.conftest import family
from tests.admin.conftest import search_args
from tests.admin.conftest import text


@pytest.fixture
def classes(console):
    names = [f"{level} {letter}" for level in ("CP", "CE1", "CE2") for letter in "ABCDEF"]
    accounts = []
    for i, name in enumerate(names):
        account, _ = family(
            console.school, "Parent", f"Nom{i:02d}", [(f"E{i}", f"N{i}", name, "CP")]
        )
        accounts.append(account)
    db.session.commit()
    return names, accounts


def test_results_wrap_and_each_row_leads_to_its_account(console, classes):
    _, accounts = classes
    page = text(console.client.get("/admin/responsables", query_string=search_args(console.school)))
    opening = re.search(r'<div class="([^"]*)" id="results">', page).group(1)
    assert "fr-table--multiline" in opening  # cells wrap: «Consulter» is never cut
    assert "fr-table__wrapper" in page and "fr-table__content" in page
    row = page.split("<tbody>")[1].split("</tr>")[0]
    link = f'href="/admin/comptes/{accounts[0].id}"'
    # the guardian's name is itself the way in, at the row's start, besides «Consulter»
    assert row.count(link) == 2
    assert re.search(link + r">NOM00 Parent</a>", row)


def test_the_18_classes_are_spaced_elements_of_their_fieldset(console, classes):
    names, _ = classes
    page = text(console.client.get("/admin/responsables"))
    fieldset = page.split('id="classes"', 1)[1].split("</fieldset>", 1)[0]
    assert fieldset.count("fr-fieldset__element fr-fieldset__element--inline") == 18
    assert fieldset.count('type="checkbox"') == 18
    assert "Tout cocher" in fieldset and "Tout décocher" in fieldset


def test_untick_and_tick_every_class_without_javascript(console, classes):
    args = search_args(console.school, q="Nom", cocher="aucune")
    page = text(console.client.get("/admin/responsables", query_string=args))
    fieldset = page.split('id="classes"', 1)[1].split("</fieldset>", 1)[0]
    assert " checked" not in fieldset
    assert 'value="Nom"' in page  # the other criteria stay as typed
    assert "<tbody>" not in page  # no search until «Rechercher»
    args = {k: v for k, v in args.items() if k != "classe"} | {"cocher": "toutes"}
    page = text(console.client.get("/admin/responsables", query_string=args))
    fieldset = page.split('id="classes"', 1)[1].split("</fieldset>", 1)[0]
    assert fieldset.count(" checked") == 18


def test_the_buttons_tick_every_class_with_javascript(console, classes):
    page = text(console.client.get("/admin/responsables"))
    assert 'data-check-all="classe"' in page and 'data-uncheck-all="classe"' in page
    assert "/admin/static/criteria.js" in page
    script = console.client.get("/admin/static/criteria.js").get_data(as_text=True)
    assert "data-check-all" in script and "preventDefault" in script
    # Enter in the text field searches: «Rechercher» is the form's first submit button
    form = page.split('action="/admin/responsables"', 1)[1].split("</form>", 1)[0]
    first = re.search(r"<button[^>]*>([^<]*)</button>", form)
    assert first.group(1).strip() == "Rechercher"


@pytest.mark.parametrize(
    ("current", "pages", "links"),
    [
        (5, 11, [1, None, 4, 5, 6, None, 11]),
        (1, 11, [1, 2, None, 11]),
        (11, 11, [1, None, 10, 11]),
        (3, 11, [1, 2, 3, 4, None, 11]),
        (4, 7, [1, 2, 3, 4, 5, 6, 7]),
        (1, 1, [1]),
    ],
)
def test_page_links_with_ellipsis(current, pages, links):
    assert page_links(current, pages) == links


def test_pagination_shows_an_ellipsis(console, classes, monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 2)  # 18 rows: 9 pages
    page = text(
        console.client.get(
            "/admin/responsables", query_string=search_args(console.school, page="5")
        )
    )
    nav = page.split('class="fr-pagination"', 1)[1].split("</nav>", 1)[0]
    shown = re.findall(r">(\d+|…)</(?:a|span)>", nav)
    assert shown == ["1", "…", "4", "5", "6", "…", "9"]
    assert "9 à 10 sur 18 élève(s)" in page
