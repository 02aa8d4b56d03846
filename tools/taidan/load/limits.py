"""What one manuscript may hold, each limit chosen from what real books need and far above
it, so that any input is answered in bounded time and memory. Going past one is an error at
the line where it is passed, never a silent cut (docs/safety.md lists them with reasons)."""

from __future__ import annotations

# A 600-page novel is about 1 MB of UTF-8; twenty times that is one manuscript.
MANUSCRIPT_BYTES = 20 * 1024 * 1024

# Lists and mappings inside each other in the front matter: speakers with their fields,
# and a list inside one, is three levels. PyYAML's scanner re-examines every open level at
# each token, so its cost is the square of the depth (5,000 nested [ took 17 s to refuse).
FRONT_MATTER_DEPTH = 32

# Markup inside markup: real manuscripts use two or three levels. Python-Markdown recurses,
# and its link parser is quadratic in the depth.
INLINE_DEPTH = 32

# A line, and a paragraph (its lines joined): a Japanese paragraph is one line, and 50,000
# characters are about a hundred pages of a paperback without a break. Python-Markdown's
# inline stage rebuilds the paragraph's text at each piece of markup it finds, so one
# paragraph costs up to its length squared: this bounds that cost, and so the book's cost
# grows with its length.
LINE_CHARS = 50_000

# Emphasis dots (《《…》》) set each character in a box of its own; they mark a word or a
# phrase. WeasyPrint's line breaking copies a box's children at each line, so one long run
# costs the square of its length.
DOTS_CHARS = 200

# Speakers declared in one manuscript: an interview has two to a few, a round table a dozen,
# an oral history a few hundred voices. The print edition's colophon lists them in a grid that
# WeasyPrint lays out whole again on each page it spans: its cost grows with the square of
# the number of speakers (1,000: 20 s of CPU time; 10,000: more than ten minutes).
SPEAKERS = 500

# Parts (#) and sections (##) of one manuscript: a long interview book has tens of sections.
PARTS = 500
SECTIONS = 5_000

# Footnotes of one manuscript: a heavily annotated book of 400 pages has about a thousand.
FOOTNOTES = 5_000
