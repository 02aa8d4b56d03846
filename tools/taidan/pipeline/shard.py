"""``taidan build --shard K/N``: the K-th of N slices of the manuscripts, for N machines.

A manuscript's slice comes from a hash of its name (the file name without .md, the name of
its outputs): SHA-256, not Python's hash(), which changes from run to run. So every machine
of a CI matrix, given the same manuscripts, puts each in the same slice, and the N slices
together hold each manuscript exactly once. A manuscript keeps its slice when others are
added or removed (its shard's build cache stays warm); the slices are even only on average.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def slice_number(name: str, n: int) -> int:
    """The slice (1 to ``n``) of the manuscript called ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") % n + 1


def select(paths: list[Path], k: int, n: int) -> list[Path]:
    """The manuscripts among ``paths`` in slice ``k`` of ``n``, in their order."""
    return [path for path in paths if slice_number(path.stem, n) == k]
