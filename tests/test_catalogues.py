"""Each language catalogue against a fresh extraction of the sources (docs/languages.md).

Other work adds French strings all the time. A parent-facing string missing from a
catalogue, or left empty or fuzzy there, fails here with the list of them: a gap is
visible, never silently shown in French to an English reader. To close it:
`make messages` (extract, update every catalogue, compile), translate the empty
`msgstr` of kernel/translations/<code>/LC_MESSAGES/messages.po, `make setup`.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from kernel.languages import DEFAULT
from kernel.languages import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "kernel" / "translations"
TRANSLATED = sorted(set(LANGUAGES) - {DEFAULT})

# What a parent reads (pages of idp/, enrollment/, federation/, passkeys/, the frame and
# error pages, emails and SMS, the domain's refusals) must be in every language...
PARENT_FACING = (
    "idp/",
    "enrollment/",
    "federation/",
    "accounts/",
    "kernel/",
    "messaging/",
    "passkeys/",
)
# ...except the development outbox (messaging's own pages).
NOT_PARENT_FACING = ("messaging/templates/messaging/", "messaging/views.py", "messaging/forms.py")
# What stays French: the directors' console and its letters, the demo, the CLI's areas.
FRENCH_ONLY = ("admin/", "demo/", "keys/", "registry/", "registry_import/", "guichet/")
NOT_EXTRACTED = {".git", ".venv", "node_modules", "tests", "bench", "examples", "instance"}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


@functools.cache
def extracted() -> dict[str, frozenset[str]]:
    """msgid → the files using it, as `make messages` extracts them (babel.cfg, `_l`)."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, set[str]] = {}
    for path, _line, msgid, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={**DEFAULT_KEYWORDS, "_l": None},
        directory_filter=lambda d: Path(d).name not in NOT_EXTRACTED,
    ):
        key = msgid if isinstance(msgid, str) else msgid[0]
        found.setdefault(key, set()).add(path.replace("\\", "/"))
    return {msgid: frozenset(paths) for msgid, paths in found.items()}


def parent_facing(paths: frozenset[str]) -> bool:
    return any(p.startswith(PARENT_FACING) and not p.startswith(NOT_PARENT_FACING) for p in paths)


def texts(value) -> tuple[str, ...]:
    """An entry's id or string: one text, or each plural form's."""
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def translated(entry) -> bool:
    return entry is not None and all(texts(entry.string)) and not entry.fuzzy


def catalogue(code: str):
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=code)


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_parent_facing_string_is_translated(code):
    translations = catalogue(code)
    untranslated = []
    for msgid, paths in sorted(extracted().items()):
        entry = translations.get(msgid)
        if parent_facing(paths) and not translated(entry):
            untranslated.append(f"  {sorted(paths)[0]}: {msgid!r}")
    assert not untranslated, (
        f"{len(untranslated)} parent-facing string(s) without a translation in {code}: "
        "run `make messages`, fill their msgstr in "
        f"kernel/translations/{code}/LC_MESSAGES/messages.po, then `make setup`.\n"
        + "\n".join(untranslated)
    )


def test_every_string_belongs_to_a_known_area():
    """A new package must be classified here: parent-facing, or French only."""
    unknown = sorted(
        {
            path
            for paths in extracted().values()
            for path in paths
            if not path.startswith(PARENT_FACING + FRENCH_ONLY)
        }
    )
    assert not unknown, f"classify these files in tests/test_catalogues.py: {unknown}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_every_placeholder(code):
    """A translation that drops or renames %(identifier)s would fail at send time."""
    wrong = [
        entry.id
        for entry in catalogue(code)
        if entry.id
        and translated(entry)
        and any(
            sorted(PLACEHOLDER.findall(texts(entry.id)[-1])) != sorted(PLACEHOLDER.findall(text))
            for text in texts(entry.string)
        )
    ]
    assert not wrong, f"placeholders differ in {code}: {wrong}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalogue_matches_its_source(code):
    """The .mo files are compiled by `make setup`, never committed: a stale one shows
    yesterday's texts."""
    compiled_path = TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo"
    assert compiled_path.exists(), f"{compiled_path} missing: run `make setup`"
    with open(compiled_path, "rb") as mo:
        compiled = {texts(e.id): texts(e.string) for e in read_mo(mo) if e.id}
    source = {texts(e.id): texts(e.string) for e in catalogue(code) if e.id and translated(e)}
    stale = sorted(msgid[0] for msgid, text in source.items() if compiled.get(msgid) != text)
    assert not stale, f"{compiled_path} is older than its .po: run `make setup`. {stale[:5]}"
