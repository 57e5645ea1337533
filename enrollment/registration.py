"""Self-registration by SMS (SPEC §6.3, seed 003; issue 5 journey 2).

Names + mobile → a 6-digit code (accounts.sms_codes, 30 minutes, one try) → the
registry's guardian records matching names and mobile → each child confirmed by
birth date, or disowned («Je ne suis pas le représentant légal de cet élève») →
a password → Activé, origin Responsable, identifier shown. Several matching
records with several accounts become one account on the way (SPEC §2).

Between steps the journey lives on the accepted SMS challenge (server side):
the browser holds only its id, and the journey ends 30 minutes after the code
was accepted or when it completes.
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
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.password_changes import Occasion
from accounts.password_changes import set_own_password
from accounts.passwords import PasswordService
from accounts.passwords import validate_chosen_password
from accounts.terms import record_terms
from kernel.config import AccountRules
from kernel.errors import DomainError
from kernel.extensions import db
from registry import matching
from registry.models import Pupil

PURPOSE = "register"
JOURNEY_LIFETIME = dt.timedelta(minutes=30)


class NumberNotRecognised(DomainError):
    code = "register_number_not_recognised"
    message = _l(
        "Votre numéro de téléphone n'est pas reconnu avec ces nom et prénom. Le numéro attendu "
        "est celui communiqué à l'école de votre enfant. Vérifiez la saisie de votre numéro, "
        "de votre nom et de votre prénom, puis cliquez sur « Réessayer ». Sinon, contactez "
        "l'école de votre enfant afin de modifier vos informations personnelles."
    )


class JourneyOver(DomainError):
    code = "register_journey_over"
    message = _l(
        "Votre inscription a expiré ou est déjà terminée. Cliquez sur « Réessayer » pour "
        "recommencer avec un nouveau code."
    )


class AlreadyActivated(DomainError):
    code = "register_already_activated"

    def __init__(self, identifier: str):
        super().__init__(
            _l(
                "Vous avez déjà un compte activé, dont l'identifiant est %(identifier)s. "
                "Connectez-vous avec cet identifiant ; si vous avez oublié votre mot de passe, "
                "utilisez « Mot de passe perdu ».",
                identifier=identifier,
            )
        )


class NoChildConfirmed(DomainError):
    code = "register_no_child"
    message = _l(
        "Aucun enfant n'a été confirmé : le compte ne peut pas être activé. Contactez l'école "
        "de votre enfant pour leur signaler et leur demander de rectifier les données."
    )


@dataclass
class Journey:
    challenge: sms_codes.SmsChallenge
    accounts: list[Account]
    keep: Account

    @property
    def context(self) -> dict:
        return self.challenge.context

    @property
    def mobile(self) -> str:
        return self.challenge.mobile

    def pupils_to_confirm(self) -> list[Pupil]:
        """Every child of the matched accounts, but those of an account already Activé
        (the parent proved them when it was activated)."""
        seen: dict[int, Pupil] = {}
        for account in self.accounts:
            if account.state == AccountState.ACTIVATED:
                continue
            for pupil in account.children():
                seen.setdefault(pupil.id, pupil)
        return list(seen.values())

    @property
    def needs_password(self) -> bool:
        return self.keep.state != AccountState.ACTIVATED


def start(
    last_name: str, first_name: str, mobile: str, *, now: dt.datetime, secret: str, product: str
) -> sms_codes.SmsChallenge:
    """Send the code to any valid mobile (whether it is known is told only to whoever
    holds the phone: no enumeration from the first page)."""
    return sms_codes.send_code(
        PURPOSE,
        mobile,
        now=now,
        secret=secret,
        context={"last_name": last_name.strip(), "first_name": first_name.strip()},
        product_name=product,
    )


def verify(challenge_id: str | None, code: str, *, now: dt.datetime, secret: str) -> Journey:
    """The code, then the registry: the matching guardians' accounts, the one to keep."""
    challenge = sms_codes.verify_code(challenge_id, code, purpose=PURPOSE, now=now, secret=secret)
    guardians = matching.guardians_matching(
        challenge.context["last_name"], challenge.context["first_name"], challenge.mobile
    )
    accounts = claiming.live_accounts_of(guardians)
    if not accounts:
        challenge.context = {**challenge.context, "stage": "unknown"}
        raise NumberNotRecognised()
    activated = [a for a in accounts if a.state == AccountState.ACTIVATED]
    keep = activated[0] if activated else accounts[0]
    if keep.state == AccountState.ACTIVATED and len(accounts) == 1:
        challenge.context = {**challenge.context, "stage": "already_activated"}
        raise AlreadyActivated(keep.identifier)
    challenge.context = {
        **challenge.context,
        "stage": "children",
        "account_ids": [a.id for a in accounts],
        "keep_id": keep.id,
    }
    return Journey(challenge, accounts, keep)


