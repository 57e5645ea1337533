"""Lost identifier and lost password (SPEC §5 «which contact data», §6.5; seed 003).

The contact on record is the registry's (the school's) email or mobile, or the
account's own once confirmed. Every request gets the same answer on screen
whether or not an account matches, and the same work is done before answering
(the sending itself happens after the commit, through the job queue when Redis
is configured, SMS included): nothing tells an onlooker that an identifier, an
address or a number is known. An account never activated, or
whose email is not confirmed, receives the explanation (and, when it awaits its
activation, a fresh activation email C07) at the contact on record instead.

Reset links are single-use and valid one hour; SMS codes are the shared ones
(30 minutes, one try). A new password ends every session of the account and
never changes its state (SPEC §4).
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import func
from sqlalchemy import or_

from accounts import activation_email
from accounts import email_links
from accounts import sms_codes
from accounts.authentication import find_by_identifier
from accounts.models import Account
from accounts.models import AccountState
from accounts.password_changes import Occasion
from accounts.password_changes import set_own_password
from accounts.passwords import PasswordService
from accounts.passwords import validate_chosen_password
from kernel.extensions import db
from kernel.web import external_url
from kernel.web import product_context
from messaging.compose import compose_email
from messaging.compose import compose_sms
from messaging.models import Message
from registry.models import Guardian

RESET_LINK_VALIDITY = dt.timedelta(hours=1)
RESET_STEP_LIFETIME = dt.timedelta(minutes=15)
SMS_PURPOSE = "lost_password"
# Messages that carry no secret (identifiers, explanations) sent to one recipient.
PER_RECIPIENT_LIMIT = (dt.timedelta(hours=1), 3)
RECOVERABLE = (AccountState.NOTIFIED, AccountState.ACTIVATING, AccountState.ACTIVATED)


def accounts_for_email(email: str) -> list[Account]:
    return _recoverable(
        func.lower(Guardian.email) == email,
        (Account.email == email) & Account.email_verified.is_(True),
    )


def accounts_for_mobile(mobile: str) -> list[Account]:
    return _recoverable(
        Guardian.mobile == mobile,
        (Account.mobile == mobile) & Account.mobile_verified.is_(True),
    )


def _recoverable(registry_contact, verified_contact) -> list[Account]:
    """A contact reaches the recoverable accounts it belongs to, through the registry
    (a guardian record still current) or as the parent's own verified address or number."""
    registry = db.select(Guardian.account_id).where(
        registry_contact, Guardian.withdrawn_at.is_(None)
    )
    return list(
        db.session.scalars(
            db.select(Account)
            .where(
                or_(Account.id.in_(registry), verified_contact),
                Account.state.in_(RECOVERABLE),
            )
            .order_by(Account.identifier)
        )
    )


def _recently_sent(recipient: str, template: str, *, now: dt.datetime) -> bool:
    window, limit = PER_RECIPIENT_LIMIT
    sent = db.session.scalar(
        db.select(func.count())
        .select_from(Message)
        .where(
            Message.recipient == recipient,
            Message.template == template,
            Message.created_at > now - window,
        )
    )
    return sent >= limit


def send_identifiers_by_email(email: str, *, now: dt.datetime) -> None:
    """Every identifier attached to the address (families share one, SPEC §5)."""
    found = accounts_for_email(email)
    if found and not _recently_sent(email, "lost_identifier", now=now):
        compose_email(
            email,
            "lost_identifier",
            {"accounts": found, **product_context()},
            now=now,
            locale=found[0].locale,
        )


def send_identifiers_by_sms(mobile: str, *, now: dt.datetime) -> None:
    found = accounts_for_mobile(mobile)
    if found and not _recently_sent(mobile, "lost_identifier", now=now):
        compose_sms(
            mobile,
            "lost_identifier",
            {"identifiers": [a.identifier for a in found], **product_context()},
            now=now,
            immediate=False,
            locale=found[0].locale,
        )


def registry_emails(account: Account) -> set[str]:
    return {g.email.lower() for g in account.guardians if g.email and not g.withdrawn_at}


def mobile_on_record(account: Account) -> str | None:
    if account.mobile and account.mobile_verified:
        return account.mobile
    return account.registry_contact()[1]


