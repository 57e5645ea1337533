"""The journal in French (issue 15): a label for every action the code records, no
English word or «(s)» in its details, counts agreed by one helper."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accounts import audit
from accounts.audit_labels import ACTION_LABELS
from accounts.models import AccountState
from accounts.password_changes import Occasion
from accounts.throttle import POLICIES
from admin import auditlog
from kernel.extensions import db
from kernel.wording import plural
from registry import feed
from tests.admin.conftest import family
from tests.admin.conftest import text

ROOT = Path(__file__).resolve().parents[2]
RECORDED = re.compile(r"""record\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def _recorded_actions() -> set[str]:
    """Every action the code base writes to the audit log."""
    actions = set()
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {"tests", ".venv", "node_modules", "bench"}:
            continue
        actions |= set(RECORDED.findall(path.read_text(encoding="utf-8")))
    actions |= {occasion.audit_event for occasion in Occasion}
    actions |= {f"{kind}.{what}" for kind in POLICIES for what in ("locked", "lock_lifted")}
    return actions


def test_every_recorded_action_has_a_french_label():
    actions = _recorded_actions()
    assert {"account.merged", "franceconnect.linked", "accounts.notified"} <= actions
    missing = sorted(a for a in actions if a not in ACTION_LABELS)
    assert missing == []


@pytest.mark.parametrize(
    ("count", "singular", "plural_form", "expected"),
    [
        (0, "compte", None, "0 compte"),
        (1, "champ", None, "1 champ"),
        (2, "champ", None, "2 champs"),
        (12, "compte créé", "comptes créés", "12 comptes créés"),
    ],
)
def test_one_helper_agrees_counts(count, singular, plural_form, expected):
    assert plural(count, singular, plural_form) == expected


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("2 compte(s), letter", "2 comptes, courrier"),
        ("1 compte(s), email, avec réinitialisation", "1 compte, courriel, avec réinitialisation"),
        ("csv, 3 ligne(s)", "CSV, 3 lignes"),
        ("12 compte(s) créé(s)", "12 comptes créés"),
        ("Léa Dupont", "Léa Dupont"),
    ],
)
def test_older_journal_details_read_in_french(written, read):
    assert auditlog.describe(written) == read


def test_a_short_registry_line_counts_its_fields_in_french(tmp_path):
    header = ";".join(feed.HEADERS[feed.SCHOOLS])
    (tmp_path / feed.SCHOOLS).write_text(f"{header}\n0311478N\n0311478N;Ecole\n", encoding="utf-8")
    errors = [row["__error__"] for _, row in feed.read_rows(tmp_path, feed.SCHOOLS)]
    assert errors == ["1 champ au lieu de 4", "2 champs au lieu de 4"]


def test_the_journal_shows_labels_never_codes(console):
    account, _ = family(
        console.school, "Jean", "Dupont", [("Léa", "Dupont", "CP A", "CP")],
        state=AccountState.ACTIVATED,
    )  # fmt: skip
    actor = audit.guardian_actor(account)
    for action in ("account.merged", "franceconnect.linked", "child.not_mine"):
        audit.record(action, actor=actor, now=audit.dt.datetime(2026, 11, 24), accounts=[account])
    audit.record(
        "accounts.notified",
        actor=audit.director_actor(console.director),
        now=audit.dt.datetime(2026, 11, 24),
        accounts=[account],
        school_id=console.school.id,
        summary="2 compte(s), letter",
    )
    db.session.commit()
    console.client.post(
        "/admin/responsables/notifier",
        data={"ids": [account.id], "channel": "letter", "origin": "list"},
    )
    page = text(console.client.get("/admin/journal"))
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    for code in ("account.merged", "franceconnect.linked", "child.not_mine", "letter", "(s)"):
        assert code not in body
    assert "Comptes regroupés (enfants ajoutés)" in body
    assert "Compte lié à FranceConnect" in body
    assert "2 comptes, courrier" in body and "1 compte, courrier" in body
    caption = re.search(r"<caption>([^<]*)</caption>", page).group(1)
    assert re.fullmatch(r"\d+ actions", caption), caption
    csv = console.client.get("/admin/journal.csv").data.decode("utf-8-sig")
    assert "director" not in csv.split("\r\n", 1)[1] and "Directeur" in csv


def test_the_journal_stays_french_for_a_director_reading_english(console):
    """The labels are shared with the parents' «Mes données», translated there: the
    console shows them in French whatever the browser prefers."""
    account, _ = family(
        console.school, "Jean", "Dupont", [("Léa", "Dupont", "CP A", "CP")],
        state=AccountState.ACTIVATED,
    )  # fmt: skip
    audit.record(
        "franceconnect.linked",
        actor=audit.guardian_actor(account),
        now=audit.dt.datetime(2026, 11, 24),
        accounts=[account],
    )
    db.session.commit()
    console.client.set_cookie("guichet_lang", "en")
    english = {"Accept-Language": "en"}
    page = text(console.client.get("/admin/journal", headers=english))
    assert "Compte lié à FranceConnect" in page and "Account linked" not in page
    csv = console.client.get("/admin/journal.csv", headers=english).data.decode("utf-8-sig")
    assert "Compte lié à FranceConnect" in csv and "Account linked" not in csv
