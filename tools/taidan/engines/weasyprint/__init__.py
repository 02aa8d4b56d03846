"""Japanese typesetting that the PDF engine does not do by itself.

``justify``: inter-character justification (両端揃え) and contextual punctuation spacing
(約物の詰め) for WeasyPrint. Everything else (ruby, emphasis dots, indents) is CSS, in
``templates/shared/_typeset.css``.
"""

PINNED = "70.0"  # the WeasyPrint whose source the patches here were written against


def require_pinned(what: str) -> None:
    """Raises RuntimeError unless WeasyPrint is the pinned version: ``what`` names the fix."""
    import weasyprint  # deferred: the pin is checked when a patch is installed, not on import

    if weasyprint.__version__ != PINNED:
        raise RuntimeError(
            f"taidan's {what} is written for WeasyPrint {PINNED}, found "
            f"{weasyprint.__version__}: install the version pinned in pyproject.toml")