def resume(challenge_id: str | None, *, stage: str, now: dt.datetime) -> Journey:
    challenge = db.session.get(sms_codes.SmsChallenge, challenge_id) if challenge_id else None
    if (
        challenge is None
        or challenge.purpose != PURPOSE
        or challenge.outcome != "accepted"
        or challenge.context.get("stage") != stage
        or now > challenge.used_at + JOURNEY_LIFETIME
    ):
        raise JourneyOver()
    accounts = [db.session.get(Account, i) for i in challenge.context["account_ids"]]
    accounts = [a for a in accounts if a is not None and not a.is_deleted]
    keep = db.session.get(Account, challenge.context["keep_id"])
    if keep is None or keep.is_deleted:
        raise JourneyOver()
    return Journey(challenge, accounts, keep)


class ChildMismatch(DomainError):
    """A birth date not recognised, with the child it is about (for the page)."""

    code = children.BirthDateMismatch.code
    message = children.BirthDateMismatch.message

    def __init__(self, pupil: Pupil):
        self.pupil = pupil
        super().__init__()


def confirm_children(
    journey: Journey, answers: dict[int, dt.date | None], not_mine: set[int], *, now: dt.datetime
) -> None:
    """Each child is confirmed by birth date or disowned; a wrong date counts against the
    journey's mobile (growing delays, then a lock the director lifts)."""
    pupils = journey.pupils_to_confirm()
    subject = children.birth_date_subject(None, f"register:{journey.mobile}")
    confirmed = []
    for pupil in pupils:
        if pupil.id in not_mine:
            continue
        try:
            # The lock is filed under the account, so the director sees it and can lift it.
            children.verify_birth_date(
                pupil, answers.get(pupil.id), now=now, subject=subject, account=journey.keep
            )
        except children.BirthDateMismatch as exc:
            raise ChildMismatch(pupil) from exc
        confirmed.append(pupil.id)
    if pupils and not confirmed:
        raise NoChildConfirmed()
    journey.challenge.context = {
        **journey.context,
        "stage": "password",
        "not_mine": sorted(p.id for p in pupils if p.id in not_mine),
    }


def complete(
    journey: Journey,
    *,
    password: str | None,
    now: dt.datetime,
    passwords: PasswordService | None,
    rules: AccountRules | None,
) -> Account:
    """One transaction: merges, disowned children reported, password, terms, Activé."""
    keep = journey.keep
    if journey.needs_password:
        validate_chosen_password(password, passwords.policy)
    actor = audit.guardian_actor(keep)
    disowned = set(journey.context.get("not_mine", []))
    disowned_pupils = [p for p in journey.pupils_to_confirm() if p.id in disowned]
    for other in journey.accounts:
        if other.id != keep.id:
            merging.merge_accounts(keep, other, now=now, actor=actor)
    for pupil in disowned_pupils:
        children.report_not_mine(keep, pupil, now=now, actor=actor)
    if journey.needs_password:
        set_own_password(keep, password, occasion=Occasion.CHOSEN, now=now, passwords=passwords)
        record_terms(keep, version=rules.terms_version, now=now)
        states.activate_directly(keep, via=AccountOrigin.GUARDIAN, now=now)
    keep.mobile = journey.mobile
    keep.mobile_verified = True
    journey.challenge.context = {**journey.context, "stage": "done"}
    return keep
