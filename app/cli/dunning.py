"""`kontor dunning …`: propose, make and send dunning letters; holds, customer details and the settings."""

from __future__ import annotations

import argparse
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.common import CliError, Commands, emit, given, group, iso_date, json_flag, open_ledger
from app.services.formatting import format_cents, from_cents, parse_amount, to_cents
from app.services.i18n import _
from app.services.ledger.actor import current_actor
from app.services.os_errors import file_error
from app.services.private_files import make_dirs, open_private

if TYPE_CHECKING:
    from app.services.dunning.proposal import ProposedLetter
    from app.services.dunning.runs import RunSummary
    from app.services.dunning.settings import Level
    from app.services.ledger.database import Ledger


def _letter_data(letter: ProposedLetter) -> dict[str, Any]:
    return {
        "customer": letter.customer_number,
        "name": letter.customer_name,
        "level": letter.level,
        "invoices": [item.number for item in letter.items],
        "open": str(from_cents(letter.open_cents)),
        "interest": str(from_cents(letter.interest_cents)),
        "fees": str(from_cents(letter.fees_cents)),
        "total": str(from_cents(letter.total_cents)),
        "held": letter.held,
    }


def cmd_propose(args: argparse.Namespace) -> int:
    from app.services.dunning.proposal import propose

    with open_ledger(args) as ledger:
        letters = propose(ledger, today=args.date)
    lines = [
        f"{letter.customer_number:>8}  {letter.customer_name[:30]:30}  {_('level')} {letter.level}  "
        f"{format_cents(letter.total_cents):>14}  {', '.join(item.number for item in letter.items)}"
        + (f"\n{'':10}{_('held')}: {letter.held}" if letter.held else "")
        for letter in letters
    ]
    lines.append(_("{n} letters due.").format(n=len(letters)) if letters else _("No letters due."))
    emit(args, {"letters": [_letter_data(letter) for letter in letters]}, "\n".join(lines))
    return 0


def _write_letters(ledger: Ledger, summary: RunSummary, folder: Path) -> list[Path]:
    """Each letter of the run as a private PDF file, named by run and customer."""
    from app.services.dunning.runs import letter_pdf

    try:
        make_dirs(folder)
        written = []
        for letter in summary.letters:
            path = folder / f"mahnung-{summary.id}-{letter.customer_number or letter.id}.pdf"
            with open_private(path, "wb") as stream:
                stream.write(letter_pdf(ledger, letter.id))
            written.append(path)
    except OSError as error:
        raise CliError(file_error(error, error.filename or folder)) from error
    return written


def _run_data(summary: RunSummary, written: list[Path]) -> dict[str, Any]:
    return {
        "run": summary.id,
        "date": summary.run_on.isoformat(),
        "status": summary.status,
        "letters": [
            {
                "id": letter.id,
                "customer": letter.customer_number,
                "level": letter.level,
                "total": str(from_cents(letter.total_cents)),
                "invoices": list(letter.invoices),
            }  # fmt: skip
            for letter in summary.letters
        ],
        "files": [str(path) for path in written],
    }


def cmd_run(args: argparse.Namespace) -> int:
    from app.services.dunning.proposal import propose
    from app.services.dunning.runs import create_run

    with open_ledger(args) as ledger:
        due = {letter.customer_number: letter.customer_id for letter in propose(ledger, today=args.date)}
        unknown = [number for number in [*args.exclude, *args.include_held] if number not in due]
        if unknown:
            raise CliError(_("No letter is due for customer {numbers}.").format(numbers=", ".join(unknown)))
        summary = create_run(
            ledger,
            actor=current_actor(),
            today=args.date,
            exclude=[due[number] for number in args.exclude],
            include_held=[due[number] for number in args.include_held],
        )
        written = _write_letters(ledger, summary, args.out)
    text = summary.text() + "\n" + "\n".join(f"  {path}" for path in written)
    text += "\n" + _("After sending them: kontor dunning mark-sent {id}").format(id=summary.id)
    emit(args, _run_data(summary, written), text)
    return 0


