"""The command line: ``taidan new``, ``check``, ``build``, ``serve``, ``send``, ``catalog``
and ``preflight``.

This module alone parses arguments, prints what the commands report and turns what stops
them into an exit status (taidan.errors). The commands below it are plain functions that
return results or raise; what they say while they work (the build's progress) comes here
through a ``say`` callback. Problems print as FILE:LINE: message."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from taidan.errors import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEMS, CannotRun,
                           EditionsFailed, ProblemsFound, Refused, shown)


class _Version(argparse.Action):
    """--version: the installed package's version, read only when asked (startup stays fast)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print taidan's version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        # deferred: only --version reads it
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("taidan")
        except PackageNotFoundError:  # run from a checkout that was never installed
            from taidan import __version__ as number  # deferred: only a checkout never installed
        print(f"taidan {number}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    from taidan.config import schema  # deferred: the options' declarations, read only when parsing
    from taidan.publish import preflight  # deferred: the standards' names (its root imports nothing)

    parser = argparse.ArgumentParser(prog="taidan", description="Interview manuscripts to EPUB and PDF editions.")
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="make a new book project in a folder")
    new.add_argument("folder", type=Path, metavar="DIR")
    new.add_argument("--lang", choices=["ja", "en"], default="ja",
                     help="language of the sample interview (default: ja)")
    check = commands.add_parser("check", help="validate manuscripts without building")
    check.add_argument("manuscripts", nargs="*", type=Path, metavar="MANUSCRIPT",
                       help="default: every manuscript/*.md of the project (found by taidan.toml)")
    build = commands.add_parser("build", help="build editions into build/")
    build.add_argument("manuscripts", nargs="*", type=Path, metavar="MANUSCRIPT",
                       help="default: every manuscript/*.md of the project (found by taidan.toml)")
    schema.add_options(build, "build")  # --edition, --paper, --press, --out, --embed-fonts, --jobs, --shard
    build.add_argument("-v", "--verbose", action="store_true",
                       help="also say which font file each house face's style is set in")
    serve = commands.add_parser("serve", help="a live preview while writing (proof page, pages)")
    serve.add_argument("targets", nargs="*", type=Path, metavar="MANUSCRIPT|DIR",
                       help="default: the project's manuscripts (taidan.toml), or manuscript/*.md")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1; 0.0.0.0 for the network)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0: any free one)")
    serve.add_argument("--open", action="store_true", help="open the preview in a browser")
    send = commands.add_parser("send", help="email books to a Send to Kindle (or any) address",
                               description="Emails EPUB and PDF files over SMTP, with the "
                               "settings in taidan.toml [send]; the password comes from "
                               "TAIDAN_SMTP_PASSWORD or [send] password_file.")
    send.add_argument("files", nargs="+", type=Path, metavar="FILE")
    send.add_argument("--to", required=True, metavar="ADDRESS",
                      help="the recipient, e.g. name@kindle.com")
    catalog = commands.add_parser("catalog", help="build the books and a catalog of them for "
                                  "browsers and reading apps (OPDS) into build/catalog/ (with "
                                  "--from: of books already built)")
    catalog.add_argument("manuscripts", nargs="*", type=Path, metavar="MANUSCRIPT|DIR",
                         help="manuscripts, or folders of them (default: the project's)")
    schema.add_options(catalog, "catalog")  # --out, --from
    check_pdf = commands.add_parser(
        "preflight", help="check PDFs, any PDFs, for what a print shop (or a screen reader) "
        "would reject", description="Reads each PDF and prints one line per finding, "
        "FILE:PAGE: message (what to do); page 0 is the document as a whole. Exit status 2 "
        "when any finding is an error. Needs Ghostscript (ink) and pdftotext (the safe zone).")
    check_pdf.add_argument("files", nargs="+", type=Path, metavar="FILE.pdf",
                           help="the PDFs to check, taidan's or any other's")
    check_pdf.add_argument("--standard", choices=preflight.STANDARDS, default=preflight.DEFAULT_STANDARD,
                           help="the rules to check: pdf/x-4 and pdf/x-1a (a print shop: boxes and "
                           "bleed, fonts, colours, version keys and output intent, total ink, "
                           "pictures, lines, the safe zone) or pdf/ua-1 (screen readers: tags, "
                           f"title, language, fonts) (default: {preflight.DEFAULT_STANDARD})")
    imports = commands.add_parser(
        "import", help="make a manuscript from a transcript (WebVTT, SRT, Whisper JSON, text)",
        description="Reads speaker-labelled transcripts (WebVTT, SRT, Whisper or WhisperX "
        "JSON, Otter-style or plain text; the format is found from the content) and writes "
        "one manuscript each, with every voice declared and each passage's time code.")
    imports.add_argument("transcripts", nargs="+", type=Path, metavar="TRANSCRIPT")
    imports.add_argument("-o", "--output", type=Path, metavar="MANUSCRIPT",
                         help="the manuscript to write (one transcript only; default: "
                         "manuscript/NAME.md for each)")
    imports.add_argument("--speaker", action="append", default=[], metavar="VOICE=NAME",
                         help='names a voice, e.g. --speaker SPEAKER_00="Ruth Calloway" '
                         "(repeatable); the label is the first name")
    imports.add_argument("--speakers", type=Path, metavar="MAP.toml",
                         help='names the voices from a TOML file of VOICE = "Full Name" lines '
                         "(--speaker beats it)")
    imports.add_argument("--drop-fillers", action="store_true",
                         help="drop the language's filler words (um, uh; えー, あのー) and say how "
                         "many of each speaker's (default: every word is kept)")
    imports.add_argument("--audio", type=Path, metavar="FILE",
                         help="the recording, in the manuscript's folder: written as audio: in "
                         "the front matter, for the read-along editions")
    imports.add_argument("--paragraph-pause", type=float, default=2.5, metavar="SECONDS",
                         help="a pause longer than this within a turn starts a paragraph "
                         "(default: 2.5)")
    imports.add_argument("--lang", metavar="TAG",
                         help="the language (default: ja for Japanese text, else en; "
                         "Whisper's own when it gives one)")
    imports.add_argument("--date", metavar="YYYY-MM-DD",
                         help="the day of the interview (required unless the transcript says)")
    imports.add_argument("--force", action="store_true", help="replace an existing manuscript")
    return parser


