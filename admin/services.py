"""The console's actions on accounts (SPEC §5, 004 §5.3–§5.6): (re)notification by
letters or email, password resets, resend of the activation email, lists, locks.

No `request`/`session` here: the view passes the director, the school, the
password service, the product settings and `now`. Every action leaves an audit
row in the same transaction as its change.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
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
from accounts.models import AccountState
from accounts.models import Director
from accounts.password_changes import issue_temporary_passwords
from accounts.passwords import PasswordService
from admin import pdf
from admin import search
from admin.models import LetterBatch
from admin.spreadsheet import spreadsheet_safe
from kernel.clock import paris
from kernel.clock import paris_today
from kernel.config import ProductConfig
from kernel.errors import DomainError
from kernel.extensions import db
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


class Channel(enum.StrEnum):
    LETTER = "letter"
    EMAIL = "email"


class NothingSelected(DomainError):
    code = "nothing_selected"
    message = _l("Vous devez sélectionner un ou plusieurs comptes.")


class NotActivating(DomainError):
    code = "not_activating"
    message = _l(
        "Le courriel d'activation ne peut être renvoyé que pour un compte en cours d'activation."
    )


# ---- which letter (SPEC §5 letter matrix, annex A1.1) ----------------------------

LETTERS = {
    # (first distribution?, password in the letter?, channel) -> letter
    (True, True, Channel.LETTER): "C01",
    (True, True, Channel.EMAIL): "C02",
    (False, False, Channel.LETTER): "C03",
    (False, False, Channel.EMAIL): "C04",
    (False, True, Channel.LETTER): "C05",
    (False, True, Channel.EMAIL): "C06",
}


def choose_letter(state: AccountState, channel: Channel, *, temporary_password: bool) -> str:
    """The letter for an account in `state` (before notification).

    Non notifié / Notifié et non activé: C01/C02. En cours d'activation / Activé:
    C05/C06 when the account's password is a temporary one (just reset, or reset
    earlier and still unchanged — our resolution), else C03/C04.
    """
    if states.awaits_first_sign_in(state):
        return LETTERS[(True, True, channel)]
    return LETTERS[(False, temporary_password, channel)]


def letter_context(
    account: Account, *, school: School, password: str | None, product: ProductConfig
) -> dict:
    return {
        "guardian_name": f"{account.first_name} {account.last_name.upper()}",
        "school_name": school.name,
        "children": [f"{p.first_name} {p.last_name.upper()}" for p in account.children()],
        "identifier": account.identifier,
        "password": password or "",
        "service_url": product.service_url,
        "help_url": product.help_url,
        "product": product,
    }


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
        password = passwords.temporary_password(account)
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
        summary=f"{len(result.notified)} compte(s), {channel.value}"
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
    """The letters of a send, one page per account, with the passwords of now (audited)."""
    ids = [item["account_id"] for item in batch.items]
    accounts = {a.id: a for a in search.visible_accounts(school, ids)}
    pages = []
    for item in batch.items:
        account = accounts.get(item["account_id"])
        if account is None:
            continue
        password = passwords.temporary_password(account)
        context = letter_context(account, school=school, password=password, product=product)
        pages.append(render_template(f"admin/letters/{item['letter']}.txt", **context))
    audit.record(
        "letters.downloaded",
        actor=audit.director_actor(director),
        now=now,
        accounts=list(accounts.values()),
        school_id=school.id,
        summary=f"{len(pages)} courrier(s)",
        details={"batch": batch.id},
    )
    return pdf.letters(pages, title="Courriers")


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


def temporary_password_deadline(account: Account, *, validity_days: int) -> dt.date | None:
    """The deadline the account page shows beside the state (SPEC §4): that of the
    temporary password while the director sees it (`displayed_password`), else None."""
    issued = account.temporary_password_issued_on
    if not (states.shows_password(account.state) and account.must_change_password and issued):
        return None
    return issued + dt.timedelta(days=validity_days)


def displayed_password(account: Account, passwords: PasswordService) -> str:
    """SPEC §3: clear while temporary, ***** once changed, nothing for Non notifié."""
    if not states.shows_password(account.state):
        return ""
    clear = passwords.temporary_password(account)
    return clear if clear is not None else MASKED


def list_filename(product: ProductConfig, extension: str, *, now: dt.datetime) -> str:
    return f"{product.name}-ListeResponsables-{paris(now):%Y%m%d%H%M%S}.{extension}"


def _list_lines(school, accounts, passwords) -> list[tuple[str, ...]]:
    rows = search.list_rows(school, [a.id for a in accounts])
    shown: dict[int, str] = {}
    lines = []
    for pupil, school_class, account in rows:
        if account.id not in shown:
            shown[account.id] = displayed_password(account, passwords)
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
    lines = _list_lines(school, accounts, passwords)
    audit.record(
        "accounts.list_downloaded",
        actor=audit.director_actor(director),
        now=now,
        accounts=accounts,
        school_id=school.id,
        summary=f"{kind}, {len(lines)} ligne(s)",
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
    )
