"""Demo data (`guichet demo seed`): a small, deterministic world to try every journey.

Two schools of one academy, fed through the real registry import (so the demo
exercises the same code as the nightly feed): a larger school of about 240
accounts spread over every state and origin, a smaller one, and a handful of
named parents, each there to demonstrate one journey. A director runs both
schools. Seeding twice changes nothing: the second run prints the same
credentials, read back from the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

from accounts import audit
from accounts import states
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.models import Director
from accounts.passwords import PasswordService
from kernel.clock import paris_today
from kernel.extensions import db
from registry import feed
from registry.generator import FeedGenerator
from registry.models import Guardian
from registry.models import School
from registry_import.importer import import_feed

SEED = 2026
LARGE_SCHOOL = "0311000A"  # the generator's first school
SMALL_SCHOOL = ("0311999Z", "École maternelle Les Tilleuls", "Toulouse", "Blagnac")
KNOWN_PASSWORD = "Guichet2026"
DIRECTOR = {
    "identifier": "m.dupont",
    "first_name": "Marie",
    "last_name": "Dupont",
    "email": "marie.dupont@ac-toulouse.example.fr",
    "password": "Directrice2026",
}


@dataclass(frozen=True)
class Persona:
    """A named parent of the demo: their registry record, children and what they show."""

    registry_id: str
    last_name: str
    first_name: str
    mobile: str
    email: str
    children: tuple[tuple[str, str, str, str], ...]  # (first name, birth date, UAI, class)
    target: str  # "activated", "notified", "activating", "not_notified", "franceconnect"
    purpose: str


PERSONAS = (
    Persona(
        "DEMO-ACTIVE",
        "Lefèvre",
        "Camille",
        "06 10 00 00 01",
        "camille.lefevre@example.org",
        (("Léo", "2017-03-14", LARGE_SCHOOL, "CE2 A"),),
        "activated",
        "Compte activé au mot de passe connu : se connecter aux services de démonstration.",
    ),
    Persona(
        "DEMO-NOTIFIED",
        "Bernard",
        "Julie",
        "06 10 00 00 02",
        "julie.bernard@example.org",
        (("Chloé", "2018-06-02", LARGE_SCHOOL, "CE1 B"),),
        "notified",
        "Courrier distribué : activation avec le mot de passe provisoire.",
    ),
    Persona(
        "DEMO-TWOSCHOOLS",
        "Benali",
        "Nadia",
        "06 10 00 00 03",
        "nadia.benali@example.org",
        (
            ("Yanis", "2016-11-21", LARGE_SCHOOL, "CM1 A"),
            ("Sarah", "2021-02-08", SMALL_SCHOOL[0], "MS"),
        ),
        "notified",
        "Enfants dans les deux écoles : un seul compte, visible des deux écoles.",
    ),
    Persona(
        "DEMO-TWIN-1",
        "Moreau",
        "Thomas",
        "06 10 00 00 04",
        "thomas.moreau@example.org",
        (("Lucas", "2017-09-09", LARGE_SCHOOL, "CE2 B"),),
        "not_notified",
        "Connu sous deux identifiants du registre (adresses différentes) : "
        "deux comptes à fusionner (inscription par SMS ou FranceConnect).",
    ),
    Persona(
        "DEMO-TWIN-2",
        "Moreau",
        "Thomas",
        "06 10 00 00 04",
        "t.moreau@example.org",
        (("Emma", "2019-01-30", LARGE_SCHOOL, "CP A"),),
        "not_notified",
        "Second compte du même parent : à fusionner avec le précédent.",
    ),
    Persona(
        "DEMO-SMS",
        "Petit",
        "Marc",
        "06 10 00 00 05",
        "",
        (("Manon", "2018-12-12", LARGE_SCHOOL, "CE1 A"),),
        "not_notified",
        "Jamais notifié, mobile connu de l'école : inscription par SMS.",
    ),
    Persona(
        "DEMO-ACTIVATING",
        "Martin",
        "Sophie",
        "06 10 00 00 06",
        "sophie.martin@example.org",
        (("Louise", "2016-05-05", LARGE_SCHOOL, "CM1 B"),),
        "activating",
        "En cours d'activation : le courriel d'activation attend d'être confirmé.",
    ),
    Persona(
        "DEMO-NOCONTACT",
        "Girard",
        "Paul",
        "",
        "",
        (("Jules", "2017-07-07", LARGE_SCHOOL, "CE2 A"),),
        "notified",
        "Ni courriel ni mobile : seul le courrier papier l'atteint.",
    ),
    Persona(
        "DEMO-FC",
        "Rousseau",
        "Aline",
        "06 10 00 00 08",
        "aline.rousseau@example.org",
        (("Nathan", "2019-10-10", SMALL_SCHOOL[0], "GS"),),
        "franceconnect",
        "Activé par FranceConnect : se connecte avec FranceConnect.",
    ),
)
ACTIVATING_PASSWORD = "Activation26"
PASSWORD_OF = {"activated": KNOWN_PASSWORD, "activating": ACTIVATING_PASSWORD}


def seed(*, now: dt.datetime, passwords: PasswordService) -> bool:
    """Create the demo world once; False when it already exists."""
    if db.session.scalar(db.select(School.id).where(School.uai == LARGE_SCHOOL)) is not None:
        return False
    with tempfile.TemporaryDirectory() as folder:
        _write_feed(Path(folder))
        import_feed(Path(folder), now=now, passwords=passwords)
    _spread_states(now=now, passwords=passwords)
    for persona in PERSONAS:
        _bring_to_target(_account_of(persona.registry_id), persona, now=now, passwords=passwords)
    _director(now=now, passwords=passwords)
    db.session.commit()
    return True


def _write_feed(folder: Path) -> None:
    FeedGenerator(guardians=255, schools=1, seed=SEED).write(folder)
    _append(folder / feed.SCHOOLS, [list(SMALL_SCHOOL)])
    _append(folder / feed.PUPILS, _persona_pupils() + _small_school_pupils())
    _append(folder / feed.GUARDIANS, _persona_guardians() + _small_school_guardians())
    _append(folder / feed.LINKS, _persona_links() + _small_school_links())


def _append(path: Path, rows: list[list[str]]) -> None:
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\n").writerows(rows)


def _level_of(class_name: str) -> str:
    return class_name.split()[0]


def _persona_pupils() -> list[list[str]]:
    rows = []
    for index, persona in enumerate(PERSONAS):
        for number, (first, birth, uai, class_name) in enumerate(persona.children):
            rows.append(
                [
                    f"{persona.registry_id}-E{number}",
                    f"99{index:02d}{number:02d}0000D",
                    persona.last_name,
                    first,
                    birth,
                    uai,
                    class_name,
                    _level_of(class_name),
                    "definitive",
                ]
            )
    return rows


def _persona_guardians() -> list[list[str]]:
    return [
        [
            p.registry_id,
            p.last_name,
            p.first_name,
            p.mobile,
            p.email,
            "12 allée des Demos, Toulouse",
        ]
        for p in PERSONAS
    ]


def _persona_links() -> list[list[str]]:
    return [
        [f"{p.registry_id}-E{number}", p.registry_id, "1"]
        for p in PERSONAS
        for number in range(len(p.children))
    ]


SMALL_FAMILIES = [
    ("Fontaine", "Hélène", "Adam", "PS"),
    ("Chevalier", "Olivier", "Mila", "MS"),
    ("Lemoine", "Fatou", "Rose", "GS"),
    ("Gauthier", "Karim", "Élio", "PS"),
    ("Perrin", "Anaïs", "Lina", "MS"),
    ("N'Guessan", "Awa", "Ismaël", "GS"),
]


def _small_school_pupils() -> list[list[str]]:
    return [
        [f"DEMO-S{i}-E", f"98{i:02d}000000E", last, child, f"202{i % 3}-0{i + 1}-15"]
        + [SMALL_SCHOOL[0], level, level, "definitive"]
        for i, (last, _, child, level) in enumerate(SMALL_FAMILIES)
    ]


def _small_school_guardians() -> list[list[str]]:
    return [
        [f"DEMO-S{i}", last, first, f"06 20 00 00 {i:02d}", "", "Blagnac"]
        for i, (last, first, _, _) in enumerate(SMALL_FAMILIES)
    ]


def _small_school_links() -> list[list[str]]:
    return [[f"DEMO-S{i}-E", f"DEMO-S{i}", "1"] for i in range(len(SMALL_FAMILIES))]


def _account_of(registry_id: str) -> Account:
    return db.session.scalars(
        db.select(Account).join(Guardian).where(Guardian.registry_id == registry_id)
    ).one()


def _spread_states(*, now: dt.datetime, passwords: PasswordService) -> None:
    """The generated accounts, in identifier order, over every state and origin:
    a school's real mix (most notified, some activated each way, some never notified)."""
    persona_ids = [p.registry_id for p in PERSONAS]
    accounts = db.session.scalars(
        db.select(Account)
        .where(~Account.guardians.any(Guardian.registry_id.in_(persona_ids)))
        .order_by(Account.identifier)
    ).all()
    shared_hash = passwords.hash(KNOWN_PASSWORD)
    plan = (
        ["not_notified"] * 3
        + ["notified"] * 3
        + ["activating", "school_activated", "guardian", "franceconnect"]
    )
    for index, account in enumerate(accounts):
        _walk(account, plan[index % len(plan)], now=now, passwords=passwords, hash_=shared_hash)


