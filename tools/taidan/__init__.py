"""taidan: interview manuscripts in Markdown, typeset as EPUB and PDF editions."""

__version__ = "0.1.0"
