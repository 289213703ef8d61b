"""`kontor …`: the command line, calling the same service functions as the GUI."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from app.cli.common import Handler, add_command, ledger_location
from app.cli.version import VersionAction
from app.launch import GLOBAL_VALUES
from app.services.errors import EXIT_ERROR, KontorError
from app.services.gc_pause import collect_rarely_while_starting, one_command, started
from app.services.i18n import _
from app.services.logs import setup_logging
from app.services.os_errors import file_error
from app.services.paths import LEDGER_SUFFIX, data_dir, default_ledger

log = logging.getLogger(__name__)

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `yes | head`


# -- commands ------------------------------------------------------------------------------------------
def cmd_gui(args: argparse.Namespace) -> int:
    """The GUI; files given (a double click in the file manager) are a ledger to open or statements to import."""
    from app.views.application import run_gui

    started()  # the window keeps Python's usual collection from here

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
# The command modules (app.cli.<name>), in the order of `kontor --help`.
COMMAND_MODULES = ("ledger", "demo", "bank", "payments", "statements", "invoices", "datev", "dunning", "forecast")
# Which modules add to each top-level command: a command line imports only the modules of its command, so that
# `kontor gui` paints before the service stack is loaded and `kontor import` loads no payment or bank code.
# tests/services/test_cli_start.py checks this table against the full parser.
COMMANDS = {
    "init": ("ledger",),
    "passwd": ("ledger",),
    "backup": ("ledger",),
    "restore": ("ledger",),
    "audit": ("ledger",),
    "migrate-to-server": ("ledger",),
    "demo": ("demo",),
    "demo-run": ("demo",),
    "gui": (),
    "bank": ("bank",),
    "sync": ("bank",),
    "demo-bank": ("bank",),
    "pay": ("payments",),
    "mandate": ("payments",),
    "run": ("payments",),
    "user": ("payments",),
    "import": ("statements", "invoices"),
    "export": ("statements", "invoices", "datev"),
    "match": ("invoices",),
    "dunning": ("dunning",),
    "forecast": ("forecast",),
}


def command_word(argv: Sequence[str]) -> str | None:
    """The command a command line names ("" for none, the GUI), or None when only the full parser can tell
    (help, an unknown word): then every command module is loaded."""
    words = iter(argv)
    for word in words:
        if word in ("-h", "--help"):
            return None
        if word in GLOBAL_VALUES:
            next(words, None)
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return ""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for `command` (see command_word), or for every command when it is None."""
    parser = argparse.ArgumentParser(prog="kontor", description=_("Kontor: banking and reconciliation."))
    parser.add_argument("--version", action=VersionAction, help=_("show the versions of Kontor and its parts"))
    parser.add_argument(
        "--ledger",
        type=ledger_location,
        help=_("ledger file, or a PostgreSQL server as postgresql://user@host/database (default: {path})").format(
            path=default_ledger()
        ),
    )
    parser.add_argument(
        "--remember-password",
        action="store_true",
        help=_("keep the server ledger's password in the OS keyring once it works"),
    )
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

    names = COMMANDS.get(command, ()) if command is not None else COMMAND_MODULES
    modules = {name: importlib.import_module(f"app.cli.{name}") for name in COMMAND_MODULES if name in names}
    for name in ("ledger", "demo"):
        if name in modules:
            modules[name].register(commands)
    gui = add_command(commands, "gui", cmd_gui, _("open the graphical application (the default)"))
    gui.add_argument(
        "files", type=Path, nargs="*", metavar="FILE", help=_("a ledger to open, or statement files to import")
    )
    gui.add_argument(
        "--screenshot", type=Path, metavar="FILE.png", help=_("save a picture of the first window and quit")
    )
    for name, module in modules.items():
        if name not in ("ledger", "demo"):
            module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(command_word(argv))
    args = parser.parse_args(argv)
    args.ledger_given = args.ledger is not None
    if args.ledger is None:
        args.ledger = default_ledger() if args.command != "demo-run" else data_dir() / "demo.kontor"
    try:
        setup_logging(debug=args.debug)
    except OSError as error:
        print(_("Cannot write the log: {error}").format(error=file_error(error)), file=sys.stderr)
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
    except OSError as error:  # a file or folder the command could not use: the system's reason, in our words
        log.warning("command %s failed", args.command, exc_info=True)
        print(f"kontor: {file_error(error)}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:
        log.exception("command %s failed", args.command)
        if args.debug:
            raise
        print(
            _("kontor: unexpected error: {error} (details in the log)").format(error=type(error).__name__),
            file=sys.stderr,
        )
        return EXIT_ERROR


def run() -> NoReturn:
    """The `kontor` program: `main`, then, when no Qt was loaded, an exit without the interpreter's teardown.

    Freeing SQLAlchemy's and the models' objects one by one at exit takes 0.1-0.15 s, a fifth of a small
    statement import. By then a command has closed its ledger (and checkpointed it) and its reader; what is left
    is buffered output and the log, flushed here. A process that loaded Qt (the GUI) ends normally: Qt writes
    its settings from destructors. An exception `main` lets through ends normally too, with its traceback.
    """
    collect_rarely_while_starting()
    one_command()
    code = main()
    if "PySide6.QtCore" in sys.modules:
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def _quiet_stdout() -> None:
    """The reader went away (`kontor … | head`): stop like other Unix tools, without a traceback at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
