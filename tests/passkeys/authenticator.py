"""A software authenticator: the test double of a phone or a security key holding
passkeys. It answers `navigator.credentials.create()` and `.get()` as a real one
does — 'none' attestation, an ES256 key made with `cryptography`, CBOR by cbor2,
authenticator data laid out as WebAuthn §6.1 says — so the server's real library
verifies every byte (rp id hash, flags, challenge, origin, signature, counter)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40  # WebAuthn §6.1 flags: user present, verified, attested data


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    user_name: str
    sign_count: int = 0


class SoftwareAuthenticator:
    """`counter=True` keeps a signature counter (security keys); False answers 0 each
    time, as synced passkeys do."""

    def __init__(self, origin: str = "http://localhost", *, counter: bool = True):
        self.origin = origin
        self.counter = counter
        self.credentials: list[Credential] = []

    def create(self, options: dict, *, origin: str | None = None, verified: bool = True) -> dict:
        """The browser's answer to `navigator.credentials.create({publicKey: options})`."""
        rp_id = options["rp"]["id"]
        excluded = {unb64url(c["id"]) for c in options.get("excludeCredentials", [])}
        if any(c.id in excluded for c in self.credentials):
            raise AssertionError("InvalidStateError: this authenticator already holds one")
        credential = Credential(
            id=os.urandom(16),
            key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=unb64url(options["user"]["id"]),
            user_name=options["user"]["name"],
        )
        self.credentials.append(credential)
        numbers = credential.key.public_key().public_numbers()
        cose_key = {
            1: 2,  # kty: EC2
            3: -7,  # alg: ES256
            -1: 1,  # crv: P-256
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
        attested = (
            bytes(16)  # AAGUID: none given
            + len(credential.id).to_bytes(2, "big")
            + credential.id
            + cbor2.dumps(cose_key)
        )
        flags = UP | AT | (UV if verified else 0)
        auth_data = self._auth_data(rp_id, flags, credential.sign_count) + attested
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: dict,
        *,
        origin: str | None = None,
        credential: Credential | None = None,
        sign_count: int | None = None,
        verified: bool = True,
    ) -> dict:
        """The browser's answer to `navigator.credentials.get({publicKey: options})`:
        with no allowCredentials (discoverable credentials) the holder picks one of the
        passkeys it keeps for that relying party — the first, unless `credential`."""
        rp_id = options["rpId"]
        credential = credential or next(c for c in self.credentials if c.rp_id == rp_id)
        if sign_count is not None:
            credential.sign_count = sign_count
        elif self.counter:
            credential.sign_count += 1
        auth_data = self._auth_data(rp_id, UP | (UV if verified else 0), credential.sign_count)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = credential.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def _auth_data(self, rp_id: str, flags: int, sign_count: int) -> bytes:
        rp_id_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_id_hash + bytes([flags]) + sign_count.to_bytes(4, "big")

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin},
            separators=(",", ":"),
        ).encode()
