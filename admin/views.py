"""Routes of the directors' console (SPEC §5). Thin: parse, call a service, render.

Every page but sign-in needs a live director session; every page about accounts
needs a selected school, and finds accounts only through that school
(`admin.search`), so another school's id answers 404.
"""

from __future__ import annotations

import datetime as dt
import functools

from flask import abort
from flask import flash
from flask import g
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from accounts import audit
from accounts import throttle
from accounts.models import ORIGIN_LABELS
from accounts.models import STATE_LABELS
from accounts.models import AccountState
from accounts.models import Director
from admin import auditlog
from admin import bp
from admin import directors
from admin import search
from admin import services
from admin import stats
from admin.forms import ActionForm
from admin.forms import AuditFilterForm
from admin.forms import CodeForm
from admin.forms import ConfirmForm
from admin.forms import CsrfOnlyForm
from admin.forms import LoginForm
from admin.forms import NotifyForm
from admin.forms import ResendForm
from admin.forms import SchoolForm
from admin.models import LetterBatch
from kernel.clock import paris
from kernel.clock import paris_today
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.extensions import limiter
from kernel.runtime import passwords
from kernel.runtime import settings
from messaging.delivery import batch_failures
from messaging.delivery import batch_progress
from messaging.delivery import outcome

SESSION_KEY = "admin_session"


# ---- session and scope ---------------------------------------------------------------


def director_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        login = directors.find_live_session(session.get(SESSION_KEY), now=utcnow())
        if login is None:
            session.pop(SESSION_KEY, None)
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        g.admin_login = login
        g.director = login.director
        g.school = directors.school_of(login.director, login.school_id)
        return view(*args, **kwargs)

    return wrapper


def school_required(view):
    @functools.wraps(view)
    @director_required
    def wrapper(*args, **kwargs):
        if g.school is None:
            return redirect(url_for("admin.home"))
        return view(*args, **kwargs)

    return wrapper


def _visible_or_404(account_id: int):
    account = search.visible_account(g.school, account_id)
    if account is None:
        abort(404)
    return account


def _selected_ids() -> list[int]:
    ids = []
    for raw in request.form.getlist("ids"):
        if raw.isdigit() and len(raw) < 12:
            ids.append(int(raw))
    return sorted(set(ids))


@bp.app_template_filter("frdate")
def frdate(value) -> str:
    """004's dates: 09-07-2018."""
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = paris(value).date()
    return f"{value:%d-%m-%Y}"


@bp.context_processor
def _console_globals():
    return {
        "state_labels": STATE_LABELS,
        "origin_labels": ORIGIN_LABELS,
        "logout_form": CsrfOnlyForm(),
        "paris": paris,
    }


# ---- sign-in, school, sign-out (004 §2, §4.1) ----------------------------------------------


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


# ---- search (004 §5.1) -----------------------------------------------------------------


def _criteria_from_args(args) -> search.Criteria:
    classes = [int(v) for v in args.getlist("classe") if v.isdigit() and len(v) < 12]
    states = [v for v in args.getlist("etat") if v in {s.value for s in search.LIVE_STATES}]
    origins = [v for v in args.getlist("origine") if v in {o.value for o in search.ORIGINS}]
    email = [v for v in args.getlist("messagerie") if v in search.EMAIL_CHOICES]
    sort = args.get("tri", "eleve")
    return search.Criteria(
        q=args.get("q", "")[:100],
        classes=classes,
        states=states,
        email=email,
        origins=origins,
        sort=sort if sort in search.SORT_KEYS else "eleve",
        desc=args.get("ordre") == "desc",
    )


def criteria_args(criteria: search.Criteria, **extra) -> dict:
    args = {
        "rechercher": "1",
        "q": criteria.q,
        "classe": criteria.classes or [],
        "etat": criteria.states,
        "messagerie": criteria.email,
        "origine": criteria.origins,
        "tri": criteria.sort,
        "ordre": "desc" if criteria.desc else "asc",
    }
    args.update(extra)
    return args


@bp.get("/responsables")
@school_required
def accounts():
    classes = search.classes_of(g.school)
    page = None
    criteria = search.Criteria(classes=[c.id for c in classes])
    if request.args.get("rechercher"):
        criteria = _criteria_from_args(request.args)
        number = request.args.get("page", "1")
        page = search.search(g.school, criteria, page=int(number) if number.isdigit() else 1)
        g.admin_login.last_search = criteria.to_dict()
        db.session.commit()
    elif request.args.get("retour") and g.admin_login.last_search:
        criteria = search.Criteria.from_dict(g.admin_login.last_search)
        page = search.search(g.school, criteria, page=1)
    return render_template(
        "admin/accounts.html",
        classes=classes,
        criteria=criteria,
        page=page,
        action_form=ActionForm(),
        criteria_args=criteria_args,
        sort_keys=search.SORT_KEYS,
    )