def _walk(account, target, *, now, passwords, hash_=None, password=None) -> None:
    """Move an account to a demo state through the real state machine."""
    if target == "not_notified":
        return
    if target in ("guardian", "franceconnect"):
        via = AccountOrigin.GUARDIAN if target == "guardian" else AccountOrigin.FRANCECONNECT
        # FranceConnect parents never chose a password of ours.
        _choose(account, passwords, hash_ if target == "guardian" else None, password)
        states.activate_directly(account, via=via, now=now)
        return
    states.notify(account, today=paris_today(now), now=now, actor=audit.OPERATOR)
    if target == "notified":
        return
    _choose(account, passwords, hash_, password)
    account.email = account.registry_contact()[0]
    account.email_verified = account.email is not None
    states.start_activation(account, now=now)
    if target == "activating":
        return
    states.confirm_activation(account, now=now)


def _choose(account, passwords, hash_, password) -> None:
    if password is not None:
        passwords.set_chosen(account, password)
    else:
        account.password_hash = hash_
        account.temporary_password_encrypted = None
        account.temporary_password_issued_on = None
        account.must_change_password = False


def _bring_to_target(account: Account, persona: Persona, *, now, passwords) -> None:
    target = {"activated": "school_activated"}.get(persona.target, persona.target)
    _walk(account, target, now=now, passwords=passwords, password=PASSWORD_OF.get(persona.target))
    if persona.target == "activated":
        account.mobile, account.mobile_verified = account.registry_contact()[1], True


