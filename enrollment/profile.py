"""Changes a signed-in parent makes to their account (SPEC §6.7, §8): email
(confirmed by a link, old address told), mobile (SMS code), password (current one
required; other sessions end)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from accounts import audit
from accounts import email_links
from accounts import sms_codes
from accounts.authentication import InvalidCredentials
from accounts.authentication import verify_password
from accounts.models import Account
from accounts.password_changes import Occasion
from accounts.password_changes import set_own_password
from accounts.passwords import PasswordService
from kernel import runtime
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.web import external_url
from kernel.web import product_context
from messaging.compose import compose_email
from messaging.models import Message


def pending_email(account: Account, *, now: dt.datetime) -> email_links.EmailLink | None:
    """The address waiting for its confirmation link, if a change is under way."""
    return db.session.scalar(
        db.select(email_links.EmailLink)
        .where(
            email_links.EmailLink.account_id == account.id,
            email_links.EmailLink.purpose == email_links.EMAIL_CHANGE,
            email_links.EmailLink.used_at.is_(None),
            email_links.EmailLink.expires_at >= now,
        )
        .order_by(email_links.EmailLink.id.desc())
    )


EMAIL_CHANGE_VALIDITY = dt.timedelta(days=3)
MOBILE_RESEND_DELAY = dt.timedelta(seconds=60)


class ResendTooSoon(DomainError):
    code = "resend_too_soon"
    message = _l(
        "Un code vient d'être envoyé. La réception peut prendre quelques minutes : "
        "patientez une minute avant d'en demander un nouveau."
    )


class WrongCurrentPassword(DomainError):
    code = "wrong_current_password"
    message = _l("Le mot de passe actuel saisi est incorrect.")


class NoPendingChange(DomainError):
    code = "no_pending_change"
    message = _l("Aucune modification n'est en attente de confirmation.")


def request_email_change(account: Account, new_email: str, *, now: dt.datetime) -> list[Message]:
    """003: two emails — the link to the new address, a notice to the old one; the
    change is pending until the link is used. Returns the emails composed."""
    token = email_links.issue(
        account, email_links.EMAIL_CHANGE, new_email, now=now, validity=EMAIL_CHANGE_VALIDITY
    )
    context = {"identifier": account.identifier, "new_email": new_email, **product_context()}
    composed = [
        compose_email(
            new_email,
            "email_change_confirm",
            {**context, "link": external_url("account.confirm_email", token=token)},
            now=now,
            account_id=account.id,
            locale=account.locale,
        )
    ]
    old = account.contact_email()
    if old and old != new_email:
        composed.append(
            compose_email(
                old,
                "email_change_notice",
                context,
                now=now,
                account_id=account.id,
                locale=account.locale,
            )
        )
    audit.record(
        "account.email_change_requested",
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
        details={"to": new_email},
    )
    return composed


def resend_email_change(account: Account, *, now: dt.datetime) -> Message:
    """«Renvoyer un email de validation»: a fresh link to the pending address."""
    pending = pending_email(account, now=now)
    if pending is None:
        raise NoPendingChange()
    token = email_links.issue(
        account, email_links.EMAIL_CHANGE, pending.email, now=now, validity=EMAIL_CHANGE_VALIDITY
    )
    return compose_email(
        pending.email,
        "email_change_confirm",
        {
            "identifier": account.identifier,
            "new_email": pending.email,
            "link": external_url("account.confirm_email", token=token),
            **product_context(),
        },
        now=now,
        account_id=account.id,
        locale=account.locale,
    )


def confirm_email_change(token: str, *, now: dt.datetime) -> Account:
    link = email_links.consume(token, email_links.EMAIL_CHANGE, now=now)
    account = link.account
    account.email = link.email
    account.email_verified = True
    audit.record(
        "account.email_changed",
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
        details={"to": link.email},
    )
    return account


def send_mobile_code(
    account: Account, mobile: str, *, now: dt.datetime, secret: str, previous: str | None
) -> sms_codes.SmsChallenge:
    """003: a code to the new number; «Je n'ai pas reçu de code» resends after a delay."""
    if previous:
        earlier = db.session.get(sms_codes.SmsChallenge, previous)
        if earlier is not None and now - earlier.created_at < MOBILE_RESEND_DELAY:
            raise ResendTooSoon()
    return sms_codes.send_code(
        "mobile_change",
        mobile,
        now=now,
        secret=secret,
        context={"account_id": account.id},
        product_name=runtime.settings().product.name,
    )


def confirm_mobile(
    account: Account, challenge_id: str | None, code: str, *, now: dt.datetime, secret: str
) -> str:
    challenge = sms_codes.verify_code(
        challenge_id, code, purpose="mobile_change", now=now, secret=secret
    )
    if challenge.context.get("account_id") != account.id:
        raise sms_codes.CodeWrongOrExpired()
    account.mobile = challenge.mobile
    account.mobile_verified = True
    audit.record(
        "account.mobile_changed",
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
    )
    return challenge.mobile


def change_password(
    account: Account,
    current: str,
    new: str,
    *,
    now: dt.datetime,
    passwords: PasswordService,
    keep_session: str | None,
) -> None:
    """Current password required, checked as at sign-in (same throttle of the
    identifier, same cost); the browser in use stays signed in, the others end."""
    try:
        verify_password(account.identifier, current, now=now, passwords=passwords, rules=None)
    except InvalidCredentials:
        raise WrongCurrentPassword() from None
    set_own_password(
        account,
        new,
        occasion=Occasion.CHANGED,
        now=now,
        passwords=passwords,
        keep_session=keep_session,
    )
