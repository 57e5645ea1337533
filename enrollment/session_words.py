"""How a parent's sessions are said to them (issue 17), in their language: by what
means each was opened and why it ended. «Mes connexions» and «Mes données» say it
the same way.
"""

from __future__ import annotations

from babel.lists import format_list
from flask_babel import lazy_gettext as _l

from kernel import languages

# How a session was opened (RFC 8176 method references, accounts.sessions), in words;
# None: said by another one (a passkey's user verification is part of «clé d'accès»).
SIGN_IN_METHODS = {
    "pwd": _l("mot de passe"),
    "sms": _l("code reçu par SMS"),
    "fc": _l("FranceConnect"),
    "hwk": _l("clé d'accès"),
    "user": None,
}
# Why a session ended (accounts.sessions.end_session's reasons), in words.
END_REASONS = {
    "logout": _l("Déconnexion"),
    "ended_by_parent": _l("Fermée depuis « Mes connexions »"),
    "revoked": _l("Révoquée par un opérateur de Guichet"),
    "merged": _l("Compte regroupé dans un autre"),
    "password_changed": _l("Mot de passe changé"),
    "password_reset": _l("Mot de passe réinitialisé"),
}


def method_words(amr: list[str] | None) -> str:
    """«Code reçu par SMS et mot de passe»: the means, in the order they were used,
    listed as the reader's language lists (CLDR, through Babel)."""
    named = (SIGN_IN_METHODS.get(code, code) for code in amr or ())
    words = [str(word) for word in named if word is not None]
    said = format_list(words, locale=languages.current()) if words else ""
    return said[:1].upper() + said[1:]


def end_words(reason: str | None) -> str | None:
    return None if reason is None else str(END_REASONS.get(reason, reason))
