"""The registry feed: reading and validating the nightly export (docs/registry-format.md).

A feed is a folder of four `;`-separated UTF-8 CSV files, as the AAF directory
delivers the first-degree registry (ONDE): `ecoles.csv`, `eleves.csv`,
`responsables.csv`, `liens.csv`. Each line is parsed on its own into a small
tuple, or refused with a French reason; checks across lines and files
(duplicates, unknown references) are registry_import.staging's.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from kernel.contact import normalise_email
from kernel.contact import normalise_mobile
from kernel.names import ascii_fold
from kernel.wording import plural
from registry.models import Admission
from registry.models import Guardian
from registry.models import Level
from registry.models import Pupil
from registry.models import School
from registry.models import SchoolClass

SCHOOLS = "ecoles.csv"
PUPILS = "eleves.csv"
GUARDIANS = "responsables.csv"
LINKS = "liens.csv"

HEADERS = {
    SCHOOLS: ["uai", "nom", "academie", "commune"],
    PUPILS: [
        "id_eleve",
        "ine",
        "nom",
        "prenom",
        "date_naissance",
        "uai",
        "classe",
        "niveau",
        "admission",
    ],
    GUARDIANS: ["id_responsable", "nom", "prenom", "mobile", "email", "adresse"],
    LINKS: ["id_eleve", "id_responsable", "legal"],
}

ADMISSIONS = {
    "definitive": Admission.DEFINITIVE,
    "definitif": Admission.DEFINITIVE,
    "provisoire": Admission.PROVISIONAL,
    "radie": Admission.WITHDRAWN,
}
ID_COLUMNS = {PUPILS: "id_eleve", GUARDIANS: "id_responsable"}
TRUE_WORDS = {"1", "oui", "o", "true", "vrai"}
FALSE_WORDS = {"0", "non", "n", "false", "faux"}
UAI_PATTERN = re.compile(r"^\d{7}[A-Z]$")
INE_PATTERN = re.compile(r"^[0-9A-Z]{11}$")
REGISTRY_ID_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,40}$")


class SchoolRow(NamedTuple):
    uai: str
    name: str
    academy: str
    city: str


class PupilRow(NamedTuple):
    registry_id: str
    ine: str | None
    last_name: str
    first_name: str
    birth_date: dt.date
    uai: str
    class_name: str | None
    level: Level | None
    admission: Admission


class GuardianRow(NamedTuple):
    registry_id: str
    last_name: str
    first_name: str
    mobile: str | None
    email: str | None
    address: str | None


class LinkRow(NamedTuple):
    pupil_registry_id: str
    guardian_registry_id: str
    is_legal: bool


class BadLine(Exception):
    """One line of the feed that cannot be imported, and why (in French, for operators)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class FeedError:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class FeedInvalid(Exception):
    def __init__(self, errors: list[FeedError]):
        self.errors = errors
        super().__init__(f"{len(errors)} ligne(s) invalide(s)")


