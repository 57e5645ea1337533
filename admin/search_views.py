"""The search of accounts and the actions on a selection (SPEC §5 «Search»,
004 §5.1): criteria from the query string, the last search kept in the
director's session, the selection sent to a confirmation or a download."""

from __future__ import annotations

from flask import abort
from flask import g
from flask import render_template
from flask import request

from accounts.states import LIVE_STATES
from admin import bp
from admin import search
from admin import services
from admin.forms import ActionForm
from admin.forms import ConfirmForm
from admin.forms import NotifyForm
from admin.frame import back_with_error
from admin.frame import school_required
from admin.frame import selected_ids
from admin.list_views import download_list
from kernel.extensions import db


def _criteria_from_args(args) -> search.Criteria:
    classes = [int(v) for v in args.getlist("classe") if v.isdigit() and len(v) < 12]
    states = [v for v in args.getlist("etat") if v in {s.value for s in LIVE_STATES}]
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
    ticking = request.args.get("cocher")
    if ticking in ("toutes", "aucune"):
        # «Tout cocher» / «Tout décocher» without JavaScript: the form comes back with
        # every class ticked or none, the other criteria as typed; no search yet.
        criteria = _criteria_from_args(request.args)
        criteria.classes = [c.id for c in classes] if ticking == "toutes" else []
    elif request.args.get("rechercher"):
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
    ids = selected_ids()
    if form.all_results.data and g.admin_login.last_search:
        criteria = search.Criteria.from_dict(g.admin_login.last_search)
        ids = search.all_account_ids(g.school, criteria)
    selected = search.visible_accounts(g.school, ids)
    if not selected:
        return back_with_error(services.NothingSelected.message)
    action = form.action.data
    if action in ("list_csv", "list_pdf"):
        return download_list(selected, action.removeprefix("list_"))
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
