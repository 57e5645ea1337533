"""One-time codes sent by SMS (SPEC §6.3, §6.4, §6.5, §6.7).

A code is 6 digits, valid 30 minutes, stored as an HMAC (never in clear),
compared in constant time and good for one try: a wrong code ends it (003:
«Réessayer» starts again at the number with a new code). Sending is throttled
per number and per number prefix (SMS-pumping defence) here, and per client
address by Flask-Limiter on the views. Self-registration, FranceConnect
linking, lost password and mobile change all use this one mechanism.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import func
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from kernel.errors import DomainError
from kernel.extensions import db
from messaging.compose import compose_sms
from messaging.withdrawal import withdraw_pending

PER_NUMBER_LIMITS = ((dt.timedelta(minutes=15), 3), (dt.timedelta(days=1), 8))
# A prefix is the number less its last 4 digits: a range an SMS-pumping fraud would walk.
PREFIX_LENGTH_FROM_END = 4
PER_PREFIX_LIMIT = (dt.timedelta(hours=1), 30)


class SmsCodeError(DomainError):
    code = "sms_code"


class CodeWrongOrExpired(SmsCodeError):
    code = "sms_code_wrong_or_expired"
    message = _l(
        "Le code de validation est incorrect ou a expiré (il est valable 30 minutes). "
        "Cliquez sur « Réessayer » pour recevoir un nouveau code."
    )


class TooManyCodes(SmsCodeError):
    code = "sms_code_throttled"
    message = _l(
        "Trop de codes ont été demandés pour ce numéro. Veuillez réessayer plus tard ; "
        "si le problème persiste, contactez l'école de votre enfant."
    )


class SmsChallenge(db.Model):
    __tablename__ = "sms_challenges"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30))
    mobile: Mapped[str] = mapped_column(String(20), index=True)
    code_hmac: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Set when the code was accepted, or when a wrong code ended it.
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # "accepted" | "wrong" | "replaced" (a newer code for the same purpose and number)
    outcome: Mapped[str | None] = mapped_column(String(10))
    # What the journey needs once the code is accepted (names typed, account id…).
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    # The SMS carrying the code, withdrawn if a newer code replaces this one first.
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))


def send_code(
    purpose: str,
    mobile_e164: str,
    *,
    now: dt.datetime,
    secret: str,
    validity: dt.timedelta = dt.timedelta(minutes=30),
    context: dict | None = None,
    product_name: str = "Guichet",
    immediate: bool | None = None,
) -> SmsChallenge:
    """Create a challenge and compose its SMS (sent after the caller commits).

    `immediate=False` queues the SMS when there is a job queue, so that a page which
    must answer alike for unknown contacts (lost password) takes as long either way."""
    _check_send_limits(mobile_e164, now=now)
    _replace_live_codes(purpose, mobile_e164, now=now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge = SmsChallenge(
        id=secrets.token_urlsafe(32),
        purpose=purpose,
        mobile=mobile_e164,
        created_at=now,
        expires_at=now + validity,
        context=context or {},
    )
    challenge.code_hmac = _mac(secret, challenge.id, code)
    db.session.add(challenge)
    message = compose_sms(
        mobile_e164,
        "sms_code",
        {"code": code, "minutes": int(validity.total_seconds() // 60), "product": product_name},
        now=now,
        immediate=immediate,
        account_id=(context or {}).get("account_id"),
    )
    db.session.flush()
    challenge.message_id = message.id
    return challenge


def _replace_live_codes(purpose: str, mobile: str, *, now: dt.datetime) -> None:
    """One live code per purpose and number: «Réessayer» ends the earlier ones, and
    their SMS still waiting (a provider outage) are withdrawn, so that a pile of
    stale codes never arrives at once and locks the parent out."""
    live = db.select(SmsChallenge.id, SmsChallenge.message_id).where(
        SmsChallenge.purpose == purpose,
        SmsChallenge.mobile == mobile,
        SmsChallenge.used_at.is_(None),
    )
    replaced = db.session.execute(live).all()
    if not replaced:
        return
    db.session.execute(
        db.update(SmsChallenge)
        .where(SmsChallenge.id.in_([row.id for row in replaced]), SmsChallenge.used_at.is_(None))
        .values(used_at=now, outcome="replaced")
        .execution_options(synchronize_session=False)
    )
    withdraw_pending([row.message_id for row in replaced if row.message_id is not None])


def verify_code(
    challenge_id: str | None, code: str, *, purpose: str, now: dt.datetime, secret: str
) -> SmsChallenge:
    """Accept the code once; a wrong, expired or reused code raises and ends the challenge."""
    challenge = db.session.get(SmsChallenge, challenge_id) if challenge_id else None
    if challenge is None or challenge.purpose != purpose:
        raise CodeWrongOrExpired()
    if challenge.used_at is not None or now > challenge.expires_at:
        raise CodeWrongOrExpired()
    typed = "".join(ch for ch in code if ch.isdigit())
    right = hmac.compare_digest(challenge.code_hmac, _mac(secret, challenge.id, typed))
    # Consumed in one conditional UPDATE: of concurrent tries, exactly one ends the code,
    # so a right code sent beside wrong guesses is not accepted after one of them.
    consumed = db.session.execute(
        db.update(SmsChallenge)
        .where(SmsChallenge.id == challenge.id, SmsChallenge.used_at.is_(None))
        .values(used_at=now, outcome="accepted" if right else "wrong")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(challenge)
    if not consumed or not right:
        raise CodeWrongOrExpired()
    return challenge


def _check_send_limits(mobile: str, *, now: dt.datetime) -> None:
    for window, limit in PER_NUMBER_LIMITS:
        sent = db.session.scalar(
            db.select(func.count())
            .select_from(SmsChallenge)
            .where(SmsChallenge.mobile == mobile, SmsChallenge.created_at > now - window)
        )
        if sent >= limit:
            raise TooManyCodes()
    window, limit = PER_PREFIX_LIMIT
    prefix = mobile[:-PREFIX_LENGTH_FROM_END]
    sent = db.session.scalar(
        db.select(func.count())
        .select_from(SmsChallenge)
        .where(
            SmsChallenge.mobile.startswith(prefix, autoescape=True),
            SmsChallenge.created_at > now - window,
        )
    )
    if sent >= limit:
        raise TooManyCodes()


def _mac(secret: str, challenge_id: str, code: str) -> str:
    return hmac.new(secret.encode(), f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()
