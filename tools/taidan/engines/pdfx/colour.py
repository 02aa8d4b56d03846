"""Every colour a --press page paints, made into ink through the press profile.

Both print engines paint in RGB (WeasyPrint and Chromium alike), which a shop's RIP turns
into a four-colour black. Here each page's content streams (and those of its forms and
tiling patterns) are parsed with pikepdf and each colour operator rewritten in DeviceCMYK;
the text, the tags (BDC/EMC), the glyphs and everything else pass through as they were.

- Text is black ink (K) alone, in one colour and in four.
- One colour (the default): everything is K alone, a tone of K printing as light as the
  colour (its CIE L*, matched on the press through the profile, from paper white to solid
  K: black point compensation). Pictures become DeviceGray pictures the same way, which a
  CMYK press prints in K (ISO 15930-7 and every RIP: DeviceGray is the K channel).
- Four colours: greys stay K alone (no rich black); other colours and colour pictures go
  through the profile into CMYK, whose separation keeps total ink at 300 %.
"""

from __future__ import annotations

import zlib

import pikepdf
from PIL import Image, ImageCms

from taidan.publish.preflight.content import family
from taidan.publish.preflight.transparency import state as transparent

SHOWS = {"Tj", "TJ", "'", '"'}
RELATIVE = ImageCms.Intent.RELATIVE_COLORIMETRIC
PERCEPTUAL = ImageCms.Intent.PERCEPTUAL


