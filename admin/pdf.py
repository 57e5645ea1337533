"""PDF documents of the console with fpdf2: letters (one page per account) and the
list of accounts (004 §5.4).

The standard PDF fonts cover Latin-1, which holds French; a character outside it
(a typographic apostrophe, «œ» in a name) is spelled with its nearest Latin-1 form.
"""

from __future__ import annotations

import unicodedata

from fpdf import FPDF
from fpdf.enums import XPos
from fpdf.enums import YPos

_SPELLED = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "œ": "oe", "Œ": "OE", "…": "..."}
)
FONT = "Helvetica"


def latin1(text: str) -> str:
    text = text.translate(_SPELLED)
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        out = []
        for ch in text:
            try:
                ch.encode("latin-1")
                out.append(ch)
            except UnicodeEncodeError:
                folded = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode()
                out.append(folded or "?")
        return "".join(out)


def _document(title: str) -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(latin1(title))
    pdf.set_creator("Guichet")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(20, 18, 20)
    return pdf


def letters(pages: list[str], *, title: str) -> bytes:
    """Each text (the markup of admin/letters/*.txt) on its own page."""
    pdf = _document(title)
    writer = _Writer(pdf)
    for text in pages:
        pdf.add_page()
        _letter_page(pdf, text, writer)
    return bytes(pdf.output())


class _Writer:
    """Letters are plain paragraphs: wrap them here with the core fonts' width tables and
    place each line with `FPDF.text` (fpdf2's own `multi_cell` costs ~35 ms a page)."""

    def __init__(self, pdf: FPDF):
        self.pdf = pdf
        self.widths: dict[tuple[str, float], dict[str, float]] = {}

    def font(self, style: str, size: float) -> None:
        self.pdf.set_font(FONT, style, size)
        key = (style, size)
        if key not in self.widths:
            cw = self.pdf.current_font.cw
            scale = size / 1000 / self.pdf.k
            self.widths[key] = {chr(i): cw[chr(i)] * scale for i in range(32, 256) if chr(i) in cw}
        self.width_of = self.widths[key]
        self.size = size

    def measure(self, text: str) -> float:
        table = self.width_of
        return sum(table.get(ch, 0.5) for ch in text)

    def wrap(self, text: str, width: float) -> list[str]:
        lines, current, used = [], [], 0.0
        space = self.measure(" ")
        for word in text.split(" "):
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

    def paragraph(
        self, text: str, *, indent: float = 0, centre: bool = False, leading: float = 5.5
    ):
        pdf = self.pdf
        left = pdf.l_margin + indent
        width = pdf.epw - indent
        for line in self.wrap(text, width):
            if pdf.get_y() + leading > pdf.h - pdf.b_margin:
                pdf.add_page()
            x = left + (width - self.measure(line)) / 2 if centre else left
            pdf.text(x, pdf.get_y() + leading * 0.75, line)
            pdf.set_y(pdf.get_y() + leading)


def _letter_page(pdf: FPDF, text: str, writer: _Writer) -> None:
    for raw in text.splitlines():
        line = latin1(raw.rstrip())
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


def account_list(
    *, created: str, school_line: str, rows: list[tuple[str, ...]], footnote: str
) -> bytes:
    """004 §5.4: «Date de création», «Ecole», «Liste des responsables», the table, the footnote."""
    pdf = _document("Liste des responsables")
    pdf.set_margins(12, 12, 12)
    pdf.add_page(orientation="L")
    pdf.set_font(FONT, "", 10)
    for line in (f"Date de création : {created}", f"Ecole : {school_line}"):
        pdf.cell(0, 6, latin1(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 8, "Liste des responsables :", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    scale = pdf.epw / sum(w for _, w in LIST_COLUMNS)
    widths = [w * scale for _, w in LIST_COLUMNS]

    def header():
        pdf.set_font(FONT, "B", 8)
        pdf.set_fill_color(230, 230, 245)
        for (label, _), w in zip(LIST_COLUMNS, widths, strict=True):
            pdf.cell(w, 7, latin1(label), border=1, fill=True)
        pdf.ln()
        pdf.set_font(FONT, "", 8)

    header()
    for row in rows:
        if pdf.get_y() > pdf.h - pdf.b_margin - 14:
            pdf.add_page(orientation="L")
            header()
        for value, w in zip(row, widths, strict=True):
            text = latin1(value)
            while text and pdf.get_string_width(text) > w - 2:
                text = text[:-1]
            pdf.cell(w, 6, text, border=1)
        pdf.ln()
    pdf.ln(3)
    pdf.set_font(FONT, "I", 8)
    pdf.multi_cell(0, 5, latin1(footnote), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
