"""The signals a command stops on (Ctrl-C, SIGTERM: taidan.cli turns them into
KeyboardInterrupt), and holding them while a few steps happen whole."""

from __future__ import annotations

import contextlib
import signal

STOPPING = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def held():
    """Holds Ctrl-C and SIGTERM while the block runs; one that comes meanwhile is taken when
    it ends. So what the block starts is recorded for the clean-up before the command stops:
    a browser started and not yet known to be killed (it wrote on in the scratch folder as
    that was removed), a forked worker not yet in the build's list. A forked process
    inherits the hold: a worker lifts it once its own handlers are set
    (pipeline.parallel.init_worker), so a Ctrl-C reaching the whole group never runs the
    parent's handler in a worker starting up (a traceback, and the worker dead)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
