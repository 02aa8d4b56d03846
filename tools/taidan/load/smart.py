"""Typographic punctuation for languages written in Latin (and other non-CJK) scripts.

What a manuscript types on a keyboard becomes what a book prints, in the model, so every
edition gets the same characters:

    "quote"  'quote'   ->  “quote”  ‘quote’    (de: „quote“ ‚quote‘; fr: « quote » “quote”)
    it's  '90s  'em    ->  it’s  ’90s  ’em     (the apostrophe is ’ in every language)
    --  ---  ...       ->  –  —  …
    300 km  6 a.m.  p. 12  Mr. X  ->  the space no-break (NBSP): a line never parts them

A quote opens after a space, the start of a paragraph or an opening mark, and closes
otherwise; the character before an inline element (emphasis, a link) counts, so
"*word*" is quoted the right way round. Code spans, URLs (links and bare addresses) and
ruby stand as typed. Japanese and Chinese manuscripts (lang ja, zh) are never changed:
their characters are the author's.
"""

from __future__ import annotations

import dataclasses
import re

from taidan import model

NNBSP = "\u202f"  # narrow no-break space: inside French guillemets
# double open, double close, single open, single close
QUOTES = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "fr": ("\u00ab" + NNBSP, NNBSP + "\u00bb", "\u201c", "\u201d"),
}
UNCHANGED = ("ja", "zh")
APOSTROPHE = "\u2019"
OPENERS = set(" \t\n\u00a0\u202f([{<\u201c\u2018\u201e\u201a\u00ab\u2039\u2014\u2013/-")
# words that begin with an apostrophe standing for letters left out ('em, 'tis, 'n',
# '90s, German '90er)
ELISIONS = re.compile(r"(?:\d\d(?!\d)|em\b|tis\b|twas\b|til\b|cause\b|n\b|round\b)", re.I)
URL = re.compile(r"(?:https?://|mailto:|www\.)[^\s\"'<>]*[^\s\"'<>.,;:!?)\]]")
DASHES = [("---", "\u2014"), ("--", "\u2013"), ("...", "\u2026")]
NBSP = "\u00a0"
# Units a number keeps on its line. Single letters that are also words, grades or easily
# misread (a, A, B, I, t, l) are left out; so is "in" (a word far more often than inches).
UNITS = ("mm cm m km µm nm g kg mg µg lb lbs oz ml mL cl dl L ft yd mi mph kph km/h "
         "s ms µs min h hr hrs "
         "Hz kHz MHz GHz W kW MW GW Wh kWh mAh V mV kV mA dB kB KB MB GB TB bit bits bps kbps "
         "Mbps px pt pc rpm cal kcal ha °C °F ° % ‰ "
         "a.m. p.m. am pm AM PM BC BCE AD CE").split()
_BEFORE_UNIT = re.compile(r"(?<=\d) (?=(?:" + "|".join(
    re.escape(u) for u in sorted(UNITS, key=len, reverse=True)) + r")(?![\w°%]))")
# Abbreviations that belong with the number or name after them: p. 12, No. 7, S. 12 (de),
# § 3; Mr. X, Dr Okafor (British usage drops the stop).
_BEFORE_NUMBER = re.compile(r"(?:(?<![\w.])(?:pp?|[Nn]o|[Nn]os|[Nn]r|[Vv]ol|[Cc]h|[Ff]ig|[Ss]ec|"
                            r"[Aa]rt|[Pp]ara|S)\.|§§?) (?=\d)")
_BEFORE_NAME = re.compile(r"(?<![\w.])(?:Mr|Mrs|Ms|Mx|Dr|Prof|St|Mt|Sr|Jr|Capt|Col|Gen|Lt|Sgt|"
                          r"Rev|Hon|Fr|Mme|Mlle|Hr|Frau)\.? (?=[A-ZÀ-ÖØ-Þ])")


def applies(lang: str) -> bool:
    return lang.split("-")[0].lower() not in UNCHANGED


def quotes(lang: str) -> tuple[str, str, str, str]:
    return QUOTES.get(lang.split("-")[0].lower(), QUOTES["en"])


class _Context:
    """What came before in the paragraph: the last character, and open single quotes."""

    def __init__(self, lang: str):
        self.marks = quotes(lang)
        self.prev = " "
        self.singles = 0


