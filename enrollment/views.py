"""Activation pages (SPEC §6.2): the steps between a temporary password typed at
`idp.login` and an open session — new password, email, birth date, the
activation email and its link — and the forced password change after a reset."""

from __future__ import annotations

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _

from accounts import activation_email
from accounts import email_links
from accounts.models import AccountState
from enrollment import bp
from enrollment import services
from enrollment.forms import ActivationForm
from enrollment.forms import ChoosePasswordForm
from enrollment.forms import ConfirmForm
from enrollment.forms import ResendActivationForm
from idp import web_session
from kernel import runtime
from kernel.clock import paris
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.extensions import limiter
from messaging.delivery import latest_outcome
from messaging.delivery import outcome
from messaging.models import Channel

# Flask-Limiter, per client address, on every page that checks a guessable secret or sends.
GUESS_LIMIT = "20 per hour"
SEND_LIMIT = "10 per hour"


@bp.app_template_filter("paris_datetime")
def paris_datetime(moment) -> str:
    local = paris(moment)
    return _("%(day)s à %(time)s", day=local.strftime("%d/%m/%Y"), time=local.strftime("%H:%M"))


def refused(error: DomainError) -> str:
    """Keep what a refusal counted (throttles) and give its French message to the page.

    Services check everything before changing anything, so committing here only
    keeps the attempt counters."""
    db.session.commit()
    return str(error.message)


def finish_journey(account, data: dict, *, now, amr: list[str]):
    """A pending journey completes: open the session and go where the parent was going."""
    web_session.end_pending()
    web_session.sign_in(account, now=now, amr=amr)
    db.session.commit()
    return redirect(web_session.safe_next(data.get("next"), url_for("account.home")))


def journey_expired():
    return render_template("enrollment/expired.html"), 400


@bp.route("/activation", methods=["GET", "POST"])
@limiter.limit(GUESS_LIMIT, methods=["POST"])
def activate():
    now = utcnow()
    found = web_session.pending("activation", now=now)
    if found is None:
        return journey_expired()
    account, data = found
    form = ActivationForm()
    if request.method == "GET":
        form.email.data = account.email or account.registry_contact()[0]
    error = None
    if form.validate_on_submit():
        try:
            services.activate_with_temporary_password(
                account,
                password=form.password.data,
                email=form.email.normalised,
                birth_date=form.birth_date.data,
                now=now,
                passwords=runtime.passwords(),
                rules=runtime.settings().accounts,
            )
        except DomainError as exc:
            error = refused(exc)
        else:
            db.session.commit()
            web_session.begin_pending("awaiting_email", account, now=now, next=data.get("next"))
            return redirect(url_for(".awaiting_email"))
    return render_template(
        "enrollment/activate.html",
        form=form,
        account=account,
        child=services.named_child(account),
        error=error,
    )


@bp.route("/activation/courriel", methods=["GET", "POST"])
@limiter.limit(SEND_LIMIT, methods=["POST"])
def awaiting_email():
    """En cours d'activation: the activation email awaits; resend it, to another address
    if need be (003: «connectez-vous à nouveau pour modifier votre adresse»)."""
    now = utcnow()
    found = web_session.pending("awaiting_email", now=now)
    if found is None:
        return journey_expired()
    account, data = found
    if account.state != AccountState.ACTIVATING:
        return journey_expired()
    form = ResendActivationForm()
    if request.method == "GET":
        form.email.data = account.email
    error = None
    if form.validate_on_submit():
        try:
            message = activation_email.send_activation_email(
                account, form.email.normalised, now=now
            )
        except DomainError as exc:
            error = refused(exc)
        else:
            db.session.commit()
            if outcome(message).sent:
                said = _("Le courriel d'activation a été renvoyé à %(email)s.", email=account.email)
            else:
                said = _(
                    "Le courriel d'activation est en cours d'envoi à %(email)s : il peut mettre "
                    "quelques minutes à arriver.",
                    email=account.email,
                )
            flash(said, "success")
            return redirect(url_for(".awaiting_email"))
    sent = latest_outcome(Channel.EMAIL, account.email or "", template="C07")
    return render_template(
        "enrollment/awaiting_email.html",
        form=form,
        account=account,
        error=error,
        email_sent=sent is not None and sent.sent,
    )


@bp.route("/activation/valider/<token>", methods=["GET", "POST"])
@limiter.limit(GUESS_LIMIT)
def confirm_email(token: str):
    """The link of C07. Opening it shows a button; only the POST uses the link, so a
    mail client that fetches links ahead does not spend it."""
    now = utcnow()
    form = ConfirmForm()
    try:
        link = email_links.peek(token, email_links.ACTIVATION, now=now)
        if request.method == "POST" and form.validate_on_submit():
            account = services.confirm_activation_link(token, now=now)
            db.session.commit()
            found = web_session.pending("awaiting_email", now=now)
            if found is not None and found[0].id == account.id:
                flash(_("Votre compte est activé."), "success")
                return finish_journey(account, found[1], now=now, amr=["pwd"])
            return render_template("enrollment/activated.html", account=account)
    except DomainError as exc:
        return render_template("enrollment/link_invalid.html", error=exc.message), 400
    return render_template("enrollment/confirm_email.html", form=form, link=link)


@bp.route("/mot-de-passe/nouveau", methods=["GET", "POST"])
@limiter.limit(GUESS_LIMIT, methods=["POST"])
def choose_password():
    """A temporary password after a reset (En cours or Activé): the parent's own one now."""
    now = utcnow()
    found = web_session.pending("change_password", now=now)
    if found is None:
        return journey_expired()
    account, data = found
    form = ChoosePasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            services.choose_new_password(
                account, form.password.data, now=now, passwords=runtime.passwords()
            )
        except DomainError as exc:
            error = refused(exc)
        else:
            db.session.commit()
            flash(_("Votre mot de passe a été modifié avec succès."), "success")
            if account.state == AccountState.ACTIVATING:
                web_session.begin_pending("awaiting_email", account, now=now, next=data.get("next"))
                return redirect(url_for(".awaiting_email"))
            return finish_journey(account, data, now=now, amr=["pwd"])
    return render_template("enrollment/choose_password.html", form=form, error=error)