def request_reset_by_email(identifier: str, email: str, *, now: dt.datetime) -> None:
    """Mail a reset link when the identifier and the address on record go together."""
    account = find_by_identifier(identifier)
    if account is None or account.state not in RECOVERABLE:
        return
    confirmed_own = account.email if account.email and account.email_verified else None
    if email not in registry_emails(account) | ({confirmed_own} - {None}):
        return
    activated = account.state == AccountState.ACTIVATED
    template = "password_reset" if activated else "account_not_activated"
    if _recently_sent(email, template, now=now):
        return
    context = {"identifier": account.identifier, **product_context()}
    if not activated:
        activating = account.state == AccountState.ACTIVATING
        compose_email(
            email,
            template,
            {**context, "activating": activating},
            now=now,
            account_id=account.id,
            locale=account.locale,
        )
        if activating:
            activation_email.send_activation_email(account, account.email or email, now=now)
        return
    token = email_links.issue(
        account, email_links.PASSWORD_RESET, email, now=now, validity=RESET_LINK_VALIDITY
    )
    compose_email(
        email,
        template,
        {
            **context,
            "link": external_url("enrollment.reset_password", token=token),
            "minutes": int(RESET_LINK_VALIDITY.total_seconds() // 60),
        },
        now=now,
        account_id=account.id,
        locale=account.locale,
    )


def request_reset_by_sms(identifier: str, *, now: dt.datetime, secret: str, product: str) -> str:
    """A code to the mobile on record; returns the id the browser keeps for the next
    step — a decoy when no code was sent, so the next page is the same for everyone."""
    decoy = secrets.token_urlsafe(32)
    account = find_by_identifier(identifier)
    if account is None or account.state not in RECOVERABLE:
        return decoy
    mobile = mobile_on_record(account)
    if mobile is None:
        return decoy
    if account.state != AccountState.ACTIVATED:
        if not _recently_sent(mobile, "account_not_activated", now=now):
            compose_sms(
                mobile,
                "account_not_activated",
                product_context(),
                now=now,
                immediate=False,
                account_id=account.id,
                locale=account.locale,
            )
            if account.state == AccountState.ACTIVATING and account.email:
                activation_email.send_activation_email(account, account.email, now=now)
        return decoy
    try:
        challenge = sms_codes.send_code(
            SMS_PURPOSE,
            mobile,
            now=now,
            secret=secret,
            context={"account_id": account.id},
            product_name=product,
            immediate=False,
        )
    except sms_codes.TooManyCodes:
        return decoy
    return challenge.id


def verify_reset_code(challenge_id: str | None, code: str, *, now: dt.datetime, secret: str):
    challenge = sms_codes.verify_code(
        challenge_id, code, purpose=SMS_PURPOSE, now=now, secret=secret
    )
    challenge.context = {**challenge.context, "stage": "new_password"}
    return challenge


def account_for_code_step(challenge_id: str | None, *, now: dt.datetime) -> Account | None:
    """The account whose code was accepted less than 15 minutes ago, once."""
    challenge = db.session.get(sms_codes.SmsChallenge, challenge_id) if challenge_id else None
    if (
        challenge is None
        or challenge.purpose != SMS_PURPOSE
        or challenge.outcome != "accepted"
        or challenge.context.get("stage") != "new_password"
        or now > challenge.used_at + RESET_STEP_LIFETIME
    ):
        return None
    return db.session.get(Account, challenge.context["account_id"])


def finish_code_step(challenge_id: str) -> None:
    challenge = db.session.get(sms_codes.SmsChallenge, challenge_id)
    challenge.context = {**challenge.context, "stage": "done"}


def reset_with_link(
    token: str, password: str, *, now: dt.datetime, passwords: PasswordService
) -> Account:
    """The link of the reset email: checked, the password checked, then the link used."""
    email_links.peek(token, email_links.PASSWORD_RESET, now=now)
    validate_chosen_password(password, passwords.policy)
    link = email_links.consume(token, email_links.PASSWORD_RESET, now=now)
    set_new_password(link.account, password, now=now, passwords=passwords, via="email")
    return link.account


def set_new_password(
    account: Account, password: str, *, now: dt.datetime, passwords: PasswordService, via: str
) -> None:
    """«Votre mot de passe a été modifié avec succès»: every session ends (the parent
    is signed in nowhere here), state unchanged."""
    set_own_password(
        account,
        password,
        occasion=Occasion.RECOVERED,
        now=now,
        passwords=passwords,
        details={"via": via},
    )
