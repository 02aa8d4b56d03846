"""``taidan build --shard K/N``: the K-th of N slices of the manuscripts, for N machines.

The manuscripts are put in the order of a hash of their names (SHA-256 of the file name
without .md, the name of its outputs; not Python's hash(), which changes from run to run)
and dealt out in turn to the N slices. Every machine of a CI matrix has the same checkout,
so the same manuscripts, the same order and the same slices: together they hold each
manuscript exactly once, and no two differ by more than one manuscript (so no machine waits
on another with twice its share, as slices chosen by the hash alone would often have). The
price: adding a manuscript may move others to another slice, which matters to nothing but
a build cache kept per shard.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def _order(path: Path) -> tuple[bytes, str]:
    return hashlib.sha256(path.stem.encode("utf-8")).digest(), path.as_posix()


def select(paths: list[Path], k: int, n: int) -> list[Path]:
    """The manuscripts among ``paths`` in slice ``k`` (1 to ``n``) of ``n``, in their order."""
    dealt = sorted(dict.fromkeys(paths), key=_order)
    mine = set(dealt[k - 1::n])
    return [path for path in dict.fromkeys(paths) if path in mine]
