"""Linking a FranceConnect identity to the parent's accounts (SPEC §4, §6.4; 004
§1.3.4–§1.3.5): the rules, callable from the views, the CLI and tests.

The first time a `sub` comes back from FranceConnect it is unknown: the parent
gives the mobile number they gave to the school and proves it with an SMS code
(accounts.sms_codes). From there the journey claims the parent's children the way
SMS self-registration does, through the same steps (accounts.claiming): the
accounts matching that number and the FranceConnect names, each child confirmed by
birth date or disowned, the accounts merged into one, Activé with origin
FranceConnect when it never was. What is FranceConnect's own stays here: the
identity and its name candidates, and the link made at the end. Later sign-ins go
straight through (`account_for`). Every link, unlink and merge is audited.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from accounts import audit
from accounts import claiming
from accounts import sms_codes
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from federation.client import FranceConnectIdentity
from federation.models import FranceConnectLink
from kernel.contact import normalise_mobile
from kernel.errors import DomainError
from kernel.extensions import db

SMS_PURPOSE = "franceconnect_link"


class LinkingError(DomainError):
    code = "franceconnect_linking"


class InvalidMobile(LinkingError):
    code = "franceconnect_invalid_mobile"
    message = _l(
        "Ce numéro de téléphone n'est pas valide. Saisissez un numéro de téléphone portable, "
        "par exemple 06 12 34 56 78 ou, pour un numéro étranger, +32 470 12 34 56."
    )


class MobileNotRecognised(LinkingError):
    code = "franceconnect_mobile_not_recognised"
    message = _l(
        "Ce numéro de téléphone portable n'est pas reconnu. Vérifiez la saisie de votre numéro : "
        "il doit être celui que vous avez donné à l'école de votre enfant. S'il est exact, "
        "contactez l'école de votre enfant pour qu'elle corrige vos données."
    )


class AccountNotActivated(LinkingError):
    code = "franceconnect_account_not_activated"
    message = _l("Seul un compte activé peut être lié à FranceConnect par un opérateur.")


class IdentityLinkedElsewhere(LinkingError):
    code = "franceconnect_linked_elsewhere"
    message = _l("Cette identité FranceConnect est déjà liée à un autre compte.")


# -- later sign-ins -------------------------------------------------------------------


def account_for(sub: str, *, now: dt.datetime) -> Account | None:
    """The live account linked to this FranceConnect identity, or None (link first).

    An account deleted by a merge made elsewhere (SPEC §6.6) hands its link to
    the account it was merged into."""
    link = db.session.scalar(db.select(FranceConnectLink).where(FranceConnectLink.sub == sub))
    if link is None:
        return None
    account = link.account
    seen = set()
    while account.state == AccountState.DELETED and account.merged_into_id not in seen:
        if account.merged_into_id is None:
            return None
        seen.add(account.merged_into_id)
        account = db.session.get(Account, account.merged_into_id)
    if account.state != AccountState.ACTIVATED:
        return None
    link.account = account
    link.last_used_at = now
    return account


def links_of(account: Account) -> list[FranceConnectLink]:
    """The FranceConnect identities that sign in to this account (account page)."""
    return list(
        db.session.scalars(
            db.select(FranceConnectLink)
            .where(FranceConnectLink.account_id == account.id)
            .order_by(FranceConnectLink.linked_at)
        )
    )


def unlink(account: Account, link_id: int, *, now: dt.datetime) -> FranceConnectLink | None:
    """The parent removes a link from their account page; None if it is not theirs."""
    link = db.session.get(FranceConnectLink, link_id)
    if link is None or link.account_id != account.id:
        return None
    audit.record(
        "franceconnect.unlinked",
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
        summary=f"{link.given_name} {link.family_name}".strip(),
        details={"sub": link.sub},
    )
    db.session.delete(link)
    return link


def link_by_operator(account: Account, sub: str, *, now: dt.datetime) -> FranceConnectLink:
    """An operator links an Activé account to a known `sub` (the demo's pre-linked
    parent, a support case); idempotent, audited as the operator."""
    if account.state != AccountState.ACTIVATED:
        raise AccountNotActivated()
    link = db.session.scalar(db.select(FranceConnectLink).where(FranceConnectLink.sub == sub))
    if link is not None:
        if link.account_id != account.id:
            raise IdentityLinkedElsewhere()
        return link
    link = FranceConnectLink(
        sub=sub,
        account=account,
        given_name=account.first_name,
        family_name=account.last_name,
        linked_at=now,
    )
    db.session.add(link)
    audit.record(
        "franceconnect.linked",
        actor=audit.OPERATOR,
        now=now,
        accounts=[account],
        summary=f"{account.first_name} {account.last_name}",
        details={"sub": sub, "by": "operator"},
    )
    return link


def unlink_by_operator(sub: str, *, now: dt.datetime) -> FranceConnectLink | None:
    link = db.session.scalar(db.select(FranceConnectLink).where(FranceConnectLink.sub == sub))
    if link is None:
        return None
    audit.record(
        "franceconnect.unlinked",
        actor=audit.OPERATOR,
        now=now,
        accounts=[link.account],
        summary=f"{link.given_name} {link.family_name}".strip(),
        details={"sub": sub, "by": "operator"},
    )
    db.session.delete(link)
    return link


# -- first sign-in: mobile, SMS code, birth dates ------------------------------------


def matching_accounts(identity: FranceConnectIdentity, mobile_e164: str) -> list[Account]:
    """Live accounts whose registry records carry this mobile and the FranceConnect names
    (every first name or the first one; birth name or usage name)."""
    return claiming.accounts_matching(
        identity.last_name_candidates(), identity.first_name_candidates(), mobile_e164
    )


def send_code(
    identity: FranceConnectIdentity,
    mobile_raw: str,
    *,
    now: dt.datetime,
    secret: str,
    validity: dt.timedelta,
    product_name: str,
) -> sms_codes.SmsChallenge:
    """Check that the number is known for these names, then send the SMS code."""
    mobile = normalise_mobile(mobile_raw)
    if mobile is None:
        raise InvalidMobile()
    if not matching_accounts(identity, mobile):
        raise MobileNotRecognised()
    return sms_codes.send_code(
        SMS_PURPOSE,
        mobile,
        now=now,
        secret=secret,
        validity=validity,
        context={"sub": identity.sub},
        product_name=product_name,
    )


def verify_code(
    identity: FranceConnectIdentity,
    challenge_id: str | None,
    code: str,
    *,
    now: dt.datetime,
    secret: str,
) -> str:
    """Accept the SMS code for this identity; returns the mobile it proves."""
    challenge = sms_codes.verify_code(
        challenge_id, code, purpose=SMS_PURPOSE, now=now, secret=secret
    )
    if challenge.context.get("sub") != identity.sub:
        raise sms_codes.CodeWrongOrExpired()
    return challenge.mobile


def children_to_confirm(accounts: list[Account]) -> list[claiming.Child]:
    """Every child of the matching accounts, those of an Activé account too: linking
    opens that account without its password."""
    return claiming.children_to_confirm(accounts, ask_activated=True)


def link(
    identity: FranceConnectIdentity,
    mobile_e164: str,
    answers: dict[int, claiming.Answer],
    *,
    now: dt.datetime,
    terms_version: str,
) -> Account:
    """Claim the children (every birth date checked first), then merge, activate and
    link, in one transaction. `answers` are keyed by pupil id."""
    accounts = matching_accounts(identity, mobile_e164)
    if not accounts:
        raise MobileNotRecognised()
    claim = claiming.confirm_children(accounts, children_to_confirm(accounts), answers, now=now)
    keep = claiming.complete(
        claim,
        via=AccountOrigin.FRANCECONNECT,
        mobile_e164=mobile_e164,
        terms_version=terms_version,
        now=now,
    )
    _move_links(claim.merged, to=keep)
    _make_link(identity, keep, now=now, merged=claim.merged)
    return keep


def _move_links(merged: list[Account], *, to: Account) -> None:
    """The FranceConnect identities of the merged accounts now sign in to the kept one."""
    for account in merged:
        for moved in links_of(account):
            moved.account = to


def _make_link(
    identity: FranceConnectIdentity, account: Account, *, now: dt.datetime, merged: list[Account]
) -> FranceConnectLink:
    link = db.session.scalar(
        db.select(FranceConnectLink).where(FranceConnectLink.sub == identity.sub)
    )
    if link is None:
        link = FranceConnectLink(sub=identity.sub, linked_at=now)
        db.session.add(link)
    link.account = account
    link.given_name = identity.given_name[:200]
    link.family_name = (identity.usage_name or identity.family_name)[:200]
    link.linked_at = now
    link.last_used_at = now
    audit.record(
        "franceconnect.linked",
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account, *merged],
        summary=f"{identity.given_name} {identity.family_name}".strip(),
        details={
            "sub": identity.sub,
            "acr": identity.acr,
            "merged": [a.identifier for a in merged],
        },
    )
    return link
