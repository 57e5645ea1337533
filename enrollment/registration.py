"""Self-registration by SMS (SPEC §6.3, seed 003; issue 5 journey 2).

Names + mobile → a 6-digit code (accounts.sms_codes, 30 minutes, one try) → the
registry's guardian records matching names and mobile → each child confirmed by
birth date, or disowned («Je ne suis pas le représentant légal de cet élève») →
a password → Activé, origin Responsable, identifier shown. Several matching
records with several accounts become one account on the way (SPEC §2). Every
step after the code is accounts.claiming's, shared with FranceConnect linking;
the code, the password and the pages between steps are this journey's own.

Between steps the journey lives on the accepted SMS challenge (server side):
the browser holds only its id, and the journey ends 30 minutes after the code
was accepted or when it completes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from accounts import claiming
from accounts import sms_codes
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.password_changes import Occasion
from accounts.password_changes import set_own_password
from accounts.passwords import PasswordService
from accounts.passwords import validate_chosen_password
from kernel.config import AccountRules
from kernel.errors import DomainError
from kernel.extensions import db
from registry.models import Guardian
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


@dataclass
class Journey:
    challenge: sms_codes.SmsChallenge
    accounts: list[Account]  # matching names and mobile, live, oldest first
    claim: claiming.Claim | None = None  # once the children are confirmed

    @property
    def context(self) -> dict:
        return self.challenge.context

    @property
    def mobile(self) -> str:
        return self.challenge.mobile

    def children_to_confirm(self) -> list[claiming.Child]:
        """An account already Activé is not opened here (its password is still needed to
        sign in): its children, proved when it was activated, are not asked again."""
        return claiming.children_to_confirm(self.accounts, ask_activated=False)

    @property
    def keep(self) -> Account:
        return self.claim.keep

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
    """The code, then the registry: the accounts of the matching guardian records."""
    challenge = sms_codes.verify_code(challenge_id, code, purpose=PURPOSE, now=now, secret=secret)
    accounts = claiming.accounts_matching(
        [challenge.context["last_name"]], [challenge.context["first_name"]], challenge.mobile
    )
    if not accounts:
        challenge.context = {**challenge.context, "stage": "unknown"}
        raise NumberNotRecognised()
    if all(a.state == AccountState.ACTIVATED for a in accounts):
        # Nothing is left to claim here (their children were proved at activation);
        # Activé accounts merge from the account page, with the other's password.
        challenge.context = {**challenge.context, "stage": "already_activated"}
        raise AlreadyActivated(claiming.account_to_keep(accounts).identifier)
    challenge.context = {
        **challenge.context,
        "stage": "children",
        "account_ids": [a.id for a in accounts],
    }
    return Journey(challenge, accounts)


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
    accounts = _live_accounts(challenge.context["account_ids"])
    if not accounts:  # merged elsewhere meanwhile
        raise JourneyOver()
    journey = Journey(challenge, accounts)
    if "claim" in challenge.context:
        journey.claim = _saved_claim(challenge.context["claim"])
    return journey


def confirm_children(
    journey: Journey, answers: dict[int, claiming.Answer], *, now: dt.datetime
) -> None:
    """Each child confirmed by birth date or disowned (accounts.claiming); the claim is
    kept on the challenge for the password page."""
    claim = claiming.confirm_children(
        journey.accounts, journey.children_to_confirm(), answers, now=now
    )
    journey.claim = claim
    journey.challenge.context = {
        **journey.context,
        "stage": "password",
        "claim": {
            "keep_id": claim.keep.id,
            "account_ids": [a.id for a in claim.accounts],
            "disowned": [[c.guardian.id, c.pupil.id] for c in claim.disowned],
        },
    }


def complete(
    journey: Journey,
    *,
    password: str | None,
    now: dt.datetime,
    passwords: PasswordService | None,
    rules: AccountRules | None,
) -> Account:
    """One transaction: the claim completed (merges, reports, Activé, terms), the
    password. An account already Activé keeps its own password and terms."""
    needs_password = journey.needs_password
    if needs_password:
        validate_chosen_password(password, passwords.policy)
    keep = claiming.complete(
        journey.claim,
        via=AccountOrigin.GUARDIAN,
        mobile_e164=journey.mobile,
        terms_version=rules.terms_version if needs_password else None,
        now=now,
    )
    if needs_password:
        set_own_password(keep, password, occasion=Occasion.CHOSEN, now=now, passwords=passwords)
    journey.challenge.context = {**journey.context, "stage": "done"}
    return keep


def _live_accounts(ids: list[int]) -> list[Account]:
    accounts = [db.session.get(Account, i) for i in ids]
    return [a for a in accounts if a is not None and not a.is_deleted]


def _saved_claim(saved: dict) -> claiming.Claim:
    keep = db.session.get(Account, saved["keep_id"])
    if keep is None or keep.is_deleted:
        raise JourneyOver()
    return claiming.Claim(
        keep=keep,
        accounts=_live_accounts(saved["account_ids"]),
        disowned=[
            claiming.Child(db.session.get(Guardian, g), db.session.get(Pupil, p))
            for g, p in saved["disowned"]
        ],
    )
