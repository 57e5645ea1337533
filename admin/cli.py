"""`guichet directors add|list|assign|remove` and `guichet stats compute` (operators)."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from accounts import audit
from admin import directors
from admin import stats
from admin import totp
from kernel.clock import paris
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.runtime import passwords
from kernel.runtime import settings
from kernel.wording import plural
from registry.models import School


@click.group("directors")
def directors_group() -> None:
    """Directors of the console and their schools."""


def _fail(error: DomainError) -> None:
    db.session.rollback()
    raise click.ClickException(str(error.message))


@directors_group.command("add")
@click.argument("identifier")
@click.option("--first-name", required=True, help="Prénom")
@click.option("--last-name", required=True, help="Nom")
@click.option("--email", default=None)
@click.option("--school", "uais", multiple=True, help="UAI d'une école (répétable)")
@click.password_option(
    "--password", envvar="GUICHET_DIRECTOR_PASSWORD", help="Mot de passe (demandé si absent)"
)
@with_appcontext
def add_command(identifier, first_name, last_name, email, uais, password) -> None:
    """Create a director (argon2id password), optionally assigned to schools."""

    try:
        director = directors.add(
            identifier,
            first_name=first_name,
            last_name=last_name,
            email=email,
            password=password,
            uais=list(uais),
            passwords=passwords(),
            now=utcnow(),
        )
    except DomainError as error:
        _fail(error)
    db.session.commit()
    schools = ", ".join(s.uai for s in director.schools) or "aucune école"
    click.echo(f"Directeur {director.identifier} créé ({schools}).")


@directors_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_command(as_json: bool) -> None:
    """Every director with their schools."""

    rows = [
        {
            "identifier": d.identifier,
            "first_name": d.first_name,
            "last_name": d.last_name,
            "email": d.email,
            "schools": [s.uai for s in d.schools],
            "last_login_at": d.last_login_at.isoformat() + "Z" if d.last_login_at else None,
        }
        for d in directors.all_directors()
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo("Aucun directeur.")
    for row in rows:
        click.echo(
            f"{row['identifier']}\t{row['first_name']} {row['last_name']}\t"
            f"{' '.join(row['schools']) or '-'}"
        )


@directors_group.command("assign")
@click.argument("identifier")
@click.argument("uais", nargs=-1, required=True)
@with_appcontext
def assign_command(identifier, uais) -> None:
    """Give the director these schools (UAI)."""

    try:
        director = directors.assign(identifier, list(uais), now=utcnow())
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{director.identifier} : {' '.join(s.uai for s in director.schools)}")


@directors_group.command("remove")
@click.argument("identifier")
@click.argument("uais", nargs=-1)
@with_appcontext
def remove_command(identifier, uais) -> None:
    """Take these schools from the director; without UAI, delete the director."""

    try:
        director = directors.remove(identifier, list(uais), now=utcnow())
    except DomainError as error:
        _fail(error)
    db.session.commit()
    if director is None:
        click.echo(f"Directeur {identifier.lower()} supprimé.")
    else:
        click.echo(f"{director.identifier} : {' '.join(s.uai for s in director.schools) or '-'}")


@directors_group.command("password")
@click.argument("identifier")
@click.password_option(
    "--password", envvar="GUICHET_DIRECTOR_PASSWORD", help="Nouveau mot de passe"
)
@with_appcontext
def password_command(identifier: str, password: str) -> None:
    """Set a director's password (their open console sessions end)."""

    try:
        director = directors.set_password(identifier, password, passwords=passwords(), now=utcnow())
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Mot de passe de {director.identifier} modifié.")


@directors_group.command("unlock")
@click.argument("identifier")
@with_appcontext
def unlock_command(identifier: str) -> None:
    """Lift a director's sign-in lock (after too many wrong passwords or codes)."""

    try:
        count = directors.unlock(identifier, now=utcnow())
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo("Blocage levé." if count else "Aucun blocage.")


@directors_group.command("totp")
@click.argument("identifier")
@click.option("--disable", is_flag=True, help="Retire le second facteur")
@with_appcontext
def totp_command(identifier: str, disable: bool) -> None:
    """Set up (or --disable) the director's TOTP second factor; prints the secret once."""

    director = directors.find(identifier)
    if director is None:
        raise click.ClickException(str(directors.UnknownDirector.message))
    now = utcnow()
    if disable:
        done = directors.disable_totp(director, now=now)
        db.session.commit()
        click.echo("Second facteur retiré." if done else "Aucun second facteur.")
        return
    secret = directors.enable_totp(director, box=passwords().box, now=now)
    db.session.commit()
    uri = totp.provisioning_uri(
        secret, account=director.identifier, issuer=f"{settings().product.name} administration"
    )
    click.echo(f"Clé secrète : {secret}")
    click.echo(f"URI (code QR) : {uri}")


@click.group("stats")
def stats_group() -> None:
    """Statistics of the console (004 §6)."""


@stats_group.command("compute")
@click.option("--school", "uai", default=None, help="UAI d'une seule école")
@with_appcontext
def compute_command(uai: str | None) -> None:
    """Compute the statistics of every school (nightly), or of one."""

    school_ids = None
    if uai:
        school = db.session.scalar(db.select(School).where(School.uai == uai.strip().upper()))
        if school is None:
            raise click.ClickException(f"Aucune école n'a l'UAI {uai}.")
        school_ids = [school.id]
    now = utcnow()
    count = stats.compute(now=now, school_ids=school_ids)
    audit.record(
        "statistics.computed",
        actor=audit.SYSTEM,
        now=now,
        summary=plural(count, "école"),
        school_id=school_ids[0] if school_ids else None,
    )
    db.session.commit()
    schools = plural(count, "école")
    click.echo(f"Statistiques calculées pour {schools} le {paris(now):%d-%m-%Y à %H:%M:%S}.")
