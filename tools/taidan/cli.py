"""The command line: ``taidan check``, ``build``, ``send`` and ``catalog``.

Problems print as FILE:LINE: message."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_PROBLEMS = 2  # the manuscript or a template is at fault: FILE:LINE: message
EXIT_FAILED = 1  # an edition broke on valid input: a bug or a missing tool


class _Version(argparse.Action):
    """--version: the installed package's version, read only when asked (startup stays fast)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print taidan's version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("taidan")
        except PackageNotFoundError:  # run from a checkout that was never installed
            from taidan import __version__ as number
        print(f"taidan {number}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    from taidan.config import schema

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
    schema.add_options(build, "build")  # --edition, --paper, --press, --out, --embed-fonts, --jobs
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
                                  "browsers and reading apps (OPDS) into build/catalog/")
    catalog.add_argument("manuscripts", nargs="*", type=Path, metavar="MANUSCRIPT|DIR",
                         help="manuscripts, or folders of them (default: the project's)")
    schema.add_options(catalog, "catalog")  # --out
    return parser


def _report(problems) -> int:
    for problem in problems:
        print(problem, file=sys.stderr)
    return EXIT_PROBLEMS


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "send":
        from taidan.publish import send

        return send.main(args.files, args.to)
    if args.command == "catalog":
        from taidan.publish import catalog

        return catalog.main(args.manuscripts, args.out)
    if args.command == "serve":
        from taidan.serve import run

        return run(args.targets, args.host, args.port, args.open)
    from taidan.errors import ProblemsFound

    if args.command == "new":
        return _new(args.folder, args.lang)
    from taidan.config import project

    try:
        book = project.around(args.manuscripts)
    except ProblemsFound as err:  # taidan.toml at fault
        return _report(err.problems)
    paths, missing = project.gather(args.manuscripts) if args.manuscripts else (book.manuscripts(), [])
    if not paths and not missing:
        print(f"taidan: no manuscripts given and none in {project.shown(book.root / 'manuscript')}/*.md",
              file=sys.stderr)
        return EXIT_PROBLEMS

    if args.command == "check":
        from taidan.load import load
        from taidan.config.style import warnings

        options = book.options()
        problems = list(missing) + list(options.style.notes)
        for path in paths:
            try:
                m = load(path, options.publisher)
            except ProblemsFound as err:
                problems += err.problems
                continue
            problems += m.warnings + warnings(m, options.style)
        if any(not p.warning for p in problems):
            return _report(problems)
        _report(problems)  # warnings only: the manuscripts are valid
        return 0

    from taidan.pipeline.build import build

    settings = book.settings(args)  # the command line beats taidan.toml
    out, options = settings["out"], book.options(settings)
    if args.verbose:
        for face in options.style.faces:
            for style, file in face.styles():
                print(f"{face.role} font '{face.family}', {style.replace('_', ' ')}: {file}")
    return building(lambda: build(paths, settings["editions"], out, options,
                                  workers=settings["jobs"]), out, missing)


def building(action, out, missing=()) -> int:
    """Runs a build (taidan build, taidan catalog) and turns what stops it into one line
    each and an exit status; ``missing``: problems found before it, reported with its own."""
    from taidan.pipeline.build import EditionsFailed
    from taidan.errors import ProblemsFound

    try:
        action()
        if missing:
            raise ProblemsFound(list(missing))
    except ProblemsFound as err:
        return _report(list(missing) + [p for p in err.problems if p not in missing])
    except EditionsFailed as err:
        return _failed(err)
    except KeyboardInterrupt:
        print("taidan: interrupted; every file in the output folder is whole (old or new)",
              file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (| head)
        return 0
    except OSError as err:  # the output folder: not writable, a file, a full disk
        print(f"taidan: cannot write {err.filename or out}: {err.strerror}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _new(folder: Path, lang: str) -> int:
    import shlex

    from taidan.config import new

    try:
        written = new.create(folder, lang)
    except new.Refused as err:
        print(f"taidan: {err}", file=sys.stderr)
        return EXIT_PROBLEMS
    except OSError as err:
        print(f"taidan: cannot write {err.filename or folder}: {err.strerror}", file=sys.stderr)
        return EXIT_FAILED
    for path in written:
        print(f"wrote {path}")
    print(f"next: cd {shlex.quote(str(folder))} && taidan build")
    return 0


def _failed(err) -> int:
    """An edition broke on a valid manuscript: say which, briefly; the traceback on request."""
    import os
    import traceback

    for name, path, exc in err.failures:
        print(f"taidan: the {name} edition of {path} failed: {exc}", file=sys.stderr)
        if os.environ.get("TAIDAN_DEBUG"):
            traceback.print_exception(exc)
    count = len(err.written)
    done = f"wrote {count} file{'s' * (count != 1)} of the other editions" if count else "wrote nothing"
    print(f"taidan: {done}; the failed editions' earlier files are unchanged "
          "(TAIDAN_DEBUG=1 shows the traceback)", file=sys.stderr)
    return EXIT_FAILED
