#!/bin/sh
# Sets up taidan on a fresh Debian 12 machine: system packages, .venv, the package.
set -eu
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# fonts: BIZ UD Mincho/Gothic (body, labels), IPAex (fallback); libharfbuzz-subset0 for fast
# font subsetting in WeasyPrint; poppler-utils to read PDFs in the tests; Java for EPUBCheck;
# Chromium for the vertical print edition and the EPUB rendering test; pandoc for the benchmark.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    python3-venv fonts-morisawa-bizud-mincho fonts-morisawa-bizud-gothic fonts-ipaexfont \
    libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils \
    default-jre-headless chromium pandoc >/dev/null
# calibre: the tests read the EPUBs' metadata with ebook-meta and calibredb and convert them to
# AZW3 with ebook-convert; mupdf-tools: the EPUB tests draw pages with mutool (MuPDF, the
# engine of many reading apps).
$SUDO apt-get install -y -qq --no-install-recommends calibre mupdf-tools >/dev/null
# DAISY Ace (the EPUB accessibility checker the tests run), pinned in tools/ace/package.json:
# Ace 1.2.7 runs on Debian 12's own Node.js 18 (1.4.x wants Node 20). No browser is downloaded:
# the tests point it at Debian's chromium (PUPPETEER_EXECUTABLE_PATH).
command -v npm >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
(cd tools/ace && ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 \
    npm ci --no-audit --no-fund --loglevel=error >/dev/null)
# taidan catalog's tests: jing checks opds.xml against the OPDS 1.2 grammar; taidan send's
# tests: openssl makes the certificate of the STARTTLS test server
$SUDO apt-get install -y -qq --no-install-recommends jing openssl >/dev/null
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'
