"""The school's audit log (SPEC §5, last item): filtered pages and the CSV
export."""

from __future__ import annotations

from flask import g
from flask import make_response
from flask import render_template
from flask import request
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from accounts.audit_labels import action_label
from admin import auditlog
from admin import bp
from admin.forms import AuditFilterForm
from admin.frame import school_required
from kernel.clock import paris
from kernel.clock import utcnow
from kernel.runtime import settings


def _audit_filter(form: AuditFilterForm) -> auditlog.AuditFilter:
    if not form.validate():
        return auditlog.AuditFilter()
    return auditlog.AuditFilter(
        actor=form.actor.data or "",
        action=form.action.data or "",
        account=form.account.data or "",
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )


@bp.get("/journal")
@school_required
def journal():
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = [SelectChoice("", _("Toutes"))] + [
        SelectChoice(a, action_label(a)) for a in auditlog.actions_of(g.school, g.director)
    ]
    number = request.args.get("page", "1")
    number = int(number) if number.isdigit() and len(number) < 7 else 1
    events, total = auditlog.page(g.school, g.director, _audit_filter(form), number)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "admin/journal.html",
        form=form,
        events=events,
        total=total,
        number=number,
        pages=max(1, -(-total // auditlog.PAGE_SIZE)),
        args=args,
        label=action_label,
        describe=auditlog.describe,
    )


@bp.get("/journal.csv")
@school_required
def journal_csv():
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = [SelectChoice("", "")]
    content = auditlog.to_csv(g.school, g.director, _audit_filter(form))
    response = make_response(content)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"{settings().product.name}-Journal-{paris(utcnow()):%Y%m%d%H%M%S}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
