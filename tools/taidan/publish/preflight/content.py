"""The rules read from each page's content stream (pikepdf's parser): the colour text is
painted in, RGB anywhere (PDF/X-1a), the thinnest line and filled rule, each picture's
effective resolution. Forms (Do of a Form XObject) are followed with their matrix."""

from __future__ import annotations

import math
from decimal import Decimal
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pikepdf

from taidan.publish.preflight import MM, Finding

THINNEST = 0.25  # points: the shops' guides; thinner lines break up or vanish in print
LOW_PPI, POOR_PPI = 300, 150  # the shops' guides: 300 ppi at the printed size, 150 at worst
DEPTH = 12  # forms inside forms, at most (a loop of forms is refused by the seen set)
STROKES = {"S", "s", "B", "B*", "b", "b*"}
FILLS = {"f", "F", "f*", "B", "B*", "b", "b*"}
EVEN_ODD = {"f*", "B*", "b*"}
ENDS = STROKES | FILLS | {"n"}
SHOWS = {"Tj", "TJ", "'", '"'}
FAMILY = {"/DeviceRGB": "rgb", "/RGB": "rgb", "/CalRGB": "rgb", "/DeviceCMYK": "cmyk",
          "/CMYK": "cmyk", "/DeviceGray": "gray", "/G": "gray", "/CalGray": "gray",
          "/Pattern": "pattern", "/Lab": "lab"}
IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def multiply(m, n):
    """m then n, in PDF's row-vector convention (``a b c d e f cm`` is multiply(M, CTM))."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def _resources(resources, kind: str):
    """One kind of a resource dictionary (/ColorSpace, /XObject ...), empty when missing."""
    found = resources.get(kind) if isinstance(resources, pikepdf.Dictionary) else None
    return found if isinstance(found, pikepdf.Dictionary) else pikepdf.Dictionary()


def family(space, resources, depth: int = 0) -> str:
    """A colour space as rgb, cmyk, gray, black (a Black separation), spot, lab or pattern."""
    if depth > 4:
        return "other"
    if isinstance(space, pikepdf.Name):
        name = str(space)
        if name in FAMILY:
            return FAMILY[name]
        named = _resources(resources, "/ColorSpace")
        return family(named.get(name), resources, depth + 1) if name in named else "other"
    if isinstance(space, pikepdf.Array) and len(space):
        kind = str(space[0])
        if kind == "/ICCBased" and isinstance(space[1], pikepdf.Stream):
            return {1: "gray", 3: "rgb", 4: "cmyk"}.get(int(space[1].get("/N", 0)), "other")
        if kind in ("/Indexed", "/I") and len(space) > 1:
            return family(space[1], resources, depth + 1)
        if kind == "/Separation" and len(space) > 1:
            return "black" if str(space[1]) == "/Black" else "spot"
        if kind == "/DeviceN":
            return "spot"
        if kind == "/Pattern":
            return "pattern"
        return family(space[0], resources, depth + 1)
    return "other"


@dataclass
class State:
    """The part of the graphics state the rules read (q pushes a copy, Q pops it)."""

    ctm: tuple = IDENTITY
    line_width: float = 1.0
    fill: tuple = ("gray", (0.0,))
    stroke: tuple = ("gray", (0.0,))
    render_mode: int = 0


@dataclass
class Page:
    """What one page's content told the rules."""

    number: int
    rgb: str = ""  # the first RGB operator or picture, for PDF/X-1a
    text_colours: set = field(default_factory=set)  # "RGB", "four-colour"
    thinnest: float = math.inf
    thinnest_what: str = ""
    images: list = field(default_factory=list)  # (ppi, pixels w, h, printed w, h in points)
    unreadable: str = ""
    trim: tuple = (-math.inf, -math.inf, math.inf, math.inf)  # lines wholly outside are cut away


def _numbers(operands) -> list[float]:
    # pikepdf gives numbers as int or Decimal; a pattern's name among them (/P1 scn) is left
    # out (asking a pikepdf Name for as_integer_ratio raises instead of answering False)
    return [float(o) for o in operands if isinstance(o, (int, float, Decimal)) and not isinstance(o, bool)]


def _scale(ctm) -> tuple[float, float]:
    a, b, c, d = ctm[:4]
    return math.hypot(a, b), math.hypot(c, d)


