"""Tiny hand-written registry feeds for the import tests (docs/registry-format.md)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from registry import feed


@dataclass
class Feed:
    """A feed as four lists of rows; `write` turns it into the four CSV files."""

    schools: list[list[str]] = field(default_factory=list)
    pupils: list[list[str]] = field(default_factory=list)
    guardians: list[list[str]] = field(default_factory=list)
    links: list[list[str]] = field(default_factory=list)

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, rows in (
            (feed.SCHOOLS, self.schools),
            (feed.PUPILS, self.pupils),
            (feed.GUARDIANS, self.guardians),
            (feed.LINKS, self.links),
        ):
            lines = [";".join(feed.HEADERS[name])] + [";".join(row) for row in rows]
            (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return folder

    def pupil(self, registry_id: str) -> list[str]:
        return next(row for row in self.pupils if row[0] == registry_id)

    def guardian(self, registry_id: str) -> list[str]:
        return next(row for row in self.guardians if row[0] == registry_id)


def family_feed() -> Feed:
    """Two schools of one academy; the Martin family (two legal guardians, two
    children, one non-legal step-parent), and one guardian per ineligibility case."""
    return Feed(
        schools=[
            ["0311478N", "École élémentaire Jean Jaurès", "Toulouse", "Toulouse"],
            ["0312001A", "École primaire Les Tilleuls", "Toulouse", "Blagnac"],
        ],
        pupils=[
            [
                "E1",
                "1234567890A",
                "Martin",
                "Léa",
                "2016-04-11",
                "0311478N",
                "CM1 A",
                "CM1",
                "definitive",
            ],
            [
                "E2",
                "1234567890B",
                "Martin",
                "Hugo",
                "2019-09-02",
                "0311478N",
                "CP B",
                "CP",
                "definitive",
            ],
            [
                "E3",
                "1234567890C",
                "Roux",
                "Inès",
                "2017-01-20",
                "0311478N",
                "CE2",
                "CE2",
                "provisoire",
            ],
            ["E4", "", "Petit", "Noé", "2018-03-03", "0311478N", "CE1", "CE1", "definitive"],
            [
                "E5",
                "1234567890E",
                "Morel",
                "Jade",
                "2018-05-05",
                "0311478N",
                "",
                "CE1",
                "definitive",
            ],
            [
                "E6",
                "1234567890F",
                "Girard",
                "Tom",
                "2016-06-06",
                "0311478N",
                "CM1 A",
                "CM1",
                "radie",
            ],
        ],
        guardians=[
            [
                "R1",
                "Martin",
                "Gérald",
                "06 12 34 56 78",
                "gerald.martin@example.fr",
                "1 rue des Lilas 31000 Toulouse",
            ],
            ["R2", "Martin", "Sophie", "+33 6 98 76 54 32", "", "1 rue des Lilas 31000 Toulouse"],
            ["R3", "Dubois", "Marc", "0611111111", "", ""],
            ["R4", "Roux", "Anne", "0622222222", "", ""],
            ["R5", "Petit", "Paul", "0633333333", "", ""],
            ["R6", "Morel", "Luc", "0644444444", "", ""],
            ["R7", "Girard", "Eva", "0655555555", "", ""],
        ],
        links=[
            ["E1", "R1", "1"],
            ["E2", "R1", "1"],
            ["E1", "R2", "1"],
            ["E1", "R3", "0"],
            ["E3", "R4", "1"],
            ["E4", "R5", "1"],
            ["E5", "R6", "1"],
            ["E6", "R7", "1"],
        ],
    )
