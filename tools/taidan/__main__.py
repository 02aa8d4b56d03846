"""The command line's entry (``python -m taidan``, and the ``taidan`` script)."""

import os
import signal


def _stopped_while_starting(signum, frame) -> None:
    # nothing is started yet: no file, folder or process of the command to clean up
    os.write(2, b"taidan: interrupted\n")
    os._exit(128 + signum)


def run() -> int:
    """Runs the command. Until the command sets its own handlers (taidan.cli.main), a Ctrl-C
    ends it quietly: importing taidan takes a moment, and a Ctrl-C landing in it printed
    Python's traceback of the import."""
    signal.signal(signal.SIGINT, _stopped_while_starting)
    from taidan.cli import main  # after the handler: the import is what it covers

    return main()


if __name__ == "__main__":
    raise SystemExit(run())
