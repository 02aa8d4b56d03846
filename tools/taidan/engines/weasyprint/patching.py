"""The bookkeeping every patch module shares: the pinned versions and their one check, and
``Patches``, what a module replaced, a switch back to the originals and a record of what ran.
Apart from the package's ``__init__`` so that the patch modules import it without a cycle."""

from __future__ import annotations

import contextlib
import sys

# The versions whose source the patches were written against, pinned exactly in pyproject.toml.
PINS = {"weasyprint": "70.0", "pydyf": "0.13.0", "cffi": "2.1.1"}
SHOWN = {"weasyprint": "WeasyPrint", "pydyf": "pydyf", "cffi": "cffi"}


def require_pinned(*names: str) -> None:
    """Raises RuntimeError unless each of ``names`` (default: all of ``PINS``), imported,
    is the pinned version."""
    for name in names or PINS:
        __import__(name)
        found = sys.modules[name].__version__
        if found != PINS[name]:
            raise RuntimeError(
                f"taidan's WeasyPrint patches are written for {SHOWN[name]} {PINS[name]}, "
                f"found {found}: install the version pinned in pyproject.toml")


class Patches:
    """What one module of patches replaced, a switch back to the originals, and a record of
    which replacements ran (the test that every patch is active in a real build reads it)."""

    def __init__(self, name: str):
        self.name = name
        self.originals: dict = {}
        self.enabled = True
        self.ran: set[str] = set()
        ALL.append(self)

    @property
    def installed(self) -> bool:
        return bool(self.originals)

    def replace(self, owner, attribute: str, replacement) -> None:
        """Sets ``owner.attribute`` to ``replacement``, keeping the original."""
        self.originals[attribute] = getattr(owner, attribute)
        setattr(owner, attribute, replacement)

    @contextlib.contextmanager
    def disabled(self):
        """WeasyPrint's own behaviour inside the block (to compare with)."""
        self.enabled = False
        try:
            yield
        finally:
            self.enabled = True


ALL: list[Patches] = []  # every module's Patches, in the order the modules are imported
