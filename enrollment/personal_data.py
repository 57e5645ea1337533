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
from accounts.models import AuditEvent
from accounts.models import AuditEventAccount
from enrollment import personal_data_words as words
from enrollment import session_words
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
            [
                {k: v for k, v in row.items() if k not in words.FOR_PROGRAMS_ONLY}
                for row in section.rows
            ],
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
        "state": str(words.STATE_NAMES[account.state]),
        "origin": str(words.ORIGIN_NAMES[account.origin]),
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
                "shared": words.scope_words(consent.scope),
                "scope": consent.scope,
                "given_at": consent.granted_at,
            }
        )
    return rows


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
            "methods": session_words.method_words(row.amr),
            "amr": list(row.amr or []),
            "device": user_agents.describe(row.user_agent),
            "network": row.network,
            "open": row.is_live(now),
            "ended_at": row.ended_at,
            "ended_reason": session_words.end_words(row.ended_reason),
            "ended_reason_code": row.ended_reason,
        }
        for row in db.session.scalars(query)
    ]


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
            "by": str(words.ACTORS.get(event.actor_type, event.actor_type)),
            "school": school,
            "detail": words.event_detail(event.action, event.summary, event.details),
            "summary": event.summary or None,
        }
        for event, school in db.session.execute(query)
    ]
