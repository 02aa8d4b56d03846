"""The build: cache, workers, progress, atomic output, the guard on what a build reads.

It is the one path from a manuscript to its editions, which build, check, serve and
catalog all take: ``load`` here, then ``taidan.pipeline.build.produce`` for each edition
(and ``build`` around it)."""


def load(path, options):
    """A manuscript as every command loads it: with the project's [publisher] defaults
    (``options``: taidan.config.options.Options). Raises ProblemsFound."""
    from taidan.load import load as read  # deferred: a no-op build never imports the loader

    return read(path, options.publisher)
