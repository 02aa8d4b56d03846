"""The build: cache, workers, progress, atomic output, the guard on what a build reads."""