@bp.post("/responsables/actions")
@school_required
def bulk_action():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    ids = _selected_ids()
    if form.all_results.data and g.admin_login.last_search:
        criteria = search.Criteria.from_dict(g.admin_login.last_search)
        ids = search.all_account_ids(g.school, criteria)
    selected = search.visible_accounts(g.school, ids)
    if not selected:
        return _back_with_error(services.NothingSelected.message)
    action = form.action.data
    if action in ("list_csv", "list_pdf"):
        return _download_list(selected, action.removeprefix("list_"))
    if action == "reset":
        return render_template(
            "admin/confirm_reset.html", accounts=selected, form=ConfirmForm(origin="list")
        )
    channel = "letter" if action == "notify_letter" else "email"
    confirm = NotifyForm(channel=channel, reset=form.reset.data, origin="list")
    return render_template(
        "admin/confirm_notify.html",
        accounts=selected,
        form=confirm,
        channel=channel,
        reset=form.reset.data,
        single=False,
    )


def _back_with_error(message):
    flash(str(message), "error")
    return redirect(url_for("admin.accounts", retour="1"))


def _download_list(selected, kind: str):
    now = utcnow()
    maker = services.list_csv if kind == "csv" else services.list_pdf
    content = maker(selected, school=g.school, director=g.director, passwords=passwords(), now=now)
    db.session.commit()
    filename = services.list_filename(settings().product, kind, now=now)
    response = make_response(content)
    response.headers["Content-Type"] = (
        "text/csv; charset=utf-8" if kind == "csv" else "application/pdf"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/responsables/notifier")
@school_required
def notify():
    """The confirmed (re)notification (004 §5.3)."""
    form = NotifyForm()
    if not form.validate_on_submit():
        abort(400)
    selected = search.visible_accounts(g.school, _selected_ids())
    if not selected:
        return _back_with_error(services.NothingSelected.message)
    single = form.origin.data == "account"
    channel = services.Channel(form.channel.data)
    reset = bool(form.reset.data)
    if single and reset and selected[0].state == AccountState.NOT_NOTIFIED:
        abort(400)  # not offered on the account page (004 §5.5)
    result = services.notify(
        selected,
        channel=channel,
        reset=reset,
        school=g.school,
        director=g.director,
        passwords=passwords(),
        product=settings().product,
        now=utcnow(),
    )
    db.session.commit()
    delivery = None
    if len(result.messages) == 1 and not result.batch.message_batch_id:
        delivery = outcome(result.messages[0])  # one email: say at once if it failed
    return render_template(
        "admin/notify_done.html",
        delivery=delivery,
        result=result,
        channel=channel.value,
        single=single,
        account=selected[0] if single else None,
    )


@bp.get("/courriers/<batch_id>.pdf")
@school_required
def letters_download(batch_id: str):
    batch = db.session.get(LetterBatch, batch_id[:32])
    if batch is None or batch.school_id != g.school.id or batch.channel != "letter":
        abort(404)
    now = utcnow()
    content = services.letters_pdf(
        batch,
        school=g.school,
        director=g.director,
        passwords=passwords(),
        product=settings().product,
        now=now,
    )
    db.session.commit()
    response = make_response(content)
    response.headers["Content-Type"] = "application/pdf"
    name = f"{settings().product.name}-Courriers-{paris(batch.created_at):%Y%m%d%H%M%S}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/envois/<batch_id>")
@school_required
def send_progress(batch_id: str):
    batch = db.session.get(LetterBatch, batch_id[:32])
    if batch is None or batch.school_id != g.school.id or not batch.message_batch_id:
        abort(404)
    progress = batch_progress(batch.message_batch_id)
    failures = batch_failures(batch.message_batch_id) if progress.done else []
    response = make_response(
        render_template("admin/progress.html", batch=batch, progress=progress, failures=failures)
    )
    if not progress.done:
        response.headers["Refresh"] = "5"
    return response


