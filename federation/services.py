"""Linking a FranceConnect identity to the parent's accounts (SPEC §4, §6.4; 004
§1.3.4–§1.3.5): the rules, callable from the views, the CLI and tests.

The first time a `sub` comes back from FranceConnect it is unknown: the parent
gives the mobile number they gave to the school, proves it with an SMS code
(accounts.sms_codes), and the guardian accounts matching that number and the
FranceConnect names (registry.matching) are found; the parent confirms each
child by birth date (accounts.children, throttled). Then the accounts are merged
into one (accounts.merging), the account is activated with origin FranceConnect
when it never was (accounts.states), and the link is made. Later sign-ins go
straight through (`account_for`). Every link, unlink and merge is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from accounts import audit
from accounts import children
from accounts import claiming
from accounts import merging
from accounts import sms_codes
from accounts import states
from accounts import throttle
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.terms import record_terms
from federation.client import FranceConnectIdentity
from federation.models import FranceConnectLink
from kernel.contact import normalise_mobile
from kernel.errors import DomainError
from kernel.extensions import db
from registry import matching
from registry.models import Pupil

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


class NoChildConfirmed(LinkingError):
    code = "franceconnect_no_child"
    message = _l(
        "Aucun enfant n'a pu être rattaché à votre compte. Contactez l'école de votre enfant."
    )


class AnswersIncomplete(LinkingError):
    code = "franceconnect_answers_incomplete"
    message = _l(
        "Pour chaque enfant, saisissez sa date de naissance ou cochez « Je ne suis pas le "
        "représentant légal de cet élève »."
    )


class AccountNotActivated(LinkingError):
    code = "franceconnect_account_not_activated"
    message = _l("Seul un compte activé peut être lié à FranceConnect par un opérateur.")


class IdentityLinkedElsewhere(LinkingError):
    code = "franceconnect_linked_elsewhere"
    message = _l("Cette identité FranceConnect est déjà liée à un autre compte.")


@dataclass(frozen=True)
class ChildAnswer:
    account_id: int
    pupil_id: int
    birth_date: dt.date | None
    not_mine: bool = False


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
    guardians = {}
    for last in identity.last_name_candidates():
        for first in identity.first_name_candidates():
            for guardian in matching.guardians_matching(last, first, mobile_e164):
                guardians[guardian.id] = guardian
    return claiming.live_accounts_of(list(guardians.values()))


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


def children_to_confirm(accounts: list[Account]) -> list[tuple[Account, Pupil]]:
    return [(account, pupil) for account in accounts for pupil in account.children()]


def link(
    identity: FranceConnectIdentity,
    mobile_e164: str,
    answers: list[ChildAnswer],
    *,
    now: dt.datetime,
    terms_version: str,
) -> Account:
    """Check every birth date, then merge, activate and link (one transaction)."""
    accounts = matching_accounts(identity, mobile_e164)
    if not accounts:
        raise MobileNotRecognised()
    expected = children_to_confirm(accounts)
    by_key = {(a.account_id, a.pupil_id): a for a in answers}
    if not expected or set(by_key) != {(a.id, p.id) for a, p in expected}:
        raise AnswersIncomplete()
    for account, pupil in expected:
        answer = by_key[(account.id, pupil.id)]
        if answer.not_mine:
            continue
        if answer.birth_date is None:
            raise AnswersIncomplete()
        children.verify_birth_date(
            pupil,
            answer.birth_date,
            now=now,
            subject=children.birth_date_subject(account, mobile_e164),
            account=account,
        )
    confirmed = [
        account
        for account in accounts
        if any(not by_key[(account.id, p.id)].not_mine for a, p in expected if a.id == account.id)
    ]
    for account, pupil in expected:
        if by_key[(account.id, pupil.id)].not_mine:
            children.report_not_mine(account, pupil, now=now, actor=audit.guardian_actor(account))
    if not confirmed:
        raise NoChildConfirmed()  # the reports stay (the caller commits them)
    for account in confirmed:
        throttle.record_success("birth_date", children.birth_date_subject(account, mobile_e164))
    keep = _account_to_keep(confirmed)
    # Refuse before the first change: a half-made merge must never be committed.
    if any(not merging.same_person_names(keep, other) for other in confirmed):
        raise merging.NamesDiffer()
    for other in confirmed:
        if other.id != keep.id:
            merging.merge_accounts(keep, other, now=now, actor=audit.guardian_actor(keep))
            for moved in links_of(other):
                moved.account = keep
    if keep.state != AccountState.ACTIVATED:
        states.activate_directly(keep, via=AccountOrigin.FRANCECONNECT, now=now)
    if keep.terms_accepted_at is None or keep.terms_version != terms_version:
        record_terms(keep, version=terms_version, now=now)
    if not keep.mobile:
        keep.mobile = mobile_e164
        keep.mobile_verified = True
    _make_link(identity, keep, now=now, merged=[a for a in confirmed if a.id != keep.id])
    return keep


def _account_to_keep(accounts: list[Account]) -> Account:
    """An account already Activé (the oldest) keeps its identifier and password; else the
    oldest account."""
    activated = [a for a in accounts if a.state == AccountState.ACTIVATED]
    if activated:
        return min(activated, key=lambda a: (a.activated_at or dt.datetime.min, a.id))
    return min(accounts, key=lambda a: a.id)


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
