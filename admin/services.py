"""The console's actions on accounts (SPEC §5, 004 §5.3–§5.6): (re)notification by
letters or email, password resets, resend of the activation email, lists, locks.

No `request`/`session` here: the view passes the director, the school, the
password service, the product settings and `now`. Every action leaves an audit
row in the same transaction as its change.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass
from dataclasses import field

from flask import render_template
from flask_babel import lazy_gettext as _l

from accounts import audit
from accounts import states
from accounts import throttle
from accounts.activation_email import send_activation_email
from accounts.models import Account
from accounts.models import Director
from accounts.password_changes import issue_temporary_passwords
from accounts.passwords import PasswordService
from accounts.passwords import temporary_password_valid_through
from admin import pdf
from admin import search
from admin.letters import Channel
from admin.letters import choose_letter
from admin.letters import letter_context
from admin.models import LetterBatch
from admin.spreadsheet import spreadsheet_safe
from kernel import runtime
from kernel.clock import paris
from kernel.clock import paris_today
from kernel.config import ProductConfig
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.wording import plural
from messaging.compose import compose_email
from messaging.compose import new_batch_id
from messaging.models import Message
from registry.models import School

FOOTNOTE = (
    "* Seuls les mots de passe provisoires sont affichés, le mot de passe choisi par le "
    "responsable lors de l'activation de son compte est masqué."
)
MASKED = "*****"
CSV_HEADER = (
    "RNE",
    "Ecole",
    "Nom de l'élève",
    "Prénom de l'élève",
    "Niveau de l'élève",
    "Classe de l'élève",
    "Nom du responsable",
    "Prénom du responsable",
    "Identifiant",
    "Mot de passe",
)


class NothingSelected(DomainError):
    code = "nothing_selected"
    message = _l("Vous devez sélectionner un ou plusieurs comptes.")


class NotActivating(DomainError):
    code = "not_activating"
    message = _l(
        "Le courriel d'activation ne peut être renvoyé que pour un compte en cours d'activation."
    )


@dataclass
class NotifyResult:
    batch: LetterBatch | None
    notified: list[Account] = field(default_factory=list)
    skipped: list[Account] = field(default_factory=list)  # by email, no address
    not_reset: list[Account] = field(default_factory=list)  # Non notifié: reset refused
    letters: dict[int, str] = field(default_factory=dict)
    messages: list = field(default_factory=list)  # the emails composed, in order


def notify(
    accounts: list[Account],
    *,
    channel: Channel,
    reset: bool,
    school: School,
    director: Director,
    passwords: PasswordService,
    product: ProductConfig,
    now: dt.datetime,
) -> NotifyResult:
    """(Re)notify the accounts (004 §5.3). Caller commits; emails leave after commit."""
    if not accounts:
        raise NothingSelected()
    actor = audit.director_actor(director)
    today = paris_today(now)
    batch = LetterBatch(
        id=uuid.uuid4().hex,
        director_id=director.id,
        school_id=school.id,
        created_at=now,
        channel=channel.value,
        items=[],
    )
    result = NotifyResult(batch=batch)
    message_batch = new_batch_id() if channel == Channel.EMAIL and len(accounts) > 1 else None
    items = []
    for account in accounts:
        email = account.contact_email() if channel == Channel.EMAIL else None
        if channel == Channel.EMAIL and not email:
            result.skipped.append(account)
            continue
        before = account.state
        if reset and not states.may_reset_password(before):
            result.not_reset.append(account)
        elif reset:
            issue_temporary_passwords(
                [account],
                actor=actor,
                now=now,
                passwords=passwords,
                school_id=school.id,
                details={"with": "notification"},
            )
        states.notify(account, today=today, now=now, actor=actor, school_id=school.id)
        password = usable_password(account, passwords, today=today)
        letter = choose_letter(before, channel, temporary_password=password is not None)
        result.letters[account.id] = letter
        result.notified.append(account)
        items.append({"account_id": account.id, "letter": letter})
        if channel == Channel.EMAIL:
            context = letter_context(account, school=school, password=password, product=product)
            result.messages.append(
                compose_email(
                    email,
                    letter,
                    context,
                    now=now,
                    batch_id=message_batch,
                    account_id=account.id,
                )
            )
    batch.items = items
    batch.message_batch_id = message_batch
    if items:
        db.session.add(batch)
    else:
        result.batch = None
    audit.record(
        "accounts.notified",
        actor=actor,
        now=now,
        accounts=result.notified,
        school_id=school.id,
        summary=plural(len(result.notified), "compte")
        + (", courrier" if channel == Channel.LETTER else ", courriel")
        + (", avec réinitialisation" if reset else ""),
        details={
            "channel": channel.value,
            "reset": reset,
            "letters": {str(k): v for k, v in result.letters.items()},
            "skipped": [a.identifier for a in result.skipped],
        },
    )
    return result


def letters_pdf(
    batch: LetterBatch,
    *,
    school: School,
    director: Director,
    passwords: PasswordService,
    product: ProductConfig,
    now: dt.datetime,
) -> bytes:
    """The letters of a send, one page per account (audited). Passwords are never kept
    in clear, so each download prints the password that works now; when the parent
    has since chosen their own, or the temporary one expired, the letter says so in
    its place (docs/admin.md «Letters downloaded again»)."""
    ids = [item["account_id"] for item in batch.items]
    accounts = {a.id: a for a in search.visible_accounts(school, ids)}
    today = paris_today(now)
    pages = []
    for item in batch.items:
        account = accounts.get(item["account_id"])
        if account is None:
            continue
        password = usable_password(account, passwords, today=today)
        context = letter_context(account, school=school, password=password, product=product)
        pages.append(render_template(f"admin/letters/{item['letter']}.txt", **context))
    audit.record(
        "letters.downloaded",
        actor=audit.director_actor(director),
        now=now,
        accounts=list(accounts.values()),
        school_id=school.id,
        summary=plural(len(pages), "courrier"),
        details={"batch": batch.id},
    )
    return pdf.letters(pages, title="Courriers", fonts=product.pdf_font_dir)


def reset_passwords(
    accounts: list[Account],
    *,
    school: School,
    director: Director,
    passwords: PasswordService,
    now: dt.datetime,
) -> tuple[list[Account], list[Account]]:
    """004 §5.5: a new temporary password at once, state unchanged; refused for Non notifié.
    Returns (reset, left alone)."""
    if not accounts:
        raise NothingSelected()
    done, refused = [], []
    for account in accounts:
        if not states.may_reset_password(account.state):
            refused.append(account)
            continue
        done.append(account)
    if done:
        issue_temporary_passwords(
            done,
            actor=audit.director_actor(director),
            now=now,
            passwords=passwords,
            school_id=school.id,
        )
    return done, refused


def resend_activation_email(
    account: Account, email: str, *, school: School, director: Director, now: dt.datetime
) -> Message:
    """004 §5.6: only En cours d'activation; the address checked (and maybe corrected)
    by the director becomes the account's email, unconfirmed until its link is clicked.
    Returns the email composed."""
    if not states.may_resend_activation_email(account.state):
        raise NotActivating()
    email = email.strip().lower()
    message = send_activation_email(account, email, now=now)
    audit.record(
        "account.activation_email_resent",
        actor=audit.director_actor(director),
        now=now,
        accounts=[account],
        school_id=school.id,
        details={"email": email},
    )
    return message


def lift_lock(
    account: Account, counter_id: int, *, school: School, director: Director, now: dt.datetime
) -> bool:
    counter = next((c for c in throttle.locks_of(account) if c.id == counter_id), None)
    if counter is None:
        return False
    throttle.lift(counter, actor=audit.director_actor(director), now=now)
    return True


# ---- account page and lists (004 §5.2, §5.4) -------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A deadline as the account page words it (SPEC §4): «valable jusqu'au» its last
    day, «expiré le» the first day it no longer works."""

    last_day: dt.date
    today: dt.date

    @property
    def expired_on(self) -> dt.date:
        return self.last_day + dt.timedelta(days=1)

    @property
    def expired(self) -> bool:
        return self.today > self.last_day


