"""Lists of the selected accounts as CSV or PDF downloads (SPEC §5 «Lists»,
004 §5.4); reached from the actions on a selection (`admin.bulk_action`)."""

from __future__ import annotations

from flask import g
from flask import make_response

from admin import services
from kernel.clock import utcnow
from kernel.extensions import db
from kernel.runtime import passwords
from kernel.runtime import settings


def download_list(selected, kind: str):
    """The list of `selected` as a `kind` ("csv" or "pdf") attachment, never cached:
    it carries temporary passwords."""
    now = utcnow()
    maker = services.list_csv if kind == "csv" else services.list_pdf
    content = maker(selected, school=g.school, director=g.director, passwords=passwords(), now=now)
    db.session.commit()
    filename = services.list_filename(settings().product, kind, now=now)
    response = make_response(content)
    response.headers["Content-Type"] = (
        "text/csv; charset=utf-8" if kind == "csv" else "application/pdf"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
