"""The nightly registry import (SPEC §2, issue 3): eligibility, identifiers,
sibling grouping, idempotence, validation, changes, withdrawals, continuity."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from accounts import audit
from accounts import states
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from kernel import runtime
from kernel.clock import paris_today
from kernel.extensions import db
from kernel.names import folded_names
from registry import feed
from registry.models import Guardian
from registry.models import GuardianPupil
from registry.models import Pupil
from registry.models import School
from registry_import.importer import import_feed
from tests import factories
from tests.registry.feeds import Feed
from tests.registry.feeds import family_feed

NOW = dt.datetime(2026, 9, 1, 2, 0)


def run_import(folder, now=NOW):
    return import_feed(folder, now=now, passwords=runtime.passwords())


def account_of(registry_id: str) -> Account | None:
    guardian = db.session.scalar(db.select(Guardian).where(Guardian.registry_id == registry_id))
    return guardian.account


def snapshot() -> dict:
    """Everything the import writes, in comparable form."""
    db.session.expire_all()
    return {
        "schools": sorted(db.session.execute(db.select(School.uai, School.name)).all()),
        "pupils": sorted(
            db.session.execute(
                db.select(Pupil.registry_id, Pupil.birth_date, Pupil.class_id, Pupil.withdrawn_at)
            ).all()
        ),
        "guardians": sorted(
            db.session.execute(
                db.select(
                    Guardian.registry_id,
                    Guardian.mobile,
                    Guardian.email,
                    Guardian.account_id,
                    Guardian.withdrawn_at,
                )
            ).all(),
            key=str,
        ),
        "links": sorted(
            db.session.execute(
                db.select(GuardianPupil.guardian_id, GuardianPupil.pupil_id, GuardianPupil.is_legal)
            ).all()
        ),
        "accounts": sorted(
            db.session.execute(
                db.select(
                    Account.identifier,
                    Account.state,
                    Account.temporary_password_encrypted,
                    Account.password_hash,
                    Account.email,
                    Account.mobile,
                )
            ).all(),
            key=str,
        ),
    }


# -- eligibility (SPEC §2) ----------------------------------------------------------------


def test_only_legal_guardians_of_eligible_pupils_get_an_account(app_ctx, tmp_path):
    report = run_import(family_feed().write(tmp_path / "feed"))

    assert report.accounts_created == 2
    assert account_of("R1") is not None and account_of("R2") is not None
    assert account_of("R3") is None, "a non-legal guardian gets no account"
    assert account_of("R4") is None, "provisional admission makes no account"
    assert account_of("R5") is None, "a pupil without INE makes no account"
    assert account_of("R6") is None, "a pupil without a class makes no account"
    assert account_of("R7") is None, "a withdrawn pupil (radié) makes no account"
    assert report.ineligible == 5


def test_created_accounts_are_not_notified_with_a_temporary_password(app_ctx, tmp_path):
    run_import(family_feed().write(tmp_path / "feed"))

    account = account_of("R1")
    assert account.identifier == "g.martin"
    assert account.state == AccountState.NOT_NOTIFIED
    assert account.origin == AccountOrigin.UNKNOWN
    assert account.password_hash is None and account.must_change_password
    temporary = runtime.passwords().temporary_password(account)
    assert re.fullmatch(r"[A-Z0-9]{8}", temporary)
    assert temporary.encode() not in account.temporary_password_encrypted
    assert [child.first_name for child in account.children()] == ["Hugo", "Léa"]
    assert account.registry_contact() == ("gerald.martin@example.fr", "+33612345678")


def test_identifiers_follow_the_rule_and_never_collide(app_ctx, tmp_path):
    rows = family_feed()
    rows.guardians += [
        ["R8", "N'Guyen-Lefèvre", "Élodie", "0677777777", "a@example.fr", ""],
        ["R9", "N'Guyen-Lefèvre", "Émile", "0688888888", "b@example.fr", ""],
        ["R10", "Martin", "Gaëlle", "0699999999", "c@example.fr", ""],
    ]
    rows.links += [["E2", "R8", "1"], ["E2", "R9", "1"], ["E2", "R10", "1"]]
    run_import(rows.write(tmp_path / "feed"))

    identifiers = {rid: account_of(rid).identifier for rid in ("R1", "R8", "R9", "R10")}
    assert identifiers["R1"] == "g.martin"
    assert identifiers["R10"] == "g.martin1"
    assert {identifiers["R8"], identifiers["R9"]} == {"e.nguyen-lefevre", "e.nguyen-lefevre1"}


def test_the_import_keeps_names_folded_for_the_console(app_ctx, tmp_path):
    """Pupils and accounts written in bulk carry their folded names (SPEC §5 search),
    on creation and when the registry corrects a name."""
    rows = family_feed()
    run_import(rows.write(tmp_path / "feed"))
    lea = db.session.scalar(db.select(Pupil).where(Pupil.registry_id == "E1"))
    assert (lea.folded_last_name, lea.folded_first_name) == ("martin", "lea")
    for row in [*db.session.scalars(db.select(Pupil)), *db.session.scalars(db.select(Account))]:
        assert {
            "folded_last_name": row.folded_last_name,
            "folded_first_name": row.folded_first_name,
        } == folded_names(row.last_name, row.first_name)

    rows.pupils[0][2] = "Martin-Lefèvre"
    run_import(rows.write(tmp_path / "second"), now=NOW + dt.timedelta(days=1))
    db.session.expire_all()
    assert db.session.get(Pupil, lea.id).folded_last_name == "martin lefevre"


def test_an_existing_identifier_is_never_reused(app_ctx, tmp_path):
    factories.make_account("Gilles", "Martin")  # holds g.martin
    db.session.commit()
    run_import(family_feed().write(tmp_path / "feed"))
    assert account_of("R1").identifier == "g.martin1"


# -- sibling grouping (SPEC §2, 002) ----------------------------------------------------


def test_records_with_identical_names_email_and_mobile_share_one_account(app_ctx, tmp_path):
    rows = family_feed()
    rows.pupils.append(
        ["E9", "1234567890Z", "Martin", "Zoé", "2015-02-02", "0312001A", "CM2", "CM2", "definitive"]
    )
    # The same father, recorded by the other school: other case, accents and phone format.
    rows.guardians.append(
        ["R9", "MARTIN", "Gerald", "+33612345678", "Gerald.Martin@example.fr", ""]
    )
    rows.links.append(["E9", "R9", "1"])
    report = run_import(rows.write(tmp_path / "feed"))

    assert account_of("R9").id == account_of("R1").id
    assert report.accounts_created == 2
    names = sorted((c.first_name, c.school.uai) for c in account_of("R1").children())
    assert names == [("Hugo", "0311478N"), ("Léa", "0311478N"), ("Zoé", "0312001A")]


def test_records_without_both_email_and_mobile_are_not_grouped(app_ctx, tmp_path):
    rows = family_feed()
    rows.guardians.append(["R9", "Martin", "Sophie", "+33698765432", "", ""])
    rows.links.append(["E2", "R9", "1"])
    run_import(rows.write(tmp_path / "feed"))

    assert account_of("R9").id != account_of("R2").id, "same person? nothing proves it"
    assert account_of("R9").identifier == "s.martin1"


def test_a_sibling_record_arriving_later_joins_the_existing_account(app_ctx, tmp_path):
    run_import(family_feed().write(tmp_path / "first"))
    rows = family_feed()
    rows.guardians.append(["R9", "Martin", "Gérald", "0612345678", "gerald.martin@example.fr", ""])
    rows.links.append(["E2", "R9", "1"])
    report = run_import(rows.write(tmp_path / "second"), now=NOW + dt.timedelta(days=1))

    assert report.accounts_created == 0
    assert account_of("R9").id == account_of("R1").id


# -- idempotence and validation --------------------------------------------------------


def test_importing_the_same_feed_twice_changes_nothing(app_ctx, tmp_path):
    folder = family_feed().write(tmp_path / "feed")
    first = run_import(folder)
    before = snapshot()
    second = run_import(folder, now=NOW + dt.timedelta(days=1))

    assert snapshot() == before
    assert (second.created, second.updated, second.withdrawn, second.accounts_created) == (
        0,
        0,
        0,
        0,
    )
    assert second.unchanged == first.created == 6 + 7


def test_a_feed_with_bad_lines_changes_nothing_and_names_every_line(app_ctx, tmp_path):
    run_import(family_feed().write(tmp_path / "good"))
    before = snapshot()

    rows = family_feed()
    rows.guardian("R1")[3] = "07 51 22 33 44"  # a valid change that must not land
    rows.pupils.append(
        ["E7", "1234567890G", "Roux", "Léo", "31/02/2017", "0311478N", "CP B", "CP", "definitive"]
    )
    rows.pupils.append(
        ["E8", "1234567890H", "Roux", "Lou", "2017-02-01", "9999999Z", "CP B", "CP", "definitive"]
    )
    rows.guardians.append(["R9", "Roux", "Jean", "pas un numéro", "", ""])
    rows.links.append(["E1", "R404", "1"])
    with pytest.raises(feed.FeedInvalid) as refused:
        run_import(rows.write(tmp_path / "bad"), now=NOW + dt.timedelta(days=1))

    lines = {(error.file, error.line) for error in refused.value.errors}
    assert lines == {
        ("eleves.csv", 8),
        ("eleves.csv", 9),
        ("responsables.csv", 9),
        ("liens.csv", 10),
    }
    reasons = " ".join(error.reason for error in refused.value.errors)
    assert "date de naissance invalide" in reasons
    assert "école inconnue : 9999999Z" in reasons
    assert "responsable inconnu : R404" in reasons
    assert snapshot() == before


def test_a_missing_file_or_header_is_refused(app_ctx, tmp_path):
    folder = family_feed().write(tmp_path / "feed")
    (folder / feed.LINKS).unlink()
    with pytest.raises(feed.FeedInvalid) as refused:
        run_import(folder)
    assert [(e.file, e.reason) for e in refused.value.errors] == [("liens.csv", "fichier absent")]
    assert db.session.scalar(db.select(db.func.count()).select_from(School)) == 0


# -- changes, withdrawals, continuity --------------------------------------------------


def activated(registry_id: str, *, email: str, mobile: str) -> Account:
    account = account_of(registry_id)
    states.notify(account, today=paris_today(NOW), now=NOW, actor=audit.OPERATOR)
    runtime.passwords().set_chosen(account, "Secret123")
    states.activate_directly(account, via=AccountOrigin.GUARDIAN, now=NOW)
    account.email, account.email_verified = email, True
    account.mobile, account.mobile_verified = mobile, True
    db.session.commit()
    return account


def test_registry_changes_apply_without_touching_what_the_parent_owns(app_ctx, tmp_path):
    run_import(family_feed().write(tmp_path / "first"))
    account = activated("R1", email="gerald@perso.fr", mobile="+33699999999")
    owned = (
        account.identifier,
        account.password_hash,
        account.state,
        account.origin,
        account.email,
        account.mobile,
    )

    rows = family_feed()
    rows.guardian("R1")[3] = "07 51 22 33 44"
    rows.guardian("R1")[4] = "g.martin@nouveau.fr"
    rows.pupil("E1")[4] = "2016-04-12"
    rows.pupil("E1")[6] = "CM2 A"
    report = run_import(rows.write(tmp_path / "second"), now=NOW + dt.timedelta(days=1))

    db.session.expire_all()
    account = db.session.get(Account, account.id)
    assert (
        account.identifier,
        account.password_hash,
        account.state,
        account.origin,
        account.email,
        account.mobile,
    ) == owned
    assert account.registry_contact() == ("g.martin@nouveau.fr", "+33751223344")
    lea = next(c for c in account.children() if c.first_name == "Léa")
    assert (lea.birth_date, lea.school_class.name) == (dt.date(2016, 4, 12), "CM2 A")
    assert report.details["pupils"]["updated"] == 1
    assert report.details["guardians"]["updated"] == 1


def test_withdrawals_keep_the_account_and_drop_the_child(app_ctx, tmp_path):
    run_import(family_feed().write(tmp_path / "first"))
    rows = family_feed()
    rows.pupils = [row for row in rows.pupils if row[0] != "E2"]
    rows.links = [row for row in rows.links if row[0] != "E2"]
    rows.links.remove(["E1", "R2", "1"])
    report = run_import(rows.write(tmp_path / "second"), now=NOW + dt.timedelta(days=1))

    assert report.details["pupils"]["withdrawn"] == 1
    assert report.details["links"]["removed"] == 2
    father, mother = account_of("R1"), account_of("R2")
    assert [c.first_name for c in father.children()] == ["Léa"]
    assert mother.children() == [] and mother.state == AccountState.NOT_NOTIFIED
    hugo = db.session.scalar(db.select(Pupil).where(Pupil.registry_id == "E2"))
    assert hugo.withdrawn_at == NOW + dt.timedelta(days=1)


def test_a_pupil_back_in_the_feed_is_restored(app_ctx, tmp_path):
    run_import(family_feed().write(tmp_path / "first"))
    shorter = family_feed()
    shorter.pupils = [row for row in shorter.pupils if row[0] != "E2"]
    shorter.links = [row for row in shorter.links if row[0] != "E2"]
    run_import(shorter.write(tmp_path / "second"), now=NOW + dt.timedelta(days=1))
    run_import(family_feed().write(tmp_path / "third"), now=NOW + dt.timedelta(days=2))

    assert [c.first_name for c in account_of("R1").children()] == ["Hugo", "Léa"]


def test_an_activated_account_keeps_its_credentials_across_a_school_change(app_ctx, tmp_path):
    run_import(family_feed().write(tmp_path / "first"))
    account = activated("R1", email="gerald@perso.fr", mobile="+33699999999")
    identifier, password_hash = account.identifier, account.password_hash

    next_year = family_feed()
    next_year.pupil("E1")[5:8] = ["0312001A", "6e B", "CM2"]
    next_year.pupil("E2")[6:8] = ["CE1 A", "CE1"]
    run_import(next_year.write(tmp_path / "next-year"), now=NOW + dt.timedelta(days=365))

    db.session.expire_all()
    account = account_of("R1")
    assert (account.identifier, account.password_hash) == (identifier, password_hash)
    assert account.state == AccountState.ACTIVATED
    assert runtime.passwords().verify_hash(account.password_hash, "Secret123")
    schools = sorted((c.first_name, c.school.uai) for c in account.children())
    assert schools == [("Hugo", "0311478N"), ("Léa", "0312001A")]


def test_the_import_is_audited(app_ctx, tmp_path):
    from accounts.models import AuditEvent

    run_import(family_feed().write(tmp_path / "feed"))
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "registry.imported"))
    assert event.summary == "2 comptes créés"


# -- command line --------------------------------------------------------------------


def test_the_command_prints_counts_and_json_on_the_last_line(app, runner, tmp_path):
    folder = family_feed().write(tmp_path / "feed")
    result = runner.invoke(args=["registry", "import", str(folder), "--json"])

    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert {k: counts[k] for k in ("created", "ineligible", "accounts_created")} == {
        "created": 13,
        "ineligible": 5,
        "accounts_created": 2,
    }
    assert "Import terminé : 13 créé(s)" in result.stdout
    assert "élèves : 6 ligne(s) traitée(s)" in result.stderr


def test_the_command_lists_bad_lines_and_exits_2(app, runner, tmp_path):
    rows = family_feed()
    rows.pupil("E1")[1] = "trop-court"
    folder = rows.write(tmp_path / "feed")
    result = runner.invoke(args=["registry", "import", str(folder), "--json"])

    assert result.exit_code == 2
    assert f"{folder / 'eleves.csv'}:2: " in result.stderr
    assert "rien n'a été modifié" in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "error": "invalid_feed",
        "bad_lines": 1,
    }


def test_the_example_feed_in_the_repository_imports(app_ctx):
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs" / "registry-example"
    report = run_import(example)
    assert report.accounts_created > 0 and report.ineligible > 0


def test_an_empty_feed_is_valid(app_ctx, tmp_path):
    report = run_import(Feed().write(tmp_path / "feed"))
    assert report.created == 0


def test_duplicates_are_reported_on_their_second_line(app_ctx, tmp_path):
    rows = family_feed()
    rows.schools.append(["0311478N", "Doublon", "Toulouse", "Toulouse"])
    rows.pupils.append(list(rows.pupil("E2")))
    rows.guardians.append(list(rows.guardian("R3")))
    rows.links.append(["E1", "R1", "1"])
    with pytest.raises(feed.FeedInvalid) as refused:
        run_import(rows.write(tmp_path / "feed"))

    assert [str(error).split(": ", 1)[0] for error in refused.value.errors] == [
        "ecoles.csv:4",
        "eleves.csv:8",
        "responsables.csv:9",
        "liens.csv:10",
    ]
    assert [error.reason for error in refused.value.errors] == [
        "UAI en double : 0311478N",
        "élève en double : E2",
        "responsable en double : R3",
        "lien en double",
    ]
