"""Signing keys of the OpenID Connect provider: generation, rotation, retirement,
encryption at rest and the published JWKS (issue 4). Nothing else reads a private key."""
