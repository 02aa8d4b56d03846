"""Dates as readers of a book's language write them, from Babel (the Unicode CLDR data):
3 November 2025, November 3, 2025 (en-US), 2025年11月3日, 3. November 2025, 3 novembre 2025.

Only what a reader sees: dc:date, dcterms:modified, the PDF's metadata and the catalog's
feeds keep ISO 8601. ``[publisher] date_format`` in taidan.toml gives a pattern of its own.
"""

from __future__ import annotations

import datetime
from functools import lru_cache

# Babel's "long" form is the one a book prints on its title page and colophon.
STYLES = ("short", "medium", "long", "full")
DEFAULT_STYLE = "long"
# A language without a region gets this region's habits: plain "en" is written day first
# (3 November 2025), as most of the English-speaking world writes it; en-US gets
# November 3, 2025.
DEFAULT_REGION = {"en": "GB"}
# The CLDR pattern letters that a day alone can fill: era, years, quarters, months, weeks,
# days and weekdays (hours, minutes and time zones need a time).
DATE_FIELDS = frozenset("GyYuUrQqMLlwWdDFgEec")


@lru_cache(maxsize=None)
def locale_of(lang: str):
    """Babel's locale for a BCP 47 tag (en-GB, zh-Hant-TW, ja), its language alone when
    CLDR does not know the whole tag, None when it knows neither."""
    # deferred: only a build that prints a date loads Babel and its locale data
    from babel import Locale, UnknownLocaleError

    tag = lang.replace("_", "-")
    if "-" not in tag and tag.lower() in DEFAULT_REGION:
        tag = f"{tag}-{DEFAULT_REGION[tag.lower()]}"
    for candidate in (tag, tag.split("-")[0]):
        try:
            return Locale.parse(candidate, sep="-")
        except (ValueError, UnknownLocaleError):
            continue
    return None


def written(iso: str, lang: str, pattern: str = "") -> str:
    """``iso`` (YYYY-MM-DD) as ``lang``'s readers write it; ``pattern`` is a style of
    STYLES or a CLDR pattern ("d MMMM y"). ISO 8601 when the language is unknown to CLDR."""
    if not iso:
        return ""
    locale = locale_of(lang)
    if locale is None:
        return iso
    from babel.dates import format_date  # deferred: as in locale_of

    return format_date(datetime.date.fromisoformat(iso), pattern or DEFAULT_STYLE, locale=locale)


def pattern_fault(pattern: str) -> str:
    """What is wrong with a date_format value ("" when nothing is)."""
    if pattern in STYLES:
        return ""
    if "%" in pattern:
        return "is a strftime format; date_format takes a CLDR pattern such as \"d MMMM y\""
    from babel.dates import tokenize_pattern  # deferred: as in locale_of

    try:
        fields = [value[0] for kind, value in tokenize_pattern(pattern) if kind == "field"]
        wrong = [field for field in fields if field not in DATE_FIELDS]
        if wrong:
            return f"has '{wrong[0]}', which is not a field of a date (a day has no hour or time zone)"
        if not fields:
            return "has no field of a date (d, M, y ...)"
        written("2025-11-03", "en", pattern)
    except (ValueError, KeyError, TypeError) as err:
        return f"is not a date pattern Babel reads ({err})"
    return ""
