"""«Mes données» in words (issue 17): what the readable page and the PDF call each
field and each code, in the parent's language. The JSON keeps the codes beside the
words (`FOR_PROGRAMS_ONLY`), for programs; people read only the words.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from accounts.models import AccountOrigin
from accounts.models import AccountState
from idp.claims import SCOPES

ACTORS = {
    "guardian": _l("vous-même"),
    "director": _l("la direction d'une école"),
    "operator": _l("un opérateur de Guichet"),
    "system": _l("Guichet (automatique)"),
}


# The account's state and origin in the parent's language (the console keeps the
# seeds' French words, accounts.models.STATE_LABELS).
STATE_NAMES = {
    AccountState.NOT_NOTIFIED: _l("Non notifié"),
    AccountState.NOTIFIED: _l("Notifié et non activé"),
    AccountState.ACTIVATING: _l("En cours d'activation"),
    AccountState.ACTIVATED: _l("Activé"),
    AccountState.DELETED: _l("Supprimé"),
}
ORIGIN_NAMES = {
    AccountOrigin.SCHOOL: _l("Etablissement"),
    AccountOrigin.GUARDIAN: _l("Responsable"),
    AccountOrigin.FRANCECONNECT: _l("FranceConnect"),
    AccountOrigin.UNKNOWN: _l("Non renseigné"),
}
# Fields for programs only: codes (people read the words beside them, in their
# language): the journal's actions and summaries as recorded, a session's methods and
# end, a message's channel and state, a consent's scopes.
FOR_PROGRAMS_ONLY = frozenset(
    {"action", "summary", "amr", "ended_reason_code", "channel_code", "status_code", "scope"}
)

# The readable page's column headings (the JSON keeps the keys).
FIELD_LABELS = {
    "identifier": _l("Identifiant"),
    "last_name": _l("Nom"),
    "first_name": _l("Prénom"),
    "state": _l("État du compte"),
    "origin": _l("Origine du compte"),
    "created_at": _l("Créé le"),
    "distribution_date": _l("Date de distribution"),
    "activated_at": _l("Activé le"),
    "last_login_at": _l("Dernière connexion"),
    "has_own_password": _l("Mot de passe choisi"),
    "new_device_alerts": _l("Alerte de connexion depuis un nouveau navigateur"),
    "email": _l("Adresse électronique"),
    "email_verified": _l("Adresse confirmée"),
    "mobile": _l("Téléphone mobile"),
    "mobile_verified": _l("Numéro confirmé"),
    "registry_id": _l("Identifiant au registre"),
    "address": _l("Adresse postale"),
    "withdrawn_at": _l("Retirée du registre le"),
    "birth_date": _l("Date de naissance"),
    "ine": _l("INE"),
    "school_uai": _l("UAI de l'école"),
    "school_name": _l("École"),
    "school_city": _l("Commune"),
    "class": _l("Classe"),
    "level": _l("Niveau"),
    "what": _l("Objet"),
    "version": _l("Version"),
    "shared": _l("Données partagées"),
    "given_at": _l("Donné le"),
    "service": _l("Service"),
    "first_sign_in": _l("Première connexion"),
    "last_sign_in": _l("Dernière connexion"),
    "sign_ins": _l("Nombre de connexions"),
    "started_at": _l("Ouverte le"),
    "last_active_at": _l("Dernière activité"),
    "methods": _l("Moyens d'authentification"),
    "device": _l("Navigateur et appareil"),
    "network": _l("Réseau"),
    "open": _l("Encore ouverte"),
    "ended_at": _l("Terminée le"),
    "ended_reason": _l("Motif de fin"),
    "first_seen_at": _l("Vu pour la première fois le"),
    "last_seen_at": _l("Vu pour la dernière fois le"),
    "given_name": _l("Prénom(s) FranceConnect"),
    "family_name": _l("Nom FranceConnect"),
    "linked_at": _l("Liée le"),
    "last_used_at": _l("Dernière utilisation"),
    "channel": _l("Canal"),
    "recipient": _l("Destinataire"),
    "subject": _l("Objet du message"),
    "status": _l("État de l'envoi"),
    "sent_at": _l("Envoyé le"),
    "at": _l("Date"),
    "operation": _l("Opération"),
    "by": _l("Par"),
    "school": _l("École"),
    "detail": _l("Détail"),
}


def scope_words(scope: str) -> str:
    """The data a service receives, as the consent page named it to the parent."""
    # The separator is the language's: «a ; b» in French, «a; b» in English, «a؛ b».
    return _(" ; ").join(str(SCOPES[name]) for name in scope.split() if name in SCOPES)


def event_detail(action: str, summary: str, details: dict | None) -> str | None:
    """An audit event's detail as the parent reads it, in their language. The journal
    records a summary in French for the directors' console; where it is prose (counts,
    channels) the parent reads it from the event's details instead, and where it only
    names people or passkeys it reads the same in every language."""
    say = DETAILS_IN_WORDS.get(action)
    if say is None:
        return summary or None
    return say(details or {}) or None


def _notified(details: dict) -> str:
    by = _("par courrier") if details.get("channel") == "letter" else _("par courriel")
    if details.get("reset"):
        return _("%(by)s, avec un nouveau mot de passe provisoire", by=by)
    return by


# The actions recorded about accounts with a summary in French prose
# (tests/enrollment/test_personal_data.py finds each one here).
DETAILS_IN_WORDS = {
    "accounts.notified": _notified,
    "accounts.list_downloaded": lambda details: str(details.get("format", "")).upper(),
    "sessions.ended_by_parent": lambda details: ngettext(
        "%(num)d connexion terminée", "%(num)d connexions terminées", details.get("count", 0)
    ),
    # The count of a school's batch says nothing of this account.
    "account.password_reset": lambda details: None,
    "letters.downloaded": lambda details: None,
}
