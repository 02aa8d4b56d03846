"""Headless Chromium as a PDF engine, driven through Playwright with Debian's own binary.

No ``playwright install``: Playwright launches the system binary. The build stays offline:
every request that is not a file inside the allowed folders is aborted, host names resolve
to nothing, and Chromium's background services (updates, sync, safe browsing) are off.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path

BINARY = Path("/usr/lib/chromium/chromium")  # the binary itself, not the /usr/bin wrapper

ARGS = [
    "--headless",
    "--no-sandbox",
    "--no-pdf-header-footer",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-breakpad",
    # Chromium still asks update hosts now and then: no name resolves during a build.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    # A document opened from a file may read the fonts beside it (file:// @font-face).
    "--allow-file-access-from-files",
]


class ChromiumMissing(RuntimeError):
    pass


@contextmanager
def printer(allowed: list[Path]):
    """Yields ``print_pdf(html) -> bytes``: one browser and one page, reused for every
    document (a fresh page per document costs about a second more, fonts loaded again).

    Each document is written to a temporary folder and opened from there, so file:// URLs
    (fonts, images) inside ``allowed`` load; every other request is aborted. The PDF takes
    its page size and margins from the document's own @page rules.
    """
    if not BINARY.is_file():
        raise ChromiumMissing(f"{BINARY} is missing: run `make setup` (tools/setup.sh)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="taidan-chromium-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(BINARY), args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.route("**/*", _offline([*allowed, Path(tmp)]))
            count = 0

            def print_pdf(html: str) -> bytes:
                nonlocal count
                count += 1  # a new file name each time: nothing stale comes from a cache
                doc = Path(tmp) / f"document-{count}.html"
                doc.write_text(html, encoding="utf-8")
                page.goto(doc.as_uri(), wait_until="load")
                page.evaluate("document.fonts.ready.then(() => true)")
                return page.pdf(prefer_css_page_size=True, print_background=True,
                                outline=True, tagged=True, display_header_footer=False)

            yield print_pdf
        finally:
            browser.close()


def _offline(allowed: list[Path]):
    """A route handler: file:// inside the allowed folders goes through, nothing else."""
    from taidan import fetch  # one guard for every engine: refusals become build problems

    folders = [p.resolve() for p in allowed]

    def handle(route):
        if fetch.allowed(route.request.url, folders):
            return route.continue_()
        return route.abort()

    return handle
