"""French pages for the HTTP errors no area handles itself (400, 403, 405…), so a
person never meets Werkzeug's English default page (RGAA: the page's language is
French, on the State's frame; see docs/architecture.md, «Accessibility»)."""

from __future__ import annotations

from flask import Flask
from flask import make_response
from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

_BACK = _l("Revenez à la page précédente et recommencez.")
TEXTS = {
    400: (_l("Demande incorrecte"), _l("Votre demande n'a pas pu être traitée.")),
    403: (_l("Accès refusé"), _l("Vous n'avez pas accès à cette page.")),
    405: (_l("Action impossible"), _l("Cette page ne peut pas être ouverte de cette façon.")),
    410: (_l("Page supprimée"), _l("Cette page n'existe plus.")),
    413: (_l("Demande trop volumineuse"), _l("Les informations envoyées sont trop volumineuses.")),
}
DEFAULT = (_l("Demande impossible"), _l("Votre demande n'a pas pu être traitée."))
SERVER = (
    _l("Erreur inattendue"),
    _l("Désolé, le service rencontre un problème. Veuillez réessayer dans quelques instants."),
)


def setup_error_pages(app: Flask) -> None:
    """A page of its own for 404, 429, 500 and a refused CSRF token; the generic
    French page for any other HTTP error."""

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(404)
    def _not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(429)
    def _too_many(error):
        return render_template("errors/429.html"), 429

    @app.errorhandler(500)
    def _server_error(error):
        return render_template("errors/500.html"), 500

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        heading, explanation = SERVER if error.code >= 500 else TEXTS.get(error.code, DEFAULT)
        response = make_response(
            render_template(
                "errors/http.html", heading=heading, explanation=explanation, back=_BACK
            ),
            error.code,
        )
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value  # e.g. Allow on a 405
        return response
