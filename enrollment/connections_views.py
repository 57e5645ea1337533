"""«Mes connexions» (issue 17): the parent's open sessions and the services each
reached, ending one, the others or all, and the new-browser email switch."""

from __future__ import annotations

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from accounts import devices
from enrollment import account_bp as bp
from enrollment import connections
from enrollment.forms import ConfirmForm
from enrollment.forms import DeviceAlertsForm
from enrollment.views import GUESS_LIMIT
from enrollment.views import refused
from idp import logout
from idp import web_session
from idp.web_session import login_required
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.extensions import limiter


@bp.get("/connexions")
@login_required
def connections_page():
    account = web_session.current_account()
    shown = connections.connections(
        account, current_id=web_session.current_login().id, now=utcnow()
    )
    alerts = DeviceAlertsForm(enabled=account.new_device_alerts)
    return render_template(
        "account/connections.html",
        connections=shown,
        others=sum(1 for connection in shown if not connection.current),
        alerts=alerts,
        has_email=account.contact_email() is not None,
    )


@bp.post("/connexions/terminer")
@login_required
@limiter.limit(GUESS_LIMIT)
def end_connections():
    """One form per button: `which` says one (with `session`), the others, or all."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".connections_page"))
    try:
        which = connections.Which(request.form.get("which", ""))
    except ValueError:
        return redirect(url_for(".connections_page"))
    account = web_session.current_account()
    now = utcnow()
    current = web_session.current_login()
    try:
        ended = connections.end(
            account,
            which,
            current_id=current.id,
            session_id=request.form.get("session"),
            now=now,
        )
    except DomainError as exc:
        flash(refused(exc), "error")
        return redirect(url_for(".connections_page"))
    if ended.current:
        web_session.sign_out(now=now, reason="ended_by_parent")
    db.session.commit()
    logout.dispatch(ended.delivery_ids)
    said = ngettext(
        "%(num)d connexion a été terminée.", "%(num)d connexions ont été terminées.", ended.count
    )
    if not ended.current:
        flash(said, "success")
        return redirect(url_for(".connections_page"))
    flash(said + " " + _("Vous êtes déconnecté de ce navigateur."), "success")
    return logout.after_sign_out(current, then=None) or redirect(url_for("idp.login"))


@bp.post("/connexions/alertes")
@login_required
def device_alerts():
    form = DeviceAlertsForm()
    if form.validate_on_submit():
        account = web_session.current_account()
        devices.set_alerts(account, bool(form.enabled.data), now=utcnow())
        db.session.commit()
        if account.new_device_alerts:
            flash(
                _("Vous serez prévenu par courriel des connexions depuis un nouveau navigateur."),
                "success",
            )
        else:
            flash(
                _("Vous ne serez plus prévenu des connexions depuis un nouveau navigateur."),
                "success",
            )
    return redirect(url_for(".connections_page"))
