"""The account page (SPEC §5 «Account page», 004 §5.2) and the lifting of a
journey's lock from it."""

from __future__ import annotations

from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _

from accounts import states
from accounts import throttle
from admin import bp
from admin import search
from admin import services
from admin.forms import CsrfOnlyForm
from admin.forms import NotifyForm
from admin.frame import school_required
from admin.frame import visible_or_404
from kernel.clock import paris_today
from kernel.clock import utcnow
from kernel.extensions import db
from kernel.runtime import passwords


@bp.get("/comptes/<int:account_id>")
@school_required
def account(account_id: int):
    target = visible_or_404(account_id)
    here, elsewhere = search.children_split(target, g.school)
    today = paris_today(utcnow())
    may_resend = states.may_resend_activation_email(target.state)
    return render_template(
        "admin/account.html",
        account=target,
        password=services.displayed_password(target, passwords(), today=today),
        email=target.contact_email(),
        mobile=target.mobile or target.registry_contact()[1],
        here=here,
        elsewhere=elsewhere,
        locks=throttle.locks_of(target),
        exclusions=search.exclusions_of(target),
        notify_form=NotifyForm(origin="account"),
        csrf_form=CsrfOnlyForm(),
        password_deadline=services.temporary_password_deadline(target, today=today),
        link_deadline=services.link_deadline(
            search.activation_link_expiry(target) if may_resend else None, today=today
        ),
        may_reset=states.may_reset_password(target.state),
        may_resend=may_resend,
        now=utcnow(),
        today=today,
        footnote=services.FOOTNOTE,
    )


@bp.post("/comptes/<int:account_id>/verrous/<int:counter_id>")
@school_required
def lift_lock(account_id: int, counter_id: int):
    target = visible_or_404(account_id)
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    if not services.lift_lock(
        target, counter_id, school=g.school, director=g.director, now=utcnow()
    ):
        abort(404)
    db.session.commit()
    flash(_("Le blocage a été levé : le responsable peut réessayer."), "success")
    return redirect(url_for("admin.account", account_id=target.id))
