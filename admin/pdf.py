"""PDF documents of the console: letters (one page per account) and the list of
accounts (004 §5.4), printed with the shared pieces of kernel/pdf.py (DejaVu Sans,
HarfBuzz shaping, the wrapping width table); a list cell too long for its column
wraps and makes its row taller: nothing is ever cut.
"""

from __future__ import annotations

from fpdf import FPDF

from kernel.pdf import Writer
from kernel.pdf import document
from kernel.pdf import printable


def letters(pages: list[str], *, title: str, fonts: str = "") -> bytes:
    """Each text (the markup of admin/letters/*.txt) on its own page."""
    pdf = document(title, fonts)
    pdf.b_margin = 15
    writer = Writer(pdf)
    for text in pages:
        pdf.add_page()
        _letter_page(pdf, printable(text), writer)
    return bytes(pdf.output())


def _letter_page(pdf: FPDF, text: str, writer: Writer) -> None:
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

    def __init__(self, pdf: FPDF, writer: Writer):
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
    pdf = document("Liste des responsables", fonts)
    pdf.set_margins(12, 12, 12)
    pdf.b_margin = 12
    pdf.add_page(orientation="L")
    writer = Writer(pdf)
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
