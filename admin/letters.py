"""What a letter says (SPEC §5 «Letters», 004 annex A1): which letter an account
gets, and the words it is filled with — the school named as a French letter
names it, the password that works today or, on a later download, a note.

The printed letters (C01, C03, C05) and the emails (C02, C04, C06) share this
context; `admin.services` sends them, `admin.pdf` prints them."""

from __future__ import annotations

import enum

from accounts import states
from accounts.models import Account
from accounts.models import AccountState
from kernel.config import ProductConfig
from kernel.names import ascii_fold
from registry.models import School


class Channel(enum.StrEnum):
    LETTER = "letter"
    EMAIL = "email"


LETTERS = {
    # (first distribution?, password in the letter?, channel) -> letter
    (True, True, Channel.LETTER): "C01",
    (True, True, Channel.EMAIL): "C02",
    (False, False, Channel.LETTER): "C03",
    (False, False, Channel.EMAIL): "C04",
    (False, True, Channel.LETTER): "C05",
    (False, True, Channel.EMAIL): "C06",
}

# A note in place of the password on a letter downloaded again once its password no
# longer works (docs/admin.md «Letters downloaded again»).
NOTE_OWN_PASSWORD = (
    "Mot de passe : le responsable a choisi son propre mot de passe depuis ce courrier."  # noqa: S105
)
NOTE_EXPIRED = (
    "Mot de passe : le mot de passe provisoire de ce courrier ne fonctionne plus ; "
    "demandez un nouveau courrier à l'école."
)

# Words that say what kind of school a registry name starts with («ECOLE ELEMENTAIRE
# PUBLIQUE Jules Ferry»): written in lower case inside a sentence.
_KIND_WORDS = frozenset(
    {"maternelle", "elementaire", "primaire", "publique", "privee", "mixte", "d'application"}
)


def choose_letter(state: AccountState, channel: Channel, *, temporary_password: bool) -> str:
    """The letter for an account in `state` (before notification).

    Non notifié / Notifié et non activé: C01/C02. En cours d'activation / Activé:
    C05/C06 when the account's password is a temporary one (just reset, or reset
    earlier and still unchanged — our resolution), else C03/C04.
    """
    if states.awaits_first_sign_in(state):
        return LETTERS[(True, True, channel)]
    return LETTERS[(False, temporary_password, channel)]


def school_designation(name: str) -> tuple[str, str]:
    """The school as a French sentence names it, as (subject, after «de»):
    «CHARLEMAGNE» → «L'école CHARLEMAGNE», «de l'école CHARLEMAGNE»;
    «École primaire Jules Ferry» → «L'école primaire Jules Ferry» (never «L'école
    École primaire…»); «Groupe scolaire Jean Jaurès» → «Le groupe scolaire…», «du
    groupe scolaire…»."""
    words = name.split()
    folded = [ascii_fold(w) for w in words]
    if len(words) >= 2 and folded[:2] == ["groupe", "scolaire"]:
        rest = " ".join(["groupe scolaire", *words[2:]])
        return f"Le {rest}", f"du {rest}"
    if folded and folded[0] in ("ecole", "l'ecole"):
        kind = ["école"]
        index = 1
        while index < len(words) and folded[index] in _KIND_WORDS:
            kind.append(words[index].lower())
            index += 1
        rest = " ".join(kind + words[index:])
    else:
        rest = " ".join(["école", *words])
    return f"L'{rest}", f"de l'{rest}"


def password_note(account: Account) -> str:
    """What a letter needing a password says when none of ours works any more."""
    return NOTE_OWN_PASSWORD if account.password_hash else NOTE_EXPIRED


def letter_context(
    account: Account, *, school: School, password: str | None, product: ProductConfig
) -> dict:
    """`password` is the one the parent can use today, or None (the letter then
    prints `password_note` where a password would stand)."""
    subject, with_de = school_designation(school.name)
    return {
        "guardian_name": f"{account.first_name} {account.last_name.upper()}",
        "school_name": school.name,
        "school_subject": subject,
        "school_with_de": with_de,
        "children": [f"{p.first_name} {p.last_name.upper()}" for p in account.children()],
        "identifier": account.identifier,
        "password": password or "",
        "password_note": "" if password else password_note(account),
        "service_url": product.service_url,
        "help_url": product.help_url,
        "product": product,
    }
