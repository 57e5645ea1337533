"""The parent's account page (SPEC §6.6, §6.7; issue 5 journeys 4–5): children,
contact data and its changes, password change, merging another account."""

from __future__ import annotations

import datetime as dt

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _

from accounts import email_links
from accounts.models import Account
from accounts.sms_codes import SmsChallenge
from accounts.sms_delivery import send_sms_code
from accounts.sms_delivery import sms_delivery_problem
from enrollment import account_bp as bp
from enrollment import merge as merging
from enrollment import profile
from enrollment.forms import ChangeEmailForm
from enrollment.forms import ChangeMobileForm
from enrollment.forms import ChangePasswordForm
from enrollment.forms import CodeForm
from enrollment.forms import ConfirmForm
from enrollment.forms import MergeSearchForm
from enrollment.views import GUESS_LIMIT
from enrollment.views import SEND_LIMIT
from enrollment.views import refused
from idp import web_session
from idp.web_session import login_required
from kernel import runtime
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.extensions import limiter
from kernel.web import account_sections
from messaging.delivery import outcome

MOBILE_KEY = "mobile_change"
MERGE_KEY = "merge"
MERGE_LIFETIME = dt.timedelta(minutes=10)


@bp.get("")
@login_required
def home():
    account = web_session.current_account()
    return render_template(
        "account/home.html",
        account=account,
        children=account.children(),
        pending_email=profile.pending_email(account, now=utcnow()),
        sections=account_sections(),
    )


@bp.route("/adresse", methods=["GET", "POST"])
@login_required
@limiter.limit(SEND_LIMIT, methods=["POST"])
def change_email():
    account = web_session.current_account()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        composed = profile.request_email_change(account, form.email.normalised, now=utcnow())
        db.session.commit()
        if all(outcome(message).sent for message in composed):
            said = _(
                "Deux courriels ont été envoyés : un à votre ancienne adresse et un à la "
                "nouvelle. Cliquez sur le lien reçu à la nouvelle adresse pour la confirmer."
            )
        else:
            said = _(
                "Deux courriels sont en cours d'envoi, un à votre ancienne adresse et un à la "
                "nouvelle : ils peuvent mettre quelques minutes à arriver. Cliquez sur le lien "
                "reçu à la nouvelle adresse pour la confirmer."
            )
        flash(said, "success")
        return redirect(url_for(".home"))
    return render_template(
        "account/change_email.html",
        form=form,
        pending=profile.pending_email(account, now=utcnow()),
    )


@bp.post("/adresse/renvoyer")
@login_required
@limiter.limit(SEND_LIMIT)
def resend_email():
    account = web_session.current_account()
    if ConfirmForm().validate_on_submit():
        try:
            message = profile.resend_email_change(account, now=utcnow())
        except DomainError as exc:
            flash(refused(exc), "error")
        else:
            db.session.commit()
            address = message.recipient
            if outcome(message).sent:
                flash(
                    _("Un email de validation a été renvoyé à %(email)s.", email=address), "success"
                )
            else:
                flash(
                    _(
                        "Un email de validation est en cours d'envoi à %(email)s : il peut "
                        "mettre quelques minutes à arriver.",
                        email=address,
                    ),
                    "success",
                )
    return redirect(url_for(".home"))


@bp.route("/adresse/valider/<token>", methods=["GET", "POST"])
@limiter.limit(GUESS_LIMIT)
def confirm_email(token: str):
    """003: the link opens a page whose «Envoyer» button confirms the new address."""
    now = utcnow()
    form = ConfirmForm()
    try:
        link = email_links.peek(token, email_links.EMAIL_CHANGE, now=now)
        if request.method == "POST" and form.validate_on_submit():
            profile.confirm_email_change(token, now=now)
            db.session.commit()
            return render_template("account/email_confirmed.html", email=link.email)
    except DomainError as exc:
        return render_template("enrollment/link_invalid.html", error=exc.message), 400
    return render_template("account/confirm_email.html", form=form, link=link)


@bp.route("/mobile", methods=["GET", "POST"])
@login_required
@limiter.limit(SEND_LIMIT, methods=["POST"])
def change_mobile():
    account = web_session.current_account()
    form = ChangeMobileForm()
    if form.validate_on_submit():
        now = utcnow()
        challenge = send_sms_code(
            form.mobile,
            lambda: profile.send_mobile_code(
                account,
                form.mobile_e164,
                now=now,
                secret=runtime.settings().secret_key,
                previous=None,
            ),
            now=now,
        )
        if challenge is not None:
            session[MOBILE_KEY] = challenge.id
            return redirect(url_for(".mobile_code"))
    return render_template("account/change_mobile.html", form=form)


