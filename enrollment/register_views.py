"""Self-registration pages (SPEC §6.3): «Je n'ai pas encore d'identifiant»."""

from __future__ import annotations

from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _

from accounts import claiming
from accounts import throttle
from accounts.sms_delivery import send_sms_code
from enrollment import bp
from enrollment import registration
from enrollment.forms import CodeForm
from enrollment.forms import ConfirmForm
from enrollment.forms import RegisterForm
from enrollment.forms import RegistrationPasswordForm
from enrollment.forms import parse_date
from enrollment.views import GUESS_LIMIT
from enrollment.views import SEND_LIMIT
from enrollment.views import refused
from idp import web_session
from kernel import runtime
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.extensions import limiter

JOURNEY_KEY = "registration"
TYPED_KEY = "registration_typed"


@bp.route("/inscription", methods=["GET", "POST"])
@limiter.limit(SEND_LIMIT, methods=["POST"])
def register():
    form = RegisterForm(data=session.get(TYPED_KEY) if request.method == "GET" else None)
    if form.validate_on_submit():
        now = utcnow()
        settings = runtime.settings()
        session[TYPED_KEY] = {
            "last_name": form.last_name.data,
            "first_name": form.first_name.data,
            "region": form.region.data,
            "mobile": form.mobile.data,
        }
        challenge = send_sms_code(
            form.mobile,
            lambda: registration.start(
                form.last_name.data,
                form.first_name.data,
                form.mobile_e164,
                now=now,
                secret=settings.secret_key,
                product=settings.product.name,
            ),
            now=now,
        )
        if challenge is not None:
            session[JOURNEY_KEY] = challenge.id
            return redirect(url_for(".register_code"))
    return render_template("enrollment/register.html", form=form)


@bp.route("/inscription/code", methods=["GET", "POST"])
@limiter.limit(GUESS_LIMIT, methods=["POST"])
def register_code():
    challenge_id = session.get(JOURNEY_KEY)
    if not challenge_id:
        return redirect(url_for(".register"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            registration.verify(
                challenge_id, form.code.data, now=utcnow(), secret=runtime.settings().secret_key
            )
        except DomainError as exc:
            return _failure(refused(exc))
        db.session.commit()
        return redirect(url_for(".register_children"))
    return render_template("enrollment/register_code.html", form=form)


@bp.route("/inscription/enfants", methods=["GET", "POST"])
@limiter.limit(GUESS_LIMIT, methods=["POST"])
def register_children():
    now = utcnow()
    try:
        journey = registration.resume(session.get(JOURNEY_KEY), stage="children", now=now)
    except DomainError as exc:
        return _failure(exc.message)
    pupils = [child.pupil for child in journey.children_to_confirm()]
    form = ConfirmForm()
    errors: dict[int, str] = {}
    error = None
    if form.validate_on_submit():
        answers = _children_answers(pupils, errors)
        if not errors:
            try:
                registration.confirm_children(journey, answers, now=now)
            except claiming.ChildMismatch as exc:
                errors[exc.pupil.id] = refused(exc)
            except (throttle.TooManyAttempts, throttle.JourneyLocked) as exc:
                error = refused(exc)
            except DomainError as exc:
                return _failure(refused(exc))
            else:
                if journey.needs_password:
                    db.session.commit()
                    return redirect(url_for(".register_password"))
                return _complete_without_password(journey, now=now)
    return render_template(
        "enrollment/register_children.html",
        form=form,
        pupils=pupils,
        errors=errors,
        error=error,
        values=request.form,
    )


@bp.route("/inscription/mot-de-passe", methods=["GET", "POST"])
@limiter.limit(GUESS_LIMIT, methods=["POST"])
def register_password():
    now = utcnow()
    try:
        journey = registration.resume(session.get(JOURNEY_KEY), stage="password", now=now)
    except DomainError as exc:
        return _failure(exc.message)
    form = RegistrationPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            registration.complete(
                journey,
                password=form.password.data,
                now=now,
                passwords=runtime.passwords(),
                rules=runtime.settings().accounts,
            )
        except DomainError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            return _done(journey, signed_in=True)
    return render_template(
        "enrollment/register_password.html", form=form, error=error, account=journey.keep
    )


def _complete_without_password(journey: registration.Journey, *, now):
    """The kept account is already Activé: the other accounts merge into it now."""
    try:
        registration.complete(journey, password=None, now=now, passwords=None, rules=None)
    except DomainError as exc:
        db.session.rollback()
        return _failure(exc.message)
    return _done(journey, signed_in=False)


def _done(journey: registration.Journey, *, signed_in: bool):
    """Activé: the identifier is shown (to be noted down). A new password opens the
    session; an account that was already Activé only gained children (its own
    password is still needed to sign in)."""
    account = journey.keep
    session.pop(JOURNEY_KEY, None)
    session.pop(TYPED_KEY, None)
    if signed_in:
        web_session.sign_in(account, now=utcnow(), amr=["sms", "pwd"])
    db.session.commit()
    return render_template(
        "enrollment/register_done.html",
        account=account,
        signed_in=signed_in,
        merged=bool(journey.claim.merged),
        disowned=bool(journey.claim.disowned),
    )


def _failure(message):
    """Every failure of SPEC §6.3 has its page, its message and «Réessayer»."""
    return render_template("enrollment/register_failure.html", error=message), 400


def _children_answers(pupils, errors) -> dict[int, claiming.Answer]:
    answers: dict[int, claiming.Answer] = {}
    for pupil in pupils:
        if request.form.get(f"not_mine_{pupil.id}"):
            answers[pupil.id] = claiming.Answer(not_mine=True)
            continue
        birth_date = parse_date(request.form.get(f"birth_date_{pupil.id}"))
        if birth_date is None:
            errors[pupil.id] = _("Saisissez la date de naissance de l'enfant (jj/mm/aaaa).")
        answers[pupil.id] = claiming.Answer(birth_date=birth_date)
    return answers
