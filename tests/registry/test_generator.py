"""The synthetic feed generator: deterministic, valid, and realistic enough to
exercise every import rule (accents, apostrophes, hyphens, homonyms, ineligible
pupils, shared and duplicated guardians)."""

from __future__ import annotations

import csv
import datetime as dt
import filecmp

from accounts.models import Account
from kernel import runtime
from kernel.extensions import db
from registry import feed
from registry.generator import generate_feed
from registry_import.importer import import_feed


def read(folder, name):
    with (folder / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_the_same_seed_writes_the_same_feed(tmp_path):
    generate_feed(tmp_path / "a", guardians=300, schools=3, seed=7)
    generate_feed(tmp_path / "b", guardians=300, schools=3, seed=7)
    generate_feed(tmp_path / "c", guardians=300, schools=3, seed=8)

    for name in feed.HEADERS:
        assert filecmp.cmp(tmp_path / "a" / name, tmp_path / "b" / name, shallow=False)
    assert not filecmp.cmp(tmp_path / "a" / feed.PUPILS, tmp_path / "c" / feed.PUPILS, False)


def test_the_feed_has_the_hard_cases(tmp_path):
    counts = generate_feed(tmp_path, guardians=2000, schools=4, seed=1)
    guardians = read(tmp_path, feed.GUARDIANS)
    pupils = read(tmp_path, feed.PUPILS)
    links = read(tmp_path, feed.LINKS)

    assert counts["guardians"] == len(guardians) == 2000
    names = {row["nom"] for row in guardians}
    assert any("'" in n for n in names) and any("-" in n for n in names)
    assert any(not n.isascii() for n in names)
    assert any(not row["mobile"] for row in guardians) and any(
        not row["email"] for row in guardians
    )
    assert any(row["admission"] == "provisoire" for row in pupils)
    assert any(not row["ine"] for row in pupils) and any(not row["classe"] for row in pupils)
    assert any(row["legal"] == "0" for row in links)
    same_person = {}
    for row in guardians:
        key = (row["nom"], row["prenom"], row["email"], row["mobile"])
        same_person.setdefault(key, []).append(row["id_responsable"])
    assert any(len(ids) > 1 for key, ids in same_person.items() if key[2] and key[3])
    schools_per_guardian = {}
    school_of = {row["id_eleve"]: row["uai"] for row in pupils}
    for link in links:
        schools_per_guardian.setdefault(link["id_responsable"], set()).add(
            school_of[link["id_eleve"]]
        )
    assert any(len(uais) > 1 for uais in schools_per_guardian.values())


def test_a_generated_feed_validates_and_imports(app_ctx, tmp_path):
    generate_feed(tmp_path, guardians=400, schools=2, seed=3)
    report = import_feed(tmp_path, now=dt.datetime(2026, 9, 1), passwords=runtime.passwords())

    accounts = db.session.scalar(db.select(db.func.count()).select_from(Account))
    assert accounts == report.accounts_created
    assert 0 < report.accounts_created < 400, "some are ineligible, some grouped"
    assert report.ineligible > 0
