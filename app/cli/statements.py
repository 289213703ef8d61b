"""`kontor import statement` and `kontor export transactions`: bank statements on the command line."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.common import (
    CliError,
    Commands,
    emit,
    group,
    iso_date,
    open_ledger,
)
from app.services.errors import EXIT_ERROR
from app.services.i18n import _
from app.services.ledger.actor import current_actor
from app.services.os_errors import file_error

if TYPE_CHECKING:
    from app.services.ledger.database import Ledger
    from app.services.statements.bank_csv import CsvMapping


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


def _match_after_import(ledger: Ledger, transaction_ids: list[int]) -> None:
    """Automatic matching on an import's bookings; its modules (0.1 s) load only when the importer finds work."""
    from app.services.payments.runs import after_statement_import

    after_statement_import(current_actor())(ledger, transaction_ids)


def cmd_import_statement(args: argparse.Namespace) -> int:
    """The first file is read in a worker from the start, while this process loads the ledger's code and derives
    its key (together as long as reading 10,000 bookings)."""
    from app.services.statements.worker import start_reader

    first = start_reader(args.files[0]) if args.files else None
    try:
        with open_ledger(args) as ledger:
            from app.services.statements.importing import import_statement_files

            profile, mapping = _csv_mapping(ledger, args)
            results = import_statement_files(
                ledger,
                args.files,
                actor=current_actor(),
                account_iban=args.account,
                profile=profile,
                mapping=mapping,
                after_import=_match_after_import,
                started=[first] if first is not None else [],
            )
            from app.services.reconciliation.overview import Outcome, outcome_of_imports

            if any(result.matched for result in results):
                outcome = outcome_of_imports(ledger, [result.import_id for result in results if result.import_id])
            else:  # nothing matched: every new booked booking is open
                outcome = Outcome(new=sum(r.new for r in results), attention=sum(r.booked for r in results))
    finally:
        if first is not None:
            first.close()  # a wrong passphrase: the worker ends with the command
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
    if outcome.new and not args.json:
        print(_("Bookings: {outcome}").format(outcome=outcome.text()))
    return EXIT_ERROR if any(result.error for result in results) else 0


def cmd_export_transactions(args: argparse.Namespace) -> int:
    from app.services.statements.importing import export_transactions

    with open_ledger(args) as ledger:
        try:
            count = export_transactions(
                ledger, args.out, account_iban=args.account, date_from=args.date_from, date_to=args.date_to
            )
        except OSError as error:  # named as the user wrote it, not as the temporary file beside it
            raise CliError(file_error(error, args.out)) from error
    emit(
        args,
        {"out": str(args.out), "rows": count},
        _("{n} transactions written to {path}").format(n=count, path=args.out),
    )
    return 0


def register(commands: Commands) -> None:
    """Add the statement commands to `kontor`'s parser (`import` and `export` are shared with the invoices)."""
    what = group(commands, "import", _("import statements or invoices"))
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

    export_what = group(commands, "export", _("export data as CSV"))
    transactions = export_what.add_parser("transactions", help=_("export transactions"))
    transactions.set_defaults(handler=cmd_export_transactions)
    transactions.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    transactions.add_argument("--account", metavar="IBAN")
    transactions.add_argument("--from", dest="date_from", type=iso_date, metavar="DATE")
    transactions.add_argument("--to", dest="date_to", type=iso_date, metavar="DATE")
