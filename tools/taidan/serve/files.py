"""Sending files over HTTP without ever leaving the folder they are published from.

A URL path is mapped to a file only when every segment is an ordinary name ("..", "." and
encoded forms of them, back slashes and NUL are refused) and the file, its symbolic links
resolved, lies inside the published folder. Everything else is a 404.
"""

from __future__ import annotations

import email.utils
import mimetypes
import os
import re
from pathlib import Path
from urllib.parse import unquote

# Types the e-readers' catalog browsers rely on; mimetypes knows none of them.
TYPES = {
    ".epub": "application/epub+zip",
    ".kepub.epub": "application/kepub+zip",
    ".pdf": "application/pdf",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".xml": "application/xml",
}
OPDS_TYPES = {  # the catalog's feeds, by file name
    "opds.xml": "application/atom+xml;profile=opds-catalog;kind=acquisition",
    "opds.json": "application/opds+json",
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def segments(raw: str) -> list[str] | None:
    """The decoded segments of a request's path, or None when any is not a plain name."""
    path = raw.split("?", 1)[0].split("#", 1)[0]
    if "://" in path:  # absolute-form request target: keep only its path
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    try:
        names = [unquote(part, errors="strict") for part in path.split("/")]
    except UnicodeDecodeError:
        return None
    names = [name for name in names if name != ""]
    for name in names:
        if name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
            return None
    return names


def inside(root: Path, names: list[str]) -> Path | None:
    """The regular file ``root``/names, if it really is inside ``root`` (links resolved).
    ``root`` is a published folder's real path, resolved once when the server starts: a
    link put in its place later (build/catalog -> /etc) leads outside it, so nowhere."""
    try:
        path = root.joinpath(*names).resolve()
    except (OSError, RuntimeError):  # a loop of links
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def content_type(path: Path) -> str:
    name = path.name.lower()
    if name in OPDS_TYPES:
        return OPDS_TYPES[name]
    for suffix in sorted(TYPES, key=len, reverse=True):
        if name.endswith(suffix):
            return TYPES[suffix]
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def byte_range(header: str | None, size: int):
    """(start, end) inclusive for a single satisfiable range, "unsatisfiable", or None
    for no range at all (several ranges are answered with the whole file, as RFC 9110
    allows)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # the last N bytes, none of an empty file (RFC 9110, 14.1.1)
        count = int(last)
        if count == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - count), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, end


def send(handler, path: Path, cache: str = "no-cache") -> None:
    """Answers GET or HEAD with ``path``: type, length, Last-Modified, a single Range."""
    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        size = stat.st_size
        wanted = byte_range(handler.headers.get("Range"), size)
        if wanted == "unsatisfiable":
            handler.send_response(416)
            handler.send_header("Content-Range", f"bytes */{size}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        start, end = wanted or (0, size - 1)
        handler.send_response(206 if wanted else 200)
        handler.send_header("Content-Type", content_type(path))
        handler.send_header("Content-Length", str(max(0, end - start + 1)))
        handler.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("Cache-Control", cache)
        if wanted:
            handler.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        handler.end_headers()
        if handler.command == "HEAD":
            return
        handle.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                break
            handler.wfile.write(chunk)
            left -= len(chunk)
