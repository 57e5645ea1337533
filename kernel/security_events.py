"""Security events (issue 14): log lines with stable names an operator can alert
on, beside the audit table (which stays the record a director reads).

Names: `sign_in.success`, `sign_in.failure`, `sign_in.throttled` (field `method`:
password | franceconnect), and every audit action once its transaction commits
(`account.password_reset`, `account.merged`, `franceconnect.linked`,
`director.signed_in`, `accounts.notified`…: see accounts/audit.py). Fields name
accounts by their database id only: never an identifier typed, a password, a code
or a token.
"""

from __future__ import annotations

import logging

from kernel import metrics

log = logging.getLogger("guichet.security")

SIGN_IN = "sign_in"


def emit(event: str, **fields: object) -> None:
    """One line named `event` on the `guichet.security` logger."""
    details = " ".join(f"{key}={value}" for key, value in fields.items())
    log.info("%s %s", event, details, extra={"event": event, "fields": fields})


def sign_in(method: str, outcome: str, *, account_id: int | None = None) -> None:
    """A parent's sign-in ended (`outcome`: success | failure | throttled): counted in
    `guichet_sign_ins_total` and logged as `sign_in.<outcome>`."""
    metrics.sign_in(method, outcome)
    fields: dict[str, object] = {"method": method}
    if account_id is not None:
        fields["account_id"] = account_id
    emit(f"{SIGN_IN}.{outcome}", **fields)
