"""`guichet registry import|generate`: the nightly feed, for operators and scripts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from kernel import runtime
from kernel.clock import utcnow
from registry import feed
from registry.generator import generate_feed
from registry_import.importer import import_feed


@click.group("registry")
def registry_group() -> None:
    """School registry feed (SPEC §2)."""


@registry_group.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@with_appcontext
def import_command(path: Path, as_json: bool, quiet: bool) -> None:
    """Validate then import the feed folder PATH in one transaction."""

    def progress(stage: str, count: int) -> None:
        if not quiet:
            click.echo(f"  {stage} : {count:,} ligne(s) traitée(s)".replace(",", " "), err=True)

    try:
        report = import_feed(path, now=utcnow(), passwords=runtime.passwords(), progress=progress)
    except feed.FeedInvalid as invalid:
        for error in invalid.errors:
            click.echo(f"{path / error.file}:{error.line}: {error.reason}", err=True)
        click.echo(
            f"Import refusé : {len(invalid.errors)} ligne(s) invalide(s), rien n'a été modifié.",
            err=True,
        )
        if as_json:
            click.echo(json.dumps({"error": "invalid_feed", "bad_lines": len(invalid.errors)}))
        sys.exit(2)
    click.echo(
        f"Import terminé : {report.created} créé(s), {report.updated} mis à jour, "
        f"{report.unchanged} inchangé(s), {report.ineligible} responsable(s) non éligible(s), "
        f"{report.withdrawn} retiré(s) ; {report.accounts_created} compte(s) créé(s)."
    )
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))


@registry_group.command("generate")
@click.option("--guardians", type=click.IntRange(min=1), required=True)
@click.option("--schools", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def generate_command(guardians: int, schools: int, seed: int, out: Path) -> None:
    """Write a synthetic feed (deterministic for a seed) into the folder OUT."""
    counts = generate_feed(out, guardians=guardians, schools=schools, seed=seed)
    click.echo(
        f"Flux écrit dans {out} : {counts['schools']} école(s), {counts['pupils']} élève(s), "
        f"{counts['guardians']} responsable(s), {counts['links']} lien(s)."
    )