def _text_colour(colour) -> str:
    """'' for K only (grey, CMYK with no C, M or Y, a Black separation), else its kind."""
    kind, values = colour
    if kind == "rgb":
        return "RGB"
    if kind == "cmyk" and any(v > 0.001 for v in values[:3]):
        return "four-colour"
    return ""


def read(number: int, page: pikepdf.Page, trim) -> Page:
    found = Page(number, trim=trim or Page.trim)
    try:
        _walk(page.obj, page.obj.get("/Resources", pikepdf.Dictionary()), State(), found, set(), 0)
    except (pikepdf.PdfError, ValueError, TypeError, IndexError, KeyError) as err:
        found.unreadable = str(err).splitlines()[0] if str(err) else type(err).__name__
    return found


def _walk(content, resources, state: State, found: Page, forms: set, depth: int) -> None:
    stack: list[State] = []
    path: list = []  # the rectangles of the current path; None once it has other segments
    points: list = []  # the current path's points on the page, to tell marks beyond the trim
    for instruction in pikepdf.parse_content_stream(content):
        op = str(instruction.operator)
        operands = instruction.operands
        if op == "q":
            stack.append(replace(state))
        elif op == "Q":
            if stack:
                state = stack.pop()
        elif op == "cm":
            m = _numbers(operands)
            if len(m) == 6:
                state.ctm = multiply(tuple(m), state.ctm)
        elif op == "w":
            state.line_width = _numbers(operands)[0]
        elif op == "Tr":
            state.render_mode = int(_numbers(operands)[0])
        elif op in ("g", "G", "rg", "RG", "k", "K"):
            kind = {"g": "gray", "rg": "rgb", "k": "cmyk"}[op.lower()]
            setattr(state, "fill" if op.islower() else "stroke", (kind, tuple(_numbers(operands))))
            if kind == "rgb":
                found.rgb = found.rgb or f"an RGB colour ({op})"
        elif op in ("cs", "CS"):
            kind = family(operands[0], resources)
            setattr(state, "fill" if op == "cs" else "stroke", (kind, (0.0,) * 4))
            if kind == "rgb":
                found.rgb = found.rgb or "an RGB colour space"
        elif op in ("sc", "scn", "SC", "SCN"):
            target = "fill" if op.islower() else "stroke"
            setattr(state, target, (getattr(state, target)[0], tuple(_numbers(operands))))
        elif op in SHOWS:
            mode = state.render_mode
            painted = ([state.fill] if mode in (0, 2, 4, 6) else []) + ([state.stroke] if mode in (1, 2, 5, 6) else [])
            found.text_colours |= {k for k in map(_text_colour, painted) if k}
        elif op == "re":
            x, y, w, h = _numbers(operands)
            if path is not None:
                path.append((x, y, x + w, y + h))
            points += [_on_page(state.ctm, x, y), _on_page(state.ctm, x + w, y + h)]
        elif op in ("m", "l", "c", "v", "y", "h"):
            path = None
            coordinates = _numbers(operands)
            points += [_on_page(state.ctm, *coordinates[i:i + 2]) for i in range(0, len(coordinates) - 1, 2)]
        elif op in ENDS:
            sx, sy = _scale(state.ctm)
            inside = _overlaps(points, found.trim)  # crop marks and slug lines are cut away
            if op in STROKES and inside:
                width = state.line_width * math.sqrt(abs(state.ctm[0] * state.ctm[3] - state.ctm[1] * state.ctm[2]))
                _thin(found, width, "line")
            if op in FILLS and path and inside:
                _thin(found, _rule(path, op in EVEN_ODD, sx, sy), "filled rule")
            path, points = [], []
        elif op == "Do":
            _draw(operands[0], resources, state, found, forms, depth)
        elif op == "INLINE IMAGE":
            image, space = operands[0], operands[0].colorspace
            named = isinstance(space, str) and space.startswith("/")  # else a list: indexed, ICC
            if not image.image_mask:
                _image(found, state, image.width, image.height,
                       family(pikepdf.Name(space), resources) if named else "other")


