"""What every page of the directors' console shares (SPEC §5): the director's
session guard, the selected school's scope, the posted selection, and the
template helpers.

Every page but sign-in needs a live director session; every page about accounts
needs a selected school, and finds accounts only through that school
(`admin.search`), so another school's id answers 404.
"""

from __future__ import annotations

import functools

from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for

from accounts.models import ORIGIN_LABELS
from accounts.models import STATE_LABELS
from admin import bp
from admin import directors
from admin import search
from admin.forms import CsrfOnlyForm
from kernel.clock import paris
from kernel.clock import utcnow
from kernel.wording import plural

SESSION_KEY = "admin_session"


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


def visible_or_404(account_id: int):
    account = search.visible_account(g.school, account_id)
    if account is None:
        abort(404)
    return account


def selected_ids() -> list[int]:
    ids = []
    for raw in request.form.getlist("ids"):
        if raw.isdigit() and len(raw) < 12:
            ids.append(int(raw))
    return sorted(set(ids))


def back_with_error(message):
    """Back to the last search, the refusal on top (an action with nothing selected)."""
    flash(str(message), "error")
    return redirect(url_for("admin.accounts", retour="1"))


@bp.after_request
def _never_stored(response):
    """Console pages show temporary passwords and pupils' data, its downloads hold
    them: no browser or proxy cache keeps any of it (`Cache-Control: no-store`)."""
    response.headers["Cache-Control"] = "no-store"
    return response


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
        "plural": plural,
    }
