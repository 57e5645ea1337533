"""Letters and lists a school can print (SPEC §5 «Letters», «Lists»; issue 15): every
name the registry can hold, in an embedded Unicode font; cells that wrap, never cut;
words broken at the page's edge; the school named as a French letter names it; a
letter downloaded again once its password no longer works."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from accounts import password_changes
from accounts import states
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.password_changes import Occasion
from admin import pdf
from admin.letters import school_designation
from kernel import pdf as shared_pdf
from kernel import runtime
from kernel.extensions import db
from tests import factories
from tests.admin.conftest import family


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _squeezed(text: str) -> str:
    """The text without the line breaks and spaces a wrapped cell adds."""
    return re.sub(r"\s+", "", text)


def _fonts(data: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(data))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def _letters(console, ids) -> str:
    response = console.client.post(
        "/admin/responsables/notifier", data={"ids": ids, "channel": "letter", "origin": "list"}
    )
    link = re.search(r'href="(/admin/courriers/[0-9a-f]+\.pdf)"', response.get_data(as_text=True))
    return link.group(1)


def _list_pdf(console, ids) -> bytes:
    response = console.client.post(
        "/admin/responsables/actions", data={"action": "list_pdf", "ids": ids}
    )
    assert response.headers["Content-Type"] == "application/pdf"
    return response.data


@pytest.fixture
def world(console):
    """Names of every alphabet a French school's registry holds."""
    ivan, _ = family(console.school, "Иван", "Петров", [("Анна", "Петрова", "CP A", "CP")])
    nguyen, _ = family(console.school, "Thị Ánh", "Nguyễn", [("Đức Thắng", "Nguyễn", "CE1", "CE1")])
    oeuvray, _ = family(console.school, "Œdipe", "Lœuvre", [("Cœur", "Lœuvre", "GS", "GS")])
    db.session.commit()
    return ivan, nguyen, oeuvray


def test_letters_print_cyrillic_vietnamese_and_oe_in_an_embedded_font(console, world):
    data = console.client.get(_letters(console, [a.id for a in world])).data
    text = "\n".join(_pages(data))
    for name in ("Иван ПЕТРОВ", "Анна ПЕТРОВА", "Thị Ánh NGUYỄN", "Đức Thắng NGUYỄN", "Œdipe"):
        assert name in text
    assert "?" not in text
    assert all("DejaVuSans" in font for font in _fonts(data)), _fonts(data)


def test_the_list_prints_every_alphabet(console, world):
    data = _list_pdf(console, [a.id for a in world])
    text = _pages(data)[0]
    for name in ("Петров", "Анна", "Nguyễn", "Đức Thắng", "Lœuvre", "Cœur"):
        assert name in text
    assert "????" not in text


def test_list_cells_wrap_and_are_never_cut(console):
    long_last = "Saint-Exupéry-de-la-Rochefoucauld"
    account, _ = family(
        console.school,
        "Marie",
        long_last,
        [("Antoine", long_last, "Classe 5 -MS - Mme DARTHOUT Emmanuelle", "MS")],
        state=AccountState.NOTIFIED,
    )
    db.session.commit()
    assert account.identifier == "m.saint-exupery-de-la-rochefoucauld"
    text = _squeezed(_pages(_list_pdf(console, [account.id]))[0])
    assert "m.saint-exupery-de-la-rochefoucauld" in text
    assert _squeezed("Classe 5 -MS - Mme DARTHOUT Emmanuelle") in text
    assert _squeezed(long_last) in text
    assert _squeezed("Cours élémentaire") not in text  # a Moyenne section pupil
    assert "Moyennesection" in text


def test_a_word_longer_than_the_line_is_broken_within_the_page(app_ctx):
    word = "Wolfeschlegelsteinhausenbergerdorff" * 4
    data = pdf.letters([f"A l'attention de {word}.", "Deuxième page"], title="Essai")
    reader = PdfReader(io.BytesIO(data))
    width = float(reader.pages[0].mediabox.width)
    positions = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            positions.append((tm[4], text))

    reader.pages[0].extract_text(visitor_text=visit)
    assert word in _squeezed(reader.pages[0].extract_text())
    assert len(positions) >= 3, positions  # the word took more than one line
    assert all(0 <= x < width for x, _ in positions)


def test_wrapped_lines_fit_their_width(app_ctx):
    document = shared_pdf.document("Essai", "")
    document.add_page()
    writer = shared_pdf.Writer(document)
    writer.font("", 11)
    text = "Identifiant " + "m.saint-exupery-de-la-rochefoucauld" * 3 + " fin"
    lines = writer.wrap(text, 40)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(writer.measure(line) <= 40 for line in lines)