@bp.post("/responsables/reinitialiser")
@school_required
def reset():
    """The confirmed password reset (004 §5.5)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    selected = search.visible_accounts(g.school, _selected_ids())
    if not selected:
        return _back_with_error(services.NothingSelected.message)
    done, refused = services.reset_passwords(
        selected, school=g.school, director=g.director, passwords=passwords(), now=utcnow()
    )
    db.session.commit()
    single = form.origin.data == "account"
    return render_template(
        "admin/reset_done.html",
        done=done,
        refused=refused,
        single=single,
        account=selected[0] if single else None,
    )


# ---- account page (004 §5.2) -------------------------------------------------------------------


@bp.get("/comptes/<int:account_id>")
@school_required
def account(account_id: int):
    target = _visible_or_404(account_id)
    here, elsewhere = search.children_split(target, g.school)
    rules = settings().accounts
    expiry = None
    if (
        target.state != AccountState.NOT_NOTIFIED
        and target.must_change_password
        and target.temporary_password_issued_on
    ):
        expiry = target.temporary_password_issued_on + dt.timedelta(
            days=rules.temporary_password_validity_days
        )
    return render_template(
        "admin/account.html",
        account=target,
        password=services.displayed_password(target, passwords()),
        email=target.contact_email(),
        mobile=target.mobile or target.registry_contact()[1],
        here=here,
        elsewhere=elsewhere,
        locks=throttle.locks_of(target),
        exclusions=search.exclusions_of(target),
        notify_form=NotifyForm(origin="account"),
        csrf_form=CsrfOnlyForm(),
        expiry=expiry,
        link_expiry=(
            search.activation_link_expiry(target)
            if target.state == AccountState.ACTIVATING
            else None
        ),
        now=utcnow(),
        today=paris_today(utcnow()),
        footnote=services.FOOTNOTE,
    )


@bp.post("/comptes/<int:account_id>/notifier")
@school_required
def account_notify(account_id: int):
    target = _visible_or_404(account_id)
    form = NotifyForm()
    if not form.validate_on_submit():
        abort(400)
    reset = bool(form.reset.data) and target.state != AccountState.NOT_NOTIFIED
    return render_template(
        "admin/confirm_notify.html",
        accounts=[target],
        form=NotifyForm(channel=form.channel.data, reset=reset, origin="account"),
        channel=form.channel.data,
        reset=reset,
        single=True,
    )


@bp.post("/comptes/<int:account_id>/reinitialiser")
@school_required
def account_reset(account_id: int):
    target = _visible_or_404(account_id)
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    if target.state == AccountState.NOT_NOTIFIED:
        abort(404)
    return render_template(
        "admin/confirm_reset.html", accounts=[target], form=ConfirmForm(origin="account")
    )


@bp.route("/comptes/<int:account_id>/courriel-activation", methods=["GET", "POST"])
@school_required
def resend_activation(account_id: int):
    target = _visible_or_404(account_id)
    if target.state != AccountState.ACTIVATING:
        abort(404)
    form = ResendForm()
    error = None
    if request.method == "GET":
        form.email.data = target.email or target.contact_email() or ""
    elif form.validate_on_submit():
        try:
            services.resend_activation_email(
                target, form.email.data, school=g.school, director=g.director, now=utcnow()
            )
        except DomainError as refusal:
            db.session.rollback()
            error = refusal.message
        else:
            db.session.commit()
            flash(_("Le mail a été renvoyé."), "success")
            return redirect(url_for("admin.account", account_id=target.id))
    return render_template("admin/resend.html", account=target, form=form, error=error)


@bp.post("/comptes/<int:account_id>/verrous/<int:counter_id>")
@school_required
def lift_lock(account_id: int, counter_id: int):
    target = _visible_or_404(account_id)
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    if not services.lift_lock(
        target, counter_id, school=g.school, director=g.director, now=utcnow()
    ):
        abort(404)
    db.session.commit()
    flash(_("Le blocage a été levé : le responsable peut réessayer."), "success")
    return redirect(url_for("admin.account", account_id=target.id))


# ---- statistics (004 §6) ------------------------------------------------------------------


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


# ---- audit log ------------------------------------------------------------------------


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
        SelectChoice(a, auditlog.label(a)) for a in auditlog.actions_of(g.school)
    ]
    number = request.args.get("page", "1")
    number = int(number) if number.isdigit() and len(number) < 7 else 1
    events, total = auditlog.page(g.school, _audit_filter(form), number)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "admin/journal.html",
        form=form,
        events=events,
        total=total,
        number=number,
        pages=max(1, -(-total // auditlog.PAGE_SIZE)),
        args=args,
        label=auditlog.label,
    )


@bp.get("/journal.csv")
@school_required
def journal_csv():
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = [SelectChoice("", "")]
    content = auditlog.to_csv(g.school, _audit_filter(form))
    response = make_response(content)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"{settings().product.name}-Journal-{paris(utcnow()):%Y%m%d%H%M%S}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
