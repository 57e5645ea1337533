"""Sign-in with its second factor, sign-out and the choice of school (SPEC §5,
004 §2, §4.1)."""

from __future__ import annotations

from flask import abort
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from wtforms.fields.choices import SelectChoice

from accounts.models import Director
from admin import bp
from admin import directors
from admin.forms import CodeForm
from admin.forms import CsrfOnlyForm
from admin.forms import LoginForm
from admin.forms import SchoolForm
from admin.frame import SESSION_KEY
from admin.frame import director_required
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.extensions import limiter
from kernel.runtime import passwords

PENDING_KEY = "admin_pending"
PENDING_LIFETIME_SECONDS = 300


def _open(director, now):
    session.clear()
    login_row = directors.complete_sign_in(director, now=now)
    db.session.commit()
    session[SESSION_KEY] = login_row.id


def _next_target(target: str | None) -> str:
    if not target or not target.startswith("/admin/") or target.startswith("//"):
        return url_for("admin.home")
    return target


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        now = utcnow()
        try:
            director = directors.authenticate(
                form.identifier.data, form.password.data, now=now, passwords=passwords()
            )
        except DomainError as refusal:
            db.session.commit()  # the failure counts
            error = refusal.message
        else:
            target = _next_target(request.args.get("next"))
            if directors.totp_of(director) is not None:
                db.session.commit()
                session.clear()
                session[PENDING_KEY] = {
                    "director_id": director.id,
                    "until": now.timestamp() + PENDING_LIFETIME_SECONDS,
                    "next": target,
                }
                return redirect(url_for("admin.second_factor"))
            _open(director, now)
            return redirect(target)
    return render_template("admin/login.html", form=form, error=error)


@bp.route("/connexion/code", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def second_factor():

    pending = session.get(PENDING_KEY)
    now = utcnow()
    if not pending or now.timestamp() > pending["until"]:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("admin.login"))
    director = db.session.get(Director, pending["director_id"])
    if director is None:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("admin.login"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            directors.verify_code(director, form.code.data, box=passwords().box, now=now)
        except DomainError as refusal:
            db.session.commit()
            error = refusal.message
        else:
            _open(director, now)
            return redirect(_next_target(pending.get("next")))
    return render_template("admin/code.html", form=form, error=error)


@bp.post("/deconnexion")
@director_required
def logout():
    form = CsrfOnlyForm()
    if not form.validate_on_submit():
        abort(400)
    directors.end_session(g.admin_login, now=utcnow())
    db.session.commit()
    session.pop(SESSION_KEY, None)
    return redirect(url_for("admin.signed_out"))


@bp.get("/deconnecte")
def signed_out():
    return render_template("admin/signed_out.html")


@bp.route("/", methods=["GET", "POST"])
@director_required
def home():
    form = SchoolForm()
    form.school_id.choices = [SelectChoice(s.id, f"{s.uai} {s.name}") for s in g.director.schools]
    if request.method == "POST":
        if form.validate_on_submit():
            school = directors.select_school(g.admin_login, form.school_id.data, now=utcnow())
            if school is None:
                abort(404)
            db.session.commit()
            return redirect(url_for("admin.home"))
        abort(400)
    if g.school is not None:
        form.school_id.data = g.school.id
    return render_template("admin/home.html", form=form)
