#!/bin/sh
# Writes the page images shown in the README: the first pages of the interview's print
# edition, handout and vertical book, as small PNGs in docs/images/.
#   sh tools/page_images.sh [MANUSCRIPT]
# Needs the editions' setup (tools/setup.sh) and poppler-utils (pdftoppm, pdftotext).
set -eu
cd "$(dirname "$0")/.."
MANUSCRIPT="${1:-manuscript/interview-2025-10-06.md}"
NAME="$(basename "$MANUSCRIPT" .md)"
OUT=docs/images
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
.venv/bin/taidan build --edition print handout print-vertical --out "$TMP" -- "$MANUSCRIPT" >/dev/null
mkdir -p "$OUT"

# first_text_page PDF: of the first eight pages, the one with the most kana, kanji and Latin
# letters: the first full page of text (not the title, a blank or the contents page).
first_text_page() {
    pdftotext -l 8 "$1" - | .venv/bin/python -c '
import re, sys
pages = sys.stdin.read().split("\f")
print(1 + max(range(len(pages)), key=lambda i: len(re.findall(r"[\w\u3040-\u9fff]", pages[i]))))'
}

image() {  # image PDF PAGE NAME
    pdftoppm -r 60 -f "$2" -l "$2" -singlefile -png "$1" "$OUT/$3"
    echo "wrote $OUT/$3.png"
}

image "$TMP/$NAME.pdf" 1 print-title
image "$TMP/$NAME.pdf" "$(first_text_page "$TMP/$NAME.pdf")" print-text
image "$TMP/$NAME-handout.pdf" 1 handout
image "$TMP/$NAME-vertical.pdf" 1 vertical-title
image "$TMP/$NAME-vertical.pdf" "$(first_text_page "$TMP/$NAME-vertical.pdf")" vertical-text

# the English sample, set by Latin-script conventions (README: English and other
# Latin-script languages)
EN=tests/manuscripts/english-repair.md
.venv/bin/taidan build --edition print handout --out "$TMP/en" -- "$EN" >/dev/null
image "$TMP/en/english-repair.pdf" "$(first_text_page "$TMP/en/english-repair.pdf")" english-print-text
image "$TMP/en/english-repair-handout.pdf" 1 english-handout
