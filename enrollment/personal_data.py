"""«Mes données» (issue 17, GDPR art. 15 and 20): everything Guichet holds about a
parent, gathered for one download (JSON for programs, a page for people).

Every query is by the account's id — never by an address or a name a family may
share — so another parent's data cannot appear. Messages are listed without their
bodies (they carry codes, temporary passwords and one-time links); audit events
name who acted by role, not a director's identifier. Other areas add their part
through kernel.personal_data (FranceConnect's links).

The download needs a password typed within the last five minutes
(`accounts.sessions.recently_authenticated`), is throttled and audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from accounts import audit
from accounts import devices
from accounts import sessions
from accounts import user_agents
from accounts.audit_labels import action_label
from accounts.models import Account
from accounts.models import AccountOrigin
from accounts.models import AccountState
from accounts.models import AuditEvent
from accounts.models import AuditEventAccount
from idp.claims import SCOPES
from idp.oauth_models import Consent
from idp.oauth_models import OidcClient
from idp.oauth_models import SessionService
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.personal_data import personal_data_collectors
from messaging.models import Message
from registry.models import School

FORMAT_VERSION = 1


class ReauthenticationRequired(DomainError):
    code = "reauthentication_required"
    message = _l("Pour télécharger vos données, saisissez à nouveau votre mot de passe.")


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: list[dict]


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

# Fields written in French whatever the reader's language: the journal's summaries
# (the readable page marks them `lang="fr"`).
IN_FRENCH = frozenset({"summary"})
# Fields for programs only: codes (people read the words beside them, in their
# language): the journal's actions, a session's methods and end, a message's channel
# and state, a consent's scopes.
FOR_PROGRAMS_ONLY = frozenset(
    {"action", "amr", "ended_reason_code", "channel_code", "status_code", "scope"}
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
    "summary": _l("Détail"),
}


def check_recent_authentication(login: sessions.LoginSession, *, now: dt.datetime) -> None:
    if not sessions.recently_authenticated(login, now=now):
        raise ReauthenticationRequired()


def export(account: Account, login: sessions.LoginSession, *, now: dt.datetime) -> list[Section]:
    """The parent's data, section by section; audited as a download (caller commits)."""
    check_recent_authentication(login, now=now)
    sections = [
        Section("account", str(_l("Compte")), [_account(account)]),
        Section("contacts", str(_l("Coordonnées du compte")), [_contacts(account)]),
        Section("registry_records", str(_l("Fiches du registre des écoles")), _records(account)),
        Section("children", str(_l("Enfants")), _children(account)),
        Section("consents", str(_l("Consentements")), _consents(account)),
        Section("services", str(_l("Services utilisés")), _services(account)),
        Section("sign_ins", str(_l("Historique des connexions")), _sign_ins(account, now=now)),
        Section("browsers", str(_l("Navigateurs reconnus")), _browsers(account)),
        *(
            Section(key, str(title), collect(account.id))
            for key, title, collect in personal_data_collectors()
        ),
        Section("messages", str(_l("Messages envoyés")), _messages(account)),
        Section("audit_events", str(_l("Journal des opérations")), _audit_events(account)),
    ]
    audit.record(
        "account.data_exported",
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
    )  # no summary: the action's label says it all, in the reader's language
    return sections


def as_json(sections: list[Section], *, now: dt.datetime) -> dict:
    """The machine-readable form: dates in ISO 8601, UTC."""
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": _iso(now),
        **{section.key: [_plain(row) for row in section.rows] for section in sections},
    }


def readable(sections: list[Section]) -> list[Section]:
    """The sections as the page and the PDF show them: without the fields for programs."""
    return [
        Section(
            section.key,
            section.title,
            [{k: v for k, v in row.items() if k not in FOR_PROGRAMS_ONLY} for row in section.rows],
        )
        for section in sections
    ]


def _iso(value):
    return value.isoformat() + "Z"


def _plain(row: dict) -> dict:
    out = {}
    for key, value in row.items():
        if isinstance(value, dt.datetime):
            out[key] = _iso(value)
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def _account(account: Account) -> dict:
    return {
        "identifier": account.identifier,
        "last_name": account.last_name,
        "first_name": account.first_name,
        "state": str(STATE_NAMES[account.state]),
        "origin": str(ORIGIN_NAMES[account.origin]),
        "created_at": account.created_at,
        "distribution_date": account.distribution_date,
        "activated_at": account.activated_at,
        "last_login_at": account.last_login_at,
        "has_own_password": bool(account.password_hash) and not account.must_change_password,
        "new_device_alerts": account.new_device_alerts,
    }


def _contacts(account: Account) -> dict:
    return {
        "email": account.email,
        "email_verified": account.email_verified,
        "mobile": account.mobile,
        "mobile_verified": account.mobile_verified,
    }


