"""PDF documents of the console with fpdf2: letters (one page per account) and the
list of accounts (004 §5.4).

Every name the registry can hold prints as written (SPEC §5 «Letters and lists»):
the text is in Unicode normal form C, set in DejaVu Sans (a TrueType font covering
Latin, Greek, Cyrillic, Vietnamese, «Œ»…) embedded in the file, and a line that
needs text shaping (combining marks that have no precomposed form, right-to-left
scripts) is shaped by HarfBuzz. The font comes from the system's `fonts-dejavu-core`
(installed by `.ci/run` and the Dockerfile) or from `PDF_FONT_DIR`.

Lines are wrapped here with a width table of the font (fpdf2's own `multi_cell`
costs ~35 ms a page); a word longer than the line is broken, and a list cell too
long for its column wraps and makes its row taller: nothing is ever cut.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from fpdf import FPDF

FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# Where the distributions put DejaVu Sans (Debian/Ubuntu, Fedora/Alpine, Arch, macOS Homebrew).
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/TTF",
    "/opt/homebrew/share/fonts",
    "/usr/local/share/fonts",
)
_RIGHT_TO_LEFT = frozenset({"R", "AL", "AN"})
# Characters that never need shaping: Latin, Greek, Cyrillic (but its combining marks),
# Armenian, Latin and Greek precomposed (Vietnamese), punctuation, symbols.
_PLAIN = re.compile(
    r"[\x00-\u02ff\u0370-\u0482\u048a-\u058f\u1e00-\u1fff\u2000-\u20cf\u2100-\u2bff]*"
)


class FontMissing(RuntimeError):
    """The operator's machine lacks the font: letters must not print «????» instead."""


@functools.cache
def font_dir(configured: str = "") -> Path:
    """The folder holding DejaVu Sans and DejaVu Sans Bold."""
    for folder in ([configured] if configured else []) + list(FONT_DIRS):
        if all((Path(folder) / name).is_file() for name in FONT_FILES.values()):
            return Path(folder)
    raise FontMissing(
        "DejaVu Sans not found: install the package fonts-dejavu-core "
        "(apt-get install fonts-dejavu-core) or set PDF_FONT_DIR to a folder holding "
        + " and ".join(FONT_FILES.values())
    )


def printable(text: str) -> str:
    """Unicode normal form C: «é» typed as e + combining accent prints as one glyph."""
    return unicodedata.normalize("NFC", text)


def needs_shaping(text: str) -> bool:
    """Combining marks left after NFC, or a right-to-left script: HarfBuzz places them."""
    if _PLAIN.fullmatch(text):
        return False
    return any(
        unicodedata.combining(ch) or unicodedata.bidirectional(ch) in _RIGHT_TO_LEFT for ch in text
    )


def _document(title: str, fonts: str) -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    folder = font_dir(fonts)
    for style, name in FONT_FILES.items():
        pdf.add_font(FONT, style, str(folder / name))
    pdf.set_title(title)
    pdf.set_creator("Guichet")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(20, 18, 20)
    return pdf


class _Writer:
    """Measures, wraps and places lines of text (`FPDF.text`, or a shaped `cell`)."""

    def __init__(self, pdf: FPDF):
        self.pdf = pdf
        self.widths: dict[tuple[str, float], dict[str, float]] = {}
        self.width_of: dict[str, float] = {}
        self.wrapped: dict[tuple[str, float, float], list[str]] = {}
        self.key = ("", 11.0)

    def font(self, style: str, size: float) -> None:
        self.pdf.set_font(FONT, style, size)
        self.key = (style, size)
        self.width_of = self.widths.setdefault(self.key, {})

    def char_width(self, ch: str) -> float:
        width = self.width_of.get(ch)
        if width is None:
            width = self.width_of[ch] = self.pdf.get_string_width(ch)
        return width

    def measure(self, text: str) -> float:
        """Widths are cached per font by character and by word: letters repeat words."""
        width = self.width_of.get(text)
        if width is None:
            width = self.width_of[text] = sum(self.char_width(ch) for ch in text)
        return width

    def _pieces(self, word: str, width: float) -> list[str]:
        """A word wider than the line, broken where the line ends (never past the edge)."""
        pieces, current, used = [], "", 0.0
        for ch in word:
            w = self.char_width(ch)
            if current and used + w > width:
                pieces.append(current)
                current, used = "", 0.0
            current += ch
            used += w
        return pieces + [current]

    def wrap(self, text: str, width: float) -> list[str]:
        """The lines of `text` within `width` (cached: every letter repeats its paragraphs)."""
        key = (text, width, *self.key)
        lines = self.wrapped.get(key)
        if lines is None:
            lines = self.wrapped[key] = self._wrap(text, width)
        return lines

    def _wrap(self, text: str, width: float) -> list[str]:
        lines: list[str] = []
        current: list[str] = []
        used = 0.0
        space = self.char_width(" ")
        for word in text.split(" "):
            w = self.measure(word)
            if w > width:
                *whole, word = self._pieces(word, width)
                if current:
                    lines.append(" ".join(current))
                lines.extend(whole)
                current, used = [], 0.0
                w = self.measure(word)
            extra = w if not current else used + space + w
            if current and extra > width:
                lines.append(" ".join(current))
                current, used = [word], w
            else:
                current.append(word)
                used = extra
        lines.append(" ".join(current))
        return lines

    def line(self, x: float, top: float, text: str, leading: float) -> None:
        pdf = self.pdf
        if needs_shaping(text):
            pdf.set_text_shaping(True)
            pdf.set_xy(x, top)
            pdf.cell(h=leading, text=text)
            pdf.set_text_shaping(False)
        else:
            pdf.text(x, top + leading * 0.75, text)

    def paragraph(
        self, text: str, *, indent: float = 0, centre: bool = False, leading: float = 5.5
    ) -> None:
        pdf = self.pdf
        left = pdf.l_margin + indent
        width = pdf.epw - indent
        for line in self.wrap(text, width):
            if pdf.get_y() + leading > pdf.h - pdf.b_margin:
                pdf.add_page()
            x = left + (width - self.measure(line)) / 2 if centre else left
            self.line(x, pdf.get_y(), line, leading)
            pdf.set_y(pdf.get_y() + leading)


