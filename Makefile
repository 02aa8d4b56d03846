# The two commands: `make` sets everything up and builds the sample; `make test` runs the tests.
.PHONY: all setup build test test-fast images bench

all: setup build

setup:
	sh tools/setup.sh

build:
	.venv/bin/taidan build

test:
	.venv/bin/python -m pytest

# the unit and edition tests, without those needing an outside tool or marked slow, on
# every core (pytest-xdist)
# (markers: pyproject.toml's [tool.pytest.ini_options])
test-fast:
	.venv/bin/python -m pytest -n auto -m "not (chromium or calibre or ace or jing or mupdf or slow)"

images:   # the README's page images: docs/images/
	sh tools/page_images.sh

bench:    # speed and memory against pandoc (prints a table; not a test)
	.venv/bin/python tools/bench.py
