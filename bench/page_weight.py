"""What a parent's browser downloads for one page (issue 15: «1.4 MB uncompressed on
first load»): first visit with an empty cache, then the next page of the visit.

    .venv/bin/python bench/page_weight.py http://127.0.0.1:5000/connexion

Drives Chromium (CHROMIUM or the first `chromium` on the PATH) through Playwright and
adds up, for every response, the bytes sent over the wire (headers and body as
encoded: gzip/Brotli when the server compressed it) and the decoded body size.
Results: docs/benchmarks.md.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys

from playwright.sync_api import sync_playwright


def weigh(page, url: str) -> tuple[int, int, int]:
    """(requests, bytes transferred, bytes decoded) of loading `url` in `page`."""
    responses = []

    def record(response) -> None:
        responses.append(response)

    page.on("response", record)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("response", record)
    wire = decoded = 0
    for response in responses:
        sizes = response.request.sizes()
        wire += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        if not response.from_service_worker and response.status != 304:
            with contextlib.suppress(Exception):  # a redirect has no body to read
                decoded += len(response.body())
    return len(responses), wire, decoded


def main(url: str) -> None:
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        page = browser.new_context().new_page()
        for label in ("first visit (empty cache)", "next page (cache kept)"):
            count, wire, decoded = weigh(page, url)
            print(
                f"{label:28} {count:3} requests  {wire / 1024:8.1f} KiB transferred  "
                f"{decoded / 1024:8.1f} KiB decoded"
            )
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000/connexion")