def cmd_letters(args: argparse.Namespace) -> int:
    from app.services.dunning.runs import runs

    with open_ledger(args) as ledger:
        summary = next((run for run in runs(ledger) if run.id == args.run), None)
        if summary is None:
            raise CliError(_("There is no dunning run {id}.").format(id=args.run))
        written = _write_letters(ledger, summary, args.out)
    emit(args, _run_data(summary, written), "\n".join(str(path) for path in written))
    return 0


def cmd_mark_sent(args: argparse.Namespace) -> int:
    from app.services.dunning.runs import mark_sent

    with open_ledger(args) as ledger:
        summary = mark_sent(ledger, args.run, actor=current_actor())
    emit(args, _run_data(summary, []), summary.text())
    return 0


def cmd_discard(args: argparse.Namespace) -> int:
    from app.services.dunning.runs import discard_run

    with open_ledger(args) as ledger:
        discard_run(ledger, args.run, actor=current_actor())
    emit(args, {"run": args.run, "discarded": True}, _("Dunning run {id} discarded.").format(id=args.run))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from app.services.dunning.runs import letters_for_invoice, runs

    with open_ledger(args) as ledger:
        if args.invoice:
            letters = letters_for_invoice(ledger, args.invoice)
            data: dict[str, Any] = {
                "invoice": args.invoice,
                "letters": [
                    {"run": row.run_id, "date": row.run_on.isoformat(), "status": row.status, "level": row.level}
                    for row in letters
                ],
            }
            text = "\n".join(
                f"{row.run_on.isoformat()}  {_('run')} {row.run_id} ({_(row.status)})  {_('level')} {row.level}"
                for row in letters
            ) or _("No dunning letter named {number}.").format(number=args.invoice)
            emit(args, data, text)
            return 0
        summaries = runs(ledger)
    emit(
        args,
        {"runs": [_run_data(summary, []) for summary in summaries]},
        "\n".join(summary.text() for summary in summaries) or _("No dunning runs yet."),
    )
    return 0


def cmd_hold(args: argparse.Namespace) -> int:
    from app.services.dunning.runs import hold

    with open_ledger(args) as ledger:
        hold(ledger, actor=current_actor(), invoice=args.invoice or "", customer=args.customer or "",
             until=args.until, reason=args.reason)  # fmt: skip
    what = args.invoice or args.customer
    text = (
        _("{what}: no dunning until {day}.").format(what=what, day=args.until.isoformat())
        if args.until
        else _("{what}: no dunning until the hold is released.").format(what=what)
    )
    emit(args, {"held": what, "until": args.until}, text)
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from app.services.dunning.runs import lift_holds

    with open_ledger(args) as ledger:
        count = lift_holds(ledger, actor=current_actor(), invoice=args.invoice or "", customer=args.customer or "")
    what = args.invoice or args.customer
    emit(args, {"released": what, "holds": count}, _("{what}: {n} holds released.").format(what=what, n=count))
    return 0