# A line of progress on stdout. print itself: given print, the build draws its status line
# on a terminal (taidan.pipeline.progress).
say = print


def say_now(line: str) -> None:
    """A line on stdout that a log or a pipe sees as it happens (the preview's)."""
    print(line, flush=True)


def warn(line) -> None:
    """A problem, a warning or a note on stderr."""
    print(line, file=sys.stderr, flush=True)


def _report(problems) -> int:
    for problem in problems:
        warn(problem)
    return EXIT_PROBLEMS


# Where Python swallows an exception (printing "Exception ignored") and goes on: an object's
# __del__, a weak reference's callback, logging's fork handlers
_SWALLOWING = {"__del__", "remove", "_releaseLock", "_acquireLock", "_after_at_fork_child_reinit_locks"}


def _interrupted(signum, frame) -> None:
    """Ctrl-C or SIGTERM: the command stops where it is (KeyboardInterrupt), and what it
    started is cleaned up. Landing where Python would swallow the exception, the signal is
    sent again a moment later, when the program is back in its own code."""
    if frame is not None and frame.f_code.co_name in _SWALLOWING or _in_del(frame):
        import threading  # deferred: only a signal landing in such a place needs it

        threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()
        return
    for each in (signal.SIGINT, signal.SIGTERM):  # once: the cleanup is not interrupted again
        signal.signal(each, signal.SIG_IGN)
    raise KeyboardInterrupt


def _in_del(frame) -> bool:
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM):  # taidan serve sets its own
        signal.signal(signum, _interrupted)
    command = {"new": _new, "check": _check, "build": _build, "serve": _serve, "send": _send,
               "catalog": _catalog, "preflight": _preflight, "import": _import}[args.command]
    try:
        return command(args)
    except ProblemsFound as err:
        return _report(err.problems)
    except (Refused, CannotRun) as err:
        warn(f"taidan: {err}")
        return err.exit_status
    except EditionsFailed as err:
        return _failed(err)
    except BrokenPipeError:  # the reader of our output went away (| head)
        return EXIT_OK
    except KeyboardInterrupt:
        warn("taidan: interrupted")
        return EXIT_INTERRUPTED
    finally:  # past the command, a signal ends the process as usual (no traceback at exit)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _project(inputs: list[Path]):
    """The project a command works in and its manuscripts, as build, check and catalog
    find them (serve too: taidan.serve.finder); problems with the paths named, apart."""
    from taidan.config import project  # deferred: `taidan --help` needs no project

    book = project.around(inputs)  # a manuscript of another book: that book's build/
    paths, missing = project.gather(inputs) if inputs else (book.manuscripts(), [])
    if not paths and not missing:
        raise Refused(f"no manuscripts given and none in {shown(book.root / 'manuscript')}/*.md")
    return book, paths, missing


