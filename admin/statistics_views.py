"""The statistics page (SPEC §5 «Statistics», 004 §6): the figures stored by
the nightly computation, and «Calculer les statistiques» on demand."""

from __future__ import annotations

from flask import abort
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from accounts import audit
from admin import bp
from admin import stats
from admin.forms import CsrfOnlyForm
from admin.frame import school_required
from kernel.clock import utcnow
from kernel.extensions import db


@bp.route("/statistiques", methods=["GET", "POST"])
@school_required
def statistics():
    form = CsrfOnlyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        now = utcnow()
        stats.compute(now=now, school_ids=[g.school.id])
        audit.record(
            "statistics.computed",
            actor=audit.director_actor(g.director),
            now=now,
            school_id=g.school.id,
        )
        db.session.commit()
        return redirect(url_for("admin.statistics"))
    return render_template(
        "admin/statistics.html", form=form, row=stats.of_school(g.school), stats=stats
    )