@bp.route("/mobile/code", methods=["GET", "POST"])
@login_required
@limiter.limit(GUESS_LIMIT, methods=["POST"])
def mobile_code():
    account = web_session.current_account()
    challenge_id = session.get(MOBILE_KEY)
    if not challenge_id:
        return redirect(url_for(".change_mobile"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            mobile = profile.confirm_mobile(
                account,
                challenge_id,
                form.code.data,
                now=utcnow(),
                secret=runtime.settings().secret_key,
            )
        except DomainError as exc:
            error = refused(exc)
        else:
            db.session.commit()
            session.pop(MOBILE_KEY, None)
            flash(_("Votre numéro de téléphone mobile est modifié : %(mobile)s.", mobile=mobile))
            return redirect(url_for(".home"))
    return render_template("account/mobile_code.html", form=form, error=error)


@bp.post("/mobile/renvoyer")
@login_required
@limiter.limit(SEND_LIMIT)
def resend_mobile_code():
    """«Je n'ai pas reçu de code de vérification par SMS»: a new code, after a delay."""
    account = web_session.current_account()
    previous = session.get(MOBILE_KEY)
    earlier = db.session.get(SmsChallenge, previous) if previous else None
    if earlier is None or not ConfirmForm().validate_on_submit():
        return redirect(url_for(".change_mobile"))
    now = utcnow()
    try:
        challenge = profile.send_mobile_code(
            account,
            earlier.mobile,
            now=now,
            secret=runtime.settings().secret_key,
            previous=previous,
        )
    except DomainError as exc:
        flash(refused(exc), "error")
        return redirect(url_for(".mobile_code"))
    db.session.commit()
    problem = sms_delivery_problem(challenge, now=now)
    if problem:
        flash(problem, "error")
        return redirect(url_for(".change_mobile"))
    session[MOBILE_KEY] = challenge.id
    flash(_("Un nouveau code vous est envoyé par SMS."), "success")
    return redirect(url_for(".mobile_code"))


@bp.route("/mot-de-passe", methods=["GET", "POST"])
@login_required
@limiter.limit(GUESS_LIMIT, methods=["POST"])
def change_password():
    account = web_session.current_account()
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            profile.change_password(
                account,
                form.current.data,
                form.password.data,
                now=utcnow(),
                passwords=runtime.passwords(),
                keep_session=web_session.current_login().id,
            )
        except DomainError as exc:
            error = refused(exc)
        else:
            db.session.commit()
            flash(_("Votre mot de passe a été modifié avec succès."), "success")
            return redirect(url_for(".home"))
    return render_template("account/change_password.html", form=form, error=error)


@bp.route("/enfants/ajouter", methods=["GET", "POST"])
@login_required
@limiter.limit(GUESS_LIMIT, methods=["POST"])
def merge():
    """Step 1 of 002: «Recherchez le compte» (identifier and password of the other one)."""
    account = web_session.current_account()
    form = MergeSearchForm()
    error = None
    if form.validate_on_submit():
        now = utcnow()
        try:
            other = merging.find_other(
                account,
                form.identifier.data,
                form.password.data,
                now=now,
                passwords=runtime.passwords(),
                rules=runtime.settings().accounts,
            )
        except DomainError as exc:
            error = refused(exc)
        else:
            db.session.commit()
            session[MERGE_KEY] = {
                "keep": account.id,
                "other": other.id,
                "expires": (now + MERGE_LIFETIME).isoformat(),
            }
            return redirect(url_for(".merge_confirm"))
    return render_template("account/merge.html", form=form, error=error)


@bp.route("/enfants/ajouter/confirmer", methods=["GET", "POST"])
@login_required
def merge_confirm():
    """Step 2 of 002: the other account's children, «Je ne suis pas le représentant
    légal de cet élève» for each, and «Ajouter»."""
    account = web_session.current_account()
    now = utcnow()
    other = _merge_candidate(account, now=now)
    if other is None:
        flash(_("La recherche du compte a expiré : recommencez."), "error")
        return redirect(url_for(".merge"))
    pupils = other.children()
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        not_mine = {int(v) for v in request.form.getlist("not_mine") if v.isdigit()}
        try:
            gained = merging.merge_into(account, other, not_mine=not_mine, now=now)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            session.pop(MERGE_KEY, None)
            if gained:
                names = ", ".join(f"{p.first_name} {p.last_name}" for p in gained)
                flash(_("Enfant(s) ajouté(s) à votre compte : %(names)s.", names=names), "success")
            else:
                flash(
                    _(
                        "Le compte %(identifier)s a été regroupé avec le vôtre.",
                        identifier=other.identifier,
                    ),
                    "success",
                )
            if not_mine:
                flash(
                    _(
                        "« Ce n'est pas mon enfant » : l'élève signalé n'a pas été ajouté. "
                        "Contactez l'école de votre enfant pour leur signaler et leur demander "
                        "de rectifier les données."
                    ),
                    "info",
                )
            return redirect(url_for(".home"))
    return render_template(
        "account/merge_confirm.html", form=form, other=other, pupils=pupils, error=error
    )


def _merge_candidate(account, *, now) -> Account | None:
    data = session.get(MERGE_KEY)
    if not data or data.get("keep") != account.id:
        return None
    if now > dt.datetime.fromisoformat(data["expires"]):
        session.pop(MERGE_KEY, None)
        return None
    other = db.session.get(Account, data["other"])
    return other if other is not None and not other.is_deleted else None
