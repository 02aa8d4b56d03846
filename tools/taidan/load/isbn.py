"""ISBNs as written in front matter (978-4-..., 4-...-X): normalised and their check digit verified."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-‐‑–]")


def check_digit_10(first9: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(first9))
    digit = (11 - total % 11) % 11
    return "X" if digit == 10 else str(digit)


def check_digit_13(first12: str) -> str:
    total = sum((3 if i % 2 else 1) * int(d) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def parse(text: str) -> tuple[str, str]:
    """(the ISBN's digits, "") when ``text`` is a valid ISBN-10 or ISBN-13, else ("", why)."""
    digits = _SEPARATORS.sub("", text).upper()
    if digits.startswith("ISBN"):
        digits = digits[4:].lstrip(":")
    if re.fullmatch(r"[0-9]{9}[0-9X]", digits):
        expected = check_digit_10(digits[:9])
    elif re.fullmatch(r"97[89][0-9]{10}", digits):
        expected = check_digit_13(digits[:12])
    else:
        return "", "an ISBN has 13 digits starting 978 or 979, or 10 (the last may be X)"
    if digits[-1] != expected:
        return "", f"the check digit should be {expected}, not {digits[-1]}: look for a typing error"
    return digits, ""
