"""Small helpers of the browser journeys: the demo parents' facts, read from the
database the demo was seeded in."""

from __future__ import annotations

import re
from urllib.parse import quote

from accounts.models import Account
from accounts.models import AccountState
from kernel import runtime
from kernel.extensions import db
from registry.models import Guardian


def identifier_of(site, registry_id: str) -> str:
    """The identifier of the demo parent known to the registry as `registry_id`."""
    with site.app.app_context():
        return db.session.scalars(
            db.select(Account.identifier).join(Guardian).where(Guardian.registry_id == registry_id)
        ).one()


def sign_in(page, site, identifier: str, password: str, *, next_path: str = "/compte") -> None:
    """Guichet's sign-in page, filled and sent as a parent does."""
    page.goto(f"{site.guichet}/connexion?next={next_path}")
    page.get_by_label("Identifiant").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter", exact=True).click()


def temporary_password_of(site, registry_id: str) -> str:
    """The temporary password printed on the parent's letter (as `make demo` prints it)."""
    with site.app.app_context():
        account = db.session.scalars(
            db.select(Account).join(Guardian).where(Guardian.registry_id == registry_id)
        ).one()
        return runtime.passwords().temporary_password(account)


def link_in_outbox(page, site, recipient: str, path: str) -> str:
    """The address starting with `path` in the latest message to `recipient`, read on
    the development outbox as a person trying the demo does."""
    page.goto(f"{site.guichet}/dev/outbox?to={quote(recipient)}")
    links = page.get_by_role("main").locator(f'a[href*="{path}"]')
    return links.first.get_attribute("href")


def sms_code_in_outbox(page, site, mobile: str) -> str:
    """The 6-digit code of the latest SMS to `mobile`, read on the development outbox."""
    page.goto(f"{site.guichet}/dev/outbox?to={quote(mobile)}")
    text = page.get_by_role("main").locator("tbody tr").first.inner_text()
    return re.search(r"\b(\d{6})\b", text).group(1)


def tick(page, label: str) -> None:
    """Tick a DSFR checkbox as a person does: by its label (drawn over the box)."""
    page.locator("label", has_text=label).click()


def activated_parent(site, nth: int = 0) -> tuple[str, str]:
    """(identifier, email) of the `nth` Activé parent of the demo school with an email
    and the demo password (not one of the named demo parents): each browser test
    that changes a parent takes its own `nth`."""
    with site.app.app_context():
        accounts = db.session.scalars(
            db.select(Account)
            .where(Account.state == AccountState.ACTIVATED)
            .where(~Account.guardians.any(Guardian.registry_id.like("DEMO-%")))
            .order_by(Account.identifier)
        )
        found = [
            (account.identifier, email)
            for account in accounts
            if (email := account.contact_email()) and account.password_hash
        ]
        if len(found) > nth:
            return found[nth]
    raise AssertionError("the demo has no Activé parent with an email")
