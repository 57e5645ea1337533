"""A small accessibility audit of a rendered page (RGAA habits, DSFR frame), with the
standard library's HTML parser: `audit(html, product_name, language="fr")` returns the
broken rules, one French-free line each, so a test asserts the list is empty.

A parent's page is audited in each of its languages (docs/languages.md): `lang` and
`dir` of <html> are the language's, and no word of another language (English on a
French page; French on an English or Arabic one; English on an Arabic one) is read
outside an element marked with its own `lang` (the language switch).

What it checks is listed in docs/architecture.md, «Accessibility».
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from html.parser import HTMLParser

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
# A word of these in what a person reads (or hears) means an English text slipped in:
# Werkzeug's and WTForms' default pages and messages, Authlib's error descriptions.
ENGLISH = {
    "the",
    "this",
    "is",
    "are",
    "was",
    "field",
    "required",
    "invalid",
    "please",
    "must",
    "should",
    "not",
    "and",
    "of",
    "to",
    "your",
    "you",
    "with",
    "value",
    "submit",
    "error",
    "request",
    "found",
    "allowed",
    "method",
    "forbidden",
    "unauthorized",
    "server",
    "sign",
    "password",
    "login",
    "logout",
    "back",
    "next",
    "previous",
    "cancel",
    "click",
    "here",
    "missing",
    "wrong",
    "expired",
    "too",
    "many",
    "requests",
}
# A word of these on an English or Arabic page means a French text was left untranslated
# (words no school, street or person name of the demo data carries).
FRENCH = {
    "vous",
    "votre",
    "vos",
    "les",
    "des",
    "est",
    "une",
    "pour",
    "avec",
    "dans",
    "aucun",
    "aucune",
    "mot",
    "passe",
    "connexion",
    "compte",
    "identifiant",
    "enfants",
    "adresse",
    "courriel",
    "retour",
    "mes",
    "mon",
    "données",
    "saisissez",
    "veuillez",
    "erreur",
    "valider",
    "envoyer",
    "connecter",
    "déconnecter",
    "déconnexion",
    "oui",
    "non",
    "jamais",
    "renseigné",
    "activé",
    "notifié",
    "responsable",
    "accès",
    "clé",
    "clés",
    "télécharger",
    "modifier",
    "supprimer",
    "annuler",
    "continuer",
    "suivant",
    "précédent",
    "ajouter",
}
OTHER_LANGUAGES = {"fr": ENGLISH, "en": FRENCH, "ar": FRENCH | ENGLISH}
RIGHT_TO_LEFT = {"ar"}
ERROR_TITLE = {"fr": "Erreur", "en": "Error", "ar": "خطأ"}
NEW_WINDOW = {"fr": "nouvelle fenêtre", "en": "new window", "ar": "نافذة جديدة"}
VAGUE_LINKS = {"ici", "cliquez ici", "lien", "en savoir plus", "plus", "voir", "cliquer ici"}
ERROR_GROUPS = {
    "fr-input-group--error",
    "fr-select-group--error",
    "fr-fieldset--error",
    "fr-checkbox-group--error",
    "fr-radio-group--error",
}
CONTROL_ERROR_CLASS = {"input": "fr-input--error"}  # a select shows it through its group
# Fields about the person filling them in say what they hold (RGAA 11.13).
PERSONAL = {"email", "tel", "password"}
LABELLED_TYPES_EXEMPT = {"hidden", "submit", "button", "image", "reset"}


@dataclass
class _Node:
    tag: str
    attrs: dict
    classes: set
    text: list = field(default_factory=list)


@dataclass
class _Control:
    tag: str
    attrs: dict
    in_error_group: str | None
    in_fieldset_with_legend: bool
    in_table: bool
    form_index: int | None


class _Page(HTMLParser):
    def __init__(self, language: str = "fr"):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[_Node] = []
        self.nodes_by_tag: dict[str, list[_Node]] = {}
        self.html_lang = None
        self.html_dir = None
        self.title = ""
        self.ids: Counter = Counter()
        self.label_for: set[str] = set()
        self.controls: list[_Control] = []
        self.references: list[tuple[str, str]] = []  # (attribute, id)
        self.described: set[str] = set()
        self.error_texts: list[tuple[str | None, bool]] = []  # (id, inside an error group)
        self.actions: list[_Node] = []
        self.forms: list[dict] = []
        self.read: list[str] = []  # text and attributes a person reads or hears
        self.headings: list[int] = []
        self.inline_handlers: list[str] = []
        self.stylesheets: list[str] = []
        self.tables: list[_Node] = []
        self.skip_links: list[str] = []
        self.labels: list[_Node] = []
        self.error_signs = 0  # error texts and error alerts on the page

    # -- helpers ---------------------------------------------------------------------
    def _inside(self, predicate) -> _Node | None:
        for node in reversed(self.stack):
            if predicate(node):
                return node
        return None

    def _hidden(self) -> bool:
        return any(
            n.attrs.get("aria-hidden") == "true"
            or n.tag in ("script", "style", "code")
            or (n.tag != "html" and n.attrs.get("lang") not in (None, self.language))
            for n in self.stack
        )

    # -- parsing ---------------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        node = _Node(tag, a, set(a.get("class", "").split()))
        if tag == "html":
            self.html_lang = a.get("lang")
            self.html_dir = a.get("dir")
        if "id" in a:
            self.ids[a["id"]] += 1
        for name in ("aria-describedby", "aria-labelledby"):
            for ref in a.get(name, "").split():
                self.references.append((name, ref))
                self.described.add(ref)
        self.inline_handlers += [k for k in a if k.startswith("on")]
        if not self._hidden():
            for name in ("aria-label", "title", "alt", "placeholder"):
                if a.get(name):
                    self.read.append(a[name])
        if tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(a.get("href", ""))
        if tag == "a" and self._inside(lambda n: "fr-skiplinks" in n.classes):
            self.skip_links.append(a.get("href", ""))
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "form":
            self.forms.append({"attrs": a, "submits": 0})
        form_index = len(self.forms) - 1 if self._inside(lambda n: n.tag == "form") else None
        if tag in ("input", "select", "textarea"):
            group = self._inside(lambda n: n.classes & ERROR_GROUPS)
            fieldset = self._inside(lambda n: n.tag == "fieldset")
            self.controls.append(
                _Control(
                    tag,
                    a,
                    next(iter(group.classes & ERROR_GROUPS)) if group else None,
                    bool(fieldset and fieldset.attrs.get("_named")),
                    bool(self._inside(lambda n: n.tag == "table")),
                    form_index,
                )
            )
        is_submit = (tag == "button" and a.get("type", "submit") == "submit") or (
            tag == "input" and a.get("type") in ("submit", "image")
        )
        if is_submit and form_index is not None:
            self.forms[form_index]["submits"] += 1
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.read.append(a["value"])
        if "fr-error-text" in node.classes or "fr-alert--error" in node.classes:
            self.error_signs += 1
        if tag == "p" and "fr-error-text" in node.classes:
            group = self._inside(lambda n: n.classes & ERROR_GROUPS)
            self.error_texts.append((a.get("id"), group is not None))
        if tag in VOID:
            if tag == "input" and a.get("type") in ("submit", "button", "image"):
                node.text.append(a.get("value", "") or a.get("alt", ""))
                self.actions.append(node)
            return
        self.stack.append(node)
        if tag in ("a", "button"):
            self.actions.append(node)
        if tag == "table":
            self.tables.append(node)
        if tag == "label":
            self.labels.append(node)
        self.nodes_by_tag.setdefault(tag, []).append(node)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1].tag == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                closed = self.stack[i]
                del self.stack[i:]
                parent = {"legend": "fieldset", "caption": "table"}.get(tag)
                if parent and "".join(closed.text).strip():
                    owner = self._inside(lambda n, parent=parent: n.tag == parent)
                    if owner is not None:
                        owner.attrs["_named"] = True
                return

    def handle_data(self, data):
        if not data.strip():
            for node in self.stack:
                node.text.append(data)
            return
        hidden_from_all = any(
            n.attrs.get("aria-hidden") == "true" or n.tag in ("script", "style") for n in self.stack
        )
        for node in self.stack:
            if not hidden_from_all or node.tag == "title":
                node.text.append(data)
        if any(n.tag == "title" for n in self.stack):
            self.title += data
        if not self._hidden():
            self.read.append(data)


def _text(node: _Node) -> str:
    return " ".join("".join(node.text).split())


def audit(html: str, product_name: str, language: str = "fr") -> list[str]:
    """The rules `html` breaks (an empty list for a good page) as a page in `language`."""
    page = _Page(language)
    page.feed(html)
    page.close()
    problems: list[str] = []
    report = problems.append

    # Language, title, headings.
    if page.html_lang != language:
        report(f'<html lang="{language}"> missing (lang={page.html_lang!r})')
    direction = "rtl" if language in RIGHT_TO_LEFT else None
    if page.html_dir not in (direction, "ltr" if direction is None else direction):
        report(f"<html dir={page.html_dir!r}> for a page in {language!r}")
    title = " ".join(page.title.split())
    named = title.rsplit(" — ", 1)[0].strip() if " — " in title else title
    if not named or named == product_name:
        report(f"<title> does not name the page: {title!r}")
    error = ERROR_TITLE[language]
    if page.error_signs and not named.startswith(error):
        report(f"<title> of a page showing an error does not start with «{error}»: {title!r}")
    h1 = page.nodes_by_tag.get("h1", [])
    if len(h1) != 1:
        report(f"{len(h1)} <h1> instead of one: {[_text(n) for n in h1]}")
    elif not _text(h1[0]):
        report("empty <h1>")
    previous = 0
    for level in page.headings:
        if previous and level > previous + 1:
            report(f"heading level jumps from h{previous} to h{level}")
        previous = level

    # The DSFR frame: stylesheet, skip links, header, main, footer.
    if not any("dsfr.min.css" in href for href in page.stylesheets):
        report("the DSFR stylesheet is not linked")
    skip = page.skip_links
    if not skip:
        report("no skip link (.fr-skiplinks)")
    for href in skip:
        if not href.startswith("#") or page.ids[href[1:]] != 1:
            report(f"skip link {href!r} points to no element")
    headers = [n for n in page.nodes_by_tag.get("header", []) if "fr-header" in n.classes]
    if not headers or headers[0].attrs.get("role") != "banner":
        report('no DSFR header (<header role="banner" class="fr-header">)')
    footers = [n for n in page.nodes_by_tag.get("footer", []) if "fr-footer" in n.classes]
    if not footers or footers[0].attrs.get("role") != "contentinfo":
        report('no DSFR footer (<footer role="contentinfo" class="fr-footer">)')
    if len(page.nodes_by_tag.get("main", [])) != 1:
        report("not exactly one <main>")

    # Identifiers and the references to them.
    for ident, count in page.ids.items():
        if count > 1:
            report(f"id {ident!r} used {count} times")
    for attribute, ref in page.references:
        if ref not in page.ids:
            report(f"{attribute} points to a missing id {ref!r}")

    # Form controls: a label each, radio and checkbox groups in a fieldset with a legend.
    names = Counter(
        (c.form_index, c.attrs.get("name"))
        for c in page.controls
        if c.attrs.get("type") in ("radio", "checkbox")
    )
    for control in page.controls:
        a = control.attrs
        kind = a.get("type", "text") if control.tag == "input" else control.tag
        if kind in LABELLED_TYPES_EXEMPT:
            continue
        where = f"<{control.tag} name={a.get('name')!r}>"
        if not a.get("id") or a["id"] not in page.label_for:
            report(f"{where} has no <label for>")
        grouped = kind == "radio" or names[(control.form_index, a.get("name"))] > 1
        if (
            kind in ("radio", "checkbox")
            and grouped
            and not control.in_table
            and not control.in_fieldset_with_legend
        ):
            report(f"{where} is in a group without <fieldset> and <legend>")
        if kind in PERSONAL and "autocomplete" not in a:
            report(f"{where} ({kind}) has no autocomplete attribute")
        if control.in_error_group:
            expected = CONTROL_ERROR_CLASS.get(control.tag)
            if (
                expected
                and kind not in ("radio", "checkbox")
                and expected not in a.get("class", "").split()
            ):
                report(f"{where} in an error group lacks the class {expected}")
            if kind not in ("radio", "checkbox") and not a.get("aria-describedby"):
                report(f"{where} in an error group has no aria-describedby")

    for label in page.labels:
        if not _text(label):
            report(f"empty <label for={label.attrs.get('for')!r}>")

    # Error messages: DSFR classes, tied to their field.
    for ident, in_group in page.error_texts:
        if not in_group:
            report(f"error text {ident!r} outside a DSFR error group")
        if not ident:
            report("error text without an id (aria-describedby cannot point to it)")
        elif ident not in page.described:
            report(f"error text {ident!r} is not referenced by aria-describedby")

    # Links and buttons: a meaningful name; new windows said so; no JavaScript needed.
    for node in page.actions:
        name = _text(node) or node.attrs.get("aria-label", "") or node.attrs.get("title", "")
        if not name:
            report(f"<{node.tag}> without text: {node.attrs}")
        elif name.lower().strip(" .:") in VAGUE_LINKS:
            report(f"<{node.tag}> with a vague text: {name!r}")
        if node.tag == "a":
            href = node.attrs.get("href")
            if href is None and not (
                node.attrs.get("aria-disabled") == "true" or node.attrs.get("aria-current")
            ):
                report(f"<a> without href: {name!r}")
            if href is not None and (href in ("", "#") or href.startswith("javascript:")):
                report(f"<a href={href!r}> needs JavaScript: {name!r}")
            if node.attrs.get("target") == "_blank" and NEW_WINDOW[language] not in (
                node.attrs.get("title", "") + name
            ):
                report(f"link opening a new window does not say so: {name!r}")
    for form in page.forms:
        if not form["submits"]:
            report(f"<form> without a submit button: {form['attrs']}")
    if page.inline_handlers:
        report(f"inline JavaScript handlers: {sorted(set(page.inline_handlers))}")

    # Images and tables.
    for img in page.nodes_by_tag.get("img", []):
        if "alt" not in img.attrs:
            report(f"<img> without alt: {img.attrs.get('src')}")
    for table in page.tables:
        if not table.attrs.get("_named"):
            report("<table> without a <caption>")

    # One language: the page's.
    words = set(re.findall(r"[a-zàâçéèêëîïôûùüÿœæ]+", " ".join(page.read).lower()))
    foreign = sorted(words & OTHER_LANGUAGES[language])
    if foreign:
        report(f"words of another language than {language!r} in the page: {foreign}")
    return problems
