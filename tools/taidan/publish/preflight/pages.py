"""The rules about each page's boxes and fonts."""

from __future__ import annotations

from collections.abc import Iterator

import pikepdf

from taidan.publish.preflight import MM, Finding, mm

BLEED = 3 * MM  # the shops' guides: the finished size plus 3 mm on every side
SLACK = 0.01  # points: boxes written in decimals round


def box(page: pikepdf.Page, name: str):
    """The page's box as (x0, y0, x1, y1), normalised; None when the page has none of its own
    (inheritable MediaBox and CropBox are looked up the page tree)."""
    value = page.obj.get(name)
    if value is None and name in ("/MediaBox", "/CropBox"):
        node = page.obj.get("/Parent")
        while isinstance(node, pikepdf.Dictionary) and value is None:
            value, node = node.get(name), node.get("/Parent")
    if not isinstance(value, pikepdf.Array) or len(value) != 4:
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def trim(page: pikepdf.Page):
    """Where the page is cut: its TrimBox, else its MediaBox."""
    return box(page, "/TrimBox") or box(page, "/MediaBox")


def _inside(inner, outer) -> bool:
    return (inner[0] >= outer[0] - SLACK and inner[1] >= outer[1] - SLACK
            and inner[2] <= outer[2] + SLACK and inner[3] <= outer[3] + SLACK)


def boxes(number: int, page: pikepdf.Page) -> Iterator[Finding]:
    """Trim inside Bleed inside Media, with 3 mm of bleed. PDF/X requires a TrimBox (or an
    ArtBox) on every page (ISO 15930-4, 6.4; ISO 15930-7, 6.3) and a BleedBox, when
    there is one, inside the MediaBox; the 3 mm come from the shops' guides."""
    media = box(page, "/MediaBox")
    if media is None:
        yield Finding(number, "the page has no MediaBox", "the file is damaged: make it again")
        return
    trimbox = box(page, "/TrimBox")
    if trimbox is None:
        yield Finding(number, "no TrimBox: the shop cannot tell the finished size",
                      "give every page a TrimBox; taidan: build with --press")
        return
    bleed = box(page, "/BleedBox") or box(page, "/CropBox") or media
    if not _inside(bleed, media):
        yield Finding(number, "the BleedBox reaches outside the MediaBox",
                      "make the MediaBox at least as large as the BleedBox")
    if not _inside(trimbox, bleed):
        yield Finding(number, "the TrimBox reaches outside the BleedBox",
                      "the finished size must lie inside the bleed")
        return
    least = min(trimbox[0] - bleed[0], trimbox[1] - bleed[1], bleed[2] - trimbox[2], bleed[3] - trimbox[3])
    if least < BLEED - SLACK:
        yield Finding(number, f"the bleed is {mm(max(least, 0))}; shops ask for 3 mm",
                      "extend the BleedBox and what is printed to the edge 3 mm beyond the "
                      "TrimBox; taidan: build with --press")


def _fonts(resources, seen: set, depth: int = 0) -> Iterator[tuple[str, pikepdf.Dictionary]]:
    """The fonts of a resource dictionary, those of its forms and Type 3 glyphs too."""
    if not isinstance(resources, pikepdf.Dictionary) or depth > 8:
        return
    for key, font in resources.get("/Font", pikepdf.Dictionary()).items():
        if isinstance(font, pikepdf.Dictionary) and font.objgen not in seen:
            if font.objgen != (0, 0):
                seen.add(font.objgen)
            yield key, font
            yield from _fonts(font.get("/Resources"), seen, depth + 1)
    for xobject in resources.get("/XObject", pikepdf.Dictionary()).values():
        if (isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == pikepdf.Name.Form
                and xobject.objgen not in seen):
            seen.add(xobject.objgen)
            yield from _fonts(xobject.get("/Resources"), seen, depth + 1)


def _embedded(font: pikepdf.Dictionary) -> bool:
    if font.get("/Subtype") == pikepdf.Name.Type0:
        descendants = font.get("/DescendantFonts")
        font = descendants[0] if isinstance(descendants, pikepdf.Array) and len(descendants) else font
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, pikepdf.Dictionary) and any(
        key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def fonts(number: int, page: pikepdf.Page, seen: set, type3_allowed: bool) -> Iterator[Finding]:
    """Every font embedded (ISO 15930-4, 6.3.5; ISO 15930-7, 6.3.5; ISO 14289-1, 7.21.4.1)
    and no Type 3 font, which the shops' RIPs refuse or print as bitmaps (their guides).
    Each font is reported on the first page that uses it."""
    for key, font in _fonts(page.obj.get("/Resources"), seen):
        name = str(font.get("/BaseFont", font.get("/Name", key))).lstrip("/")  # Type 3: often no name
        if font.get("/Subtype") == pikepdf.Name.Type3:
            if not type3_allowed:
                yield Finding(number, f"the font {name} is a Type 3 font",
                              "set the text in an OpenType or TrueType face, or outline it")
        elif not _embedded(font):
            yield Finding(number, f"the font {name} is not embedded",
                          "embed every font when making the PDF")
