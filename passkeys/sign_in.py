"""Signing in with a passkey (issue 17; WebAuthn §7.2): the authenticator picks the
account (a discoverable credential, no identifier typed, so no page ever says
whether an account exists), signs our challenge after checking its holder, and we
verify the signature with the public key kept at registration.

A passkey never opens an account the registry's rules keep closed: only an Activé
account signs in (`accounts.states.may_reach_services`), and not while its
password sign-in is locked after repeated failures (a director lifts the lock):
a passkey is another way in, not a way around. None of this commits: the view
commits the session opened, or the refusal (the challenge consumed, the audit row
of a sign count gone back).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from webauthn import generate_authentication_options
from webauthn import options_to_json
from webauthn import verify_authentication_response
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import AuthenticationCredential
from webauthn.helpers.structs import UserVerificationRequirement

from accounts import audit
from accounts import states
from accounts import throttle
from accounts.models import Account
from kernel.errors import DomainError
from kernel.extensions import db
from passkeys import challenges
from passkeys.models import Passkey
from passkeys.relying_party import RelyingParty

log = logging.getLogger("guichet.passkeys")

# RFC 8176: a key held in hardware (`hwk`), used after a test of its holder (`user`).
AMR = ["hwk", "user"]


class PasskeyNotRecognised(DomainError):
    code = "passkey_not_recognised"
    message = _l(
        "Cette clé d'accès n'a pas été reconnue. Si vous l'avez supprimée de votre compte, "
        "connectez-vous avec votre identifiant et votre mot de passe."
    )


class AccountClosedToPasskeys(DomainError):
    code = "passkey_account_closed"
    message = _l(
        "Ce compte ne peut pas se connecter à vos services en ligne. Connectez-vous avec "
        "votre identifiant et votre mot de passe ; en cas de difficulté, contactez l'école "
        "de votre enfant."
    )


@dataclass(frozen=True)
class SignedIn:
    account: Account
    passkey: Passkey


def begin(*, now: dt.datetime, rp: RelyingParty) -> tuple[str, str]:
    """The challenge's id (for this browser's session) and the options, as JSON, for
    `navigator.credentials.get()`: no list of credentials, so the authenticator
    offers the passkeys it holds for us and nothing says which accounts exist."""
    challenge = challenges.issue(challenges.SIGN_IN, now=now)
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge.challenge,
        timeout=int(challenges.LIFETIME.total_seconds() * 1000),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return challenge.id, options_to_json(options)


def finish(
    challenge_id: str | None, credential: str, *, now: dt.datetime, rp: RelyingParty
) -> SignedIn:
    """The account this browser's signed challenge opens, or the refusal."""
    consumed = challenges.consume(challenge_id, challenges.SIGN_IN, now=now)
    parsed = _parse(credential)
    passkey = db.session.scalar(db.select(Passkey).where(Passkey.credential_id == parsed.raw_id))
    if passkey is None:
        raise PasskeyNotRecognised(reason="unknown credential id")
    handle = parsed.response.user_handle
    if handle is not None and handle != passkey.user_handle:
        # WebAuthn §7.2 step 6: the authenticator's user must be this key's.
        raise PasskeyNotRecognised(reason="user handle of another account")
    try:
        # Sign count 0 here: the library checks the count before the signature; ours,
        # below, runs on a verified assertion only, so a forged one audits nothing.
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=consumed.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError) as error:
        raise PasskeyNotRecognised(reason=str(error)) from error
    _check_sign_count(passkey, verified.new_sign_count, now=now)
    account = passkey.account
    _check_account(account)
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now
    return SignedIn(account=account, passkey=passkey)


def _parse(credential: str) -> AuthenticationCredential:
    try:
        return parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError) as error:
        raise PasskeyNotRecognised(reason=str(error)) from error


def _check_sign_count(passkey: Passkey, new_count: int, *, now: dt.datetime) -> None:
    """WebAuthn §6.1.1: a count that does not grow means two copies of the key are in
    use — a cloned authenticator. Refused and audited (the director sees it)."""
    if (new_count > 0 or passkey.sign_count > 0) and new_count <= passkey.sign_count:
        audit.record(
            "passkey.sign_count_regressed",
            actor=audit.SYSTEM,
            now=now,
            accounts=[passkey.account],
            summary=passkey.name,
            details={"passkey_id": passkey.id, "stored": passkey.sign_count, "got": new_count},
        )
        log.warning("passkey %s: sign count went back, refused", passkey.id)
        raise PasskeyNotRecognised(reason="sign count went back")


def _check_account(account: Account) -> None:
    """The registry's and the console's rules win over any key (see the module's doc)."""
    if not states.may_reach_services(account.state):
        raise AccountClosedToPasskeys(reason=f"account {account.state.value}")
    if any(lock.kind == "password" for lock in throttle.locks_of(account)):
        raise throttle.JourneyLocked()
