"""What every browser test checks on each page state it reaches: axe-core (from npm,
node_modules/axe-core) at desktop (1280 px) and phone (375 px) widths, with no
critical or serious violation, and no script error in the console."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
BLOCKING = {"critical", "serious"}


@cache
def axe_source() -> str:
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `make setup` (npm ci)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict]:
    """axe's critical and serious violations of the page as it is now. The script is
    evaluated by the browser's debugger, so the pages' Content-Security-Policy stays
    in force (a CSP violation of ours would show as a console error)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"][:5]],
        }
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


class Checker:
    """Collects the script errors of a page (console errors, uncaught exceptions) and
    audits each state a test reaches: `check("what the person sees")`."""

    def __init__(self, page: Page, name: str = "page", screenshots: Path | None = None):
        self.page = page
        self.name = re.sub(r"\W+", "-", name).strip("-")
        self.screenshots = screenshots
        self.script_errors: list[str] = []
        self.states: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.script_errors.append(f"{page.url}: {error}"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        # A page answered with an error status (a refused form: 400, 429…) is logged
        # as «Failed to load resource»: that is the page working, not a script error;
        # a stylesheet, script or image that fails is caught by `_response`.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.script_errors.append(f"{self.page.url}: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.script_errors.append(f"{response.url}: HTTP {response.status}")

    def __call__(self, state: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.states.append(state)
        found = {}
        # The width the test is at first (a menu open on a phone is audited open),
        # then the other; the test's width is restored (a DSFR dialog closes when
        # the width crosses its breakpoint).
        start = page.viewport_size or DESKTOP
        widths = [("1280 px", DESKTOP), ("375 px", PHONE)]
        if start["width"] == PHONE["width"]:
            widths.reverse()
        for label, size in widths:
            if page.viewport_size != size:
                page.set_viewport_size(size)
            violations = axe_violations(page)
            if violations:
                found[label] = violations
            self._screenshot(state, size)
        page.set_viewport_size(start)
        assert not found, f"axe on «{state}» ({page.url}):\n" + json.dumps(
            found, ensure_ascii=False, indent=1
        )
        self.no_script_errors()

    def _screenshot(self, state: str, size: dict) -> None:
        """With SCREENSHOTS=folder (`make screenshots`), each state at each width."""
        if self.screenshots is None:
            return
        self.screenshots.mkdir(parents=True, exist_ok=True)
        label = re.sub(r"\W+", "-", state).strip("-")
        number = len(self.states)
        path = self.screenshots / f"{self.name}-{number:02d}-{label}-{size['width']}px.png"
        self.page.screenshot(path=str(path), full_page=True)

    def no_script_errors(self) -> None:
        errors = list(self.script_errors)
        self.script_errors.clear()
        assert not errors, "script errors:\n" + "\n".join(errors)