def _check(args) -> int:
    from taidan.config.style import warnings  # deferred: `taidan --help` needs no style
    from taidan.pipeline import load  # deferred: as above, the pipeline

    book, paths, problems = _project(args.manuscripts)
    options = book.options()
    problems += options.style.notes  # the house faces' missing styles, said once
    for path in paths:
        try:
            m = load(path, options)
        except ProblemsFound as err:
            problems += err.problems
            continue
        problems += m.warnings + warnings(m, options.style)
    if any(not p.warning for p in problems):
        return _report(problems)
    _report(problems)  # warnings only: the manuscripts are valid
    return EXIT_OK


def _build(args) -> int:
    from taidan.pipeline.build import build  # deferred: `taidan --help` needs no pipeline

    book, paths, missing = _project(args.manuscripts)
    settings = book.settings(args)  # the command line beats taidan.toml
    out, options = settings["out"], book.options(settings)
    if args.verbose:
        for face in options.style.faces:
            for style, file, covered in face.font_faces():
                say(f"{face.role} font '{face.family}', {style.replace('_', ' ')}: {file}"
                    + (f" ({covered} only)" if covered else ""))
    if args.shard:  # this machine's share of a CI matrix
        from taidan.pipeline.shard import select  # deferred: only a sharded build

        k, n = args.shard
        chosen = select(paths, k, n)
        say(f"shard {k}/{n}: {len(chosen)} of {len(paths)} manuscript{'s' * (len(paths) != 1)}")
        paths = chosen
    return building(lambda: build(paths, settings["editions"], out, options, say=say, warn=warn,
                                  workers=settings["jobs"]), out, missing)


def _catalog(args) -> int:
    from taidan.publish import catalog  # deferred: `taidan --help` needs no catalog

    book, paths, missing = _project(args.manuscripts)
    if missing:  # a folder without manuscripts: nothing is built, the catalog is unchanged
        return _report(missing)
    settings = book.settings(args)  # --out beats taidan.toml
    out, options = settings["out"], book.options()  # the files `taidan build` makes, house style too
    return building(lambda: catalog.make(paths, out, options, title=book.config["publisher"]["name"],
                                         workers=settings["jobs"], say=say, warn=warn,
                                         built=args.built),
                    out)


def _serve(args) -> int:
    from taidan import serve  # deferred: watchfiles and the HTTP server, for serve alone

    serve.run(args.targets, args.host, args.port, args.open, say=say_now, warn=warn)
    return EXIT_OK


def _send(args) -> int:
    from taidan.publish import send  # deferred: smtplib and ssl, for send alone

    send.run(args.files, args.to, say=say)
    return EXIT_OK


def _preflight(args) -> int:
    from taidan.publish.preflight import check  # deferred: pikepdf and the rules, for preflight alone

    failed = False
    for path in args.files:
        found = check.problems(path, args.standard)
        for problem in found:
            warn(problem)
        errors = sum(not p.warning for p in found)
        warnings = len(found) - errors
        failed = failed or errors > 0
        say(f"{shown(path)}: {errors} error{'s' * (errors != 1)}, {warnings} "
            f"warning{'s' * (warnings != 1)} for {args.standard}")
    return EXIT_PROBLEMS if failed else EXIT_OK


def building(action, out, missing=()) -> int:
    """Runs a build (taidan build, taidan catalog) and turns what stops it into one line
    each and an exit status; ``missing``: problems found before it, reported with its own."""
    try:
        action()
        if missing:
            raise ProblemsFound(list(missing))
    except ProblemsFound as err:
        return _report(list(missing) + [p for p in err.problems if p not in missing])
    except EditionsFailed as err:
        return _failed(err)
    except KeyboardInterrupt:
        warn("taidan: interrupted; every file in the output folder is whole (old or new)")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of our output went away (| head)
        return EXIT_OK
    except OSError as err:  # the output folder: not writable, a file, a full disk
        warn(f"taidan: cannot write {err.filename or out}: {err.strerror}")
        return EXIT_FAILED
    return EXIT_OK


