"""kernel/pdf.py's line wrapping: every line within its width, as full as it can be,
in right-to-left Arabic as in Latin (issue 17: «Mes données» in Arabic)."""

from __future__ import annotations

import pytest

from kernel import pdf

ARABIC = (
    "يمكنك تنزيل كل ما يحتفظ به غيشيه عنك: الحساب وبيانات الاتصال والأطفال والمدارس "
    "كما يقدمها السجل والموافقات مع إصداراتها وتواريخها والخدمات التي وصلت إليها "
    "وسجل تسجيلات الدخول والجلسات والرسائل المرسلة ويوميات العمليات المتعلقة بالحساب"
)
LATIN = (
    "Vous pouvez télécharger tout ce que Guichet conserve à votre sujet : le compte, "
    "les coordonnées, les enfants et les écoles tels que le registre les donne, les "
    "consentements avec leurs versions et leurs dates, les services utilisés"
)


def set_width(document, text: str, direction: str) -> float:
    """The width fpdf2 gives the line as it prints it (shaped when right to left)."""
    if direction == "rtl":
        document.set_text_shaping(True, direction="rtl")
    try:
        return document.get_string_width(text)
    finally:
        document.set_text_shaping(False)


@pytest.mark.parametrize(("text", "direction"), [(ARABIC, "rtl"), (LATIN, "ltr")])
def test_lines_fit_their_width_and_are_full(text, direction):
    document = pdf.document("Essai", "")
    document.add_page()
    writer = pdf.Writer(document, direction=direction)
    writer.font("", 10)
    width = 70.0
    lines = writer.wrap(text, width)
    assert " ".join(lines) == text and len(lines) > 3
    for line, following in zip(lines, lines[1:], strict=False):
        assert set_width(document, line, direction) <= width, line
        # the next line's first word would not have fitted on this one
        longer = line + " " + following.split(" ")[0]
        assert set_width(document, longer, direction) > width, longer
