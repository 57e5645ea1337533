"""The account page (SPEC §5, 004 §5.2): every field, pupils here and elsewhere,
locks shown and lifted."""

from __future__ import annotations

import datetime as dt

from accounts import throttle
from accounts.activation_email import activation_link_expiry
from accounts.models import AccountState
from accounts.models import AuditEvent
from kernel import runtime
from kernel.extensions import db
from tests import factories
from tests.admin.conftest import family
from tests.admin.conftest import text


def test_fields_of_a_notified_account(console):
    account, pupils = family(
        console.school,
        "Valérie",
        "Tenob",
        [("Oscar", "Aejdnrga", "CM1 NEW", "CM1")],
        state=AccountState.NOTIFIED,
    )
    sibling = factories.make_pupil(
        console.other_school,
        first_name="Auguste",
        last_name="Otnacod",
        birth_date=dt.date(2015, 2, 6),
    )
    factories.make_guardian(
        first_name="Valérie",
        last_name="Tenob",
        email=None,
        mobile=None,
        pupils=[(sibling, True)],
        account=account,
    )
    db.session.commit()
    page = text(console.client.get(f"/admin/comptes/{account.id}"))
    password = runtime.passwords().temporary_password(account)
    assert account.identifier in page
    assert password in page
    assert "Notifié et non activé" in page and "Etablissement" in page
    assert "24-11-2026" in page  # distribution date
    assert "Date de dernière connexion</th><td>Non renseignée" in page
    assert "Courrier électronique</th><td>Non renseigné" in page
    assert "Téléphone Mobile</th><td>Non renseigné" in page
    assert (
        "* Seuls les mots de passe provisoires sont affichés, le mot de passe choisi par le "
        "responsable lors de l'activation de son compte est masqué." in page
    )
    here = page.split("Inscrits dans l'établissement")[2].split("Inscrits dans un autre")[0]
    assert "Oscar" in here and "AEJDNRGA" in here and "14-03-2016" in here and "CM1 NEW" in here
    elsewhere = page.split("Inscrits dans un autre établissement")[2]
    assert "Auguste" in elsewhere and "06-02-2015" in elsewhere
    assert "0312151V - E.E.PU-ALFRED DE MUSSET" in elsewhere
    assert "Avec réinitialisation du mot de passe" in page
    assert "Réinitialiser le mot de passe" in page
    assert "Renvoyer un courriel d'activation" not in page
    assert "valable jusqu'au 24-02-2027" in page


def test_not_notified_hides_password_and_reset(console):
    account, _ = family(
        console.school,
        "Lin",
        "Niaept",
        [("Guillaume", "Nidabu", "CE2B", "CE2")],
        email="lin@example.org",
        mobile="+33612345678",
    )
    db.session.commit()
    page = text(console.client.get(f"/admin/comptes/{account.id}"))
    assert runtime.passwords().temporary_password(account) not in page
    assert "Mot de passe *</th><td>Non renseigné" in page
    assert "lin@example.org" in page and "+33612345678" in page
    assert "Avec réinitialisation du mot de passe" not in page
    assert "Réinitialiser le mot de passe" not in page
    assert "Non notifié" in page and "Non renseigné" in page


def test_changed_password_is_masked_and_activating_offers_resend(console):
    account, _ = family(
        console.school,
        "Guillaume",
        "Ehcama",
        [("Camille", "Tuohn", "GS", "GS")],
        email="educonnect_qualif@ac-test.fr",
        state=AccountState.ACTIVATING,
    )
    db.session.commit()
    page = text(console.client.get(f"/admin/comptes/{account.id}"))
    assert "Mot de passe *</th><td>*****" in page
    assert "En cours d'activation" in page
    assert "Renvoyer un courriel d'activation" in page
    from accounts import email_links

    sent = dt.datetime(2026, 8, 1, 10)
    email_links.issue(
        account,
        email_links.ACTIVATION,
        "educonnect_qualif@ac-test.fr",
        now=sent,
        validity=activation_link_expiry(sent, 3) - sent,
    )
    db.session.commit()
    page = text(console.client.get(f"/admin/comptes/{account.id}"))
    # Sent on 1 August: works through 1 November, «expiré le» the first day it does not.
    assert "lien d'activation expiré le 02-11-2026" in page


def test_locks_are_visible_and_lifted(console):
    account, _ = family(
        console.school,
        "Paul",
        "Bloque",
        [("Lea", "Bloque", "CP A", "CP")],
        state=AccountState.NOTIFIED,
    )
    factories.fail_attempts("birth_date", f"birth:{account.id}", account=account, count=8)
    db.session.commit()
    page = text(console.client.get(f"/admin/comptes/{account.id}"))
    assert "Parcours bloqués" in page and "Date de naissance" in page
    counter = throttle.locks_of(account)[0]
    response = console.client.post(f"/admin/comptes/{account.id}/verrous/{counter.id}")
    assert response.status_code == 302
    page = text(console.client.get(f"/admin/comptes/{account.id}"))
    assert "Le blocage a été levé" in page
    assert "Parcours bloqués" not in page
    assert throttle.locks_of(account) == []
    lifted = db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "birth_date.lock_lifted")
    )
    assert lifted.actor_label == "d.durand"
    assert lifted.accounts == [account]


def test_not_my_child_reports_are_shown(console):
    from accounts.models import ChildExclusion

    account, (lea, hugo) = family(
        console.school,
        "Gérald",
        "Martin",
        [("Léa", "Martin", "CP A", "CP"), ("Hugo", "Martin", "CE1 B", "CE1")],
        state=AccountState.ACTIVATED,
    )
    db.session.add(
        ChildExclusion(account_id=account.id, pupil_id=hugo.id, reported_at=factories.NOW)
    )
    db.session.commit()
    page = text(console.client.get(f"/admin/comptes/{account.id}"))
    assert "Ce n'est pas mon enfant" in page
    assert "Hugo MARTIN (14-03-2016) — signalé le 24-11-2026" in page
    here = page.split("Inscrits dans l'établissement")[2]
    assert "Léa" in here and "Hugo" not in here