def temporary_password_deadline(account: Account, *, today: dt.date) -> Deadline | None:
    """The temporary password's, for an account whose password the director may read;
    None when it has none."""
    if not states.shows_password(account.state):
        return None
    last_day = temporary_password_valid_through(account, validity_months=validity_months())
    return Deadline(last_day, today) if last_day else None


def link_deadline(expires_at: dt.datetime | None, *, today: dt.date) -> Deadline | None:
    """An activation link's, from the moment it stops working (the first instant of
    its first day without validity, `accounts.activation_email.activation_link_expiry`)."""
    if expires_at is None:
        return None
    return Deadline(paris(expires_at - dt.timedelta(microseconds=1)).date(), today)


def validity_months() -> int:
    """SPEC §4's validity of a temporary password, in calendar months (settings)."""
    return runtime.settings().accounts.temporary_password_validity_months


def usable_password(account: Account, passwords: PasswordService, *, today: dt.date) -> str | None:
    """The temporary password in clear while the parent can still sign in with it."""
    return passwords.usable_temporary_password(
        account, today=today, validity_months=validity_months()
    )


def displayed_password(account: Account, passwords: PasswordService, *, today: dt.date) -> str:
    """SPEC §3, one rule for the account page, the CSV and the PDF list: a password
    shows only while it can still be used. The temporary password in clear while the
    parent can sign in with it; ***** for the parent's own password; nothing for Non
    notifié, nor when no password of ours works (expired temporary password, an
    account activated through FranceConnect that never chose one)."""
    if not states.shows_password(account.state):
        return ""
    clear = usable_password(account, passwords, today=today)
    if clear is not None:
        return clear
    return MASKED if account.password_hash else ""


