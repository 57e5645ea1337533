"""SPEC §7: a parent agrees once that a non-trusted service receives some scopes."""

from __future__ import annotations

import datetime as dt

from idp.oauth_models import Consent
from idp.oauth_models import OidcClient
from kernel.extensions import db


def covers(account_id: int, client: OidcClient, scope: str) -> bool:
    granted = db.session.scalar(
        db.select(Consent.scope).where(
            Consent.account_id == account_id, Consent.client_id == client.id
        )
    )
    return granted is not None and set(scope.split()) <= set(granted.split())


def record(account_id: int, client: OidcClient, scope: str, *, now: dt.datetime) -> Consent:
    consent = db.session.scalar(
        db.select(Consent).where(Consent.account_id == account_id, Consent.client_id == client.id)
    )
    if consent is None:
        consent = Consent(account_id=account_id, client_id=client.id, scope="", granted_at=now)
        db.session.add(consent)
    consent.scope = " ".join(sorted(set(consent.scope.split()) | set(scope.split())))
    consent.granted_at = now
    return consent
