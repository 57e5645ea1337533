"""Which language a person reads (docs/languages.md; issue 17, «Languages»).

French is the source language and the default. A parent's pages follow, first to
last: the person's own choice, remembered a year in the `guichet_lang` cookie
(the header's switch, or the account's language at sign-in); the language a
service asked for with OpenID Connect's `ui_locales`, kept in the session for
the journey (a hint, so the person's choice beats it); the browser's
Accept-Language; French.
The areas the roof declares French-only (the directors' console, the development
outbox) are French whatever the choice.

A message is composed in `message_locale(...)`: the page's language when a parent
asks for it from a page, otherwise the recipient's stored language.

The switch posts to `/langue` (a form, CSRF-protected, no JavaScript needed) and
sends `language_chosen`, so the area that knows the signed-in account keeps the
choice on it without the kernel knowing accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from blinker import Namespace
from flask import Blueprint
from flask import Flask
from flask import abort
from flask import after_this_request
from flask import current_app
from flask import g
from flask import has_request_context
from flask import redirect
from flask import request
from flask import session
from flask_babel import get_locale
from flask_babel import refresh

from kernel import runtime
from kernel.extensions import db


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, as the switch shows it
    direction: str = "ltr"


DEFAULT = "fr"
LANGUAGES = {
    language.code: language
    for language in (
        Language("fr", "Français"),
        Language("en", "English"),
        Language("ar", "العربية", "rtl"),
    )
}
COOKIE = "guichet_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
JOURNEY_KEY = "ui_locale"
FRENCH_ONLY_KEY = "guichet.french_only"

bp = Blueprint("languages", __name__)
language_chosen = Namespace().signal("language-chosen")


def keep_french(app: Flask, blueprint: str, url_prefix: str) -> None:
    """An area every reader sees in French (the console: its people work in French and
    its letters are the annex's French text). The prefix covers its 404s, which no
    blueprint handles."""
    app.extensions.setdefault(FRENCH_ONLY_KEY, []).append((blueprint, url_prefix))


def supported(code: str | None) -> str | None:
    """The language we offer for a BCP 47 tag (`en-GB` → `en`), or None."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def from_ui_locales(value: str | None) -> str | None:
    """OpenID Connect Core §3.1.2.1: `ui_locales` is a space-separated list in order
    of preference; the first we offer wins, none leaves the choice unchanged."""
    for tag in (value or "").split():
        if code := supported(tag):
            return code
    return None


def is_french_only() -> bool:
    areas = current_app.extensions.get(FRENCH_ONLY_KEY, ())
    return any(
        request.blueprint == name or request.path.startswith(prefix + "/") or request.path == prefix
        for name, prefix in areas
    )


def person_choice() -> str | None:
    """What the person chose (the switch, or their account's language), as opposed to
    what a service hints or the browser prefers."""
    if not has_request_context():
        return None
    return g.get("language_choice") or supported(request.cookies.get(COOKIE))


def journey_choice() -> str | None:
    """The language a service asked for with `ui_locales`, for this journey."""
    return supported(session.get(JOURNEY_KEY)) if has_request_context() else None


def continue_journey(code: str | None) -> None:
    """Signing in starts a new session: the journey's language goes on in it."""
    if code:
        session[JOURNEY_KEY] = code


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    if not has_request_context() or is_french_only():
        return DEFAULT
    return (
        person_choice()
        or journey_choice()
        or request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT)
        or DEFAULT
    )


def current() -> str:
    return str(get_locale() or DEFAULT)


def message_locale(recipient_locale: str | None) -> str:
    """A message the parent asks for from a page is in the page's language; any other
    (the console, the CLI, a job) in the language stored on the recipient's account."""
    if has_request_context() and not is_french_only():
        return current()
    return supported(recipient_locale) or DEFAULT


def remember(code: str) -> None:
    """Keep a choice for this request and in the browser (a year)."""
    g.language_choice = code
    refresh()  # Flask-Babel keeps the locale of the request once asked
    secure = runtime.settings().secure_cookies

    @after_this_request
    def _set_cookie(response):
        response.set_cookie(
            COOKIE, code, max_age=COOKIE_MAX_AGE, secure=secure, httponly=True, samesite="Lax"
        )
        return response


@bp.before_app_request
def take_ui_locales():
    """A service's `ui_locales` (on /authorize) sets the language of the journey: kept
    in the session, it reaches the sign-in page and the steps after it."""
    code = from_ui_locales(request.args.get("ui_locales"))
    if code and session.get(JOURNEY_KEY) != code:
        session[JOURNEY_KEY] = code


@bp.after_app_request
def vary_on_language(response):
    """A page depends on the browser's languages and on the cookie: caches must know."""
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


@bp.app_context_processor
def language_context() -> dict:
    code = current()
    offered = has_request_context() and not is_french_only()
    return {
        "page_language": code,
        "page_direction": LANGUAGES.get(code, LANGUAGES[DEFAULT]).direction,
        "languages": list(LANGUAGES.values()) if offered else [],
        "language_return_to": request.full_path.rstrip("?") if offered else "/",
    }


@bp.post("/langue")
def choose():
    """The header's switch: remember the language, keep it on the signed-in account
    (`language_chosen`), and go back to the page the parent was reading."""
    code = supported(request.form.get("langue"))
    if code is None:
        abort(400)
    remember(code)
    language_chosen.send(current_app._get_current_object(), code=code)
    db.session.commit()
    return redirect(_local_path(request.form.get("retour")), 303)


def _local_path(target: str | None) -> str:
    """Back to a page of ours only (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target
