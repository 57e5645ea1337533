"""Page habits (RGAA): every form control has a label, one h1 per page, French; the audit
rows each console action writes; the email progress page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from accounts import throttle
from accounts.models import AccountState
from accounts.models import AuditEvent
from admin.models import LetterBatch
from kernel.extensions import db
from messaging.delivery import batch_progress
from tests import factories
from tests.admin.conftest import family
from tests.admin.conftest import search_args
from tests.admin.conftest import text


class Controls(HTMLParser):
    def __init__(self):
        super().__init__()
        self.controls, self.labels, self.h1 = [], set(), 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append(a)


@pytest.fixture
def pages(console):
    account, _ = family(
        console.school,
        "Jean",
        "Dupont",
        [("Léa", "Dupont", "CP A", "CP")],
        email="j@example.org",
        state=AccountState.ACTIVATING,
    )
    db.session.commit()
    return [
        "/admin/",
        "/admin/responsables",
        "/admin/responsables?"
        + "&".join(
            f"{k}={v}"
            for k, vs in search_args(console.school).items()
            for v in (vs if isinstance(vs, list) else [vs])
        ),
        f"/admin/comptes/{account.id}",
        f"/admin/comptes/{account.id}/courriel-activation",
        "/admin/statistiques",
        "/admin/journal",
    ]


def test_every_control_is_labelled_and_one_h1(console, pages):
    for path in pages:
        response = console.client.get(path)
        assert response.status_code == 200, path
        parser = Controls()
        parser.feed(response.get_data(as_text=True))
        assert parser.h1 == 1, path
        for control in parser.controls:
            labelled = control.get("id") in parser.labels or control.get("aria-label")
            assert labelled, (path, control)
        assert '<html lang="fr"' in response.get_data(as_text=True)


def test_login_page_is_labelled(console_app):
    page = console_app.test_client().get("/admin/connexion").get_data(as_text=True)
    parser = Controls()
    parser.feed(page)
    assert parser.h1 == 1
    assert {c["id"] for c in parser.controls} <= parser.labels


def test_audit_rows_of_each_action(console):
    activating, _ = family(
        console.school,
        "En",
        "Cours",
        [("A", "Cours", "CP A", "CP")],
        email="e@example.org",
        state=AccountState.ACTIVATING,
    )
    factories.fail_attempts("password", "password:e", account=activating, count=20)
    db.session.commit()
    a = activating.id
    c = console.client
    c.post("/admin/responsables/notifier", data={"ids": [a], "channel": "letter"})
    batch = db.session.scalar(db.select(LetterBatch))
    c.get(f"/admin/courriers/{batch.id}.pdf")
    c.post("/admin/responsables/reinitialiser", data={"ids": [a]})
    c.post("/admin/responsables/actions", data={"action": "list_pdf", "ids": [a]})
    c.post(f"/admin/comptes/{a}/courriel-activation", data={"email": "e@example.org"})
    c.post(f"/admin/comptes/{a}/verrous/{throttle.locks_of(activating)[0].id}")
    c.post("/admin/statistiques")
    events = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.actor_type == "director").order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        "director.signed_in",
        "account.notified",
        "accounts.notified",
        "letters.downloaded",
        "account.password_reset",
        "accounts.list_downloaded",
        "account.activation_email_resent",
        "password.lock_lifted",
        "statistics.computed",
    ]
    assert all(e.actor_label == "d.durand" for e in events)
    # accounts.throttle.lift writes its own row, without a school (shown through its account)
    assert all(e.school_id == console.school.id for e in events[1:] if "lock" not in e.action)
    assert all(e.accounts == [activating] for e in events[1:-1])


def test_progress_page_while_sending_and_when_done(console):
    ids = []
    for i in range(2):
        account, _ = family(
            console.school,
            "P",
            f"Lot{i}",
            [(f"E{i}", f"Lot{i}", "CP A", "CP")],
            email=f"lot{i}@example.org",
        )
        ids.append(account.id)
    db.session.commit()
    console.client.post("/admin/responsables/notifier", data={"ids": ids, "channel": "email"})
    batch = db.session.scalar(db.select(LetterBatch))
    progress = batch_progress(batch.message_batch_id)
    response = console.client.get(f"/admin/envois/{batch.id}")
    page = text(response)
    if progress.done:  # no queue: sent in the request after commit
        assert "L'envoi est terminé." in page and "Refresh" not in response.headers
        assert "2 courrier(s) traité(s) sur 2" in page
    else:  # REDIS_URL set: queued for the worker
        assert response.headers["Refresh"] == "5"
        assert "Cette page se met à jour toutes les 5 secondes." in page
        assert "0 courrier(s) traité(s) sur 2" in page