def cmd_customer(args: argparse.Namespace) -> int:
    from app.services.dunning.runs import set_customer_details

    consumer = None if args.consumer is None else args.consumer == "yes"
    address = args.address.replace("\\n", "\n") if args.address is not None else None
    with open_ledger(args) as ledger:
        set_customer_details(ledger, args.number, actor=current_actor(), address=address, consumer=consumer)
    emit(args, {"customer": args.number}, _("Customer {number} updated.").format(number=args.number))
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from app.services.dunning.settings import update_settings

    changes = given(
        payment_days=args.payment_days,
        language=args.letter_language,
        address=args.address.replace("\\n", "\n") if args.address is not None else None,
        phone=args.phone,
        email=args.email,
        vat_id=args.vat_id,
    )
    if args.lump_sum is not None:
        changes["lump_sum"] = args.lump_sum == "yes"
    with open_ledger(args) as ledger:
        settings = update_settings(ledger, actor=current_actor(), **changes)
    levels = ["  " + _level_line(level) for level in settings.levels]
    rates = [f"  {day.isoformat()}  {rate} %" for day, rate in settings.base_rates]
    text = "\n".join(
        [_("Levels:"), *levels, _("Base rates:"), *rates,
         _("Flat €40 for businesses: {state}").format(state=_("yes") if settings.lump_sum else _("no")),
         _("Payment period: {days} days; letters in {language}").format(days=settings.payment_days,
                                                                         language=settings.language)]
    )  # fmt: skip
    emit(args, {"lump_sum": settings.lump_sum, "payment_days": settings.payment_days}, text)
    return 0


def _level_line(level: Level) -> str:
    fee = format_cents(level.fee_cents)
    return f"{level.number}. {level.name_de} / {level.name_en}: {level.days} {_('days')}, {fee}"


def cmd_level(args: argparse.Namespace) -> int:
    from app.services.dunning.settings import change_level

    changes = given(
        name_de=args.name_de, name_en=args.name_en, days=args.days, text_de=args.text_de, text_en=args.text_en
    )
    if args.fee is not None:
        try:
            changes["fee_cents"] = to_cents(parse_amount(args.fee))
        except ValueError as error:
            raise CliError(str(error)) from error
    if args.interest is not None:
        changes["interest"] = args.interest == "yes"
    with open_ledger(args) as ledger:
        level = change_level(ledger, args.number, actor=current_actor(), **changes)
    text = (
        f"{level.number}. {level.name_de} / {level.name_en}: {level.days} {_('days')}, {format_cents(level.fee_cents)}"
    )
    emit(args, {"level": level.number, "days": level.days, "fee": str(from_cents(level.fee_cents))}, text)
    return 0


def _rate(value: str) -> Decimal:
    try:
        rate = Decimal(value.replace(",", "."))
    except InvalidOperation as error:
        raise argparse.ArgumentTypeError(_("not a percentage: {value}").format(value=value)) from error
    if not Decimal("-10") <= rate <= Decimal("20"):
        raise argparse.ArgumentTypeError(_("not a plausible base rate: {value}").format(value=value))
    return rate


def cmd_base_rate(args: argparse.Namespace) -> int:
    from app.services.dunning.settings import add_base_rate

    if args.valid_from.day != 1 or args.valid_from.month not in (1, 7):
        raise CliError(_("The base rate changes on 1 January and 1 July only."))
    with open_ledger(args) as ledger:
        add_base_rate(ledger, args.valid_from, args.rate, actor=current_actor())
    text = _("Base rate from {day}: {rate} %").format(day=args.valid_from.isoformat(), rate=args.rate)
    emit(args, {"from": args.valid_from, "rate": str(args.rate)}, text)
    return 0


