"""Rewrites an EPUB archive so the same book always gives the same bytes.

EbookLib stamps every entry with the clock. Here every entry gets one fixed time,
ZIP_TIME, fixed permissions and compression; ``mimetype`` comes first, stored. The time is
not the manuscript's date: ZIP holds only 1980 to 2107, and an interview from 1975 is a book
too (its date is in the package document, dcterms:modified).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

MIMETYPE = "mimetype"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the first moment ZIP can say, for every entry of every book


def package_document(package: zipfile.ZipFile) -> str:
    """The path of an EPUB's package document (its .opf), as META-INF/container.xml names it."""
    container = ET.fromstring(package.read("META-INF/container.xml"))
    return container.find(".//{*}rootfile").get("full-path")


def reproducible(archive: bytes) -> bytes:
    """The archive's entries, in their order, re-written with fixed metadata."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    names = source.namelist()
    names = [MIMETYPE] + [n for n in names if n != MIMETYPE]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = 3  # Unix, whatever machine builds the book
            info.external_attr = 0o100644 << 16
            if name == MIMETYPE:
                info.compress_type = zipfile.ZIP_STORED
                target.writestr(info, source.read(name))
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(info, source.read(name), compresslevel=9)
    return out.getvalue()
