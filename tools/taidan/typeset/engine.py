"""WeasyPrint imported without searching for its libraries.

WeasyPrint opens Pango, HarfBuzz and fontconfig by trying several names per library; for
every name that is not a file name, cffi asks ``ctypes.util.find_library``, which on Linux
runs ``ldconfig -p`` and gcc: about 20 subprocesses and 0.2 s of every build. The names
WeasyPrint tries include each library's soname (``libpango-1.0.so.0``), which the dynamic
loader opens directly, so the search is skipped while WeasyPrint is imported. Where that
fails (a system without those sonames), WeasyPrint is imported again the usual way.
Upstream: try the ``.so`` names first, or open the libraries with ``dlopen`` only.

Import this module instead of ``weasyprint`` where WeasyPrint is first imported.
"""

from __future__ import annotations

import ctypes.util
import sys


def _import() -> None:
    if "weasyprint" in sys.modules:
        return
    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None  # cffi then tries WeasyPrint's next name
    try:
        import weasyprint  # noqa: F401
    except OSError:
        for name in [n for n in sys.modules if n == "weasyprint" or n.startswith("weasyprint.")]:
            del sys.modules[name]  # half-imported: start again with the search
    finally:
        ctypes.util.find_library = search
    import weasyprint  # noqa: F401,F811


_import()
