"""A realistic synthetic registry feed, deterministic for a seed (demo, tests, benchmark).

Families of one or two legal guardians with one to four children, mostly in one
school and sometimes across two; names with accents, apostrophes and hyphens
and plenty of homonyms; a parent recorded twice under two registry ids with
identical data (grouped into one account by the import) or with a different
email (not grouped); non-legal guardians; ineligible pupils (provisional
admission, no INE, no class); contact data missing or written in every usual
way. Files are written as they are generated, so any size fits in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from kernel.contact import normalise_mobile
from kernel.names import ascii_fold
from registry import feed
from registry.models import Level

LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "García",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefebvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martínez",
    "Le Goff",
    "D'Artagnan",
    "N'Diaye",
    "Saint-Martin",
    "Da Silva",
    "Nguyễn",
    "Benoît",
    "Chevalier",
    "Müller",
    "Le Gall",
    "Faure-Dumont",
    "O'Neill",
    "Zoumn",
    "Cosams",
    "Reabu",
    "Selazogn",
    "Brunet",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Châtelet",
    "Lemaître",
    "De la Fontaine",
    "Ébrard",
]
FIRST_NAMES_PARENT = [
    "Marie",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Céline",
    "Sophie",
    "Émilie",
    "Aurélie",
    "Anne-Sophie",
    "Hélène",
    "Chloé",
    "Inès",
    "Fatima",
    "Jean",
    "Philippe",
    "Nicolas",
    "François",
    "Stéphane",
    "Frédéric",
    "Jérôme",
    "Gérald",
    "Jean-Pierre",
    "Mathieu",
    "Karim",
    "Thierry",
    "Loïc",
    "Gaëlle",
    "Zoé",
    "Noël",
    "Amélie",
    "Sébastien",
    "Cédric",
]
FIRST_NAMES_CHILD = [
    "Léa",
    "Emma",
    "Jade",
    "Louise",
    "Alice",
    "Chloé",
    "Lina",
    "Mila",
    "Inès",
    "Ambre",
    "Gabriel",
    "Léo",
    "Raphaël",
    "Louis",
    "Lucas",
    "Arthur",
    "Jules",
    "Hugo",
    "Maël",
    "Noé",
    "Adam",
    "Sacha",
    "Nathan",
    "Éléonore",
    "Zoé",
    "Anaïs",
    "Timothée",
    "Joséphine",
    "Élise",
]
CITIES = ["Toulouse", "Colomiers", "Blagnac", "Muret", "Balma", "L'Union", "Saint-Orens"]
STREETS = ["rue de la République", "avenue Jean Jaurès", "place du Capitole", "allée des Pins"]
# Age on 1 September of the school year → level.
LEVEL_BY_AGE = {
    3: Level.PS,
    4: Level.MS,
    5: Level.GS,
    6: Level.CP,
    7: Level.CE1,
    8: Level.CE2,
    9: Level.CM1,
    10: Level.CM2,
}


@dataclass
class _School:
    uai: str
    name: str
    city: str


class FeedGenerator:
    def __init__(self, *, guardians: int, schools: int, seed: int, school_year: int = 2026):
        if guardians < 1 or schools < 1:
            raise ValueError("guardians and schools must be at least 1")
        self.target = guardians
        self.random = random.Random(seed)
        self.year = school_year
        self.schools = [self._school(i) for i in range(schools)]
        self.pupil_seq = 0
        self.guardian_seq = 0
        self.mobile_seq = 0

    def write(self, out: Path) -> dict[str, int]:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        counts = {"schools": len(self.schools), "pupils": 0, "guardians": 0, "links": 0}
        with (
            _writer(out, feed.SCHOOLS) as schools,
            _writer(out, feed.PUPILS) as pupils,
            _writer(out, feed.GUARDIANS) as guardians,
            _writer(out, feed.LINKS) as links,
        ):
            for school in self.schools:
                schools.writerow([school.uai, school.name, "Toulouse", school.city])
            while counts["guardians"] < self.target:
                family_pupils, family_guardians, family_links = self._family(
                    self.target - counts["guardians"]
                )
                pupils.writerows(family_pupils)
                guardians.writerows(family_guardians)
                links.writerows(family_links)
                counts["pupils"] += len(family_pupils)
                counts["guardians"] += len(family_guardians)
                counts["links"] += len(family_links)
        return counts

    def _school(self, index: int) -> _School:
        city = CITIES[index % len(CITIES)]
        letter = "ABCDEFGHJKLMNPRSTUVWXYZ"[index % 23]
        kind = "École élémentaire" if index % 3 else "École primaire"
        patron = [
            "Jean Jaurès",
            "Jules Ferry",
            "Marie Curie",
            "Victor Hugo",
            "Louise Michel",
            "Jacques Prévert",
            "Simone Veil",
        ][index % 7]
        return _School(f"031{1000 + index:04d}{letter}", f"{kind} {patron}", city)

    def _family(self, room: int):
        r = self.random
        last = r.choice(LAST_NAMES)
        home = r.choice(self.schools)
        children = [
            self._pupil(last, home if r.random() > 0.08 else r.choice(self.schools))
            for _ in range(r.choices([1, 2, 3, 4], weights=[20, 35, 30, 15])[0])
        ]
        parents = [self._guardian(last)]
        if room > 1 and r.random() < 0.55:
            parents.append(self._guardian(last if r.random() < 0.7 else r.choice(LAST_NAMES)))
        links = []
        guardians = []
        for parent in parents:
            if len(children) > 1 and room - len(guardians) > 1 and r.random() < 0.04:
                # The same person recorded twice by two schools: identical data is grouped
                # by the import; a different email keeps two accounts (to merge).
                twin = list(parent)
                twin[0] = self._registry_id("R")
                if r.random() < 0.35 and twin[4]:
                    twin[4] = "autre." + twin[4]
                guardians += [parent, twin]
                links.append([children[0][0], parent[0], "1"])
                links += [[child[0], twin[0], "1"] for child in children[1:]]
            else:
                guardians.append(parent)
                links += [[child[0], parent[0], "1"] for child in children]
        if room - len(guardians) > 0 and r.random() < 0.05:
            grandparent = self._guardian(r.choice(LAST_NAMES))
            guardians.append(grandparent)
            links += [[child[0], grandparent[0], "0"] for child in children]
        return (
            children,
            guardians[:room],
            [link for link in links if link[1] in {g[0] for g in guardians[:room]}],
        )

    def _pupil(self, last: str, school: _School) -> list[str]:
        r = self.random
        age = r.randint(3, 10)
        birth = dt.date(self.year - age, 1, 1) + dt.timedelta(days=r.randint(0, 364))
        level = LEVEL_BY_AGE[age]
        roll = r.random()
        admission = "provisoire" if roll < 0.03 else "definitive"
        ine = "" if 0.03 <= roll < 0.05 else self._ine()
        class_name = "" if 0.05 <= roll < 0.07 else self._class_name(level)
        return [
            self._registry_id("E"),
            ine,
            last.upper() if r.random() < 0.1 else last,
            r.choice(FIRST_NAMES_CHILD),
            birth.isoformat(),
            school.uai,
            class_name,
            level.value,
            admission,
        ]

    def _guardian(self, last: str) -> list[str]:
        r = self.random
        first = r.choice(FIRST_NAMES_PARENT)
        mobile = "" if r.random() < 0.1 else self._mobile()
        email = "" if r.random() < 0.15 else self._email(first, last)
        address = f"{r.randint(1, 120)} {r.choice(STREETS)}, {r.choice(CITIES)}"
        return [self._registry_id("R"), last, first, mobile, email, address]

    def _registry_id(self, prefix: str) -> str:
        if prefix == "E":
            self.pupil_seq += 1
            return f"E{self.pupil_seq:09d}"
        self.guardian_seq += 1
        return f"R{self.guardian_seq:09d}"

    def _ine(self) -> str:
        return f"{self.random.randrange(10**9):09d}{self.random.choice('ABCDEFGHJK')}" + (
            self.random.choice("ABCDEFGHJK")
        )

    def _class_name(self, level: Level) -> str:
        mixed = {Level.CE1: "CE1/2", Level.CM1: "CM1/2"}
        if level in mixed and self.random.random() < 0.3:
            return mixed[level]
        return f"{level.value} {self.random.choice('AB')}"

    def _mobile(self) -> str:
        while True:
            self.mobile_seq += 1
            digits = f"6{(self.mobile_seq * 7919) % 10**8:08d}"
            if normalise_mobile("0" + digits):
                break
        style = self.random.random()
        if style < 0.5:
            return f"0{digits[0]} {digits[1:3]} {digits[3:5]} {digits[5:7]} {digits[7:9]}"
        if style < 0.8:
            return f"+33{digits}"
        return f"0{digits}"

    def _email(self, first: str, last: str) -> str:
        local = ascii_fold(f"{first}.{last}").replace(" ", "").replace("'", "")
        return f"{local}{self.random.randrange(1000)}@example.org"


def generate_feed(out: Path, *, guardians: int, schools: int = 1, seed: int = 1) -> dict[str, int]:
    """Write a feed folder of about `guardians` guardian records; returns the counts."""
    return FeedGenerator(guardians=guardians, schools=schools, seed=seed).write(out)


class _writer:
    def __init__(self, folder: Path, name: str):
        self.path = folder / name
        self.header = feed.HEADERS[name]

    def __enter__(self):
        self.handle = self.path.open("w", encoding="utf-8", newline="")
        writer = csv.writer(self.handle, delimiter=";", lineterminator="\n")
        writer.writerow(self.header)
        return writer

    def __exit__(self, *exc):
        self.handle.close()
