# The two commands: `make` sets everything up and builds the sample; `make test` runs the tests.
.PHONY: all setup build test

all: setup build

setup:
	sh tools/setup.sh

build:
	.venv/bin/taidan build

test:
	.venv/bin/python -m pytest
