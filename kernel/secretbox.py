"""Encryption at rest for temporary passwords (SPEC §3: shown to the director,
never stored in clear).

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`. The key comes from
DATA_ENCRYPTION_KEY (one or more comma-separated Fernet keys, newest first, so
keys rotate without re-encrypting at once); without it, a key is derived from
SECRET_KEY with HKDF so the demo needs no setting.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask_babel import lazy_gettext as _l

from kernel.errors import DomainError


class EncryptionKeyError(DomainError):
    code = "encryption_key"
    message = _l("Le mot de passe provisoire ne peut pas être déchiffré avec la clé configurée.")


class SecretBox:
    def __init__(self, data_encryption_key: str | None, secret_key: str):
        if data_encryption_key:
            keys = [k.strip() for k in data_encryption_key.split(",") if k.strip()]
        else:
            keys = [_derive_key(secret_key)]
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken as exc:
            raise EncryptionKeyError() from exc


def _derive_key(secret_key: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"guichet temporary passwords"
    )
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))