def _director(*, now: dt.datetime, passwords: PasswordService) -> None:
    schools = db.session.scalars(
        db.select(School).where(School.uai.in_([LARGE_SCHOOL, SMALL_SCHOOL[0]]))
    ).all()
    director = Director(
        identifier=DIRECTOR["identifier"],
        first_name=DIRECTOR["first_name"],
        last_name=DIRECTOR["last_name"],
        email=DIRECTOR["email"],
        password_hash=passwords.hash(DIRECTOR["password"]),
        created_at=now,
    )
    director.schools = list(schools)
    db.session.add(director)


# -- what to print ------------------------------------------------------------------


def describe(*, passwords: PasswordService) -> dict:
    """The credentials a person needs to try each journey, in the shape of issue 3."""
    described = [_account_entry(_account_of(p.registry_id), passwords, p.purpose) for p in PERSONAS]
    shown = {entry["identifier"] for entry in described}
    for account in _one_per_state_and_origin(exclude=shown):
        purpose = f"Exemple de l'école : {account.state.label}, origine {account.origin.label}."
        described.append(_account_entry(account, passwords, purpose))
    return {
        "accounts": described,
        "directors": [
            {
                "identifier": DIRECTOR["identifier"],
                "password": DIRECTOR["password"],
                "schools": [LARGE_SCHOOL, SMALL_SCHOOL[0]],
            }
        ],
    }


def _one_per_state_and_origin(*, exclude: set[str]) -> list[Account]:
    seen: dict[tuple, Account] = {}
    for account in db.session.scalars(
        db.select(Account).where(Account.state != AccountState.DELETED).order_by(Account.identifier)
    ):
        key = (account.state, account.origin)
        if key not in seen and account.identifier not in exclude:
            seen[key] = account
    return list(seen.values())


def _account_entry(account: Account, passwords: PasswordService, purpose: str) -> dict:
    registry_email, registry_mobile = account.registry_contact()
    return {
        "identifier": account.identifier,
        "password": _known_password(account, passwords),
        "state": account.state.label,
        "origin": account.origin.label,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "email": account.email or registry_email,
        "mobile": account.mobile or registry_mobile,
        "children": [
            {
                "first_name": child.first_name,
                "last_name": child.last_name,
                "birth_date": child.birth_date.isoformat(),
                "uai": child.school.uai,
            }
            for child in account.children()
        ],
        "purpose": purpose,
    }


def _known_password(account: Account, passwords: PasswordService) -> str | None:
    if account.state == AccountState.NOT_NOTIFIED:
        return None  # SPEC §3: not shown before notification
    temporary = passwords.temporary_password(account)
    if temporary is not None:
        return temporary
    for candidate in (KNOWN_PASSWORD, ACTIVATING_PASSWORD):
        if passwords.verify_hash(account.password_hash, candidate):
            return candidate
    return None
