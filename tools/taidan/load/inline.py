"""Inline syntax as Python-Markdown extensions, and the tree they build turned into model nodes.

Each syntax is one small InlineProcessor with its own priority:

    {親字|るび}  {漢字|かん|じ}   ruby (group / mono)              RubyProcessor
    ^12^                        tate-chu-yoko                    TcyProcessor
    ((一同笑い))                 stage direction                  StageProcessor
    《《大切》》                   emphasis dots (圏点)              DotsProcessor
    [^1]                        footnote reference               NoteRefProcessor

Raw HTML is not markup here: Python-Markdown's html pattern is removed, so ``<b>`` stays
text and the templates escape it. Character references (``&amp;``) are decoded to text.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from functools import lru_cache

import markdown
from markdown.inlinepatterns import InlineProcessor

from taidan import model
from taidan.load import limits
from taidan.load.timecode import SPLIT

CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
# a line break between Japanese text is no space (a time code's SPLIT may stand before it)
_SOFT_BREAK_CJK = re.compile(rf"(?<=[{CJK}])({SPLIT}?)\n(?=[{CJK}])")
LINK_SCHEMES = ("http://", "https://", "mailto:")
# ASCII a URL cannot hold: percent-encoded, so a link stays one valid URL (EPUBCheck RSC-020)
# and a quote or an angle bracket in it can never end an attribute. Other text is an IRI.
_NOT_IN_URL = {ch: f"%{ord(ch):02X}" for ch in '"<>\\^`{|} '} | \
    {chr(c): f"%{c:02X}" for c in [*range(32), 127]}


def web_url(href: str) -> str | None:
    """``href`` as a link target when it is a web or mail address, else None."""
    href = href.strip()
    if not href.lower().startswith(LINK_SCHEMES):
        return None
    return "".join(_NOT_IN_URL.get(ch, ch) for ch in href)

RUBY_RE = r"\{([^{}|\n]+)\|([^{}\n]+)\}"
TCY_RE = r"\^([0-9A-Za-z!?！？]{1,4})\^"
STAGE_RE = r"\(\(([^()\n]+)\)\)"
DOTS_RE = r"《《(.+?)》》"
NOTEREF_RE = r"\[\^([^\]\s]+)\]"


class RubyProcessor(InlineProcessor):
    def handleMatch(self, m, data):
        el = etree.Element("ruby", base=m.group(1), readings=m.group(2))
        return el, m.start(0), m.end(0)


class TcyProcessor(InlineProcessor):
    def handleMatch(self, m, data):
        return etree.Element("tcy", text=m.group(1)), m.start(0), m.end(0)


class StageProcessor(InlineProcessor):
    def handleMatch(self, m, data):
        return etree.Element("stage", text=m.group(1).strip()), m.start(0), m.end(0)


class DotsProcessor(InlineProcessor):
    def handleMatch(self, m, data):
        el = etree.Element("dots")
        el.text = m.group(1)
        return el, m.start(0), m.end(0)


class NoteRefProcessor(InlineProcessor):
    def handleMatch(self, m, data):
        return etree.Element("noteref", id=m.group(1)), m.start(0), m.end(0)


class TaidanInline(markdown.Extension):
    def extendMarkdown(self, md):
        for name in ("html", "entity", "automail"):
            md.inlinePatterns.deregister(name, strict=False)
        md.inlinePatterns.register(NoteRefProcessor(NOTEREF_RE, md), "taidan_noteref", 176)
        md.inlinePatterns.register(RubyProcessor(RUBY_RE, md), "taidan_ruby", 175)
        md.inlinePatterns.register(TcyProcessor(TCY_RE, md), "taidan_tcy", 174)
        md.inlinePatterns.register(StageProcessor(STAGE_RE, md), "taidan_stage", 173)
        md.inlinePatterns.register(DotsProcessor(DOTS_RE, md), "taidan_dots", 65)


@lru_cache(maxsize=1)
def _markdown() -> markdown.Markdown:
    return markdown.Markdown(extensions=[TaidanInline()])


MAX_DEPTH = limits.INLINE_DEPTH


class TooDeep(ValueError):
    """Markup nested deeper than MAX_DEPTH: Python-Markdown would recurse or crawl."""


def _bracket_depth(text: str) -> int:
    if sum(text.count(ch) for ch in "[({") <= MAX_DEPTH:
        return 0
    depth = deepest = 0
    for ch in text:
        if ch in "[({":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "])}" and depth:
            depth -= 1
    return deepest


def _tree_depth(el: etree.Element) -> int:
    deepest, stack = 0, [(el, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack += [(child, depth + 1) for child in node]
    return deepest


def parse_tree(text: str) -> etree.Element:
    """Runs only Python-Markdown's inline stage on one paragraph's text; raises TooDeep."""
    if _bracket_depth(text) > MAX_DEPTH:  # link parsing is quadratic in the depth
        raise TooDeep(text)
    md = _markdown()
    root = etree.Element("div")
    para = etree.SubElement(root, "p")
    para.text = text
    try:
        md.treeprocessors["inline"].run(root)
        md.treeprocessors["unescape"].run(root)
    except RecursionError:
        _markdown.cache_clear()  # the instance may hold half a parse
        raise TooDeep(text) from None
    if _tree_depth(para) > MAX_DEPTH:
        raise TooDeep(text)
    return para


def _text(value: str | None) -> list:
    if not value:
        return []
    value = html.unescape(_SOFT_BREAK_CJK.sub(r"\1", value)).replace("\n", " ")
    return [model.Text(value)]


def _children(el: etree.Element, notes: dict[str, int]) -> list:
    nodes = _text(el.text)
    for child in el:
        nodes.extend(_node(child, notes))
        nodes.extend(_text(child.tail))
    return nodes


def _node(el: etree.Element, notes: dict[str, int]) -> list:
    tag = el.tag
    if tag == "ruby":
        readings = tuple(r.strip() for r in el.get("readings").split("|"))
        return [model.Ruby(el.get("base"), readings)]
    if tag == "tcy":
        return [model.Tcy(el.get("text"))]
    if tag == "stage":
        return [model.Stage(el.get("text"))]
    if tag == "noteref":
        note_id = el.get("id")
        notes.setdefault(note_id, len(notes) + 1)
        return [model.NoteRef(note_id, notes[note_id])]
    if tag in ("em", "strong", "dots"):
        return [model.Styled(tag, tuple(_children(el, notes)))]
    if tag == "code":
        return [model.Code(html.unescape(el.text or ""))]
    if tag == "br":
        return [model.LineBreak()]
    if tag == "a":
        children = _children(el, notes)
        href = web_url(el.get("href") or "")
        if href:
            return [model.Link(href, tuple(children))]
        return children  # any other scheme (javascript:, data:, files) is not a link
    if tag == "img":
        return [model.Text(el.get("alt") or "")]
    return _children(el, notes)


def parse_inline(text: str, notes: dict[str, int]) -> list:
    """One paragraph's text as model nodes; ``notes`` numbers footnotes by first reference."""
    return _children(parse_tree(text), notes)


