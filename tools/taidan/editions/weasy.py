"""WeasyPrint set up once for every PDF edition: fonts by file path, a fetcher confined to
the manuscript, the templates and the fonts, metadata and a structure tree.

WeasyPrint reads no clock: the only dates in the PDF are the ones the templates write
(``dcterms.created``), taken from the manuscript's date, so the same manuscript always
gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import unquote, urlsplit

from taidan.fonts import font
from taidan.render import TEMPLATES


def source_date(m) -> str:
    """The manuscript's date as a W3C date-time at midnight UTC (SOURCE_DATE_EPOCH's day)."""
    day = dt.date.fromisoformat(m.meta.date)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def source_date_epoch(m) -> int:
    return int(dt.datetime.fromisoformat(source_date(m).replace("Z", "+00:00")).timestamp())


def font_url(role: str) -> str:
    """file: URL of a font by role (see taidan.fonts), for @font-face rules in the templates."""
    return font(role).as_uri()


def _fetcher(roots: list[Path]):
    from weasyprint import URLFetcher

    class ConfinedFetcher(URLFetcher):
        """Serves data: URLs and files under ``roots``; refuses the network and the rest
        of the disk, so a manuscript cannot pull anything else into the PDF."""

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                if any(path.is_relative_to(root) for root in roots):
                    return super().fetch(url, headers)
            raise ValueError(f"taidan does not fetch {url}: only files beside the manuscript, "
                             "the templates and the fonts")

    return ConfinedFetcher(allowed_protocols=["file", "data"])


def write_pdf(html: str, m) -> bytes:
    """Lays out ``html`` (whose relative URLs resolve beside the manuscript) as a tagged PDF."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    base = m.path.resolve().parent
    roots = [base, TEMPLATES.resolve(), *(font(role).resolve().parent for role in
                                          ("mincho", "gothic", "ipaex-mincho", "ipaex-gothic"))]
    document = HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=_fetcher(roots))
    return document.write_pdf(font_config=FontConfiguration(), pdf_tags=True)
