"""`guichet outbox`: read the recorded messages."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from kernel.clock import paris
from messaging import outbox
from messaging.models import Channel
from messaging.models import MessageStatus

STATUS_LABELS = {
    MessageStatus.PENDING: "en attente",
    MessageStatus.SENT: "envoyé",
    MessageStatus.FAILED: "échec",
    MessageStatus.REPLACED: "remplacé (non envoyé)",
}
CHANNEL_LABELS = {Channel.SMS: "SMS", Channel.EMAIL: "courriel"}


@click.command("outbox")
@click.option("--to", "to", metavar="ADRESSE_OU_NUMERO", help="Seulement ce destinataire.")
@click.option("--json", "as_json", is_flag=True, help="Un tableau JSON, pour les scripts.")
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=20,
    show_default=True,
    help="Nombre de messages.",
)
@with_appcontext
def outbox_command(to: str | None, as_json: bool, limit: int) -> None:
    """Latest messages (SMS and email), newest first: recipient, channel, time, status, text."""
    try:
        messages = outbox.latest(to=to, limit=limit)
    except outbox.UnknownRecipient as exc:
        raise click.BadParameter(
            f"« {to} » n'est ni une adresse électronique ni un numéro de téléphone valide.",
            param_hint="--to",
        ) from exc
    if as_json:
        click.echo(json.dumps([outbox.as_dict(m) for m in messages], ensure_ascii=False, indent=2))
        return
    if not messages:
        click.echo("Aucun message.")
        return
    for message in messages:
        when = paris(message.created_at).strftime("%d/%m/%Y %H:%M:%S")
        status = STATUS_LABELS[message.status]
        if message.status == MessageStatus.FAILED and message.error_code:
            status += f" ({message.error_code})"
        click.echo(
            f"#{message.id} · {CHANNEL_LABELS[message.channel]} · {message.recipient} · "
            f"{when} (heure de Paris) · {status}"
        )
        if message.subject:
            click.echo(f"Objet : {message.subject}")
        click.echo(message.body.rstrip())
        click.echo("")
