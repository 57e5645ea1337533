"""«Mes données» (issue 17): the password typed again, then the parent's data as a
JSON file or a readable page (enrollment.personal_data)."""

from __future__ import annotations

import json

from flask import Response
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _

from accounts import sessions
from accounts.authentication import verify_password
from enrollment import account_bp as bp
from enrollment import personal_data
from enrollment import personal_data_pdf as personal_data_pdf_document
from enrollment import personal_data_words
from enrollment.forms import ReauthenticationForm
from enrollment.views import GUESS_LIMIT
from enrollment.views import paris_datetime
from enrollment.views import refused
from idp import web_session
from idp.web_session import login_required
from kernel import languages
from kernel import runtime
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.extensions import limiter

# Each download gathers every table about the parent: a few a day are plenty, in
# whichever form (JSON, PDF, page): one budget for the three.
EXPORT_LIMIT = "10 per hour"


def _per_account() -> str:
    """Downloads count per account (and per address for a browser signed in nowhere)."""
    login = web_session.current_login()
    return f"data-export:{login.account_id}" if login is not None else request.remote_addr


export_limit = limiter.shared_limit(EXPORT_LIMIT, scope="data-export", key_func=_per_account)


@bp.route("/mes-donnees", methods=["GET", "POST"])
@login_required
@limiter.limit(GUESS_LIMIT, methods=["POST"])
def personal_data_page():
    login = web_session.current_login()
    account = login.account
    now = utcnow()
    form = ReauthenticationForm()
    error = None
    if form.validate_on_submit():
        try:
            verify_password(
                account.identifier,
                form.password.data,
                now=now,
                passwords=runtime.passwords(),
                rules=None,
            )
        except DomainError as exc:
            error = refused(exc)
        else:
            sessions.record_authentication(login, now=now)
            db.session.commit()
            return redirect(url_for(".personal_data_page"))
    recent = sessions.recently_authenticated(login, now=now)
    status = 400 if error or form.errors else 200
    return render_template(
        "account/personal_data.html",
        form=form,
        error=error,
        recent=recent,
        has_password=bool(account.password_hash) or account.must_change_password,
        window_minutes=int(sessions.REAUTHENTICATION_WINDOW.total_seconds() // 60),
    ), status


def _export():
    """The sections, or the redirect to the password when the last one is too old."""
    login = web_session.current_login()
    now = utcnow()
    try:
        sections = personal_data.export(login.account, login, now=now)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return None, redirect(url_for(".personal_data_page"))
    db.session.commit()
    return (sections, now), None


@bp.get("/mes-donnees/donnees.json")
@login_required
@export_limit
def personal_data_json():
    found, refusal = _export()
    if refusal is not None:
        return refusal
    sections, now = found
    body = json.dumps(personal_data.as_json(sections, now=now), ensure_ascii=False, indent=2)
    return _download(body, "application/json", f"mes-donnees-{now:%Y%m%d%H%M%S}.json")


@bp.get("/mes-donnees/donnees.pdf")
@login_required
@export_limit
def personal_data_pdf():
    found, refusal = _export()
    if refusal is not None:
        return refusal
    sections, now = found
    body = personal_data_pdf_document.render(
        personal_data.readable(sections),
        title=_("Mes données, au %(date)s", date=paris_datetime(now)),
        introduction=_(
            "Les dates et heures sont celles de Paris. Le contenu des messages n'est pas "
            "repris : il peut contenir des codes, des mots de passe provisoires ou des "
            "liens à usage unique."
        ),
        labels=personal_data_words.FIELD_LABELS,
        moment=paris_datetime,
        direction=languages.LANGUAGES[languages.current()].direction,
        fonts=runtime.settings().product.pdf_font_dir,
    )
    return _download(body, "application/pdf", f"mes-donnees-{now:%Y%m%d%H%M%S}.pdf")


def _download(body, mimetype: str, filename: str) -> Response:
    """A file the browser saves, never kept in any cache (it holds personal data)."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/mes-donnees/consulter")
@login_required
@export_limit
def personal_data_readable():
    found, refusal = _export()
    if refusal is not None:
        return refusal
    sections, now = found
    response = Response(
        render_template(
            "account/personal_data_export.html",
            sections=personal_data.readable(sections),
            now=now,
            labels=personal_data_words.FIELD_LABELS,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response
