"""Acceptance of the terms of use (SPEC §8): which version, and when.

Every way into an account records it the same way: activation, SMS
self-registration, FranceConnect linking.
"""

from __future__ import annotations

import datetime as dt

from accounts.models import Account


def record_terms(account: Account, *, version: str, now: dt.datetime) -> None:
    account.terms_version = version
    account.terms_accepted_at = now
