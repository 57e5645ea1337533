"""Registered services as the protocol endpoints see them: read once, kept a few
seconds per process.

Every single sign-on request names its service (authorize, token, and userinfo
through its token): reading it once saves a statement and an ORM object per
request (docs/benchmarks.md). A `RegisteredClient` is an immutable copy of the
row, safe to share between requests and threads (tests/idp/test_registered_client.py
keeps it equal to the row).

Freshness: a change made by this process (the `guichet clients` commands, tests)
empties every cache of the process at once (SQLAlchemy session events). A change
made by another process (`guichet clients remove` while gunicorn serves) reaches
each worker within `CLIENT_CACHE_SECONDS`. Unknown client ids are never cached,
so a service just registered is seen at once.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import weakref

from sqlalchemy import event
from sqlalchemy.orm import Session

from idp.oauth_models import ClientRules
from idp.oauth_models import OidcClient
from kernel.extensions import db

CLIENT_CACHE_SECONDS = 5.0


@dataclasses.dataclass(frozen=True, eq=False)
class RegisteredClient(ClientRules):
    """A read-only copy of an `OidcClient` row (same attributes, same Authlib rules)."""

    id: int
    client_id: str
    secret_digest: str | None
    name: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    backchannel_logout_uri: str | None
    scope: str
    auth_method: str
    jwks: dict | None
    trusted: bool
    sector: str

    @classmethod
    def of(cls, row: OidcClient) -> RegisteredClient:
        return cls(
            id=row.id,
            client_id=row.client_id,
            secret_digest=row.secret_digest,
            name=row.name,
            redirect_uris=tuple(row.redirect_uris or ()),
            post_logout_redirect_uris=tuple(row.post_logout_redirect_uris or ()),
            backchannel_logout_uri=row.backchannel_logout_uri,
            scope=row.scope,
            auth_method=row.auth_method,
            jwks=row.jwks,
            trusted=bool(row.trusted),
            sector=row.sector,
        )


class ClientCache:
    """Snapshots by `client_id` and by primary key, each valid CLIENT_CACHE_SECONDS."""

    def __init__(self, seconds: float = CLIENT_CACHE_SECONDS):
        self.seconds = seconds
        self._lock = threading.Lock()
        self._by_key: dict[object, tuple[float, RegisteredClient]] = {}
        _caches.add(self)

    def by_client_id(self, client_id: str) -> RegisteredClient | None:
        return self._get(("client_id", client_id), OidcClient.client_id, client_id)

    def by_pk(self, pk: int) -> RegisteredClient | None:
        return self._get(("pk", pk), OidcClient.id, pk)

    def clear(self) -> None:
        with self._lock:
            self._by_key.clear()

    def _get(self, key, column, value) -> RegisteredClient | None:
        """The criterion is built only on a miss: building it on every hit cost
        more than the rest of the lookup (docs/benchmarks.md)."""
        now = time.monotonic()
        with self._lock:
            cached = self._by_key.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        row = db.session.scalar(db.select(OidcClient).where(column == value))
        if row is None:
            return None
        snapshot = RegisteredClient.of(row)
        with self._lock:
            until = now + self.seconds
            self._by_key[("client_id", snapshot.client_id)] = (until, snapshot)
            self._by_key[("pk", snapshot.id)] = (until, snapshot)
        return snapshot


_caches: weakref.WeakSet[ClientCache] = weakref.WeakSet()


def forget_all() -> None:
    """Empty every client cache of this process (after a change to a client)."""
    for cache in list(_caches):
        cache.clear()


@event.listens_for(Session, "after_flush")
def _client_rows_changed(session, _flush_context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, OidcClient) for obj in changed):
        forget_all()


@event.listens_for(Session, "do_orm_execute")
def _client_statement(orm_execute_state) -> None:
    """UPDATE or DELETE statements on `oidc_clients` (bulk changes, tests)."""
    if orm_execute_state.is_update or orm_execute_state.is_delete:
        table = getattr(orm_execute_state.statement, "table", None)
        if table is not None and table.name == OidcClient.__tablename__:
            forget_all()