def _words(text: str, ctx: _Context) -> str:
    for typed, printed in DASHES:
        text = text.replace(typed, printed)
    d_open, d_close, s_open, s_close = ctx.marks
    out = []
    for i, ch in enumerate(text):
        nxt = text[i + 1:i + 2]
        if ch == '"':
            if ctx.prev in OPENERS:
                out.append(d_open)
            else:
                out.append(d_close)
        elif ch == "'":
            after_word = ctx.prev.isalnum() or ctx.prev in ".,!?;:\u2026" + d_close + s_close
            if ctx.prev.isalnum() and nxt.isalnum():
                out.append(APOSTROPHE)  # it's, rock'n'roll
            elif not after_word and ctx.prev in OPENERS:
                if ELISIONS.match(text, i + 1) and not (nxt.isalpha() and _closes_later(text, i)):
                    out.append(APOSTROPHE)  # '90s, 'em
                else:
                    out.append(s_open)
                    ctx.singles += 1
            elif ctx.singles:
                out.append(s_close)
                ctx.singles -= 1
            else:
                out.append(APOSTROPHE)  # the Joneses' house
        else:
            out.append(ch)
        ctx.prev = ch if ch not in "\"'" else out[-1][-1]
    return "".join(out)


def _closes_later(text: str, i: int) -> bool:
    """Whether a ' at i that could be an elision ('n', 'em) is rather an opening quote:
    a closing ' follows after a word of more letters than the elision has."""
    m = re.match(r"'([A-Za-z]+)'", text[i:])
    return bool(m) and len(m.group(1)) > 3


def _together(text: str) -> str:
    """``text`` with a no-break space where a line must not part two words: a number and
    its unit (300 km, 6 a.m.), an abbreviation and its number (p. 12), a title and the
    name after it (Mr. X)."""
    for pattern in (_BEFORE_UNIT, _BEFORE_NUMBER, _BEFORE_NAME):
        text = pattern.sub(lambda m: m.group(0)[:-1] + NBSP, text)
    return text


def _text(text: str, ctx: _Context, together: bool = True) -> str:
    keep = _together if together else str
    out, at = [], 0
    for m in URL.finditer(text):
        out.append(keep(_words(text[at:m.start()], ctx)))
        out.append(m.group(0))
        ctx.prev = m.group(0)[-1]
        at = m.end()
    out.append(keep(_words(text[at:], ctx)))
    result = "".join(out)
    if ctx.marks[0].endswith(NNBSP):  # « quote »: one narrow space inside, whatever was typed
        result = re.sub(r"\u00ab\u202f[ \u00a0]+", "\u00ab\u202f", result)
        result = re.sub(r"[ \u00a0]+\u202f\u00bb", "\u202f\u00bb", result)
    return result


def _nodes(nodes, ctx: _Context) -> list:
    out = []
    for node in nodes:
        kind = node.kind
        if kind == "text":
            node = model.Text(_text(node.text, ctx))
        elif kind == "styled":
            node = dataclasses.replace(node, children=tuple(_nodes(node.children, ctx)))
        elif kind == "link":
            if URL.fullmatch(model.plain_text(node.children).strip()):
                ctx.prev = "a"  # the address as its own text: stands as typed
            else:
                node = dataclasses.replace(node, children=tuple(_nodes(node.children, ctx)))
        elif kind in ("code", "ruby", "tcy"):
            ctx.prev = "a"
        elif kind == "stage":
            ctx.prev = ")"
        elif kind == "br":
            ctx.prev = " "
        out.append(node)
    return out


def inlines(nodes: list, lang: str) -> list:
    """One paragraph's inline nodes with typographic punctuation (unchanged for ja, zh)."""
    if not applies(lang):
        return nodes
    return _nodes(nodes, _Context(lang))


def text(value: str, lang: str, together: bool = True) -> str:
    """A plain string (a title, a caption) with typographic punctuation; ``together``: and
    the no-break spaces of _together, which the front matter goes without (it is the
    books' metadata too, where a library searches and sorts it)."""
    if not value or not applies(lang):
        return value
    return _text(value, _Context(lang), together)


def meta(m: model.Meta) -> model.Meta:
    """The front matter's display texts set: title, subtitle, kicker, description,
    publisher, rights, and the credits' and contacts' names, so that a name prints the same
    in the text, the cast list, the colophon, the cover and the metadata."""
    def set_(value: str) -> str:
        return text(value, m.lang, together=False)

    return dataclasses.replace(
        m, **{key: set_(getattr(m, key))
              for key in ("title", "subtitle", "kicker", "description", "publisher", "rights")},
        credits=[model.Credit(set_(c.role), set_(c.name)) for c in m.credits],
        contacts=[dataclasses.replace(c, name=set_(c.name)) for c in m.contacts])


def speakers(declared: list, lang: str) -> list:
    """The speakers' names, labels and roles set like the text (Zoë O’Neill): the labels a
    manuscript types are matched whatever their apostrophes (load.structure.fold)."""
    return [dataclasses.replace(sp, name=text(sp.name, lang, together=False),
                                label=text(sp.label, lang, together=False),
                                role=text(sp.role, lang, together=False))
            for sp in declared]
