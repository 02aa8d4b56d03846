"""The editions and what each declares about itself, in one place (like a Sphinx builder's
class attributes): its name, the files it writes, the languages it is for, its engine, its
memory and its place in the build order.

This module imports nothing of the editions themselves: the command line reads the names,
the build the order and the memory, the catalog the file names, and none of them pays for
Jinja or WeasyPrint. An edition's module is imported only when the edition is built.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Languages:
    """The languages some editions or files are for, by primary subtag ("ja" of "ja-JP")."""
    codes: tuple[str, ...]
    kind: str  # which editions, for the message saying one is skipped

    def __contains__(self, lang: str) -> bool:
        return lang.split("-")[0].lower() in self.codes

    @property
    def reason(self) -> str:
        return f"{self.kind} editions are for lang {' and '.join(self.codes)}"


# Vertical writing (縦書き): Japanese and Chinese books.
VERTICAL = Languages(("ja", "zh"), "vertical")


@dataclass(frozen=True)
class Engine:
    """What lays an edition out, beyond taidan's own Python."""
    name: str
    # a module the build imports before it forks its workers, so each starts with it loaded
    preload: str = ""
    # a module with start_early() and close_early(): the engine started while the manuscript
    # is loaded, when the edition is built in the build's own process (not a forked worker)
    early: str = ""

    def start_early(self) -> None:
        if self.early:
            importlib.import_module(self.early).start_early()

    def close_early(self) -> None:
        if self.early:
            importlib.import_module(self.early).close_early()


WEASYPRINT = Engine("WeasyPrint", preload="taidan.engines.weasyprint.fast_import")
CHROMIUM = Engine("Chromium", early="taidan.engines.chromium")


@dataclass(frozen=True)
class Output:
    """One file an edition writes: ``{name}`` is the manuscript's name."""
    pattern: str
    media_type: str
    langs: Languages | None = None  # written only for books in these languages (None: all)

    def applies(self, m) -> bool:
        return self.langs is None or m.meta.lang in self.langs

    def file(self, m) -> str:
        return self.pattern.format(name=m.name)


@dataclass(frozen=True)
class Edition:
    name: str  # the name on the command line and in taidan.toml; its templates/ folder
    module: str  # has produce(m, options) -> {file name: bytes}
    outputs: tuple[Output, ...]
    # Peak memory of one job (PSS, MB): a fixed part, a part per KB of manuscript and a part
    # per line of text (each a paragraph, a heading or a note: its boxes), measured with
    # tools/bench.py's sampler, one edition at a time (see parallel).
    peak_mb: tuple[float, float, float]
    # Build order: lower starts first. Slowest first, so the long jobs start at once.
    order: int
    langs: Languages | None = None  # the edition is for books in these languages (None: all)
    engine: Engine | None = None  # None: taidan's own Python and Jinja
    # A long book is laid out in pieces side by side (taidan.pipeline.pieces), each piece
    # adding to the memory (pieces.estimate)
    in_pieces: bool = False

    def applies(self, m) -> bool:
        return self.langs is None or m.meta.lang in self.langs

    def skip_reason(self, m) -> str | None:
        """Why this edition does not apply to manuscript ``m`` (None: it does)."""
        return None if self.applies(m) else self.langs.reason

    def files(self, m) -> list[str]:
        """The names of the files this edition writes for manuscript ``m``, in order."""
        if not self.applies(m):
            return []
        return [o.file(m) for o in self.outputs if o.applies(m)]

    def implementation(self):
        """The edition's module, imported the first time it is asked for (when built)."""
        return importlib.import_module(self.module)

    def estimate_mb(self, kb: float, lines: int = 0) -> float:
        fixed, per_kb, per_line = self.peak_mb
        return fixed + per_kb * kb + per_line * lines


EPUB = "application/epub+zip"
KEPUB = "application/kepub+zip"
PDF = "application/pdf"

# Peak memory (PSS of `taidan build --edition NAME --jobs 1`, sampled), measured on the
# benchmark's books (tools/bench.py's long_manuscript) laid out whole (TAIDAN_PIECES=1):
# print 84, 119, 171 and 262 MB at 11, 102, 204 and 469 KB (50, 338, 658 and 1,490 lines),
# handout 78, 144 (204 KB) and 216 (469 KB); epub, epub-vertical and html under 50, kepub
# (both EPUB packages, each then rewritten with lxml) 40 and 53. In pieces, each piece
# after the first adds pipeline.pieces.PIECE_MB (print 203 MB at 102 KB in two pieces,
# 316 at 469 KB; handout 166 and 261). Short turns cost their boxes more than their
# bytes: 10,000 one-line turns (165 KB) took 670 MB in print, 2,500 (41 KB) 219 MB, and
# 205 MB in the handout (tests/test_parallel.py compares the estimates with real builds).
# print-vertical (Chromium, driven over its DevTools pipe) 339 MB for the interview, 590 for
# 204 KB and 1,099 for 611 KB laid out whole; a long book (over 128 KB) is now laid out a
# piece at a time, about 510 MB at 510 KB, but the estimate keeps the whole book's slope:
# over the budget either way, it runs alone.
# kepub takes twice as long as epub-vertical on the long book: it starts before it.
# The order of this dict is the order the editions are listed in (--edition's help).
EDITIONS: dict[str, Edition] = {e.name: e for e in (
    Edition("html", "taidan.editions.html",
            (Output("{name}.html", "text/html"),),
            peak_mb=(28, 0.01, 0.002), order=6),
    Edition("epub", "taidan.editions.epub",
            (Output("{name}.epub", EPUB),),
            peak_mb=(45, 0.01, 0.002), order=5),
    Edition("epub-vertical", "taidan.editions.epub_vertical",
            (Output("{name}-vertical.epub", EPUB),),
            langs=VERTICAL, peak_mb=(45, 0.01, 0.002), order=4),
    Edition("kepub", "taidan.editions.kepub",
            (Output("{name}.kepub.epub", KEPUB),
             Output("{name}-vertical.kepub.epub", KEPUB, langs=VERTICAL)),
            peak_mb=(50, 0.02, 0.002), order=3),
    Edition("print-vertical", "taidan.editions.print_vertical",
            (Output("{name}-vertical.pdf", PDF),),
            langs=VERTICAL, engine=CHROMIUM, peak_mb=(325, 1.27, 0), order=0),
    Edition("print", "taidan.editions.print_pdf",
            (Output("{name}.pdf", PDF),),
            engine=WEASYPRINT, peak_mb=(80, 0.22, 0.062), order=1, in_pieces=True),
    Edition("handout", "taidan.editions.handout",
            (Output("{name}-handout.pdf", PDF),),
            engine=WEASYPRINT, peak_mb=(74, 0.12, 0.057), order=2, in_pieces=True),
)}
