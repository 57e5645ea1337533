"""(Re)notification by letters or email and what follows it (SPEC §5
«(Re)notify», «Letters», 004 §5.3): the confirmation from the account page, the
confirmed notification, the letters' PDF and the progress of an email send."""

from __future__ import annotations

from flask import abort
from flask import g
from flask import make_response
from flask import render_template

from accounts import states
from admin import bp
from admin import search
from admin import services
from admin.forms import NotifyForm
from admin.frame import back_with_error
from admin.frame import school_required
from admin.frame import selected_ids
from admin.frame import visible_or_404
from admin.models import LetterBatch
from kernel.clock import paris
from kernel.clock import utcnow
from kernel.extensions import db
from kernel.runtime import passwords
from kernel.runtime import settings
from messaging.delivery import batch_failures
from messaging.delivery import batch_progress
from messaging.delivery import outcome


@bp.post("/comptes/<int:account_id>/notifier")
@school_required
def account_notify(account_id: int):
    target = visible_or_404(account_id)
    form = NotifyForm()
    if not form.validate_on_submit():
        abort(400)
    reset = bool(form.reset.data) and states.may_reset_password(target.state)
    return render_template(
        "admin/confirm_notify.html",
        accounts=[target],
        form=NotifyForm(channel=form.channel.data, reset=reset, origin="account"),
        channel=form.channel.data,
        reset=reset,
        single=True,
    )


@bp.post("/responsables/notifier")
@school_required
def notify():
    """The confirmed (re)notification (004 §5.3)."""
    form = NotifyForm()
    if not form.validate_on_submit():
        abort(400)
    selected = search.visible_accounts(g.school, selected_ids())
    if not selected:
        return back_with_error(services.NothingSelected.message)
    single = form.origin.data == "account"
    channel = services.Channel(form.channel.data)
    reset = bool(form.reset.data)
    if single and reset and not states.may_reset_password(selected[0].state):
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
