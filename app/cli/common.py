"""What every `kontor …` command module shares: the ledger, output, dates, secrets typed in the terminal."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from app.services.errors import EXIT_ERROR, KontorError
from app.services.gc_pause import started
from app.services.i18n import _

if TYPE_CHECKING:
    from app.services.ledger.database import Ledger

Handler = Callable[[argparse.Namespace], int]
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"  # what each `register` adds to


class CliError(KontorError):
    """An error of the command line itself (a missing option, no terminal for a prompt)."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message, exit_code=code)


def prompt_passphrase() -> str:
    """The ledger passphrase typed in the terminal; never read from a pipe."""
    if not sys.stdin.isatty():
        raise CliError(_("No passphrase: set KONTOR_PASSPHRASE or run in a terminal."))
    return getpass.getpass(_("Passphrase: "))


def new_secret(*, variable: str, prompt: str, repeat: str, missing: str, differ: str) -> str:
    """A new passphrase or password: from `variable` for automation, else typed twice in the terminal."""
    from_env = os.environ.get(variable)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise CliError(missing)
    first = getpass.getpass(prompt)
    if first != getpass.getpass(repeat):
        raise CliError(differ)
    return first


def add_command(commands: Commands, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    """A command `kontor NAME` run by `handler`."""
    parser = commands.add_parser(name, help=help_text)
    parser.set_defaults(handler=handler)
    return parser


def group(commands: Commands, name: str, help_text: str) -> Commands:
    """The sub-commands of `kontor NAME` (made on first use), for groups that several modules add to."""
    parser = commands.choices.get(name)
    if parser is None:
        parser = commands.add_parser(name, help=help_text)
        parser.set_defaults(kontor_group=parser.add_subparsers(dest="what", metavar="WHAT", required=True))
    return parser.get_default("kontor_group")


def new_passphrase() -> str:
    """A new ledger passphrase: KONTOR_NEW_PASSPHRASE, else typed twice."""
    return new_secret(
        variable="KONTOR_NEW_PASSPHRASE",
        prompt=_("New passphrase: "),
        repeat=_("Repeat the new passphrase: "),
        missing=_("No new passphrase: set KONTOR_NEW_PASSPHRASE or run in a terminal."),
        differ=_("The two passphrases differ."),
    )


SERVER_SCHEMES = ("postgresql", "postgres")


def ledger_location(value: str) -> Path | str:
    """argparse type of --ledger: a file, or a server URL kept as text (a Path would fold its `//`)."""
    return value if value.partition("://")[0].lower() in SERVER_SCHEMES and "://" in value else Path(value)


def prompt_server_password(url: str) -> str:
    """A server ledger's password typed in the terminal; never read from a pipe, never echoed."""
    if not sys.stdin.isatty():
        raise CliError(
            _("No password for {url}: put it in ~/.pgpass (or the file PGPASSFILE names) or run in a terminal.").format(
                url=url
            )
        )
    return getpass.getpass(_("Password for {url}: ").format(url=url))


@contextmanager
def open_ledger(args: argparse.Namespace) -> Iterator[Ledger]:
    """The ledger of --ledger, unlocked from the environment, the keyring or a prompt; closed however the block ends.

    The database stack and the keyring are imported here, not with the command modules: `kontor gui` and
    `kontor --help` start without them. The key is derived on a thread while SQLAlchemy loads.
    """
    if isinstance(args.ledger, str):
        from app.services.ledger.server import open_server

        with open_server(
            args.ledger, ask=prompt_server_password, remember=getattr(args, "remember_password", False)
        ) as server:
            started()
            yield server
        return
    from app.services.ledger.keys import prepare_key
    from app.services.ledger.secrets import ledger_passphrase

    passphrase = ledger_passphrase(args.ledger, prompt_passphrase)
    prepare_key(args.ledger, passphrase)
    from app.services.ledger.database import Ledger

    with Ledger.open(args.ledger, passphrase) as ledger:
        started()
        yield ledger


def json_flag(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`--json` also after the command; SUPPRESS keeps a global `--json` from being reset."""
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=_("machine-readable output"))
    return parser


def given(**options: Any) -> dict[str, Any]:
    """The options the user set (argparse leaves the others None), for a service's keyword changes."""
    return {name: value for name, value in options.items() if value is not None}


def emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    """One result: JSON with --json, else the text."""
    print(json.dumps(data, ensure_ascii=False, default=str) if args.json else text)


def iso_date(value: str) -> date:
    """argparse type for YYYY-MM-DD options."""
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(_("not a date (YYYY-MM-DD): {value}").format(value=value)) from error
