"""`kontor forecast …`: the cash forecast by week or month, recurring bookings, credit lines and planned items."""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING, Any

from app.cli.common import CliError, Commands, emit, iso_date, json_flag, open_ledger
from app.services.formatting import format_cents, format_date, from_cents, parse_amount, to_cents
from app.services.i18n import _
from app.services.ledger.actor import current_actor

if TYPE_CHECKING:
    from app.services.forecast.projection import Forecast


def _cents(text: str) -> int:
    try:
        return to_cents(parse_amount(text))
    except ValueError as error:
        raise CliError(str(error)) from error


def _pairs(values: list[str], what: str) -> dict[int, int]:
    """`ID=DAYS` options of a what-if."""
    pairs = {}
    for value in values:
        key, _sep, days = value.partition("=")
        if not key.isdigit() or not days.lstrip("-").isdigit():
            raise CliError(_("{what}: expected ID=DAYS, not {value}").format(what=what, value=value))
        pairs[int(key)] = int(days)
    return pairs


def _forecast_data(result: Forecast, account_id: int | None) -> dict[str, Any]:
    opening = next((a.balance_cents for a in result.accounts if a.id == account_id), result.opening_cents)
    return {
        "today": result.today.isoformat(),
        "opening": str(from_cents(opening)),
        "periods": [
            {
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "closing": str(from_cents(period.closing_of(account_id))),
                "items": [
                    {
                        "on": item.on.isoformat(),
                        "amount": str(from_cents(item.amount_cents)),
                        "kind": item.kind,
                        "text": item.text,
                        "account": item.account_id,
                    }  # fmt: skip
                    for item in period.items_of(account_id)
                ],
            }
            for period in result.periods
        ],
        "warnings": [warning.text for warning in result.warnings],
    }


def cmd_forecast(args: argparse.Namespace) -> int:
    from app.services.forecast.projection import Scenario, accuracy_text, forecast, notify_warnings
    from app.services.forecast.settings import account_id_of

    scenario = Scenario(customer_delays=_pairs(args.late, "--late"), run_delays=_pairs(args.delay_run, "--delay-run"))
    with open_ledger(args) as ledger:
        account_id = account_id_of(ledger, args.account) if args.account else None
        result = forecast(ledger, today=args.date, weeks=args.weeks, months=args.months, scenario=scenario)
        if not args.late and not args.delay_run:  # a what-if is no reason to notify anyone
            notify_warnings(ledger, today=args.date)
    opening = next((a.balance_cents for a in result.accounts if a.id == account_id), result.opening_cents)
    lines = [_("Balance today: {amount}").format(amount=format_cents(opening))]
    for period in result.periods:
        items = period.items_of(account_id)
        receipts = sum(item.amount_cents for item in items if item.amount_cents > 0)
        payments = sum(item.amount_cents for item in items if item.amount_cents < 0)
        lines.append(
            f"{format_date(period.start):>10} – {format_date(period.end):>10}  +{format_cents(receipts):>14}"
            f"  {format_cents(payments):>15}  = {format_cents(period.closing_of(account_id)):>15}"
        )
        if args.items:
            lines += [f"    {format_date(i.on)}  {format_cents(i.amount_cents):>14}  {i.text}" for i in items]
    lines += [_("Warning: {text}").format(text=warning.text) for warning in result.warnings]
    if result.accuracy is not None:
        lines.append(accuracy_text(result.accuracy))
    emit(args, _forecast_data(result, account_id), "\n".join(lines))
    return 0


def cmd_recurring(args: argparse.Namespace) -> int:
    from app.services.forecast.projection import forecast

    with open_ledger(args) as ledger:
        series = forecast(ledger, today=args.date, weeks=1).series
    data = [
        {
            "key": s.key,
            "name": s.name,
            "period": s.period,
            "amount": str(from_cents(s.amount_cents)),
            "last": s.last_on.isoformat(),
            "bookings": s.count,
            "status": s.status,
        }  # fmt: skip
        for s in series
    ]
    lines = [
        f"{_(s.status):10} {_(s.period):10} {format_cents(s.amount_cents):>14}  {s.name}  ({s.key})" for s in series
    ] or [_("No recurring bookings found.")]
    emit(args, {"recurring": data}, "\n".join(lines))
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    from app.services.forecast.projection import forecast
    from app.services.forecast.settings import decide

    amount = _cents(args.amount) if getattr(args, "amount", None) else None
    with open_ledger(args) as ledger:
        known = {s.key for s in forecast(ledger, today=args.date, weeks=1).series}
        if args.key not in known:
            raise CliError(_("No recurring booking {key}: see kontor forecast recurring.").format(key=args.key))
        decide(ledger, args.key, args.decision, actor=current_actor(), amount_cents=amount)
    emit(args, {"key": args.key, "status": args.decision}, f"{args.key}: {_(args.decision)}")
    return 0


