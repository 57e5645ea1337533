"""Links between FranceConnect identities and Guichet accounts (SPEC §6.4).

A link says: this FranceConnect `sub` is this account's parent. It is made once,
after the mobile number, the SMS code and the children's birth dates; later
sign-ins go straight through. A parent sees and removes their links on the
account page.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from accounts.models import Account
from kernel.extensions import db


class FranceConnectLink(db.Model):
    __tablename__ = "franceconnect_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    # FranceConnect's subject identifier for our service (stable per person).
    sub: Mapped[str] = mapped_column(String(255), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The names FranceConnect gave when the link was made, shown on the account page.
    given_name: Mapped[str] = mapped_column(String(200), default="")
    family_name: Mapped[str] = mapped_column(String(200), default="")
    linked_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    account: Mapped[Account] = relationship()
