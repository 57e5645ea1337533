"""«Identifiant perdu» and «Mot de passe perdu» pages (SPEC §6.5): the same answer
for every request; the outcome of a sending is never shown here."""

from __future__ import annotations

import time

from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

from accounts import email_links
from enrollment import bp
from enrollment import recovery
from enrollment.forms import CodeForm
from enrollment.forms import LostIdentifierEmailForm
from enrollment.forms import LostIdentifierSmsForm
from enrollment.forms import LostPasswordForm
from enrollment.forms import NewPasswordForm
from enrollment.views import GUESS_LIMIT
from enrollment.views import SEND_LIMIT
from enrollment.views import refused
from kernel import runtime
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.extensions import limiter

CODE_KEY = "lost_password"
PER_IDENTIFIER_LIMIT = "5 per hour"


# Every answer of these pages takes at least this long, so that the work done for a
# known contact (composing, and without a job queue sending) does not show in the
# timing. Slower sending (a remote SMTP relay with no queue) can exceed it: production
# runs with REDIS_URL, where the messages are queued (docs/enrollment.md).
def _answer_no_sooner_than(started: float) -> None:
    floor = runtime.settings().accounts.recovery_min_seconds
    remaining = started + floor - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)


def _typed_identifier() -> str:
    return "lost-password:" + (request.form.get("identifier") or "").strip().lower()


@bp.route("/identifiant-perdu", methods=["GET", "POST"])
@limiter.limit(SEND_LIMIT, methods=["POST"])
def lost_identifier():
    mode = request.args.get("mode")
    if mode not in ("email", "sms"):
        return render_template("enrollment/lost_identifier_choice.html")
    form = LostIdentifierEmailForm() if mode == "email" else LostIdentifierSmsForm()
    if form.validate_on_submit():
        started, now = time.monotonic(), utcnow()
        if mode == "email":
            recovery.send_identifiers_by_email(form.email.normalised, now=now)
        else:
            recovery.send_identifiers_by_sms(form.mobile_e164, now=now)
        db.session.commit()
        _answer_no_sooner_than(started)
        return render_template("enrollment/lost_identifier_sent.html", mode=mode)
    return render_template("enrollment/lost_identifier.html", form=form, mode=mode)


@bp.route("/mot-de-passe-perdu", methods=["GET", "POST"])
@limiter.limit(SEND_LIMIT, methods=["POST"])
@limiter.limit(PER_IDENTIFIER_LIMIT, methods=["POST"], key_func=_typed_identifier)
def lost_password():
    form = LostPasswordForm()
    if form.validate_on_submit():
        started, now = time.monotonic(), utcnow()
        settings = runtime.settings()
        if form.mode.data == "email":
            recovery.request_reset_by_email(form.identifier.data, form.email.normalised, now=now)
            db.session.commit()
            _answer_no_sooner_than(started)
            return render_template("enrollment/lost_password_sent.html")
        session[CODE_KEY] = recovery.request_reset_by_sms(
            form.identifier.data, now=now, secret=settings.secret_key, product=settings.product.name
        )
        db.session.commit()
        _answer_no_sooner_than(started)
        return redirect(url_for(".lost_password_code"))
    return render_template("enrollment/lost_password.html", form=form)


@bp.route("/mot-de-passe-perdu/code", methods=["GET", "POST"])
@limiter.limit(GUESS_LIMIT, methods=["POST"])
def lost_password_code():
    if not session.get(CODE_KEY):
        return redirect(url_for(".lost_password"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            recovery.verify_reset_code(
                session[CODE_KEY],
                form.code.data,
                now=utcnow(),
                secret=runtime.settings().secret_key,
            )
        except DomainError as exc:
            return render_template("enrollment/lost_password_failure.html", error=refused(exc)), 400
        db.session.commit()
        return redirect(url_for(".lost_password_new"))
    return render_template("enrollment/lost_password_code.html", form=form)


@bp.route("/mot-de-passe-perdu/nouveau", methods=["GET", "POST"])
@limiter.limit(GUESS_LIMIT, methods=["POST"])
def lost_password_new():
    now = utcnow()
    account = recovery.account_for_code_step(session.get(CODE_KEY), now=now)
    if account is None:
        return render_template("enrollment/expired.html"), 400
    form = NewPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            recovery.set_new_password(
                account, form.password.data, now=now, passwords=runtime.passwords(), via="sms"
            )
        except DomainError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            recovery.finish_code_step(session.pop(CODE_KEY))
            db.session.commit()
            return render_template("enrollment/password_reset_done.html")
    return render_template(
        "enrollment/new_password.html",
        form=form,
        error=error,
        action=url_for(".lost_password_new"),
    )


@bp.route("/mot-de-passe-perdu/lien/<token>", methods=["GET", "POST"])
@limiter.limit(GUESS_LIMIT)
def reset_password(token: str):
    now = utcnow()
    try:
        email_links.peek(token, email_links.PASSWORD_RESET, now=now)
    except DomainError as exc:
        return render_template("enrollment/link_invalid.html", error=exc.message), 400
    form = NewPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            recovery.reset_with_link(
                token, form.password.data, now=now, passwords=runtime.passwords()
            )
        except DomainError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            db.session.commit()
            return render_template("enrollment/password_reset_done.html")
    return render_template(
        "enrollment/new_password.html",
        form=form,
        error=error,
        action=url_for(".reset_password", token=token),
    )
