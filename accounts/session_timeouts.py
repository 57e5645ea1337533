"""The timeout rule of server-side sessions, parents' (accounts.sessions) and directors'
(admin.models) alike: each kind keeps its own durations, the rule is one.

A session lives while it is not ended, was used within its idle timeout and was
opened within its absolute timeout.
"""

from __future__ import annotations

import datetime as dt

# Refresh `last_seen_at` at most this often, so a busy session is not a write per request.
TOUCH_EVERY = dt.timedelta(minutes=1)


def is_live(
    ended_at: dt.datetime | None,
    last_seen_at: dt.datetime,
    created_at: dt.datetime,
    now: dt.datetime,
    *,
    idle: dt.timedelta,
    absolute: dt.timedelta,
) -> bool:
    """Checked on every use, so an expired session ends without a sweeping job."""
    return ended_at is None and now - last_seen_at <= idle and now - created_at <= absolute
