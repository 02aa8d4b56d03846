"""PDF/X-1a's rule on transparency (ISO 15930-4:2003, 6.3.1, after PDF 1.4's transparency
model in ISO 32000-1, 11): nothing on a page may be painted transparently. A graphics
state may not set a constant alpha under 1 (/CA, /ca), a soft mask (/SMask) or a blend mode
other than Normal (or Compatible); no picture may carry a soft mask; and a page or form
that is a transparency group (/Group /S /Transparency) is transparency too. A RIP for X-1a
flattens nothing: it prints such a page wrong or refuses the file.

``state()`` is the graphics-state part, which taidan's own PDF/X step (engines/pdfx) asks
of each state a page uses before it writes an X-1a file."""

from __future__ import annotations

from collections.abc import Iterator

import pikepdf

from taidan.publish.preflight import Finding

DEPTH = 16  # forms inside forms: enough for any real file, and a bound for a hostile one
HINT = "flatten the transparency, or send the file as PDF/X-4, which keeps it"


def state(name: str, graphics_state) -> list[str]:
    """What a graphics state makes transparent, each as a phrase for a message."""
    if not isinstance(graphics_state, pikepdf.Dictionary):
        return []
    found = []
    alpha = min(float(graphics_state.get("/ca", 1)), float(graphics_state.get("/CA", 1)))
    if alpha < 1:
        found.append(f"a graphics state ({name}) with opacity {alpha:g}")
    if graphics_state.get("/SMask", pikepdf.Name("/None")) != pikepdf.Name("/None"):
        found.append(f"a graphics state ({name}) with a soft mask")
    if graphics_state.get("/BM", pikepdf.Name.Normal) not in (pikepdf.Name.Normal, pikepdf.Name.Compatible):
        found.append(f"a graphics state ({name}) with the blend mode {graphics_state.BM}")
    return found


def _group(owner) -> bool:
    group = owner.get("/Group")
    return isinstance(group, pikepdf.Dictionary) and group.get("/S") == pikepdf.Name.Transparency


def _in(resources, seen: set, depth: int) -> Iterator[str]:
    """What the resources (and the forms among them, and theirs) paint transparently."""
    if not isinstance(resources, pikepdf.Dictionary) or depth > DEPTH:
        return
    states = resources.get("/ExtGState")
    if isinstance(states, pikepdf.Dictionary):
        for name, graphics_state in states.items():
            yield from state(str(name), graphics_state)
    xobjects = resources.get("/XObject")
    if not isinstance(xobjects, pikepdf.Dictionary):
        return
    for name, xobject in xobjects.items():
        if not isinstance(xobject, pikepdf.Stream) or xobject.objgen in seen:
            continue
        if xobject.objgen != (0, 0):
            seen.add(xobject.objgen)
        if xobject.get("/Subtype") == pikepdf.Name.Image and "/SMask" in xobject:
            yield f"a picture ({name}) with a soft mask"
        elif xobject.get("/Subtype") == pikepdf.Name.Form:
            if _group(xobject):
                yield f"a form ({name}) that is a transparency group"
            yield from _in(xobject.get("/Resources"), seen, depth + 1)


def findings(pdf: pikepdf.Pdf) -> Iterator[Finding]:
    """PDF/X-1a: every page's transparency, a finding per kind of thing."""
    seen: set = set()  # a form or picture shared by many pages is looked at once
    for number, page in enumerate(pdf.pages, 1):
        things = (["the page is a transparency group"] if _group(page.obj) else []) \
            + list(_in(page.obj.get("/Resources"), seen, 0))
        for thing in dict.fromkeys(things):
            yield Finding(number, f"{thing}: PDF/X-1a allows no transparency", HINT)
