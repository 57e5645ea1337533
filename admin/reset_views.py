"""Password resets and the resend of the activation email (SPEC §5 «Reset
passwords», «Resend activation email», 004 §5.5–§5.6)."""

from __future__ import annotations

from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _

from accounts import states
from admin import bp
from admin import search
from admin import services
from admin.forms import ConfirmForm
from admin.forms import CsrfOnlyForm
from admin.forms import ResendForm
from admin.frame import back_with_error
from admin.frame import school_required
from admin.frame import selected_ids
from admin.frame import visible_or_404
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.runtime import passwords
from messaging.delivery import outcome


@bp.post("/comptes/<int:account_id>/reinitialiser")
@school_required
def account_reset(account_id: int):
    target = visible_or_404(account_id)
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    if not states.may_reset_password(target.state):
        abort(404)
    return render_template(
        "admin/confirm_reset.html", accounts=[target], form=ConfirmForm(origin="account")
    )


@bp.post("/responsables/reinitialiser")
@school_required
def reset():
    """The confirmed password reset (004 §5.5)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    selected = search.visible_accounts(g.school, selected_ids())
    if not selected:
        return back_with_error(services.NothingSelected.message)
    done, refused = services.reset_passwords(
        selected, school=g.school, director=g.director, passwords=passwords(), now=utcnow()
    )
    db.session.commit()
    single = form.origin.data == "account"
    if single and done:
        # 004 §5.5.3: the new password is shown at once, on the account's page.
        flash(_("Le mot de passe a bien été réinitialisé."), "success")
        return redirect(url_for("admin.account", account_id=done[0].id))
    return render_template(
        "admin/reset_done.html",
        done=done,
        refused=refused,
        single=single,
        account=selected[0] if single else None,
    )


@bp.route("/comptes/<int:account_id>/courriel-activation", methods=["GET", "POST"])
@school_required
def resend_activation(account_id: int):
    target = visible_or_404(account_id)
    if not states.may_resend_activation_email(target.state):
        abort(404)
    form = ResendForm()
    error = None
    if request.method == "GET":
        form.email.data = target.email or target.contact_email() or ""
    elif form.validate_on_submit():
        try:
            message = services.resend_activation_email(
                target, form.email.data, school=g.school, director=g.director, now=utcnow()
            )
        except DomainError as refusal:
            db.session.rollback()
            error = refusal.message
        else:
            db.session.commit()
            if outcome(message).sent:
                flash(_("Le mail a été renvoyé."), "success")
            else:
                flash(
                    _("Le mail est en cours d'envoi : il partira dans quelques minutes."), "success"
                )
            return redirect(url_for("admin.account", account_id=target.id))
    return render_template("admin/resend.html", account=target, form=form, error=error)
