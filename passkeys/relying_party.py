"""Who we are to an authenticator (WebAuthn §5.1.2, §13.4.9): the relying party's id
is the host of PUBLIC_URL and the only origin accepted is PUBLIC_URL's, never the
request's Host header, so a response made for another site is refused."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from webauthn.helpers.cose import COSEAlgorithmIdentifier

# ES256 first (every platform authenticator), RS256 (Windows Hello), EdDSA.
ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origin: str

    @classmethod
    def of(cls, public_url: str, product_name: str) -> RelyingParty:
        parts = urlsplit(public_url)
        return cls(
            id=parts.hostname or "localhost",
            name=product_name,
            origin=f"{parts.scheme}://{parts.netloc}",
        )
