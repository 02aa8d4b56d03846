"""Total ink: each page rendered in CMYK by Ghostscript at 150 dpi (the pamcmyk32 device,
one 8-bit C, M, Y, K sample per pixel), the highest C + M + Y + K of any pixel. The
bleed box is rendered, not the marks beyond it: crop marks are printed in every ink."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageMath

from taidan.errors import CannotRun
from taidan.publish.preflight import Finding

RESOLUTION = 150  # dpi: the issue's and the shops' soft-proof resolution; ink areas are not finer
MOST_INK = 300  # per cent: the shops' guides (Japan Color 2001 Coated: 350 at most, 300 asked)
GHOSTSCRIPT = "gs"


def _frames(stream) -> Iterator[Image.Image]:
    """The pages of a PAM stream (P7, one header per page), as CMYK images."""
    while True:
        header = {}
        line = stream.readline()
        if not line:
            return
        while line and line.strip() != b"ENDHDR":
            key, _, value = line.strip().partition(b" ")
            header[key] = value
            line = stream.readline()
        width, height = int(header[b"WIDTH"]), int(header[b"HEIGHT"])
        data = stream.read(width * height * 4)
        if len(data) < width * height * 4:
            return
        yield Image.frombytes("CMYK", (width, height), data)


def most_ink(image: Image.Image) -> float:
    """The highest total ink of any pixel, in per cent."""
    c, m, y, k = (channel.convert("I") for channel in image.split())
    total = ImageMath.lambda_eval(lambda a: a["c"] + a["m"] + a["y"] + a["k"], c=c, m=m, y=y, k=k)
    return total.getextrema()[1] * 100 / 255


def pages(path: Path) -> tuple[list[float], bool]:
    """The most ink of each page in per cent, and whether Ghostscript rendered them all."""
    gs = shutil.which(GHOSTSCRIPT)
    if gs is None:
        raise CannotRun("taidan preflight measures ink with Ghostscript, which is not installed "
                        "(Debian: apt install ghostscript)")
    command = [gs, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dUseBleedBox", "-sDEVICE=pamcmyk32",
               f"-r{RESOLUTION}", "-sOutputFile=-", "--", str(path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          stdin=subprocess.DEVNULL) as gs_run:
        inks = [most_ink(frame) for frame in _frames(gs_run.stdout)]
    return inks, gs_run.returncode == 0


def findings(path: Path) -> Iterator[Finding]:
    inks, rendered = pages(path)
    if not rendered:
        yield Finding(0, "Ghostscript could not render the file, so its ink was not measured",
                      "a shop's RIP may fail on it too: make the file again")
    for number, ink in enumerate(inks, 1):
        if ink > MOST_INK + 0.5:
            yield Finding(number, f"total ink reaches {ink:.0f} %; shops accept {MOST_INK} % at most",
                          "convert the colours through the shop's CMYK profile, and set black "
                          "text and rules in K only")
