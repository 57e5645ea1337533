"""Activation of a distributed account (SPEC §4, §6.2; issue 5 journey 1) and what
the other journeys share: the activation email C07, terms acceptance, links.

Notifié et non activé → (new password, email, birth date of the named child) →
En cours d'activation → link of C07 → Activé. Temporary credentials and the
activation link expire 3 months after they were issued (`AccountRules`).
Functions take `now=` and the services they need; they never read the request.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import lazy_gettext as _l

from accounts import audit
from accounts import children
from accounts import email_links
from accounts import states
from accounts.authentication import TemporaryPasswordExpired
from accounts.errors import DomainError
from accounts.errors import ForbiddenTransition
from accounts.models import Account
from accounts.models import AccountState
from accounts.passwords import PasswordService
from accounts.passwords import validate_chosen_password
from accounts.terms import record_terms
from idp import runtime
from idp.clock import paris_today
from idp.config import AccountRules
from messaging.compose import compose_email
from registry.models import Pupil


class NoEmail(DomainError):
    code = "no_email"
    message = _l("Aucune adresse électronique n'est renseignée pour ce compte.")


def external_url(endpoint: str, **values) -> str:
    """An absolute address on PUBLIC_URL (never the request's Host header), usable from
    the console, the CLI and jobs as well as from a page."""
    public = runtime.settings().public_url.rstrip("/")
    scheme, _, rest = public.partition("://")
    host, _, script = rest.partition("/")
    adapter = current_app.url_map.bind(
        host, url_scheme=scheme, script_name="/" + script if script else None
    )
    return adapter.build(endpoint, values, force_external=True)


def product_context() -> dict:
    product = runtime.settings().product
    return {"product": product, "service_url": product.service_url, "help_url": product.help_url}


def named_child(account: Account) -> Pupil | None:
    """The child whose birth date the activation asks (the first listed, SPEC §6.2)."""
    pupils = account.children()
    return pupils[0] if pupils else None


def activate_with_temporary_password(
    account: Account,
    *,
    password: str,
    email: str,
    birth_date: dt.date | None,
    now: dt.datetime,
    passwords: PasswordService,
    rules: AccountRules,
) -> None:
    """First sign-in of a distributed account: checks, then En cours d'activation and C07.

    The birth date is checked first (it is the guessable secret, throttled per
    account); nothing changes unless every step passes.
    """
    if account.state != AccountState.NOTIFIED or not account.must_change_password:
        raise ForbiddenTransition(move="start_activation", state=account.state.value)
    validate_chosen_password(password, passwords.policy)
    if passwords.temporary_password_expired(
        account, today=paris_today(now), validity_days=rules.temporary_password_validity_days
    ):
        raise TemporaryPasswordExpired()
    child = named_child(account)
    if child is not None:
        children.verify_birth_date(
            child,
            birth_date,
            now=now,
            subject=children.birth_date_subject(account, "activation"),
            account=account,
        )
    passwords.set_chosen(account, password)
    record_terms(account, version=rules.terms_version, now=now)
    states.start_activation(account, now=now)
    send_activation_email(account, email, now=now)


def send_activation_email(account: Account, email: str, *, now: dt.datetime):
    """Letter C07 with a fresh activation link, valid 3 months (SPEC §4); older links
    stop working. The address becomes the account's email, unconfirmed until the link
    is clicked (SPEC §5: a director's correction in the resend dialog too).
    Used by the activation journey and by the console's «Renvoyer un courriel
    d'activation» (004 §5.6). Returns the composed message; the caller commits."""
    if account.state != AccountState.ACTIVATING:
        raise ForbiddenTransition(move="send_activation_email", state=account.state.value)
    address = (email or "").strip().lower()
    if not address:
        raise NoEmail()
    if account.email != address:
        account.email = address
        account.email_verified = False
    rules = runtime.settings().accounts
    token = email_links.issue(
        account,
        email_links.ACTIVATION,
        address,
        now=now,
        validity=dt.timedelta(days=rules.activation_link_validity_days),
    )
    return compose_email(
        address,
        "C07",
        {
            "identifier": account.identifier,
            "link": external_url("enrollment.confirm_email", token=token),
            **product_context(),
        },
        now=now,
    )


def confirm_activation_link(token: str, *, now: dt.datetime) -> Account:
    """The parent clicked C07's link: the address is confirmed and the account Activé."""
    link = email_links.consume(token, email_links.ACTIVATION, now=now)
    account = link.account
    if account.state != AccountState.ACTIVATING:
        raise email_links.LinkInvalid()
    account.email = link.email
    account.email_verified = True
    states.confirm_activation(account, now=now)
    return account


def choose_new_password(
    account: Account, password: str, *, now: dt.datetime, passwords: PasswordService
) -> None:
    """A temporary password given after a reset is replaced by the parent's own one
    (the state never changes, SPEC §4); other sessions of the account end."""
    from idp import sessions

    if not account.must_change_password:
        raise ForbiddenTransition(move="choose_password", state=account.state.value)
    passwords.set_chosen(account, password)
    sessions.end_sessions_of(account, now=now, reason="password_changed")
    audit.record(
        "account.password_chosen",
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
    )
