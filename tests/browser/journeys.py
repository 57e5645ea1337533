"""Small helpers of the browser journeys: the demo parents' facts, read from the
database the demo was seeded in."""

from __future__ import annotations

from accounts.models import Account
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
    page.get_by_role("button", name="Se connecter").click()
