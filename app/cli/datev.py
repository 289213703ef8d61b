"""`kontor export datev` and `kontor export datev-settings`: the bank bookings for the tax advisor."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.common import CliError, Commands, emit, given, group, iso_date, json_flag, open_ledger
from app.services.i18n import _
from app.services.ledger.actor import current_actor
from app.services.os_errors import file_error


def cmd_export(args: argparse.Namespace) -> int:
    from app.services.reports.datev import export_datev

    with open_ledger(args) as ledger:
        try:
            done = export_datev(ledger, args.out, start=args.start, end=args.end, actor=current_actor())
        except OSError as error:
            raise CliError(file_error(error, args.out)) from error
    text = _("{lines} lines for {n} bank bookings written to {path}").format(
        lines=done.lines, n=done.transactions, path=args.out
    )
    if done.earlier:
        periods = ", ".join(f"{start}..{end}" for start, end in done.earlier)
        text += "\n" + _("Warning: overlaps periods exported before ({periods}).").format(periods=periods)
    data = {"out": str(args.out), "lines": done.lines, "bookings": done.transactions, "overlaps": done.earlier}
    emit(args, data, text)
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from app.services.forecast.settings import account_id_of
    from app.services.reports.datev import datev_settings, update_settings

    changes = given(
        consultant=args.consultant,
        client=args.client,
        chart=args.chart,
        fiscal_year_start=args.fiscal_year_start,
        initials=args.initials,
        transit=args.transit,
    )
    with open_ledger(args) as ledger:
        if args.bank:
            accounts = dict(datev_settings(ledger).bank_accounts)
            for pair in args.bank:
                iban, _sep, number = pair.partition("=")
                if not number.isdigit():
                    raise CliError(_("--bank: expected IBAN=ACCOUNT, not {value}").format(value=pair))
                accounts[account_id_of(ledger, iban)] = int(number)
            changes["bank_accounts"] = accounts
        settings = update_settings(ledger, actor=current_actor(), **changes)
    text = _("DATEV: consultant {consultant}, client {client}, {chart}").format(
        consultant=settings.consultant, client=settings.client, chart=settings.chart
    )
    emit(args, {"consultant": settings.consultant, "client": settings.client, "chart": settings.chart}, text)
    return 0


def register(commands: Commands) -> None:
    exporting = group(commands, "export", _("export data as CSV"))
    datev = exporting.add_parser("datev", help=_("bank bookings as a DATEV Buchungsstapel for the tax advisor"))
    datev.set_defaults(handler=cmd_export)
    datev.add_argument("--from", dest="start", type=iso_date, required=True, metavar="YYYY-MM-DD")
    datev.add_argument("--to", dest="end", type=iso_date, required=True, metavar="YYYY-MM-DD")
    datev.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    json_flag(datev)
    settings = exporting.add_parser("datev-settings", help=_("consultant and client numbers, chart, accounts"))
    settings.set_defaults(handler=cmd_settings)
    settings.add_argument("--consultant", type=int, help=_("consultant number (Beraternummer)"))
    settings.add_argument("--client", type=int, help=_("client number (Mandantennummer)"))
    settings.add_argument("--chart", choices=["SKR03", "SKR04"])
    settings.add_argument("--fiscal-year-start", metavar="MMDD")
    settings.add_argument("--initials", metavar="XY", help=_("dictation initials (Diktatkürzel)"))
    settings.add_argument("--transit", type=int, help=_("the account for bookings without an invoice"))
    settings.add_argument(
        "--bank", nargs="*", default=[], metavar="IBAN=ACCOUNT", help=_("our account's ledger account")
    )
    json_flag(settings)
