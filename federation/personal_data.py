"""FranceConnect's part of «Mes données» (issue 17): the identities linked to an
account, as the account page shows them."""

from __future__ import annotations

from federation.models import FranceConnectLink
from kernel.extensions import db


def franceconnect_links(account_id: int) -> list[dict]:
    links = db.session.scalars(
        db.select(FranceConnectLink)
        .where(FranceConnectLink.account_id == account_id)
        .order_by(FranceConnectLink.linked_at, FranceConnectLink.id)
    )
    return [
        {
            "given_name": link.given_name,
            "family_name": link.family_name,
            "linked_at": link.linked_at,
            "last_used_at": link.last_used_at,
        }
        for link in links
    ]
