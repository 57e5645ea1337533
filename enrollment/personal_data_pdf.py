"""«Mes données» as a PDF (issue 17, GDPR art. 15): the readable page's contents in a
file to keep or print, in the language the parent reads (French, English, or Arabic
set right to left), printed with the shared pieces of kernel/pdf.py (DejaVu Sans,
which covers Arabic, shaped by HarfBuzz with fpdf2's bidirectional algorithm).

Each section is a heading and, per row, one «label : value» line per field: a
list that wraps on a phone's screen or an A4 page alike, where a wide table would not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Mapping

from flask_babel import gettext as _

from enrollment.personal_data import Section
from kernel import pdf
from kernel.pdf import printable

HEADING_GAP = 3.0
ROW_GAP = 2.0


def value_text(value, *, moment: Callable[[dt.datetime], str]) -> str:
    """A value as the readable page shows it (dates of Paris, Oui/Non, «Non renseigné»)."""
    if value is None or value == "":
        return _("Non renseigné")
    if value is True:
        return _("Oui")
    if value is False:
        return _("Non")
    if isinstance(value, dt.datetime):
        return moment(value)
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def render(
    sections: list[Section],
    *,
    title: str,
    introduction: str,
    labels: Mapping[str, object],
    moment: Callable[[dt.datetime], str],
    direction: str = "ltr",
    fonts: str = "",
) -> bytes:
    """The PDF's bytes: the title, the introduction, then every section."""
    document = pdf.document(title, fonts)
    document.set_auto_page_break(auto=False)
    document.b_margin = 18
    document.add_page()
    writer = pdf.Writer(document, direction=direction)
    writer.font("B", 15)
    writer.paragraph(printable(title), leading=7)
    document.set_y(document.get_y() + 2)
    writer.font("", 9)
    writer.paragraph(printable(introduction), leading=4.5)
    for section in sections:
        document.set_y(document.get_y() + HEADING_GAP)
        writer.font("B", 12)
        writer.paragraph(printable(section.title), leading=6.5)
        writer.font("", 10)
        if not section.rows:
            writer.paragraph(_("Aucune donnée."), leading=5)
            continue
        for number, row in enumerate(section.rows):
            if number:
                _rule(document)
            for key, value in row.items():
                label = str(labels.get(key, key))
                line = _(
                    "%(label)s : %(value)s", label=label, value=value_text(value, moment=moment)
                )
                writer.paragraph(printable(line), leading=5)
    return bytes(document.output())


def _rule(document) -> None:
    y = document.get_y() + ROW_GAP / 2
    if y + ROW_GAP < document.h - document.b_margin:
        document.set_draw_color(200, 200, 200)
        document.line(document.l_margin, y, document.l_margin + document.epw, y)
    document.set_y(y + ROW_GAP / 2)
