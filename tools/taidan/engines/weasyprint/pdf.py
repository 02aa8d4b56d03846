"""WeasyPrint set up once for every PDF edition: fonts by file path, a fetcher confined to
the manuscript, the templates and the fonts, metadata and a structure tree.

WeasyPrint reads no clock: the only dates in the PDF are the ones the templates write
(``dcterms.created``), taken from the manuscript's date, so the same manuscript always
gives the same bytes.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from taidan.engines.weasyprint import install
from taidan.engines.fonts import FontNotLoaded, font
from taidan.pipeline import guard

_kept_fonts = None  # a FontConfiguration a long-lived process keeps (see keep_fonts)


def font_url(role: str) -> str:
    """file: URL of a font by role (see taidan.engines.fonts), for @font-face rules in the templates."""
    return font(role).as_uri()


def keep_fonts(keep: bool = True) -> None:
    """From now on every PDF in this process shares one new FontConfiguration: the
    @font-face files stay loaded and Pango's caches warm (taidan serve's print worker).
    Call it again after fonts or templates change. The bytes written are the same.
    ``keep_fonts(False)`` lets it go (its temporary folder of fonts is removed then)."""
    global _kept_fonts
    _kept_fonts = None  # the old one first: its folder goes now, not at interpreter exit
    if keep:
        install()  # WeasyPrint imported quickly, its version checked, every patch installed
        from weasyprint.text.fonts import FontConfiguration  # deferred: imported by install()

        _kept_fonts = FontConfiguration()


UA = "pdf/ua-1"  # the screen PDFs' claim: ISO 14289-1 (docs/print.md, "For screen readers")


def write_pdf(html: str, m, variant: str | None = UA) -> bytes:
    """Lays out ``html`` (whose relative URLs resolve beside the manuscript) as a tagged PDF;
    ``variant``: WeasyPrint's PDF variant. pdf/ua-1 adds the XMP claim (pdfuaid:part 1 and
    dc:title); the tags, the language, DisplayDocTitle and the artifacts are there in any
    case (taidan.engines.weasyprint.tagging)."""
    install()  # WeasyPrint imported quickly, its version checked, every patch installed
    # deferred: WeasyPrint is imported by install(), and only by a PDF edition
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    base = m.path.resolve().parent
    # one guard for every engine: refusals become problems in the build (taidan.pipeline.guard)
    fetcher = guard.weasyprint_fetcher(guard.roots(m))
    document = HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher)
    config = _kept_fonts or FontConfiguration()
    try:
        with _font_failures() as failed:
            pdf = document.write_pdf(font_config=config, pdf_tags=True, pdf_variant=variant)
    finally:
        if config is not _kept_fonts:
            _release(config)
    if failed:
        raise FontNotLoaded(failed)
    return pdf


def _release(config) -> None:
    """Removes the folder of @font-face files a FontConfiguration made. WeasyPrint removes it
    only in ``__del__``, which a forked worker ending with os._exit never reaches: every
    parallel build left two folders of fonts in TMPDIR."""
    import shutil  # deferred: only a PDF build has a folder of fonts to remove

    folder, config._folder = getattr(config, "_folder", None), None
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _font_failures():
    """The URLs of @font-face sources WeasyPrint could not load (it only logs them, at debug
    level, and falls back to another face)."""
    logger, failed = logging.getLogger("weasyprint"), []

    def note(record) -> bool:
        if str(record.msg).startswith("Failed to load font at") and record.args:
            failed.append(str(record.args[0]))
        return record.levelno > logging.DEBUG  # debug records go no further

    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addFilter(note)
    try:
        yield failed
    finally:
        logger.removeFilter(note)
        logger.setLevel(level)