def test_text_needing_shaping_is_shaped(app_ctx):
    """A name typed with combining accents NFC cannot compose prints whole."""
    assert pdf.printable("Ele\u0301na") == "Eléna"
    assert shared_pdf.needs_shaping("q\u0323") and not shared_pdf.needs_shaping("Nguyễn")
    data = pdf.letters(["Bonjour q\u0323uynh et مريم"], title="Essai")
    assert "uynh" in _pages(data)[0]


@pytest.mark.parametrize(
    ("registry_name", "subject", "with_de"),
    [
        ("CHARLEMAGNE", "L'école CHARLEMAGNE", "de l'école CHARLEMAGNE"),
        (
            "École primaire Jules Ferry",
            "L'école primaire Jules Ferry",
            "de l'école primaire Jules Ferry",
        ),
        (
            "ECOLE ELEMENTAIRE PUBLIQUE JEAN JAURES",
            "L'école elementaire publique JEAN JAURES",
            "de l'école elementaire publique JEAN JAURES",
        ),
        (
            "Groupe scolaire Jean Jaurès",
            "Le groupe scolaire Jean Jaurès",
            "du groupe scolaire Jean Jaurès",
        ),
    ],
)
def test_the_school_is_named_as_a_french_letter_names_it(registry_name, subject, with_de):
    assert school_designation(registry_name) == (subject, with_de)


def test_a_letter_never_reads_l_ecole_ecole(console):
    console.school.name = "École primaire Jules Ferry"
    account, _ = family(console.school, "Léa", "Roux", [("Tom", "Roux", "CP A", "CP")])
    db.session.commit()
    text = _pages(console.client.get(_letters(console, [account.id])).data)[0]
    assert "L'école primaire Jules Ferry met à la disposition" in text
    assert "L'école École" not in text


def test_a_letter_downloaded_again_after_the_password_changed_says_so(console):
    account, _ = family(console.school, "Léa", "Roux", [("Tom", "Roux", "CP A", "CP")])
    db.session.commit()
    link = _letters(console, [account.id])
    first = _pages(console.client.get(link).data)[0]
    password = runtime.passwords().temporary_password(account)
    assert f"Mot de passe * : {password}" in first

    password_changes.set_own_password(
        account,
        "Nouveau123",
        occasion=Occasion.CHOSEN,
        now=factories.NOW,
        passwords=runtime.passwords(),
    )
    db.session.commit()
    again = _pages(console.client.get(link).data)[0]
    assert "Mot de passe *" not in again and password not in again
    assert _squeezed(
        "Mot de passe : le responsable a choisi son propre mot de passe depuis ce courrier."
    ) in _squeezed(again)
    assert "Identifiant : " + account.identifier in again


def test_a_franceconnect_account_shows_no_temporary_password(console):
    """SPEC §3: a password shows only while it can still be used — a Non notifié
    account activated through FranceConnect has a temporary password nobody can use."""
    account, _ = family(console.school, "Léa", "Roux", [("Tom", "Roux", "CP A", "CP")])
    states.activate_directly(account, via=AccountOrigin.FRANCECONNECT, now=factories.NOW)
    db.session.commit()
    clear = runtime.passwords().temporary_password(account)
    assert clear  # kept, but unusable: never issued to the parent
    page = console.client.get(f"/admin/comptes/{account.id}").get_data(as_text=True)
    assert clear not in page and "Mot de passe *</th><td>Non renseigné" in page
    csv = console.client.post(
        "/admin/responsables/actions", data={"action": "list_csv", "ids": [account.id]}
    ).data.decode("utf-8-sig")
    assert clear not in csv and csv.splitlines()[1].endswith(";l.roux;")
    assert clear not in _pages(_list_pdf(console, [account.id]))[0]


def test_an_expired_temporary_password_is_not_shown(console):
    account, _ = family(
        console.school, "Léa", "Roux", [("Tom", "Roux", "CP A", "CP")], state=AccountState.NOTIFIED
    )
    account.temporary_password_issued_on = factories.NOW.date().replace(year=2025)
    db.session.commit()
    clear = runtime.passwords().temporary_password(account)
    page = console.client.get(f"/admin/comptes/{account.id}").get_data(as_text=True)
    assert clear not in page
    assert "mot de passe provisoire expiré le 25-02-2026" in page


def test_without_the_font_printing_fails_loudly(app_ctx, tmp_path, monkeypatch):
    """Never «????» in a letter: no DejaVu Sans, no PDF, and the operator is told why."""
    monkeypatch.setattr(shared_pdf, "FONT_DIRS", ())
    shared_pdf.font_dir.cache_clear()
    try:
        with pytest.raises(shared_pdf.FontMissing, match="fonts-dejavu-core"):
            pdf.letters(["Bonjour"], title="Essai", fonts=str(tmp_path))
    finally:
        shared_pdf.font_dir.cache_clear()
