"""WeasyPrint imported, and its C calls prepared, without work done for nothing.

- Libraries: WeasyPrint opens Pango, HarfBuzz and fontconfig by trying several names per
  library; for every name that is not a file name, cffi asks ``ctypes.util.find_library``,
  which on Linux runs ``ldconfig -p`` and gcc: about 20 subprocesses and 0.2 s of every
  build. The names WeasyPrint tries include each library's soname (``libpango-1.0.so.0``),
  which the dynamic loader opens directly, so the search is skipped while WeasyPrint is
  imported. Where that fails (a system without those sonames), WeasyPrint is imported
  again the usual way.
- C types: each new type string WeasyPrint passes to ``ffi.new`` (``PangoRectangle *``,
  and ``hb_codepoint_t[N]`` for every font subset, N its number of glyphs) is parsed by
  pycparser after a declaration of every type name cffi knows: some 120 lines, about 12 ms
  a string, 0.1-0.2 s of an edition. Only the names that occur in the string change how it
  parses, so the parser is given only those.

Upstream: WeasyPrint could try the ``.so`` names first (or dlopen only), and allocate
``hb_codepoint_t[]`` sized by its initializer; cffi could declare only the type names a
string uses (its own comment in ``cparser.Parser._parse`` says as much).

Import this module instead of ``weasyprint`` where WeasyPrint is first imported: it checks
the pins of cffi, pydyf and WeasyPrint, and installs both patches (``install``).
"""

from __future__ import annotations

import ctypes.util
import re
import sys

from taidan.engines.weasyprint.patching import Patches, require_pinned

PATCH = Patches("fast_import")
_NAME = re.compile(r"[A-Za-z_]\w*")


def _import() -> None:
    PATCH.replace(ctypes.util, "find_library", lambda name: None)  # cffi tries WeasyPrint's next name
    try:
        import weasyprint  # noqa: F401
        PATCH.ran.add("find_library")
    except OSError:
        for name in [n for n in sys.modules if n == "weasyprint" or n.startswith("weasyprint.")]:
            del sys.modules[name]  # half-imported: start again with the search
    finally:
        ctypes.util.find_library = PATCH.originals["find_library"]  # only while importing
    import weasyprint  # noqa: F401,F811


def _parse_types_quickly(ffi) -> None:
    """Type strings parsed with only the typedef names they contain declared first."""
    parser = ffi._parser
    if "_parse" in vars(parser):
        return  # done already
    parse = type(parser)._parse

    def _parse(csource):
        PATCH.ran.add("_parse")
        declarations = parser._declarations
        used = set(_NAME.findall(csource))
        unused = {key: declarations.pop(key) for key in list(declarations)
                  if key.startswith("typedef ") and key[8:] not in used}
        try:
            return parse(parser, csource)
        finally:
            declarations.update(unused)

    PATCH.replace(parser, "_parse", _parse)


def install() -> None:
    """Imports WeasyPrint quickly, once, and then gives cffi's parser only the names a type
    uses. Raises RuntimeError when cffi, pydyf or WeasyPrint is not the pinned version."""
    require_pinned("cffi", "pydyf")  # before cffi's parser is touched
    if "weasyprint" not in sys.modules:
        _import()
    require_pinned("weasyprint")
    from weasyprint.text.ffi import ffi  # deferred: only after the quick import above

    _parse_types_quickly(ffi)


# Importing this module is how taidan imports WeasyPrint: the build imports it before its
# workers start. On another version nothing is patched here, and each PDF edition fails
# with the pin check's message when it calls install() (the other editions still build).
try:
    install()
except RuntimeError:
    pass