def _records(account: Account) -> list[dict]:
    """The guardian records the school registry gives under this account."""
    return [
        {
            "registry_id": record.registry_id,
            "last_name": record.last_name,
            "first_name": record.first_name,
            "email": record.email,
            "mobile": record.mobile,
            "address": record.address,
            "withdrawn_at": record.withdrawn_at,
        }
        for record in account.guardians
    ]


def _children(account: Account) -> list[dict]:
    return [
        {
            "last_name": pupil.last_name,
            "first_name": pupil.first_name,
            "birth_date": pupil.birth_date,
            "ine": pupil.ine,
            "school_uai": pupil.school.uai,
            "school_name": pupil.school.name,
            "school_city": pupil.school.city,
            "class": pupil.school_class.name if pupil.school_class else None,
            "level": pupil.level.label if pupil.level else None,
        }
        for pupil in account.children()
    ]


def _consents(account: Account) -> list[dict]:
    rows = []
    if account.terms_accepted_at:
        rows.append(
            {
                "what": str(_l("Conditions générales d'utilisation")),
                "version": account.terms_version,
                "shared": None,
                "scope": None,
                "given_at": account.terms_accepted_at,
            }
        )
    query = (
        db.select(Consent, OidcClient.name)
        .join(OidcClient, OidcClient.id == Consent.client_id)
        .where(Consent.account_id == account.id)
        .order_by(Consent.granted_at, Consent.id)
    )
    for consent, name in db.session.execute(query):
        rows.append(
            {
                "what": str(_l("Partage de données avec %(service)s", service=name)),
                "version": None,
                "shared": _scope_words(consent.scope),
                "scope": consent.scope,
                "given_at": consent.granted_at,
            }
        )
    return rows


def _scope_words(scope: str) -> str:
    """The data a service receives, as the consent page named it to the parent."""
    return " ; ".join(str(SCOPES[name]) for name in scope.split() if name in SCOPES)


def _services(account: Account) -> list[dict]:
    login = sessions.LoginSession
    query = (
        db.select(
            OidcClient.name,
            func.min(SessionService.first_at),
            func.max(SessionService.first_at),
            func.count(),
        )
        .join(SessionService, SessionService.client_id == OidcClient.id)
        .join(login, login.id == SessionService.login_session_id)
        .where(login.account_id == account.id)
        .group_by(OidcClient.id, OidcClient.name)
        .order_by(func.min(SessionService.first_at))
    )
    return [
        {"service": name, "first_sign_in": first, "last_sign_in": last, "sign_ins": count}
        for name, first, last, count in db.session.execute(query)
    ]


def _sign_ins(account: Account, *, now: dt.datetime) -> list[dict]:
    login = sessions.LoginSession
    query = (
        db.select(login)
        .where(login.account_id == account.id)
        .order_by(login.created_at.desc(), login.id)
    )
    return [
        {
            "started_at": row.created_at,
            "last_active_at": row.last_seen_at,
            "methods": _method_words(row.amr),
            "amr": list(row.amr or []),
            "device": user_agents.describe(row.user_agent),
            "network": row.network,
            "open": row.is_live(now),
            "ended_at": row.ended_at,
            "ended_reason": _end_words(row.ended_reason),
            "ended_reason_code": row.ended_reason,
        }
        for row in db.session.scalars(query)
    ]


def _method_words(amr: list[str] | None) -> str:
    words = (SIGN_IN_METHODS.get(code, code) for code in amr or ())
    said = ", ".join(str(word) for word in words if word is not None)
    return said[:1].upper() + said[1:]


def _end_words(reason: str | None) -> str | None:
    return None if reason is None else str(END_REASONS.get(reason, reason))


def _browsers(account: Account) -> list[dict]:
    return [
        {
            "device": user_agents.describe(device.user_agent),
            "first_seen_at": device.first_seen_at,
            "last_seen_at": device.last_seen_at,
        }
        for device in devices.devices_of(account)
    ]


def _messages(account: Account) -> list[dict]:
    query = (
        db.select(Message)
        .where(Message.account_id == account.id)
        .order_by(Message.created_at, Message.id)
    )
    return [
        {
            "created_at": message.created_at,
            "channel": message.channel_name,
            "channel_code": message.channel.value,
            "recipient": message.recipient,
            "subject": message.subject or None,
            "status": message.status_name,
            "status_code": message.status.value,
            "sent_at": message.sent_at,
        }
        for message in db.session.scalars(query)
    ]


def _audit_events(account: Account) -> list[dict]:
    about = db.select(AuditEventAccount.event_id).where(AuditEventAccount.account_id == account.id)
    by_self = db.and_(AuditEvent.actor_type == "guardian", AuditEvent.actor_id == account.id)
    query = (
        db.select(AuditEvent, School.name)
        .outerjoin(School, School.id == AuditEvent.school_id)
        .where(db.or_(AuditEvent.id.in_(about), by_self))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [
        {
            "at": event.at,
            "operation": action_label(event.action),
            "action": event.action,
            "by": str(ACTORS.get(event.actor_type, event.actor_type)),
            "school": school,
            "summary": event.summary or None,
        }
        for event, school in db.session.execute(query)
    ]
