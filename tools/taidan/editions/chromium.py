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
def browser():
    """An open headless Chromium; reuse it for several documents (startup costs ~0.5 s)."""
    if not BINARY.is_file():
        raise ChromiumMissing(f"{BINARY} is missing: run `make setup` (tools/setup.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(BINARY), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _offline(allowed: list[Path]):
    from taidan import fetch  # one guard for every engine: refusals become build problems

    folders = [p.resolve() for p in allowed]

    def handle(route):
        if fetch.allowed(route.request.url, folders):
            return route.continue_()
        return route.abort()

    return handle


def pdf(b, html: str, allowed: list[Path], outline: bool = True) -> bytes:
    """Prints ``html`` to PDF with the page size and margins of its own @page rules.

    The document is written to a temporary folder and opened from there, so file:// URLs
    (fonts, images) inside ``allowed`` load; anything else is aborted.
    """
    with tempfile.TemporaryDirectory(prefix="taidan-chromium-") as tmp:
        doc = Path(tmp) / "book.html"
        doc.write_text(html, encoding="utf-8")
        page = b.new_page()
        try:
            page.route("**/*", _offline([*allowed, Path(tmp)]))
            page.goto(doc.as_uri(), wait_until="load")
            page.evaluate("document.fonts.ready.then(() => true)")
            return page.pdf(prefer_css_page_size=True, print_background=True,
                            outline=outline, tagged=True, display_header_footer=False)
        finally:
            page.close()