def _target(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--invoice", metavar="NUMBER", help=_("an invoice number"))
    which.add_argument("--customer", metavar="NUMBER", help=_("a customer number"))


def register(commands: Commands) -> None:
    """Add `kontor dunning …` to `kontor`'s parser."""
    dunning = group(commands, "dunning", _("dunning letters for overdue invoices"))
    proposing = dunning.add_parser("propose", help=_("show who gets which letter today"))
    proposing.set_defaults(handler=cmd_propose)
    proposing.add_argument("--date", type=iso_date, default=date.today(), help=_("as of this day (default: today)"))
    json_flag(proposing)
    making = dunning.add_parser("run", help=_("make today's letters as PDF files (levels advance on mark-sent)"))
    making.set_defaults(handler=cmd_run)
    making.add_argument("--out", type=Path, required=True, metavar="DIR", help=_("folder for the PDF letters"))
    making.add_argument("--date", type=iso_date, default=date.today(), help=_("the letters' date (default: today)"))
    making.add_argument("--exclude", nargs="*", default=[], metavar="CUSTOMER", help=_("customers to leave out"))
    making.add_argument("--include-held", nargs="*", default=[], metavar="CUSTOMER",
                        help=_("held customers to write to anyway"))  # fmt: skip
    json_flag(making)
    letters = dunning.add_parser("letters", help=_("write a run's letters again"))
    letters.set_defaults(handler=cmd_letters)
    letters.add_argument("run", type=int, metavar="RUN")
    letters.add_argument("--out", type=Path, required=True, metavar="DIR")
    json_flag(letters)
    for name, handler, help_text in (
        ("mark-sent", cmd_mark_sent, _("the run's letters went out: advance the levels")),
        ("discard", cmd_discard, _("throw away a run that was not sent")),
    ):
        parser = dunning.add_parser(name, help=help_text)
        parser.set_defaults(handler=handler)
        parser.add_argument("run", type=int, metavar="RUN")
        json_flag(parser)
    listing = dunning.add_parser("list", help=_("dunning runs, or the letters that named an invoice"))
    listing.set_defaults(handler=cmd_list)
    listing.add_argument("--invoice", metavar="NUMBER")
    json_flag(listing)
    holding = dunning.add_parser("hold", help=_("no dunning for an invoice or customer (until a date)"))
    holding.set_defaults(handler=cmd_hold)
    _target(holding)
    holding.add_argument("--until", type=iso_date, help=_("a promise to pay by this day (default: until released)"))
    holding.add_argument("--reason", default="", help=_("why, for the audit log"))
    json_flag(holding)
    release = dunning.add_parser("release", help=_("end the holds on an invoice or customer"))
    release.set_defaults(handler=cmd_release)
    _target(release)
    json_flag(release)
    customer = dunning.add_parser("customer", help=_("a customer's postal address and consumer status"))
    customer.set_defaults(handler=cmd_customer)
    customer.add_argument("number", metavar="CUSTOMER")
    customer.add_argument("--address", help=_("lines separated by \\n"))
    customer.add_argument("--consumer", choices=["yes", "no"], help=_("a consumer: base rate + 5 instead of + 9"))
    json_flag(customer)
    settings = dunning.add_parser("settings", help=_("show or change the dunning settings and letterhead"))
    settings.set_defaults(handler=cmd_settings)
    settings.add_argument("--lump-sum", choices=["yes", "no"], help=_("the flat €40 per invoice for businesses"))
    settings.add_argument("--payment-days", type=int, help=_("days to pay after the letter's date"))
    settings.add_argument("--letter-language", choices=["de", "en"])
    settings.add_argument("--address", help=_("the company's address, lines separated by \\n"))
    settings.add_argument("--phone")
    settings.add_argument("--email")
    settings.add_argument("--vat-id")
    json_flag(settings)
    level = dunning.add_parser("level", help=_("change a dunning level: days, fee, interest, names, texts"))
    level.set_defaults(handler=cmd_level)
    level.add_argument("number", type=int, metavar="LEVEL")
    level.add_argument("--days", type=int, help=_("days after the due date (level 1) or the previous letter"))
    level.add_argument("--fee", help=_("the fee this letter charges"))
    level.add_argument("--interest", choices=["yes", "no"], help=_("charge default interest on this level"))
    for option in ("--name-de", "--name-en", "--text-de", "--text-en"):
        level.add_argument(option, help=_("placeholders: {customer} {total} {deadline} {date} {company} {iban} {bic}"))
    json_flag(level)
    rate = dunning.add_parser("base-rate", help=_("add a published base rate (§ 247 BGB)"))
    rate.set_defaults(handler=cmd_base_rate)
    rate.add_argument("valid_from", type=iso_date, metavar="YYYY-MM-DD")
    rate.add_argument("rate", type=_rate, metavar="PERCENT")
    json_flag(rate)
