# The two commands: `make` sets everything up and builds the sample; `make test` runs the tests.
.PHONY: all setup build test images bench

all: setup build

setup:
	sh tools/setup.sh

build:
	.venv/bin/taidan build

test:
	.venv/bin/python -m pytest

images:   # the README's page images: docs/images/
	sh tools/page_images.sh

bench:    # speed and memory against pandoc (prints a table; not a test)
	.venv/bin/python tools/bench.py
