"""A signed-in parent's passkeys (issue 17): adding one (the registration ceremony,
WebAuthn §7.1), naming, renaming and removing them. Every change is audited in
its transaction; none commits.

Passkeys are discoverable credentials with user verification required: the
authenticator keeps the account (the parent types nothing at sign-in) and checks
its holder (PIN, fingerprint, face) each time, so a passkey alone is worth a
password. No attestation is asked ('none'): we trust the key, not the brand.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

from flask_babel import lazy_gettext as _l
from webauthn import generate_registration_options
from webauthn import options_to_json
from webauthn import verify_registration_response
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import AttestationConveyancePreference
from webauthn.helpers.structs import AuthenticatorSelectionCriteria
from webauthn.helpers.structs import PublicKeyCredentialDescriptor
from webauthn.helpers.structs import ResidentKeyRequirement
from webauthn.helpers.structs import UserVerificationRequirement

from accounts import audit
from accounts import states
from accounts.models import Account
from kernel.errors import DomainError
from kernel.extensions import db
from passkeys import challenges
from passkeys.models import NAME_MAX_LENGTH
from passkeys.models import Passkey
from passkeys.relying_party import ALGORITHMS
from passkeys.relying_party import RelyingParty

MAX_PASSKEYS = 10


class PasskeyError(DomainError):
    code = "passkey"


class NotAllowed(PasskeyError):
    code = "passkey_not_allowed"
    message = _l("Seul un compte activé peut enregistrer une clé d'accès.")


class TooManyPasskeys(PasskeyError):
    code = "passkey_too_many"
    message = _l(
        "Votre compte a déjà %(n)s clés d'accès : supprimez-en une avant d'en ajouter une autre.",
        n=MAX_PASSKEYS,
    )


class RegistrationRefused(PasskeyError):
    code = "passkey_registration_refused"
    message = _l(
        "La clé d'accès n'a pas pu être enregistrée : votre navigateur ou votre appareil "
        "n'a pas confirmé sa création. Veuillez réessayer."
    )


class AlreadyRegistered(PasskeyError):
    code = "passkey_already_registered"
    message = _l("Cette clé d'accès est déjà enregistrée.")


class PasskeyNotFound(PasskeyError):
    code = "passkey_not_found"
    message = _l("Cette clé d'accès n'existe pas ou a déjà été supprimée.")


def passkeys_of(account: Account) -> list[Passkey]:
    return list(
        db.session.scalars(
            db.select(Passkey).where(Passkey.account_id == account.id).order_by(Passkey.id)
        )
    )


def begin(account: Account, *, now: dt.datetime, rp: RelyingParty) -> tuple[str, str]:
    """The challenge's id (for the browser's session) and the options, as JSON, that
    the browser hands to `navigator.credentials.create()`."""
    _check_may_add(account)
    existing = passkeys_of(account)
    handle = existing[0].user_handle if existing else secrets.token_bytes(32)
    challenge = challenges.issue(challenges.REGISTER, now=now, account=account, user_handle=handle)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=handle,
        user_name=account.identifier,
        user_display_name=f"{account.first_name} {account.last_name}",
        challenge=challenge.challenge,
        timeout=int(challenges.LIFETIME.total_seconds() * 1000),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        # WebAuthn §5.4.3: an authenticator that already holds one of this account's
        # passkeys is not asked to make a second.
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in existing],
        supported_pub_key_algs=ALGORITHMS,
    )
    return challenge.id, options_to_json(options)


def finish(
    account: Account,
    challenge_id: str | None,
    credential: str,
    name: str,
    *,
    now: dt.datetime,
    rp: RelyingParty,
) -> Passkey:
    """Verify the browser's response to this account's challenge (consumed whatever
    the outcome) and keep the new public key under the parent's name for it."""
    _check_may_add(account)
    consumed = challenges.consume(challenge_id, challenges.REGISTER, now=now, account=account)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=consumed.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
            supported_pub_key_algs=ALGORITHMS,
        )
    except (WebAuthnException, ValueError, TypeError) as error:
        raise RegistrationRefused(reason=str(error)) from error
    taken = db.session.scalar(
        db.select(Passkey.id).where(Passkey.credential_id == verified.credential_id)
    )
    if taken is not None:
        raise AlreadyRegistered()
    passkey = Passkey(
        account_id=account.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        user_handle=consumed.user_handle,
        name=_clean(name) or _default_name(account),
        transports=_transports(credential),
        created_at=now,
    )
    db.session.add(passkey)
    db.session.flush()
    _audit("passkey.added", account, passkey, now=now)
    return passkey


def rename(account: Account, passkey_id: int, name: str, *, now: dt.datetime) -> Passkey:
    passkey = _own(account, passkey_id)
    before, passkey.name = passkey.name, _clean(name) or passkey.name
    _audit("passkey.renamed", account, passkey, now=now, before=before)
    return passkey


def remove(account: Account, passkey_id: int, *, now: dt.datetime) -> Passkey:
    """The key no longer opens the account, at once: the authenticator may keep it,
    but its next assertion finds nothing to verify against."""
    passkey = _own(account, passkey_id)
    _audit("passkey.removed", account, passkey, now=now)
    db.session.delete(passkey)
    return passkey


def own_passkey(account: Account, passkey_id: int) -> Passkey:
    """One of this account's passkeys (`PasskeyNotFound` for another's: no guessing ids)."""
    return _own(account, passkey_id)


def _own(account: Account, passkey_id: int) -> Passkey:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.account_id != account.id:
        raise PasskeyNotFound()
    return passkey


def _check_may_add(account: Account) -> None:
    if not states.may_reach_services(account.state):
        raise NotAllowed()
    count = db.session.scalar(
        db.select(db.func.count(Passkey.id)).where(Passkey.account_id == account.id)
    )
    if count >= MAX_PASSKEYS:
        raise TooManyPasskeys()


def _clean(name: str | None) -> str:
    return " ".join((name or "").split())[:NAME_MAX_LENGTH]


def _default_name(account: Account) -> str:
    count = db.session.scalar(
        db.select(db.func.count(Passkey.id)).where(Passkey.account_id == account.id)
    )
    return str(_l("Clé d'accès n° %(n)s", n=count + 1))


def _transports(credential: str) -> list[str]:
    """The transports the browser reported (kept to help a later sign-in), if any."""
    try:
        from_browser = json.loads(credential)["response"].get("transports") or []
    except (ValueError, KeyError, TypeError, AttributeError):
        return []
    return [str(t)[:20] for t in from_browser if isinstance(t, str)][:8]


def _audit(action: str, account: Account, passkey: Passkey, *, now: dt.datetime, **details):
    audit.record(
        action,
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
        summary=passkey.name,
        details={"passkey_id": passkey.id, **details},
    )