class Inks:
    """The conversions of one press profile, for one or four colours."""

    def __init__(self, profile_path, colours: int):
        self.colours = colours
        self.seen: dict = {}
        press = ImageCms.getOpenProfile(str(profile_path))
        srgb = ImageCms.createProfile("sRGB")
        lab = ImageCms.createProfile("LAB", 5000)  # D50, the profile connection space's
        self.to_lab = ImageCms.buildTransform(srgb, lab, "RGB", "LAB", renderingIntent=RELATIVE)
        # the L* that each tone of K alone prints at (0..255 each), lightest first
        ramp = Image.frombytes("CMYK", (256, 1), bytes(b for k in range(256) for b in (0, 0, 0, k)))
        printed = [pixel[0] for pixel in ImageCms.applyTransform(
            ramp, ImageCms.buildTransform(press, lab, "CMYK", "LAB", renderingIntent=RELATIVE)).get_flattened_data()]
        solid, paper = printed[255], printed[0]
        # the tone of K for each L* a colour has (0..255): black gets solid K, white none
        self.k_for_lightness = [next((k for k, seen in enumerate(printed)
                                      if seen <= solid + (paper - solid) * lightness / 255), 255)
                                for lightness in range(256)]
        self.to_cmyk = (ImageCms.buildTransform(srgb, press, "RGB", "CMYK", renderingIntent=PERCEPTUAL,
                                                flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
                        if colours == 4 else None)

    def grey(self, picture: Image.Image) -> Image.Image:
        """An RGB picture as a DeviceGray picture printed in K (0: solid K)."""
        lightness = ImageCms.applyTransform(picture, self.to_lab).getchannel("L")
        return lightness.point([255 - k for k in self.k_for_lightness])

    def picture(self, picture: Image.Image) -> Image.Image:
        """An RGB picture as the press prints it: grey in one colour, CMYK in four."""
        if self.to_cmyk is None:
            return self.grey(picture)
        return ImageCms.applyTransform(picture, self.to_cmyk)

    def ink(self, rgb: tuple[float, ...], text: bool) -> tuple[float, ...]:
        """C, M, Y, K (0..1) for an sRGB colour (0..1 each)."""
        key = (tuple(round(min(max(v, 0.0), 1.0) * 255) for v in rgb), text)
        if key not in self.seen:  # a book has a handful of colours, painted thousands of times
            self.seen[key] = self._ink(*key)
        return self.seen[key]

    def _ink(self, rgb: tuple[int, ...], text: bool) -> tuple[float, ...]:
        pixel = Image.new("RGB", (1, 1), rgb)
        if self.to_cmyk is None or text or len(set(rgb)) == 1:
            return 0.0, 0.0, 0.0, round(1 - self.grey(pixel).getpixel((0, 0)) / 255, 4)
        return tuple(round(v / 255, 4) for v in ImageCms.applyTransform(pixel, self.to_cmyk).getpixel((0, 0)))


def _numbers(operands) -> list[float] | None:
    try:
        return [float(o) for o in operands]
    except (TypeError, ValueError):
        return None  # a pattern's name among them


def _rgb(kind: str, values: list[float]) -> tuple[float, ...] | None:
    """An sRGB colour from grey or RGB values; None for what is not converted."""
    if kind == "gray" and len(values) == 1:
        return (values[0],) * 3
    if kind == "rgb" and len(values) == 3:
        return tuple(values)
    return None


class Recolour:
    """Rewrites the colours of a PDF's pages, each content stream, form, pattern and
    picture once. ``flatten``: PDF/X-1a, where a picture's soft mask becomes a hard one."""

    def __init__(self, pdf: pikepdf.Pdf, inks: Inks, flatten: bool):
        self.pdf, self.inks, self.flatten = pdf, inks, flatten
        self.done: set = set()
        self.transparency: list[str] = []  # what the last page paints transparently (X-1a)

    def page(self, page: pikepdf.Page) -> None:
        self.transparency = []
        resources = page.obj.get("/Resources", pikepdf.Dictionary())
        page.contents_coalesce()
        self._stream(page.obj.Contents, resources)
        self._patterns(resources)

    def _once(self, obj) -> bool:
        key = obj.objgen if obj.objgen != (0, 0) else id(obj)
        if key in self.done:
            return False
        self.done.add(key)
        return True

    def _patterns(self, resources) -> None:
        patterns = resources.get("/Pattern") if isinstance(resources, pikepdf.Dictionary) else None
        for pattern in (patterns or pikepdf.Dictionary()).values():
            if isinstance(pattern, pikepdf.Stream) and self._once(pattern):  # a tiling pattern
                own = pattern.get("/Resources", resources)
                self._stream(pattern, own)
                self._patterns(own)

    def _stream(self, stream: pikepdf.Stream, resources) -> None:
        instructions = list(pikepdf.parse_content_stream(stream))
        text = self._text_colours(instructions, resources)
        out = []
        spaces = {"fill": "gray", "stroke": "gray"}
        saved = []
        for index, instruction in enumerate(instructions):
            op, operands = str(instruction.operator), instruction.operands
            target = "fill" if op in ("g", "rg", "k", "cs", "sc", "scn") else "stroke"
            if op == "q":
                saved.append(dict(spaces))
            elif op == "Q" and saved:
                spaces = saved.pop()
            elif op in ("g", "G", "rg", "RG"):
                rgb = _rgb("gray" if op in ("g", "G") else "rgb", _numbers(operands) or [])
                if rgb is not None:
                    ink = self.inks.ink(rgb, index in text)
                    instruction = pikepdf.ContentStreamInstruction(
                        list(ink), pikepdf.Operator("k" if target == "fill" else "K"))
                spaces[target] = "cmyk"
            elif op in ("k", "K"):
                spaces[target] = "cmyk"
            elif op in ("cs", "CS"):
                spaces[target] = family(operands[0], resources)
                if spaces[target] in ("rgb", "gray"):
                    instruction = pikepdf.ContentStreamInstruction([pikepdf.Name.DeviceCMYK], instruction.operator)
            elif op in ("sc", "scn", "SC", "SCN"):
                rgb = _rgb(spaces[target], _numbers(operands) or [])
                if rgb is not None:
                    instruction = pikepdf.ContentStreamInstruction(
                        list(self.inks.ink(rgb, index in text)), instruction.operator)
            elif op == "Do":
                self._xobject(operands[0], resources)
            elif op == "gs" and self.flatten:
                states = resources.get("/ExtGState") if isinstance(resources, pikepdf.Dictionary) else None
                state = states.get(str(operands[0])) if states is not None and str(operands[0]) in states else None
                self.transparency += transparent(str(operands[0]), state)
            out.append(instruction)
        stream.write(pikepdf.unparse_content_stream(out))

    @staticmethod
    def _text_colours(instructions, resources) -> set[int]:
        """The indices of the colour operators whose colour paints text."""
        current = {"fill": None, "stroke": None}
        saved, mode, used = [], 0, set()
        for index, instruction in enumerate(instructions):
            op = str(instruction.operator)
            if op == "q":
                saved.append(dict(current))
            elif op == "Q" and saved:
                current = saved.pop()
            elif op in ("g", "rg", "k", "cs", "sc", "scn"):
                current["fill"] = index
            elif op in ("G", "RG", "K", "CS", "SC", "SCN"):
                current["stroke"] = index
            elif op == "Tr":
                mode = int(instruction.operands[0])
            elif op in SHOWS:
                if mode in (0, 2, 4, 6):
                    used.add(current["fill"])
                if mode in (1, 2, 5, 6):
                    used.add(current["stroke"])
        return used

    def _xobject(self, name, resources) -> None:
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        xobject = xobjects.get(str(name)) if xobjects is not None and str(name) in xobjects else None
        if not isinstance(xobject, pikepdf.Stream) or not self._once(xobject):
            return
        if xobject.get("/Subtype") == pikepdf.Name.Form:
            if self.flatten and "/Group" in xobject:  # a transparency group, nothing transparent in it
                del xobject["/Group"]
            own = xobject.get("/Resources", resources)
            self._stream(xobject, own)
            self._patterns(own)
        elif xobject.get("/Subtype") == pikepdf.Name.Image and xobject.get("/ImageMask") is not True:
            self._picture(xobject, resources)

    def _picture(self, image: pikepdf.Stream, resources) -> None:
        if family(image.get("/ColorSpace"), resources) == "rgb":
            picture = pikepdf.PdfImage(image).as_pil_image().convert("RGB")
            printed = self.inks.picture(picture)
            _replace(image, printed.tobytes(), "/DeviceGray" if printed.mode == "L" else "/DeviceCMYK")
        mask = image.get("/SMask")
        if self.flatten and isinstance(mask, pikepdf.Stream):
            # PDF/X-1a has no soft masks (ISO 15930-4, 6.3.1): where the picture is at least
            # half opaque it is painted, elsewhere not, through a hard mask (PDF 1.3)
            alpha = pikepdf.PdfImage(mask).as_pil_image().convert("L")
            hard = alpha.point(lambda a: 0 if a >= 128 else 255).convert("1")
            stencil = self.pdf.make_stream(zlib.compress(hard.tobytes()), Type=pikepdf.Name.XObject,
                                           Subtype=pikepdf.Name.Image, Width=hard.width, Height=hard.height,
                                           ImageMask=True, BitsPerComponent=1, Filter=pikepdf.Name.FlateDecode)  # 0 paints
            del image["/SMask"]
            image.Mask = stencil


def _replace(image: pikepdf.Stream, data: bytes, space: str) -> None:
    image.write(zlib.compress(data, 9), filter=pikepdf.Name.FlateDecode)
    image.ColorSpace = pikepdf.Name(space)
    image.BitsPerComponent = 8
    for key in ("/DecodeParms", "/Decode", "/Intent"):
        if key in image:
            del image[key]
