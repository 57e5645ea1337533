"""What each action of the audit log is called, in the reader's language.

One list for both readers: the directors' console shows it in French (the console
is French-only, kernel.languages), a parent's «Mes données» in the parent's
language. tests/admin/test_journal_wording.py finds each `audit.record` of the code
base here: a new action needs its label (and its translations: tests/test_catalogues.py).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "account.notified": _l("Compte notifié"),
    "accounts.notified": _l("(Re)notification"),
    "account.password_reset": _l("Réinitialisation du mot de passe"),
    "account.password_chosen": _l("Mot de passe choisi par le responsable"),
    "account.password_changed": _l("Mot de passe modifié par le responsable"),
    "account.activation_email_resent": _l("Renvoi du courriel d'activation"),
    "account.activation_started": _l("Première connexion (activation en cours)"),
    "account.activated": _l("Compte activé"),
    "account.deleted_after_merge": _l("Compte regroupé dans un autre"),
    "account.merged": _l("Comptes regroupés (enfants ajoutés)"),
    "account.email_change_requested": _l("Changement d'adresse mail demandé"),
    "account.email_changed": _l("Adresse mail modifiée"),
    "account.mobile_changed": _l("Téléphone mobile modifié"),
    "child.not_mine": _l("« Ce n'est pas mon enfant » signalé"),
    "franceconnect.linked": _l("Compte lié à FranceConnect"),
    "franceconnect.unlinked": _l("Lien FranceConnect retiré"),
    "accounts.list_downloaded": _l("Liste des comptes téléchargée"),
    "letters.downloaded": _l("Courriers téléchargés"),
    "password.locked": _l("Mot de passe bloqué"),
    "birth_date.locked": _l("Date de naissance bloquée"),
    "director_password.locked": _l("Mot de passe du directeur bloqué"),
    "password.lock_lifted": _l("Blocage du mot de passe levé"),
    "birth_date.lock_lifted": _l("Blocage de la date de naissance levé"),
    "director_password.lock_lifted": _l("Blocage du mot de passe du directeur levé"),
    "statistics.computed": _l("Statistiques calculées"),
    "registry.imported": _l("Import de la base élèves"),
    "sessions.revoked": _l("Sessions et jetons révoqués"),
    "director.added": _l("Directeur ajouté"),
    "director.assigned": _l("École attribuée au directeur"),
    "director.unassigned": _l("École retirée au directeur"),
    "director.removed": _l("Directeur supprimé"),
    "director.password_set": _l("Mot de passe du directeur défini"),
    "director.totp_enabled": _l("Second facteur du directeur activé"),
    "director.totp_disabled": _l("Second facteur du directeur désactivé"),
    "director.unlocked": _l("Directeur débloqué"),
    "director.signed_in": _l("Connexion à la console"),
    "director.signed_out": _l("Déconnexion de la console"),
    "account.data_exported": _l("Données personnelles téléchargées par le responsable"),
    "account.device_alerts_on": _l("Alerte de connexion depuis un nouveau navigateur activée"),
    "account.device_alerts_off": _l("Alerte de connexion depuis un nouveau navigateur désactivée"),
    "sessions.ended_by_parent": _l("Connexions fermées par le responsable"),
    "passkey.added": _l("Clé d'accès ajoutée"),
    "passkey.renamed": _l("Clé d'accès renommée"),
    "passkey.removed": _l("Clé d'accès supprimée"),
    "passkey.sign_count_regressed": _l("Clé d'accès refusée (copie possible)"),
}
OTHER_ACTION = _l("Autre action")


def action_label(action: str) -> str:
    """The label of an action in the current language, never its code."""
    return str(ACTION_LABELS.get(action, OTHER_ACTION))