def read_rows(folder: Path, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of one file, streamed; line 1 is the header."""
    path = folder / name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = next(reader, None)
        expected = HEADERS[name]
        if header is None or [h.strip().lower() for h in header] != expected:
            raise FeedInvalid(
                [FeedError(name, 1, f"en-tête attendu : {';'.join(expected)}, lu : {header}")]
            )
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(expected):
                yield (
                    line,
                    {"__error__": f"{plural(len(values), 'champ')} au lieu de {len(expected)}"},
                )
                continue
            yield line, {key: value.strip() for key, value in zip(expected, values, strict=True)}


def parse_school(row: dict[str, str]) -> SchoolRow:
    _fail_if_malformed(row)
    uai = row["uai"].upper()
    if not UAI_PATTERN.match(uai):
        raise BadLine(f"UAI invalide : {row['uai']!r} (7 chiffres et une lettre)")
    return SchoolRow(
        uai,
        _text(row, "nom", School.name),
        _text(row, "academie", School.academy),
        _text(row, "commune", School.city, required=False) or "",
    )


def parse_pupil(row: dict[str, str]) -> PupilRow:
    _fail_if_malformed(row)
    ine = row["ine"].upper() or None
    if ine is not None and not INE_PATTERN.match(ine):
        raise BadLine(f"INE invalide : {row['ine']!r} (11 caractères)")
    level = None
    if row["niveau"]:
        try:
            level = Level(row["niveau"].upper())
        except ValueError:
            raise BadLine(f"niveau inconnu : {row['niveau']!r}") from None
    admission = ADMISSIONS.get(_fold(row["admission"]))
    if admission is None:
        raise BadLine(f"admission inconnue : {row['admission']!r} (definitive, provisoire, radie)")
    return PupilRow(
        registry_id=_registry_id(row, "id_eleve"),
        ine=ine,
        last_name=_text(row, "nom", Pupil.last_name),
        first_name=_text(row, "prenom", Pupil.first_name),
        birth_date=_date(row["date_naissance"]),
        uai=row["uai"].upper(),
        class_name=_text(row, "classe", SchoolClass.name, required=False),
        level=level,
        admission=admission,
    )


def parse_guardian(row: dict[str, str]) -> GuardianRow:
    _fail_if_malformed(row)
    mobile = None
    if row["mobile"]:
        mobile = normalise_mobile(row["mobile"])
        if mobile is None:
            raise BadLine(f"numéro de mobile invalide : {row['mobile']!r}")
    email = None
    if row["email"]:
        email = normalise_email(row["email"])
        if email is None:
            raise BadLine(f"adresse électronique invalide : {row['email']!r}")
    return GuardianRow(
        registry_id=_registry_id(row, "id_responsable"),
        last_name=_text(row, "nom", Guardian.last_name),
        first_name=_text(row, "prenom", Guardian.first_name),
        mobile=mobile,
        email=email,
        address=_text(row, "adresse", Guardian.address, required=False),
    )


def parse_link(row: dict[str, str]) -> LinkRow:
    _fail_if_malformed(row)
    legal = _fold(row["legal"])
    if legal not in TRUE_WORDS | FALSE_WORDS:
        raise BadLine(f"valeur « legal » invalide : {row['legal']!r} (1 ou 0)")
    return LinkRow(
        _registry_id(row, "id_eleve"), _registry_id(row, "id_responsable"), legal in TRUE_WORDS
    )


PARSERS = {SCHOOLS: parse_school, PUPILS: parse_pupil, GUARDIANS: parse_guardian, LINKS: parse_link}


def _fail_if_malformed(row: dict[str, str]) -> None:
    if "__error__" in row:
        raise BadLine(row["__error__"])


# Control characters (NUL…), invisible formatting, surrogates, private use, unassigned.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def _text(row: dict[str, str], key: str, column, *, required: bool = True) -> str | None:
    """A text field checked against the column it fills (its length) and against the
    characters a name or an address may hold, so a bad line is reported, never a
    database error mid-import."""
    value = row[key]
    if not value:
        if required:
            raise BadLine(f"champ « {key} » vide")
        return None
    limit = column.type.length
    if len(value) > limit:
        raise BadLine(f"champ « {key} » trop long : {len(value)} caractères ({limit} au plus)")
    refused = next((c for c in value if unicodedata.category(c) in _REFUSED_CATEGORIES), None)
    if refused is not None:
        raise BadLine(f"champ « {key} » : caractère non autorisé (U+{ord(refused):04X})")
    return value


def _registry_id(row: dict[str, str], key: str) -> str:
    value = row[key]
    if not REGISTRY_ID_PATTERN.match(value):
        raise BadLine(f"identifiant « {key} » invalide : {value!r}")
    return value


def _date(raw: str) -> dt.date:
    if len(raw) == 10 and raw[4] == "-":
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise BadLine(f"date de naissance invalide : {raw!r} (AAAA-MM-JJ ou JJ/MM/AAAA)")


def _fold(text: str) -> str:
    lowered = text.strip().lower()
    if lowered.isascii():
        return lowered
    return ascii_fold(lowered).strip()