def letters(pages: list[str], *, title: str, fonts: str = "") -> bytes:
    """Each text (the markup of admin/letters/*.txt) on its own page."""
    pdf = _document(title, fonts)
    pdf.b_margin = 15
    writer = _Writer(pdf)
    for text in pages:
        pdf.add_page()
        _letter_page(pdf, printable(text), writer)
    return bytes(pdf.output())


def _letter_page(pdf: FPDF, text: str, writer: _Writer) -> None:
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line:
            pdf.set_y(pdf.get_y() + 3)
        elif line.startswith("# "):
            pdf.set_y(pdf.get_y() + 2)
            writer.font("B", 13)
            writer.paragraph(line[2:], leading=6)
            pdf.set_y(pdf.get_y() + 2)
        elif line.startswith("* "):
            writer.font("", 11)
            writer.paragraph("- " + line[2:], indent=8)
        elif line.startswith("> "):
            writer.font("B", 11)
            writer.paragraph(line[2:], centre=True, leading=6)
        elif line.strip() == "---":
            y = pdf.get_y() + 3
            pdf.line(pdf.l_margin, y, pdf.l_margin + pdf.epw, y)
            pdf.set_y(y + 4)
        else:
            writer.font("", 11)
            writer.paragraph(line)


LIST_COLUMNS = (
    ("Nom élève", 26),
    ("Prénom élève", 24),
    ("Niveau", 30),
    ("Classe", 44),
    ("Nom", 30),
    ("Prénom", 26),
    ("Identifiant", 42),
    ("Mot de passe *", 28),
)
CELL_PADDING = 1.0
LIST_LEADING = 4.0


class _Table:
    """The list's table: each row as tall as its tallest cell, the header again on
    every page."""

    def __init__(self, pdf: FPDF, writer: _Writer):
        self.pdf = pdf
        self.writer = writer
        scale = pdf.epw / sum(w for _, w in LIST_COLUMNS)
        self.widths = [w * scale for _, w in LIST_COLUMNS]

    def _row(self, values, *, style: str, fill: bool) -> None:
        pdf, writer = self.pdf, self.writer
        writer.font(style, 8)
        cells = [
            writer.wrap(printable(value), w - 2 * CELL_PADDING)
            for value, w in zip(values, self.widths, strict=True)
        ]
        height = max(len(lines) for lines in cells) * LIST_LEADING + 2 * CELL_PADDING
        if pdf.get_y() + height > pdf.h - pdf.b_margin:
            pdf.add_page(orientation="L")
            self.header()
            writer.font(style, 8)
        top, x = pdf.get_y(), pdf.l_margin
        for lines, w in zip(cells, self.widths, strict=True):
            pdf.rect(x, top, w, height, style="DF" if fill else "D")
            for i, line in enumerate(lines):
                writer.line(x + CELL_PADDING, top + CELL_PADDING + i * LIST_LEADING, line, 4.0)
            x += w
        pdf.set_y(top + height)

    def header(self) -> None:
        self.pdf.set_fill_color(230, 230, 245)
        self._row([label for label, _ in LIST_COLUMNS], style="B", fill=True)

    def rows(self, rows) -> None:
        for row in rows:
            self._row(row, style="", fill=False)


def account_list(
    *,
    created: str,
    school_line: str,
    rows: list[tuple[str, ...]],
    footnote: str,
    fonts: str = "",
) -> bytes:
    """004 §5.4: «Date de création», «Ecole», «Liste des responsables», the table, the footnote."""
    pdf = _document("Liste des responsables", fonts)
    pdf.set_margins(12, 12, 12)
    pdf.b_margin = 12
    pdf.add_page(orientation="L")
    writer = _Writer(pdf)
    writer.font("", 10)
    for line in (f"Date de création : {created}", f"Ecole : {school_line}"):
        writer.paragraph(printable(line), leading=6)
    writer.font("B", 10)
    writer.paragraph("Liste des responsables :", leading=8)
    table = _Table(pdf, writer)
    table.header()
    table.rows(rows)
    pdf.set_y(pdf.get_y() + 3)
    writer.font("", 8)
    writer.paragraph(printable(footnote), leading=5)
    return bytes(pdf.output())
