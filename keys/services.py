"""Key life cycle (issue 4, "Keys"): generate, rotate, retire, and the JWKS.

A key is born `next` (published, not signing) unless there is no current key
yet; `rotate` promotes `next` to `current`, retires the old current key and
prepares a new `next`, so relying parties that refresh the JWKS on an unknown
`kid` or on its cache lifetime never meet a token signed by a key they cannot
find. Retired keys stay published `retired_key_published_days`, then drop out.
Private keys are stored encrypted with the box given by the caller.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import weakref

from flask_babel import lazy_gettext as _l
from joserfc.jwk import ECKey
from joserfc.jwk import Key
from joserfc.jwk import RSAKey

from kernel.errors import DomainError
from kernel.extensions import db
from kernel.secretbox import SecretBox
from keys.models import KeyStatus
from keys.models import SigningKey

ALGORITHMS = ("RS256", "ES256")


class SigningKeyError(DomainError):
    code = "signing_key"
    message = _l("Opération impossible sur les clés de signature.")


class UnknownAlgorithm(SigningKeyError):
    code = "unknown_algorithm"
    message = _l("Algorithme inconnu : RS256 ou ES256.")


class UnknownKey(SigningKeyError):
    code = "unknown_key"
    message = _l("Aucune clé de signature ne porte cet identifiant.")


class NoSigningKey(SigningKeyError):
    code = "no_signing_key"
    message = _l("Aucune clé de signature : lancez « guichet keys generate ».")


class CurrentKeyCannotRetire(SigningKeyError):
    code = "current_key"
    message = _l("La clé courante ne se retire pas : utilisez « guichet keys rotate ».")


class NextKeyExists(SigningKeyError):
    code = "next_key_exists"
    message = _l("Une clé suivante est déjà publiée : utilisez « guichet keys rotate ».")


def generate(alg: str, *, box: SecretBox, now: dt.datetime) -> SigningKey:
    """A new key: `current` if there is none, else `next` (one `next` at a time)."""
    if alg not in ALGORITHMS:
        raise UnknownAlgorithm()
    if _one(KeyStatus.CURRENT) is None:
        return _create(alg, KeyStatus.CURRENT, box=box, now=now)
    if _one(KeyStatus.NEXT) is not None:
        raise NextKeyExists()
    return _create(alg, KeyStatus.NEXT, box=box, now=now)


def ensure_current(alg: str, *, box: SecretBox, now: dt.datetime) -> SigningKey:
    """The current key, generated with a `next` one on a fresh installation (demo, tests)."""
    current = _one(KeyStatus.CURRENT)
    if current is None:
        current = _create(alg, KeyStatus.CURRENT, box=box, now=now)
    if _one(KeyStatus.NEXT) is None:
        _create(alg, KeyStatus.NEXT, box=box, now=now)
    return current


def rotate(
    *, box: SecretBox, now: dt.datetime, alg: str | None = None
) -> tuple[SigningKey, SigningKey]:
    """`next` becomes `current`, `current` is retired, a new `next` is made.
    Returns (new current, new next)."""
    if alg is not None and alg not in ALGORITHMS:
        raise UnknownAlgorithm()
    current = _one(KeyStatus.CURRENT)
    upcoming = _one(KeyStatus.NEXT)
    if upcoming is None:
        upcoming = _create(
            alg or (current.alg if current else "RS256"), KeyStatus.NEXT, box=box, now=now
        )
    if current is not None:
        current.status = KeyStatus.RETIRED
        current.retired_at = now
    upcoming.status = KeyStatus.CURRENT
    upcoming.activated_at = now
    db.session.flush()
    new_next = _create(alg or upcoming.alg, KeyStatus.NEXT, box=box, now=now)
    forget_cached_keys()
    return upcoming, new_next


def retire(kid: str, *, now: dt.datetime, withdraw: bool = False) -> SigningKey:
    """Stop publishing a `next` key, or (`withdraw`) drop any non-current key from the
    JWKS at once — for a key believed compromised."""
    key = db.session.scalar(db.select(SigningKey).where(SigningKey.kid == kid))
    if key is None:
        raise UnknownKey()
    if key.status == KeyStatus.CURRENT:
        raise CurrentKeyCannotRetire()
    key.status = KeyStatus.WITHDRAWN if withdraw else KeyStatus.RETIRED
    key.retired_at = key.retired_at or now
    forget_cached_keys()
    return key


def all_keys() -> list[SigningKey]:
    return list(
        db.session.scalars(db.select(SigningKey).order_by(SigningKey.created_at, SigningKey.id))
    )


def published(*, now: dt.datetime, retired_days: int) -> list[SigningKey]:
    """Keys in the JWKS: current, next, and those retired less than `retired_days` ago."""
    since = now - dt.timedelta(days=retired_days)
    return [
        key
        for key in all_keys()
        if key.status in (KeyStatus.CURRENT, KeyStatus.NEXT)
        or (key.status == KeyStatus.RETIRED and key.retired_at and key.retired_at >= since)
    ]


def jwks(*, now: dt.datetime, retired_days: int) -> dict:
    """The public JSON Web Key Set (RFC 7517 §5)."""
    order = {KeyStatus.CURRENT: 0, KeyStatus.NEXT: 1, KeyStatus.RETIRED: 2}
    keys = sorted(published(now=now, retired_days=retired_days), key=lambda k: order[k.status])
    return {"keys": [dict(key.public_jwk) for key in keys]}


# Which key is current is read again after this many seconds: another process's
# rotation reaches this one that late, harmlessly, since the retired key stays in
# the JWKS and the new one was published (as `next`) long before.
CURRENT_KEY_RECHECK_SECONDS = 10.0

_cache_lock = threading.Lock()
# box -> (recheck at, kid, alg, decrypted private key); a box belongs to one app.
_current_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def signing_key(*, box: SecretBox) -> tuple[str, str, Key]:
    """(kid, alg, private key) of the current key, decrypted once per process."""
    now = time.monotonic()
    with _cache_lock:
        cached = _current_cache.get(box)
    if cached is not None and cached[0] > now:
        return cached[1], cached[2], cached[3]
    current = _one(KeyStatus.CURRENT)
    if current is None:
        raise NoSigningKey()
    if cached is not None and cached[1] == current.kid:
        key = cached[3]
    else:
        key = _import(current.alg, box.decrypt(current.private_key_encrypted))
    with _cache_lock:
        _current_cache[box] = (now + CURRENT_KEY_RECHECK_SECONDS, current.kid, current.alg, key)
    return current.kid, current.alg, key


def forget_cached_keys() -> None:
    """After a change made by this process: read the current key again at once."""
    with _cache_lock:
        _current_cache.clear()


def _one(status: KeyStatus) -> SigningKey | None:
    return db.session.scalar(
        db.select(SigningKey)
        .where(SigningKey.status == status)
        .order_by(SigningKey.id.desc())
        .limit(1)
    )


def _create(alg: str, status: KeyStatus, *, box: SecretBox, now: dt.datetime) -> SigningKey:
    key = _new_key(alg)
    # The algorithm first: a key id never starts with "-" (read as an option by the CLI).
    kid = f"{alg.lower()}-{key.thumbprint()[:32]}"
    public = {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}
    row = SigningKey(
        kid=kid,
        alg=alg,
        status=status,
        public_jwk=public,
        private_key_encrypted=box.encrypt(key.as_pem(private=True).decode()),
        created_at=now,
        activated_at=now if status == KeyStatus.CURRENT else None,
    )
    db.session.add(row)
    db.session.flush()
    if status == KeyStatus.CURRENT:
        forget_cached_keys()
    return row


def _new_key(alg: str) -> Key:
    if alg == "RS256":
        return RSAKey.generate_key(2048, private=True)
    return ECKey.generate_key("P-256", private=True)


def _import(alg: str, pem: str) -> Key:
    cls = RSAKey if alg == "RS256" else ECKey
    return cls.import_key(pem)
