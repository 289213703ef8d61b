"""`kontor …`: the command line, calling the same service functions as the GUI."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from app.cli import bank, datev, demo, dunning, forecast, invoices, ledger, payments, statements
from app.cli.common import Handler, add_command
from app.cli.version import VersionAction
from app.services.errors import EXIT_ERROR, KontorError
from app.services.i18n import _
from app.services.ledger.database import LEDGER_SUFFIX
from app.services.logs import setup_logging
from app.services.paths import data_dir, default_ledger

log = logging.getLogger(__name__)

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `yes | head`


# -- commands ------------------------------------------------------------------------------------------
def cmd_gui(args: argparse.Namespace) -> int:
    """The GUI; files given (a double click in the file manager) are a ledger to open or statements to import."""
    from app.views.application import run_gui

    files: list[Path] = getattr(args, "files", [])
    ledgers = [path for path in files if path.suffix.lower() == LEDGER_SUFFIX]
    ledger = ledgers[0] if ledgers else (args.ledger if args.ledger_given else None)
    statements = [path.resolve() for path in files if path.suffix.lower() != LEDGER_SUFFIX]
    return run_gui(ledger=ledger, screenshot=getattr(args, "screenshot", None), import_files=statements)


def cmd_desktop_entry(args: argparse.Namespace) -> int:
    """`--install-desktop-entry` / `--remove-desktop-entry`: the menu entry and file types, for this user."""
    from app.services import desktop_entry

    if args.remove_desktop_entry:
        removed = desktop_entry.remove_desktop_entry()
        print(_("Removed Kontor's menu entry and file types ({count} files).").format(count=len(removed)))
        return 0
    written = desktop_entry.install_desktop_entry()
    print(
        _("Kontor is in the application menu and opens ledgers and statements ({count} files in {folder}).").format(
            count=len(written), folder=desktop_entry.data_home()
        )
    )
    return 0


# -- parser --------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kontor", description=_("Kontor: banking and reconciliation."))
    parser.add_argument("--version", action=VersionAction, help=_("show the versions of Kontor and its parts"))
    parser.add_argument("--ledger", type=Path, help=_("ledger file (default: {path})").format(path=default_ledger()))
    parser.add_argument("--json", action="store_true", help=_("machine-readable output"))
    parser.add_argument("--debug", action="store_true", help=_("show tracebacks and log at debug level"))
    entry = parser.add_mutually_exclusive_group()
    entry.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help=_("add Kontor to this user's application menu and make it open ledgers and statements"),
    )
    entry.add_argument("--remove-desktop-entry", action="store_true", help=_("take the menu entry away again"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ledger.register(commands)
    demo.register(commands)
    gui = add_command(commands, "gui", cmd_gui, _("open the graphical application (the default)"))
    gui.add_argument(
        "files", type=Path, nargs="*", metavar="FILE", help=_("a ledger to open, or statement files to import")
    )
    gui.add_argument(
        "--screenshot", type=Path, metavar="FILE.png", help=_("save a picture of the first window and quit")
    )
    for module in (bank, payments, statements, invoices, datev, dunning, forecast):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.ledger_given = args.ledger is not None
    if args.ledger is None:
        args.ledger = default_ledger() if args.command != "demo-run" else data_dir() / "demo.kontor"
    try:
        setup_logging(debug=args.debug)
    except OSError as error:
        print(_("Cannot write the log: {error}").format(error=error), file=sys.stderr)
    handler: Handler = getattr(args, "handler", cmd_gui)
    if args.install_desktop_entry or args.remove_desktop_entry:
        handler = cmd_desktop_entry
    try:
        code = handler(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except KontorError as error:
        log.warning("%s", error)
        print(f"kontor: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        log.exception("command %s failed", args.command)
        if args.debug:
            raise
        print(
            _("kontor: unexpected error: {error} (details in the log)").format(error=type(error).__name__),
            file=sys.stderr,
        )
        return EXIT_ERROR


def _quiet_stdout() -> None:
    """The reader went away (`kontor … | head`): stop like other Unix tools, without a traceback at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
