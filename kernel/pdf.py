"""PDF documents with fpdf2, the pieces every area prints with (the console's letters
and lists, admin/pdf.py; the parent's «Mes données», enrollment/personal_data_pdf.py).

Every name the registry can hold prints as written (SPEC §5 «Letters and lists»):
the text is in Unicode normal form C, set in DejaVu Sans (a TrueType font covering
Latin, Greek, Cyrillic, Vietnamese, Arabic, «Œ»…) embedded in the file, and a line
that needs text shaping (combining marks that have no precomposed form, right-to-left
scripts) is shaped by HarfBuzz, with the Unicode bidirectional algorithm of fpdf2.
The font comes from the system's `fonts-dejavu-core` (installed by `.ci/run` and the
Dockerfile) or from `PDF_FONT_DIR`.

Lines are wrapped here with a width table of the font (fpdf2's own `multi_cell`
costs ~35 ms a page); a word longer than the line is broken: nothing is ever cut.
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


def document(title: str, fonts: str) -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    folder = font_dir(fonts)
    for style, name in FONT_FILES.items():
        pdf.add_font(FONT, style, str(folder / name))
    pdf.set_title(title)
    pdf.set_creator("Guichet")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(20, 18, 20)
    return pdf


class Writer:
    """Measures, wraps and places lines of text (`FPDF.text`, or a shaped `cell`)."""

    def __init__(self, pdf: FPDF, *, direction: str = "ltr"):
        self.pdf = pdf
        # "rtl": every line set from the right margin, as one right-to-left
        # paragraph (Arabic), shaped by HarfBuzz.
        self.direction = direction
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
        """Widths are cached per font by character and by word: letters repeat words.
        Right-to-left words are measured as HarfBuzz will set them (joined Arabic
        letters are narrower than the sum of their isolated forms)."""
        width = self.width_of.get(text)
        if width is None:
            if self.direction == "rtl" and needs_shaping(text):
                width = self._shaped_width(text)
            else:
                width = sum(self.char_width(ch) for ch in text)
            self.width_of[text] = width
        return width

    def _shaped_width(self, text: str) -> float:
        self.pdf.set_text_shaping(True, direction="rtl")
        try:
            return self.pdf.get_string_width(text)
        finally:
            self.pdf.set_text_shaping(False)

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

    def line(self, x: float, top: float, text: str, leading: float, width: float = 0) -> None:
        pdf = self.pdf
        if self.direction == "rtl":
            pdf.set_text_shaping(True, direction="rtl")
            pdf.set_xy(x, top)
            pdf.cell(w=width or pdf.epw, h=leading, text=text, align="R")
            pdf.set_text_shaping(False)
        elif needs_shaping(text):
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
        rtl = self.direction == "rtl"
        left = pdf.l_margin + (0 if rtl else indent)
        width = pdf.epw - indent
        for line in self.wrap(text, width):
            if pdf.get_y() + leading > pdf.h - pdf.b_margin:
                pdf.add_page()
            x = left + (width - self.measure(line)) / 2 if centre and not rtl else left
            self.line(x, pdf.get_y(), line, leading, width)
            pdf.set_y(pdf.get_y() + leading)