def cmd_credit_line(args: argparse.Namespace) -> int:
    from app.services.forecast.settings import account_id_of, set_credit_line

    cents = _cents(args.amount)
    with open_ledger(args) as ledger:
        set_credit_line(ledger, account_id_of(ledger, args.iban), cents, actor=current_actor())
    text = _("Credit line of {iban}: {amount}").format(iban=args.iban, amount=format_cents(cents))
    emit(args, {"iban": args.iban, "credit_line": str(from_cents(cents))}, text)
    return 0


def cmd_minimum(args: argparse.Namespace) -> int:
    from app.services.forecast.settings import set_minimum

    cents = _cents(args.amount)
    with open_ledger(args) as ledger:
        set_minimum(ledger, cents, actor=current_actor())
    emit(args, {"minimum": str(from_cents(cents))}, _("Minimum balance: {amount}").format(amount=format_cents(cents)))
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from app.services.forecast.settings import PlannedItem, account_id_of, plan

    cents = _cents(args.amount)
    with open_ledger(args) as ledger:
        account_id = account_id_of(ledger, args.account) if args.account else None
        plan(ledger, PlannedItem(args.on, cents, args.text, account_id), actor=current_actor())
    text = _("Planned for {day}: {amount} {text}").format(
        day=format_date(args.on), amount=format_cents(cents), text=args.text
    )
    emit(args, {"on": args.on.isoformat(), "amount": str(from_cents(cents)), "text": args.text}, text)
    return 0


def register(commands: Commands) -> None:
    """Add `kontor forecast …` to `kontor`'s parser; without a sub-command it shows the forecast."""
    parser = commands.add_parser("forecast", help=_("cash forecast: balances and what is known to come"))
    parser.set_defaults(handler=cmd_forecast)
    parser.add_argument("--weeks", type=int, default=13, help=_("weeks ahead (default 13)"))
    parser.add_argument("--months", type=int, default=0, help=_("calendar months ahead instead of weeks"))
    parser.add_argument("--date", type=iso_date, default=date.today(), help=_("as of this day (default: today)"))
    parser.add_argument("--items", action="store_true", help=_("list the items behind every period"))
    parser.add_argument("--account", metavar="IBAN", help=_("one account instead of all"))
    parser.add_argument("--late", nargs="*", default=[], metavar="CUSTOMER_ID=DAYS", help=_("what if they pay later"))
    parser.add_argument("--delay-run", nargs="*", default=[], metavar="RUN=DAYS", help=_("what if a run goes later"))
    json_flag(parser)
    what = parser.add_subparsers(dest="what", metavar="WHAT")
    recurring = what.add_parser("recurring", help=_("recurring bookings found in the history"))
    recurring.set_defaults(handler=cmd_recurring)
    json_flag(recurring)
    for name, help_text in (("confirm", _("expect a recurring booking")), ("dismiss", _("ignore a recurring booking"))):
        decision = what.add_parser(name, help=help_text)
        decision.set_defaults(handler=cmd_decide, decision="confirmed" if name == "confirm" else "dismissed")
        decision.add_argument("key", metavar="KEY")
        if name == "confirm":
            decision.add_argument("--amount", help=_("the amount to expect instead of the usual one"))
        json_flag(decision)
    credit = what.add_parser("credit-line", help=_("an account's overdraft limit"))
    credit.set_defaults(handler=cmd_credit_line)
    credit.add_argument("iban", metavar="IBAN")
    credit.add_argument("amount", metavar="AMOUNT")
    json_flag(credit)
    minimum = what.add_parser("minimum", help=_("warn when the total balance would fall below this"))
    minimum.set_defaults(handler=cmd_minimum)
    minimum.add_argument("amount", metavar="AMOUNT")
    json_flag(minimum)
    planned = what.add_parser("plan", help=_("a receipt (+) or payment (-) the books do not show yet"))
    planned.set_defaults(handler=cmd_plan)
    planned.add_argument("on", type=iso_date, metavar="YYYY-MM-DD")
    planned.add_argument("amount", metavar="AMOUNT")
    planned.add_argument("text", metavar="TEXT")
    planned.add_argument("--account", metavar="IBAN")
    json_flag(planned)
