"""The fetch guard: a build reads only files inside the manuscript's folder, the templates
and the fonts. Nothing comes from the network, nothing from elsewhere on the disk.

Every engine asks here: WeasyPrint through ``weasyprint_fetcher``, Chromium's request
router through ``allowed``, and the builder runs ``resources`` over every HTML, XHTML and
CSS file an edition produces (the html edition and the EPUB packages), so no output refers
to a remote or outside resource that a reader's device would fetch.

A refused URL is recorded; the builder turns the refusals of an edition into problems
(``refusals``) and writes none of that edition's files.
"""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from taidan.engines import fonts

_refused: list[str] = []

# Attributes that make a reader or an engine load something (an <a href> is only a link).
RESOURCE_ATTRIBUTES = {"src", "srcset", "poster", "data", "background", "xlink:href", "action",
                       "formaction", "manifest", "lowsrc", "dynsrc", "longdesc", "codebase"}
RESOURCE_LINKS = {"stylesheet", "icon", "preload", "prefetch", "modulepreload", "import",
                  "apple-touch-icon", "manifest", "dns-prefetch", "preconnect"}


def roots(m) -> list[Path]:
    """The folders (and font files) a build may read for manuscript ``m``."""
    # deferred: the templates' folders come with Jinja, only when an edition is produced
    from taidan.render.jinja import TEMPLATES, house, project_templates

    folders = [m.path.resolve().parent, TEMPLATES.resolve()]
    if project_templates():
        folders.append(project_templates())
    folders += fonts.readable(house())
    return folders


def allowed(url: str, folders: list[Path]) -> bool:
    """True for data: URLs and file: URLs of files inside ``folders`` (symlinks resolved).
    Anything else is recorded as refused."""
    parts = urlsplit(url)
    if parts.scheme == "data":
        return True
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        path = Path(unquote(parts.path)).resolve()
        if any(path.is_relative_to(folder) for folder in folders):
            return True
    _refused.append(url)
    return False


def refusals() -> list[str]:
    """The URLs refused since the last call, and a fresh start."""
    taken = list(dict.fromkeys(_refused))
    _refused.clear()
    return taken


def weasyprint_fetcher(folders: list[Path]):
    """A WeasyPrint URL fetcher that serves only what ``allowed`` allows."""
    from weasyprint import URLFetcher  # deferred: WeasyPrint only for a PDF edition

    class GuardedFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not allowed(url, folders):
                raise ValueError(f"taidan does not fetch {url}: only files beside the "
                                 "manuscript, the templates and the fonts")
            return super().fetch(url, headers)

    return GuardedFetcher(allowed_protocols=["file", "data"])


# ---- outputs that a reader's device will open ------------------------------------------

def _css_urls(css: str, declarations: bool = False) -> list[str]:
    import tinycss2  # deferred: tinycss2 only when an edition's CSS is checked

    found = []

    def walk(nodes):
        for node in nodes or ():
            if node.type == "url":
                found.append(node.value)
            elif node.type == "function" and node.lower_name in ("url", "src", "image-set"):
                found.extend(a.value for a in node.arguments if a.type == "string")
                walk(node.arguments)
            elif node.type == "at-rule" and node.lower_at_keyword == "import":
                found.extend(t.value for t in node.prelude if t.type == "string")
                walk(node.prelude)
                walk(node.content)
            elif node.type in ("qualified-rule", "at-rule"):
                walk(node.prelude)
                walk(node.content)
            elif node.type in ("() block", "[] block", "{} block"):
                walk(node.content)
            elif node.type == "function":
                walk(node.arguments)
            elif node.type == "declaration":
                walk(node.value)

    if declarations:  # a style="" attribute
        walk(tinycss2.parse_blocks_contents(css, skip_comments=True, skip_whitespace=True))
    else:
        walk(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    return found


class _Resources(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.css: list[tuple[str, bool]] = []  # (text, is a style attribute)
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = [(name.lower(), value or "") for name, value in attrs]
        rel = {word for name, value in attrs if name == "rel" for word in value.lower().split()}
        for name, value in attrs:
            if name in RESOURCE_ATTRIBUTES:
                self.urls += [part.split()[0] for part in value.split(",") if part.split()] \
                    if name == "srcset" else [value]
            elif name == "href" and (tag in ("link", "base", "use", "image", "feimage")
                                     and (tag != "link" or rel & RESOURCE_LINKS or not rel)):
                self.urls.append(value)
            elif name == "style":
                self.css.append((value, True))
            elif name == "content" and tag == "meta" and "url=" in value.lower():
                self.urls.append(value[value.lower().index("url=") + 4:].strip())
        self._in_style = tag == "style"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.css.append((data, False))


def resources(text: str, css: bool = False) -> list[str]:
    """The URLs an HTML/XHTML document (or a stylesheet) makes a reader load."""
    if css:
        return _css_urls(text)
    parser = _Resources()
    parser.feed(text)
    parser.close()
    return parser.urls + [url for block, inline in parser.css for url in _css_urls(block, inline)]


def outside(url: str, folder: str = "") -> bool:
    """A reference that leaves its package: remote, absolute, or a relative path that climbs
    above the package root from the document's ``folder`` (a path inside the package)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme == "data" or (not parts.path and not parts.scheme and not parts.netloc):
        return False  # data: URLs, and "#anchor" within the document
    if parts.scheme or parts.netloc or url.startswith(("/", "\\")):
        return True
    path = posixpath.normpath(posixpath.join(folder, unquote(parts.path).replace("\\", "/")))
    return path == ".." or path.startswith("../")