def lone_image(text: str) -> etree.Element | None:
    """The <img> element when a paragraph is nothing but an image."""
    try:
        para = parse_tree(text)
    except TooDeep:
        return None  # reported when the paragraph is read as text
    if len(para) == 1 and para[0].tag == "img" and not (para.text or "").strip() \
            and not (para[0].tail or "").strip():
        return para[0]
    return None


def unclosed_ruby(text: str) -> int | None:
    """Offset of a '{' that opens ruby ('{親字|') and is never closed, else None."""
    for m in re.finditer(r"\{[^{}\n]*\|", text):
        rest = text[m.end():]
        close = rest.find("}")
        nl = rest.find("\n")
        opening = rest.find("{")
        if close < 0 or (0 <= opening < close) or (0 <= nl < close):
            return m.start()
    return None


def unclosed_stage(text: str) -> int | None:
    """Offset of a '((' never closed by '))' on its line (``((laughs)``), else None. Code
    spans and an escaped ``\\((`` are text."""
    masked = re.sub(STAGE_RE + r"|`[^`\n]*`", lambda m: " " * len(m.group(0)), text)
    for m in re.finditer(r"(?<!\\)\(\(", masked):
        if "))" not in masked[m.end():].split("\n", 1)[0]:  # closed later on its line: text
            return m.start()
    return None

