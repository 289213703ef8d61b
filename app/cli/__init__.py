"""`kontor …`: the command line, calling the same service functions as the GUI."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from app.cli.common import CliError, Handler, emit, iso_date, new_secret, open_ledger, prompt_passphrase
from app.services.errors import EXIT_ERROR, KontorError
from app.services.i18n import _, ngettext
from app.services.ledger import audit, audit_anchor
from app.services.ledger.database import Ledger, restore_backup
from app.services.ledger.secrets import KeyringUnavailableError, ledger_passphrase, remember_passphrase
from app.services.ledger.users import current_actor
from app.services.logs import setup_logging
from app.services.paths import data_dir, default_ledger

if TYPE_CHECKING:
    from app.services.statements.bank_csv import CsvMapping

log = logging.getLogger(__name__)

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `yes | head`


def _new_passphrase() -> str:
    return new_secret(
        variable="KONTOR_NEW_PASSPHRASE",
        prompt=_("New passphrase: "),
        repeat=_("Repeat the new passphrase: "),
        missing=_("No new passphrase: set KONTOR_NEW_PASSPHRASE or run in a terminal."),
        differ=_("The two passphrases differ."),
    )


# -- commands ------------------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    passphrase = os.environ.get("KONTOR_PASSPHRASE") or _new_passphrase()
    Ledger.create(args.ledger, passphrase, company_name=args.company).close()
    if args.remember:
        _remember(args.ledger, passphrase)
    emit(args, {"ledger": str(args.ledger)}, _("Created ledger {path}").format(path=args.ledger))
    return 0


def _remember(path: Path, passphrase: str) -> None:
    try:
        remember_passphrase(path, passphrase)
    except KeyringUnavailableError as error:
        print(str(error), file=sys.stderr)


def cmd_passwd(args: argparse.Namespace) -> int:
    with open_ledger(args) as ledger:
        new = _new_passphrase()
        ledger.change_passphrase(new)
    if args.remember:
        _remember(args.ledger, new)
    emit(args, {"ledger": str(args.ledger)}, _("Passphrase changed."))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    passphrase = ledger_passphrase(args.ledger, prompt_passphrase)
    with Ledger.open(args.ledger, passphrase) as ledger:
        target = ledger.backup(args.file, passphrase=passphrase)
    head = audit_anchor.load(target) or audit.Head()
    text = _("Backup written to {path}").format(path=target) + "\n" + _head_line(head)
    emit(args, {"backup": str(target), "head": asdict(head)}, text)
    return 0


def _head_line(head: audit.Head) -> str:
    return _("Audit head: event {n}, hash {hash}").format(n=head.events, hash=head.hash)


def cmd_restore(args: argparse.Namespace) -> int:
    passphrase = ledger_passphrase(args.file, prompt_passphrase)
    kept = restore_backup(args.file, args.ledger, passphrase=passphrase)
    text = _("Restored {backup} to {ledger}").format(backup=args.file, ledger=args.ledger)
    if kept:
        text += "\n" + _("The replaced ledger was kept as {path}").format(path=kept)
    head = audit_anchor.load(args.ledger) or audit.Head()
    text += "\n" + _head_line(head)
    data = {"ledger": str(args.ledger), "replaced_kept_as": str(kept) if kept else None, "head": asdict(head)}
    emit(args, data, text)
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """The chain, every audited row, and the head against the one this computer saw last (kept outside the ledger)."""
    with open_ledger(args) as ledger:
        if args.forget_head:
            audit_anchor.forget(ledger.path)
        anchor = audit_anchor.load(ledger.path)
        with ledger.session() as session:
            report = audit.verify(session, anchor=anchor)
        if report.ok:
            try:
                audit_anchor.save(ledger.path, report.head)
            except OSError as error:  # the check itself stands; only the protection against a later cut is missing
                message = _("kontor: cannot remember the audit head: {error}").format(error=error.strerror)
                print(message, file=sys.stderr)
    data = asdict(report) | {"ok": report.ok, "seen_before": asdict(anchor) if anchor else None}
    if not report.ok:
        text = _("Audit log broken: {problem}").format(problem=report.problem) + "\n" + _head_line(report.head)
        emit(args, data, text)
        return EXIT_ERROR
    text = ngettext("Audit log intact: {n} event.", "Audit log intact: {n} events.", report.events).format(
        n=report.events
    ) + "\n" + _head_line(report.head)
    if anchor is None:
        text += "\n" + _("First check of this ledger on this computer: its head is remembered from now on.")
    elif report.events > anchor.events:
        new = report.events - anchor.events
        text += "\n" + ngettext(
            "{n} event is new since this computer last saw the log (at event {seen}).",
            "{n} events are new since this computer last saw the log (at event {seen}).",
            new,
        ).format(n=new, seen=anchor.events)
    emit(args, data, text)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from app.services.demo.data import add_demo_users, create_demo_ledger

    passphrase = os.environ.get("KONTOR_PASSPHRASE") or _new_passphrase()
    with Ledger.create(args.ledger, passphrase, company_name="Demo") as ledger:
        summary = create_demo_ledger(ledger, actor=current_actor())
        add_demo_users(ledger)
    text = _("Demo ledger {path}: {transactions} transactions, {invoices} invoices, {customers} customers").format(
        path=args.ledger, **asdict(summary)
    )
    emit(args, {"ledger": str(args.ledger), **asdict(summary)}, text)
    return 0


def _csv_mapping(ledger: Ledger, args: argparse.Namespace) -> tuple[str | None, CsvMapping | None]:
    """A saved mapping named by --profile, refined or given by --map, and saved with --save-profile."""
    from app.services.statements.csv_mappings import (
        MappingSpecError,
        mapping_for,
        parse_spec,
        save_mapping,
        saved_mapping,
    )

    with ledger.session() as session:
        mapping = saved_mapping(session, args.profile) if args.profile else None
    profile = None if mapping else args.profile
    try:
        if args.map:
            mapping = parse_spec(args.map, mapping) if mapping else mapping_for(args.files[0], args.map)
        if args.save_profile:
            if mapping is None:
                raise CliError(_("--save-profile needs --map"))
            with ledger.writer() as session:
                save_mapping(session, args.save_profile, mapping, actor=current_actor())
    except MappingSpecError as error:
        raise CliError(_("--map: {error}").format(error=error)) from error
    return profile, mapping


def cmd_import_statement(args: argparse.Namespace) -> int:
    from app.services.payments.runs import after_statement_import
    from app.services.statements.importing import import_statement_files

    with open_ledger(args) as ledger:
        profile, mapping = _csv_mapping(ledger, args)
        results = import_statement_files(
            ledger,
            args.files,
            actor=current_actor(),
            account_iban=args.account,
            profile=profile,
            mapping=mapping,
            after_import=after_statement_import(current_actor()),
        )
    if args.json:
        print(json.dumps([asdict(result) for result in results], ensure_ascii=False))
    for result in results if not args.json else []:
        if result.error:
            print(f"kontor: {result.error}", file=sys.stderr)
            if result.mapping_guess:
                print("  " + _("best guess: --map '{spec}'").format(spec=result.mapping_guess), file=sys.stderr)
            continue
        print(
            _("{source}: {new} new, {duplicates} duplicates skipped, {warnings} warnings").format(
                source=result.source,
                new=result.new,
                duplicates=result.duplicates,
                warnings=len(result.warnings),
            )
        )
        for note in result.notes:
            print("  " + note)
        for warning in result.warnings:
            print("  " + _("warning: {text}").format(text=warning))
    return EXIT_ERROR if any(result.error for result in results) else 0


def cmd_export_transactions(args: argparse.Namespace) -> int:
    from app.services.statements.importing import export_transactions

    with open_ledger(args) as ledger:
        count = export_transactions(
            ledger, args.out, account_iban=args.account, date_from=args.date_from, date_to=args.date_to
        )
    emit(
        args,
        {"out": str(args.out), "rows": count},
        _("{n} transactions written to {path}").format(n=count, path=args.out),
    )
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    from app.views.application import run_gui

    return run_gui(ledger=args.ledger if args.ledger_given else None)


def cmd_demo_run(args: argparse.Namespace) -> int:
    """What `make demo` runs: the demo ledger (made on first use) and the demo bank, opened in the GUI."""
    from app.services.demo.setup import prepare_demo_bank

    os.environ.setdefault("KONTOR_PASSPHRASE", "demo")
    if not Path(args.ledger).exists():
        cmd_demo(args)
    with open_ledger(args) as ledger:
        server = prepare_demo_bank(ledger, actor=current_actor())
    from app.views.application import run_gui

    try:
        return run_gui(ledger=args.ledger, demo=server)
    finally:
        server.stop()


# -- parser --------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kontor", description=_("Kontor: banking and reconciliation."))
    parser.add_argument("--version", action="version", version=f"kontor {__version__}")
    parser.add_argument("--ledger", type=Path, help=_("ledger file (default: {path})").format(path=default_ledger()))
    parser.add_argument("--json", action="store_true", help=_("machine-readable output"))
    parser.add_argument("--debug", action="store_true", help=_("show tracebacks and log at debug level"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.set_defaults(handler=handler)
        return sub

    init = add("init", cmd_init, _("create a new encrypted ledger"))
    init.add_argument("--company", default=_("My company"), help=_("company name"))
    init.add_argument("--remember", action="store_true", help=_("remember the passphrase in the OS keyring"))
    passwd = add("passwd", cmd_passwd, _("change the ledger passphrase"))
    passwd.add_argument("--remember", action="store_true", help=_("remember the passphrase in the OS keyring"))
    add("backup", cmd_backup, _("write an encrypted backup copy")).add_argument("file", type=Path)
    add("restore", cmd_restore, _("replace the ledger with a backup")).add_argument("file", type=Path)
    audit_parser = add("audit", cmd_audit_verify, _("check the audit log"))
    audit_parser.add_argument("action", choices=["verify"])
    audit_parser.add_argument(
        "--forget-head",
        action="store_true",
        help=_("forget the audit head this computer saw last, e.g. after putting back an older copy by hand"),
    )
    add("demo", cmd_demo, _("create a demo ledger with sample data"))
    add("demo-run", cmd_demo_run, _("open the demo ledger in the GUI, creating it first if needed"))
    add("gui", cmd_gui, _("open the graphical application (the default)"))

    from app.cli.bank import register as register_bank

    register_bank(commands, add)
    from app.cli.payments import register as register_payments

    register_payments(commands, add)

    importing = commands.add_parser("import", help=_("import statements or invoices"))
    what = importing.add_subparsers(dest="what", metavar="WHAT", required=True)
    statement = what.add_parser("statement", help=_("import CAMT, MT940/MT942 or bank CSV files (also ZIP)"))
    statement.set_defaults(handler=cmd_import_statement)
    statement.add_argument("files", type=Path, nargs="+", metavar="FILE")
    statement.add_argument("--account", metavar="IBAN", help=_("account for files that name none"))
    statement.add_argument(
        "--profile", metavar="NAME", help=_("bank CSV profile (built-in or saved) instead of detection")
    )
    statement.add_argument(
        "--map", metavar="SPEC", help=_("CSV columns, e.g. 'date=Buchungstag,amount=Betrag,name=Empfänger'")
    )
    statement.add_argument("--save-profile", metavar="NAME", help=_("save the --map mapping under a name"))

    exporting = commands.add_parser("export", help=_("export data as CSV"))
    export_what = exporting.add_subparsers(dest="what", metavar="WHAT", required=True)
    transactions = export_what.add_parser("transactions", help=_("export transactions"))
    transactions.set_defaults(handler=cmd_export_transactions)
    transactions.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    transactions.add_argument("--account", metavar="IBAN")
    transactions.add_argument("--from", dest="date_from", type=iso_date, metavar="DATE")
    transactions.add_argument("--to", dest="date_to", type=iso_date, metavar="DATE")
    from app.cli.invoices import register as register_invoices

    register_invoices(add, what, export_what)
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
