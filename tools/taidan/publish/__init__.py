"""What happens to built books: the OPDS catalog, Send to Kindle, the print shop's preflight."""


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def size_text(size: int) -> str:
    """A file's size as the catalog page and a sent message show it: 1.2 MB, 340 KB."""
    return megabytes(size) if size >= 1_000_000 else f"{max(1, round(size / 1000))} KB"
