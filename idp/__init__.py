"""The OpenID Connect provider (SPEC §7): Authlib's wiring (provider.py), its
endpoints and the parents' sign-in pages (views.py; the authorization endpoint's
steps in authorization.py, the password form in sign_in_form.py), codes, tokens,
claims, consents, clients, sign-out with back-channel logout, and the browser's
binding to its server-side session (web_session.py)."""