def list_filename(product: ProductConfig, extension: str, *, now: dt.datetime) -> str:
    return f"{product.name}-ListeResponsables-{paris(now):%Y%m%d%H%M%S}.{extension}"


def _list_lines(school, accounts, passwords, *, today) -> list[tuple[str, ...]]:
    rows = search.list_rows(school, [a.id for a in accounts])
    shown: dict[int, str] = {}
    lines = []
    for pupil, school_class, account in rows:
        if account.id not in shown:
            shown[account.id] = displayed_password(account, passwords, today=today)
        lines.append(
            (
                pupil.last_name,
                pupil.first_name,
                pupil.level.label if pupil.level else "",
                school_class.name,
                account.last_name,
                account.first_name,
                account.identifier,
                shown[account.id],
            )
        )
    return lines


def _audited_lines(kind, accounts, *, school, director, passwords, now):
    """The lines of a list download, whatever its format: refused when nothing is
    selected, and every download audited with its format and length."""
    if not accounts:
        raise NothingSelected()
    lines = _list_lines(school, accounts, passwords, today=paris_today(now))
    audit.record(
        "accounts.list_downloaded",
        actor=audit.director_actor(director),
        now=now,
        accounts=accounts,
        school_id=school.id,
        summary=f"{kind.upper()}, {plural(len(lines), 'ligne')}",
        details={"format": kind},
    )
    return lines


def list_csv(
    accounts: list[Account],
    *,
    school: School,
    director: Director,
    passwords: PasswordService,
    now: dt.datetime,
) -> bytes:
    """`;`-separated, UTF-8 with BOM, the exact header of SPEC §5 (audited)."""
    lines = _audited_lines(
        "csv", accounts, school=school, director=director, passwords=passwords, now=now
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_HEADER)
    for line in lines:
        writer.writerow(spreadsheet_safe((school.uai, school.name, *line)))
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def list_pdf(
    accounts: list[Account],
    *,
    school: School,
    director: Director,
    passwords: PasswordService,
    now: dt.datetime,
) -> bytes:
    lines = _audited_lines(
        "pdf", accounts, school=school, director=director, passwords=passwords, now=now
    )
    return pdf.account_list(
        created=f"{paris(now):%d/%m/%Y}",
        school_line=f"{school.uai} - {school.name}",
        rows=lines,
        footnote=FOOTNOTE,
        fonts=runtime.settings().product.pdf_font_dir,
    )
