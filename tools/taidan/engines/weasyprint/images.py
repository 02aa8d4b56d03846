"""Images named by their bytes, not by where they lie: the same book in another folder
gives the same PDF.

WeasyPrint 70 names each raster image's PDF object by a hash of its URL (``image_id`` in
``get_image_from_uri``, ``weasyprint/images.py``), and a ``file:`` URL holds the book's
folder, so moving a book, or building it in another checkout, changed the PDF's bytes.
``install()`` wraps ``RasterImage.__init__`` so that the id is a hash of the image's bytes
and of its orientation: the same picture twice in a book is still stored once.
"""

from __future__ import annotations

from hashlib import md5

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
from weasyprint.images import RasterImage

from taidan.engines.weasyprint.patching import Patches, require_pinned

PATCH = Patches("images")
disabled = PATCH.disabled  # WeasyPrint's own image names inside the block (to compare with)


def raster_image_init(self, pillow_image, image_id, image_data, *args, **kwargs):
    if PATCH.enabled:
        orientation = args[2] if len(args) > 2 else kwargs.get("orientation")
        image_id = md5(image_data + repr(orientation).encode(), usedforsecurity=False).hexdigest()
        PATCH.ran.add("__init__")
    PATCH.originals["__init__"](self, pillow_image, image_id, image_data, *args, **kwargs)


def install() -> None:
    """Patches WeasyPrint (idempotent). Raises RuntimeError on an unpinned WeasyPrint."""
    require_pinned()
    if PATCH.installed:
        return
    PATCH.replace(RasterImage, "__init__", raster_image_init)