def _on_page(ctm, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = ctm
    return a * x + c * y + e, b * x + d * y + f


def _overlaps(points, trim) -> bool:
    """Whether a path's bounding box reaches inside the trim (a path without points: yes)."""
    if not points:
        return True
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return max(xs) > trim[0] and min(xs) < trim[2] and max(ys) > trim[1] and min(ys) < trim[3]


def _rule(rects, even_odd: bool, sx: float, sy: float) -> float:
    """The thickness of what a fill of rectangles paints: the narrower side of each; for two
    nested ones filled even-odd (how WeasyPrint draws a border), the bands between them."""
    rects = [(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)) for x0, y0, x1, y1 in rects]
    if even_odd and len(rects) == 2:
        outer, inner = rects
        sizes = [abs(outer[0] - inner[0]) * sx, abs(outer[1] - inner[1]) * sy,
                 abs(outer[2] - inner[2]) * sx, abs(outer[3] - inner[3]) * sy]
    else:  # a rectangle without width or height paints nothing
        sizes = [min((x1 - x0) * sx, (y1 - y0) * sy) for x0, y0, x1, y1 in rects if x1 > x0 and y1 > y0]
    return min((size for size in sizes if size > 0.001), default=math.inf)


def _thin(found: Page, width: float, what: str) -> None:
    if width < found.thinnest:
        found.thinnest, found.thinnest_what = width, what


def _draw(name, resources, state: State, found: Page, forms: set, depth: int) -> None:
    xobjects = _resources(resources, "/XObject")
    xobject = xobjects.get(str(name)) if str(name) in xobjects else None
    if not isinstance(xobject, pikepdf.Stream):
        return
    subtype = xobject.get("/Subtype")
    if subtype == pikepdf.Name.Image:
        if xobject.get("/ImageMask") is not True:
            _image(found, state, int(xobject.get("/Width", 0)), int(xobject.get("/Height", 0)),
                   family(xobject.get("/ColorSpace"), resources))
    elif subtype == pikepdf.Name.Form and depth < DEPTH and xobject.objgen not in forms:
        matrix = _numbers(xobject.get("/Matrix", pikepdf.Array()))
        inner = replace(state, ctm=multiply(tuple(matrix), state.ctm) if len(matrix) == 6 else state.ctm)
        own = xobject.get("/Resources")
        key = xobject.objgen if xobject.objgen != (0, 0) else id(xobject)
        _walk(xobject, own if isinstance(own, pikepdf.Dictionary) else resources, inner, found,
              forms | {key}, depth + 1)


def _image(found: Page, state: State, width: int, height: int, kind: str) -> None:
    if kind == "rgb":
        found.rgb = found.rgb or "an RGB picture"
    shown_w, shown_h = _scale(state.ctm)  # the unit square, as the matrix prints it
    if width <= 0 or height <= 0 or shown_w < 0.5 or shown_h < 0.5:
        return
    ppi = min(width / (shown_w / 72), height / (shown_h / 72))
    found.images.append((ppi, width, height, shown_w, shown_h))


def findings(found: Page, standard: str) -> Iterator[Finding]:
    number = found.number
    if found.unreadable:
        yield Finding(number, f"the page's content cannot be read: {found.unreadable}",
                      "the file is damaged: make it again")
    for kind in sorted(found.text_colours):
        # the shops' guides: body text in one ink (K); a four-colour black misregisters and
        # blurs small type, and RGB black becomes one when the shop converts it
        yield Finding(number, f"text in {kind} colour, not in black ink (K) only",
                      "set text in K only: grey, or CMYK 0 0 0 100")
    if standard == "pdf/x-1a" and found.rgb:  # ISO 15930-4, 6.2.3: CMYK, grey and spot only
        yield Finding(number, f"{found.rgb}, which PDF/X-1a forbids", "convert the page to CMYK or grey")
    if found.thinnest < THINNEST - 0.005:
        yield Finding(number, f"a {found.thinnest_what} {found.thinnest:.2f} pt thick; lines under "
                      f"{THINNEST} pt break up or vanish in print", f"draw it at least {THINNEST} pt thick")
    for ppi, width, height, shown_w, shown_h in found.images:
        if ppi < LOW_PPI:
            want = f"{math.ceil(shown_w / 72 * LOW_PPI)}×{math.ceil(shown_h / 72 * LOW_PPI)}"
            yield Finding(number, f"a picture at {ppi:.0f} ppi ({width}×{height} pixels printed "
                          f"{shown_w / MM:.0f}×{shown_h / MM:.0f} mm)",
                          f"give it at least {LOW_PPI} ppi at that size: {want} pixels",
                          warning=ppi >= POOR_PPI)
