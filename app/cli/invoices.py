"""`kontor import invoices`, `kontor match`, `kontor export allocations|open-items|original`: the CLI side
of invoices and reconciliation."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.common import CliError, Commands, add_command, emit, group, json_flag, open_ledger
from app.services.i18n import _, ngettext
from app.services.ledger.actor import current_actor
from app.services.os_errors import file_error

if TYPE_CHECKING:
    from app.services.reconciliation.automatic import MatchSummary
    from app.services.reconciliation.import_and_match import MatchedInvoiceImport

# The services are imported by the commands that use them, so that `kontor` starts without lxml, schwifty and the
# matching engine.

# `kontor match` lists this many of a run's allocations, then how many more: a first run over years of bookings
# makes tens of thousands, which nobody reads in a terminal (`--json` and `kontor export allocations` give all).
SHOWN_ALLOCATIONS = 20


def cmd_import_invoices(args: argparse.Namespace) -> int:
    from app.services.invoices.importing import PAYABLE, RECEIVABLE, parse_mapping_spec, save_mapping, saved_mapping
    from app.services.reconciliation.import_and_match import import_invoices_and_match

    if len(args.file) > 1:
        return _import_einvoices(args)
    with open_ledger(args) as ledger:
        mapping: dict[str, str] = saved_mapping(ledger, args.mapping) if args.mapping else {}
        if args.map:
            mapping |= parse_mapping_spec(args.map)
        outcome = import_invoices_and_match(
            ledger,
            args.file[0],
            kind=PAYABLE if args.payables else RECEIVABLE,
            mapping=mapping,
            skip_bad_rows=args.skip_bad_rows,
            actor=current_actor(),
        )
        result = outcome.imported
        if args.save_map:
            options = {name: value for name, value in mapping.items() if name in ("dates", "decimal")}
            save_mapping(ledger, args.save_map, result.mapping | options, actor=current_actor())
    return _report_import(args, outcome)


def _import_einvoices(args: argparse.Namespace) -> int:
    """Several files: e-invoices only (a CSV export needs its columns, one file at a time)."""
    from app.services.invoices.einvoice_import import is_einvoice_file
    from app.services.reconciliation.import_and_match import import_einvoices_and_match

    csv = [path.name for path in args.file if not is_einvoice_file(path)]
    if csv:
        raise CliError(
            _("{files}: several files at once must be e-invoices (XML, PDF or ZIP); import a CSV on its own").format(
                files=", ".join(csv)
            )
        )
    with open_ledger(args) as ledger:
        outcome = import_einvoices_and_match(ledger, args.file, actor=current_actor())
    return _report_import(args, outcome)


def _report_import(args: argparse.Namespace, outcome: MatchedInvoiceImport) -> int:
    result = outcome.imported
    lines = [
        _(
            "{source}: {new} new, {updated} updated, {unchanged} unchanged, {flagged} flagged for review, "
            "{customers} customers created"
        ).format(
            source=result.source,
            new=result.new,
            updated=result.updated,
            unchanged=result.unchanged,
            flagged=len(result.flagged_for_review),
            customers=result.customers_created,
        )
    ]
    lines += ["  " + _("review: {number}").format(number=number) for number in result.flagged_for_review]
    lines += ["  " + _("skipped row {row}: {reason}").format(row=row, reason=reason) for row, reason in result.errors]
    lines.append(_("Matching: {summary}").format(summary=outcome.matching.text()))
    data: dict[str, Any] = asdict(result) | {"matching": asdict(outcome.matching)}
    emit(args, data, "\n".join(lines))
    return 0


def cmd_match(args: argparse.Namespace) -> int:
    from app.services.reconciliation.automatic import match_payments

    with open_ledger(args) as ledger:
        summary = match_payments(ledger, actor=current_actor(), dry_run=args.dry_run)
    text = summary.text()
    if args.dry_run:
        text = _("Dry run, nothing booked: {summary}").format(summary=text)
    if not args.json:
        _print_allocations(summary, dry_run=args.dry_run)
    emit(args, asdict(summary) if args.json else {}, text)  # asdict of every allocation only when printed
    return 0


def _print_allocations(summary: MatchSummary, *, dry_run: bool) -> None:
    from app.services.formatting import format_amount, format_count, format_score

    for allocation in summary.allocations[:SHOWN_ALLOCATIONS]:
        amount = format_amount(allocation.amount, allocation.currency)
        print(f"  {allocation.invoice_number}  {amount}  {allocation.payer}  ({format_score(allocation.confidence)})")
    more = len(summary.allocations) - SHOWN_ALLOCATIONS
    if more > 0:
        where = _("--json lists them all") if dry_run else _("kontor export allocations --out FILE.csv lists them all")
        print(
            "  "
            + ngettext("… and {n} more allocation ({where})", "… and {n} more allocations ({where})", more).format(
                n=format_count(more), where=where
            )
        )


def cmd_export_allocations(args: argparse.Namespace) -> int:
    from app.services.reconciliation.export import export_allocations

    with open_ledger(args) as ledger:
        try:
            count = export_allocations(ledger, args.out)
        except OSError as error:
            raise CliError(file_error(error, args.out)) from error
    emit(
        args,
        {"out": str(args.out), "rows": count},
        _("{n} allocations written to {path}").format(n=count, path=args.out),
    )
    return 0


def cmd_export_open_items(args: argparse.Namespace) -> int:
    from decimal import Decimal

    from app.services.formatting import format_amount
    from app.services.invoices.open_items_export import open_items, write_open_items_csv, write_open_items_pdf

    kind = None if args.kind == "all" else args.kind
    with open_ledger(args) as ledger:
        items = open_items(ledger, kind=kind)
    write = write_open_items_pdf if args.pdf else write_open_items_csv
    try:
        count = write(items, args.file)
    except OSError as error:
        raise CliError(file_error(error, args.file)) from error
    totals = ", ".join(format_amount(total, currency) for currency, total in items.totals().items())
    emit(
        args,
        {"out": str(args.file), "invoices": count, "open": {c: str(t) for c, t in items.totals().items()}},
        ngettext(
            "{n} open invoice ({total}) written to {path}", "{n} open invoices ({total}) written to {path}", count
        ).format(n=count, total=totals or format_amount(Decimal("0")), path=args.file),
    )
    return 0


def cmd_export_original(args: argparse.Namespace) -> int:
    from app.services.invoices.originals import invoice_id_by_number, invoice_original, write_original

    with open_ledger(args) as ledger:
        original = invoice_original(ledger, invoice_id_by_number(ledger, args.number, args.kind))
    target = args.out if args.out else Path(original.filename)
    try:
        write_original(original, target)
    except OSError as error:
        raise CliError(file_error(error, target)) from error
    emit(
        args,
        {"out": str(target), "filename": original.filename, "sha256": original.digest},
        _("Original of invoice {number} written to {path} (SHA-256 {digest}, as recorded at its import)").format(
            number=original.invoice_number, path=target, digest=original.digest
        ),
    )
    return 0


def register(commands: Commands) -> None:
    """Add the invoice commands to `kontor`'s parser (`import` and `export` are shared with the statements)."""
    importing = group(commands, "import", _("import statements or invoices"))
    exporting = group(commands, "export", _("export data as CSV"))
    invoices = importing.add_parser(
        "invoices", help=_("import invoices: a CSV export, or e-invoices (XRechnung, ZUGFeRD, ZIPs of them)")
    )
    invoices.set_defaults(handler=cmd_import_invoices)
    invoices.add_argument("file", type=Path, nargs="+", metavar="FILE")
    invoices.add_argument("--map", metavar="SPEC", help=_("columns, e.g. 'number=Rechnungsnummer,customer=Kunde'"))
    invoices.add_argument("--save-map", metavar="NAME", help=_("save the column mapping under a name"))
    invoices.add_argument("--mapping", metavar="NAME", help=_("use a saved column mapping"))
    invoices.add_argument("--payables", action="store_true", help=_("invoices we received and pay"))
    invoices.add_argument("--skip-bad-rows", action="store_true", help=_("import the good rows, list the bad ones"))
    json_flag(invoices)
    match = add_command(commands, "match", cmd_match, _("match open payments with open invoices"))
    match.add_argument("--dry-run", action="store_true", help=_("show what would be booked, book nothing"))
    json_flag(match)
    allocations = exporting.add_parser("allocations", help=_("export the allocations of payments to invoices"))
    allocations.set_defaults(handler=cmd_export_allocations)
    allocations.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    json_flag(allocations)
    items = exporting.add_parser(
        "open-items", help=_("the open-items list (OP-Liste): every unpaid invoice, as CSV or PDF")
    )
    items.set_defaults(handler=cmd_export_open_items)
    items.add_argument("file", type=Path, metavar="FILE")
    items.add_argument("--pdf", action="store_true", help=_("a PDF to print or send instead of CSV"))
    items.add_argument("--kind", choices=("receivable", "payable", "all"), default="receivable",
                       help=_("receivables (default), payables or both"))  # fmt: skip
    json_flag(items)
    original = exporting.add_parser("original", help=_("the e-invoice file an invoice was imported from"))
    original.set_defaults(handler=cmd_export_original)
    original.add_argument("number", metavar="NUMBER", help=_("invoice number"))
    original.add_argument("--kind", choices=("receivable", "payable"), help=_("when both sides have this number"))
    original.add_argument("--out", type=Path, metavar="FILE", help=_("default: the file's own name, here"))
    json_flag(original)