def _import(args) -> int:
    # deferred: the transcript readers, for import alone
    from taidan.load.transcripts import read
    from taidan.load.transcripts.manuscript import (make, outputs, recording, speaker_map,
                                                    speaker_names, verify)
    from taidan.pipeline.output import write_atomic  # deferred: as above

    if args.paragraph_pause < 0:
        raise Refused("--paragraph-pause: a number of seconds, 0 or more")
    given = speaker_names(args.speaker)
    # a map may name more voices than one transcript has (one map for a series of them)
    names = {**(speaker_map(args.speakers) if args.speakers else {}), **given}
    targets = outputs(args.transcripts, args.output)
    problems, made = [], []
    for path, target in zip(args.transcripts, targets):
        audio = recording(args.audio, target) if args.audio else ""
        try:
            made.append((make(read(path), names, args.lang, args.date, args.paragraph_pause,
                              args.drop_fillers, audio), target))
        except ProblemsFound as err:
            problems += err.problems
    if problems:  # nothing is written while any transcript has a problem
        raise ProblemsFound(problems)
    heard = {v.key.casefold() for imported, _ in made for v in imported.voices}
    for key in given:
        if key.casefold() not in heard:
            raise Refused(f"--speaker {key}=...: no transcript has the voice '{key}' (its voices: "
                          + ", ".join(dict.fromkeys(v.key for i, _ in made for v in i.voices if v.key))
                          + ")")
    for imported, target in made:
        if target.exists() and not args.force:
            raise Refused(f"{shown(target)} exists; give --force to replace it")
        broken = verify(imported, target)
        if broken and imported.audio:  # most likely times past the recording's end
            raise ProblemsFound(broken)
        if broken:
            raise CannotRun(f"the manuscript made from {shown(imported.transcript.path)} does not "
                            f"pass check (a bug in taidan import): {broken[0]}")
    for imported, target in made:
        write_atomic(target, imported.text.encode("utf-8"))
        voices = imported.voices
        say(f"wrote {shown(target)} from {shown(imported.transcript.path)} "
            f"({imported.transcript.kind}): {imported.turns} turns, {len(voices)} "
            f"voice{'s' * (len(voices) != 1)}")
        if imported.date:
            say(f"  the date {imported.date} is the transcript's own: --date sets another")
        if args.drop_fillers:
            dropped = sum(v.fillers for v in voices)
            say(f"  dropped {dropped} filler word{'s' * (dropped != 1)} (--drop-fillers)"
                + (": " + ", ".join(f"{v.label if v.named else v.id} {v.fillers}" for v in voices)
                   if dropped else ""))
        if imported.audio:
            say(f"  the recording: audio: {imported.audio}")
        for voice in imported.unnamed:
            say(f"  {voice.key} has no name yet: --speaker {voice.key}=\"Full Name\", or write "
                "it in the front matter" if voice.key else "  the transcript names no voice: "
                "write the speaker's name in the front matter")
    say("next: write the title, the speakers' names and roles where it says TODO, then taidan check")
    return EXIT_OK


def _new(args) -> int:
    import shlex  # deferred: only `taidan new` quotes a path

    from taidan.config import new  # deferred: the skeleton, for new alone

    try:
        written = new.create(args.folder, args.lang)
    except new.Refused as err:
        warn(f"taidan: {err}")
        return EXIT_PROBLEMS
    except OSError as err:
        warn(f"taidan: cannot write {err.filename or args.folder}: {err.strerror}")
        return EXIT_FAILED
    for path in written:
        say(f"wrote {path}")
    say(f"next: cd {shlex.quote(str(args.folder))} && taidan build")
    return EXIT_OK


def _failed(err) -> int:
    """An edition broke on a valid manuscript: say which, briefly; the traceback on request."""
    import traceback  # deferred: only a failure may print one

    for name, path, exc in err.failures:
        warn(f"taidan: the {name} edition of {path} failed: {exc}")
        if os.environ.get("TAIDAN_DEBUG"):
            traceback.print_exception(exc)
    count = len(err.written)
    done = f"wrote {count} file{'s' * (count != 1)} of the other editions" if count else "wrote nothing"
    warn(f"taidan: {done}; the failed editions' earlier files are unchanged "
         "(TAIDAN_DEBUG=1 shows the traceback)")
    return EXIT_FAILED
