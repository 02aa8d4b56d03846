"""Images a manuscript names, opened with Pillow before any edition trusts them.

Only raster formats every EPUB reader and PDF engine shows are accepted. SVG is refused:
it can carry scripts and fetch other files, and Pillow cannot check it. Pillow is imported
here, lazily, so checking a manuscript without images stays fast.
"""

from __future__ import annotations

from pathlib import Path

MAX_PIXELS = 64_000_000  # a 64-megapixel photo decodes to about 200 MB of memory
# A strip of a few kilobytes can be 60,000,000 pixels long; the engines scale it to the page
# through buffers of its whole length. No picture a book prints is longer than this.
MAX_SIDE = 20_000
FORMATS = {"JPEG": (".jpg", ".jpeg"), "PNG": (".png",), "GIF": (".gif",), "WEBP": (".webp",)}


def inspect(path: Path, src: str) -> tuple[str, str] | None:
    """(message, hint) when the file is not an image every edition can use, else None."""
    if path.suffix.lower() in (".svg", ".svgz"):
        return (f"the image '{src}' is SVG, which taidan does not accept",
                "SVG can run scripts and load other files: export it as PNG")
    # deferred: Pillow only for a manuscript with a raster image
    from PIL import Image, UnidentifiedImageError

    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # we check the size ourselves
    try:
        with Image.open(path) as image:
            kind, (width, height) = image.format, image.size
    except UnidentifiedImageError:
        return f"the image '{src}' is not an image file", "use a JPEG, PNG, GIF or WebP file"
    except Exception as err:  # a hostile file can break any decoder in any way
        return f"the image '{src}' cannot be read: {err}", "export the image again"
    finally:
        Image.MAX_IMAGE_PIXELS = limit
    if kind not in FORMATS:
        return (f"the image '{src}' is a {kind} file", "use a JPEG, PNG, GIF or WebP file")
    if width * height > MAX_PIXELS:
        return (f"the image '{src}' is {width}×{height} pixels, more than the limit of "
                f"{MAX_PIXELS // 1_000_000} megapixels",
                "scale it down: 3000 pixels on the long side is plenty for print")
    if max(width, height) > MAX_SIDE:
        return (f"the image '{src}' is {width}×{height} pixels; its long side is more than the "
                f"limit of {MAX_SIDE:,} pixels", "scale it down: 3000 pixels on the long side is "
                "plenty for print")
    if path.suffix.lower() not in FORMATS[kind]:
        return (f"the image '{src}' is a {kind} file but its name ends in '{path.suffix}'",
                f"rename it to {path.stem}{FORMATS[kind][0]}")
    try:
        with Image.open(path) as image:
            image.verify()  # chunk checksums
        with Image.open(path) as image:
            image.load()  # the whole picture: a truncated file fails here
    except Exception as err:
        return f"the image '{src}' is damaged: {err}", "export the image again"
    return None
