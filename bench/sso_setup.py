"""Prepare a Guichet database for bench/sso_bench.py: signing keys, the benchmark
client (the same id, secret and redirect URI as the node peer's), and N Activé
parents with one child each and the password `Bench1234`.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/guichet_bench \
        .venv/bin/python bench/sso_setup.py [N]

Idempotent: run it again to add nothing. See docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import sys

from accounts import states
from accounts.identifiers import allocate_identifier
from accounts.models import Account
from accounts.models import AccountOrigin
from guichet import create_app
from guichet.migrations import upgrade
from idp import clients
from kernel.clock import utcnow
from kernel.extensions import db
from keys import services as keys
from registry.models import Admission
from registry.models import Guardian
from registry.models import GuardianPupil
from registry.models import Level
from registry.models import Pupil
from registry.models import School
from registry.models import SchoolClass

CLIENT_ID = "bench"
CLIENT_SECRET = "secret-secret-secret"  # noqa: S105 - the peer's benchmark client
REDIRECT_URI = "http://127.0.0.1:9999/cb"
PASSWORD = "Bench1234"  # noqa: S105


def main(count: int) -> None:
    app = create_app()
    with app.app_context():
        upgrade()
        now = utcnow()
        keys.ensure_current("RS256", box=app.extensions["guichet.keybox"], now=now)
        if (
            db.session.scalar(
                db.select(clients.OidcClient).where(clients.OidcClient.client_id == CLIENT_ID)
            )
            is None
        ):
            clients.add_client(
                name="Banc d'essai",
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                redirect_uris=[REDIRECT_URI],
                post_logout_redirect_uris=["http://127.0.0.1:9999/out"],
                scope="openid profile email children offline_access",
                trusted=True,
                now=now,
            )
        school = db.session.scalar(db.select(School).where(School.uai == "0319999Z"))
        if school is None:
            school = School(
                uai="0319999Z", name="École du banc d'essai", academy="Toulouse", city="Toulouse"
            )
            db.session.add(school)
            db.session.add(SchoolClass(school=school, name="CM1"))
            db.session.flush()
        school_class = db.session.scalar(
            db.select(SchoolClass).where(SchoolClass.school_id == school.id)
        )
        passwords = app.extensions["guichet.passwords"]
        password_hash = passwords.hash(PASSWORD)
        existing = db.session.scalar(
            db.select(db.func.count())
            .select_from(Guardian)
            .where(Guardian.registry_id.like("BENCH%"))
        )
        for n in range(existing, count):
            account = Account(
                identifier=allocate_identifier("Banc", f"Essai{n}"),
                first_name="Banc",
                last_name=f"Essai{n}",
                must_change_password=False,
            )
            states.create(account, now=now)
            account.password_hash = password_hash
            db.session.add(account)
            db.session.flush()
            states.activate_directly(account, via=AccountOrigin.GUARDIAN, now=now)
            pupil = Pupil(
                registry_id=f"BENCHE{n:06d}",
                ine=f"{n:09d}BE",
                first_name="Léa",
                last_name=f"Essai{n}",
                birth_date=dt.date(2016, 4, 11),
                school=school,
                school_class=school_class,
                level=Level.CM1,
                admission=Admission.DEFINITIVE,
            )
            guardian = Guardian(
                registry_id=f"BENCH{n:06d}",
                first_name="Banc",
                last_name=f"Essai{n}",
                account=account,
            )
            db.session.add_all(
                [pupil, guardian, GuardianPupil(guardian=guardian, pupil=pupil, is_legal=True)]
            )
        db.session.commit()
        identifiers = db.session.scalars(
            db.select(Account.identifier)
            .join(Guardian)
            .where(Guardian.registry_id.like("BENCH%"))
            .order_by(Account.id)
        ).all()
    print("\n".join(identifiers[:count]))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
