"""«Mes données» as a PDF (issue 17): the same data as the readable page, in the
parent's language (Arabic set right to left), behind the same five-minute password
check, throttled with the other downloads and audited. The text is read back out of
the file (pypdf)."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

from pypdf import PdfReader

from accounts.models import AuditEvent
from kernel.extensions import db
from tests.enrollment.test_personal_data import SHARED
from tests.enrollment.test_personal_data import clock  # noqa: F401
from tests.enrollment.test_personal_data import family  # noqa: F401
from tests.enrollment.test_personal_data import signed_in

PDF = "/compte/mes-donnees/donnees.pdf"


def pdf_text(response) -> str:
    assert response.status_code == 200, response.headers.get("Location")
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    # Shaped Arabic comes back as presentation forms: compatibility-normalised to letters.
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))


def test_the_pdf_holds_the_parents_data_in_french(client, family):  # noqa: F811
    gerald, anne, _ = family
    signed_in(client, gerald)
    response = client.get(PDF)
    assert response.headers["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response)
    assert "Mes données, au 24/11/2026 à 10:30" in text
    assert f"Identifiant : {gerald.identifier}" in text
    assert f"Adresse électronique : {SHARED}" in text
    assert "Prénom : Léa" in text and "Date de naissance : 11/04/2016" in text
    assert "École : École élémentaire Jean Jaurès" in text
    assert "Services utilisés" in text and "Portail famille" in text
    assert "Journal des opérations" in text
    assert "Opération : Changement d'adresse mail demandé" in text
    assert "account.email_change_requested" not in text
    assert anne.identifier not in text


def test_the_pdf_is_in_english_for_a_parent_reading_english(client, family):  # noqa: F811
    gerald, _, _ = family
    signed_in(client, gerald)
    client.set_cookie("guichet_lang", "en")
    text = pdf_text(client.get(PDF))
    assert f"Identifier: {gerald.identifier}" in text
    assert "Children" in text and "Léa" in text
    assert "Email address change requested" in text
    assert "Mes données" not in text and "Non renseigné" not in text


def test_the_pdf_is_in_arabic_set_right_to_left(client, family):  # noqa: F811
    gerald, _, _ = family
    signed_in(client, gerald)
    client.set_cookie("guichet_lang", "ar")
    text = pdf_text(client.get(PDF))
    assert gerald.identifier in text and "Léa" in text
    # The section titles, shaped: the letters of «الأطفال» (Children) are in the file.
    assert "Mes données" not in text
    assert any(ch in text for ch in "الأطفال")


def test_the_pdf_needs_the_password_within_five_minutes(client, family):  # noqa: F811
    gerald, _, _ = family
    signed_in(client, gerald, ago=dt.timedelta(minutes=5, seconds=1))
    response = client.get(PDF)
    assert response.headers["Location"] == "/compte/mes-donnees"


def test_the_pdf_is_audited_and_throttled_with_the_other_downloads(client, family):  # noqa: F811
    gerald, _, _ = family
    signed_in(client, gerald)
    for _ in range(5):
        assert client.get(PDF).status_code == 200
    for _ in range(5):
        assert client.get("/compte/mes-donnees/donnees.json").status_code == 200
    assert client.get(PDF).status_code == 429
    exported = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "account.data_exported")
    ).all()
    assert len(exported) == 10
