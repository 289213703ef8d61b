"""`kontor pay`, `kontor mandate`, `kontor run` and `kontor user`: the CLI side of payments and approvals.

Once the ledger has users, every command that changes payments signs in first: `--user NAME` (or KONTOR_USER) with
KONTOR_USER_PASSWORD or a terminal prompt. A failed sign-in exits with EXIT_SIGN_IN and changes nothing else.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from app.cli.common import CliError, Commands, Handler, emit, iso_date, json_flag, new_secret, open_ledger
from app.cli.prompts import CliPrompts
from app.services.errors import EXIT_BANK, EXIT_SIGN_IN
from app.services.formatting import format_amount, parse_amount
from app.services.i18n import _, ngettext
from app.services.ledger.database import Ledger
from app.services.ledger.users import (
    SignedInUser,
    add_user,
    change_password,
    change_role,
    deactivate_user,
    ledger_has_users,
    list_users,
    reactivate_user,
    sign_in,
)
from app.services.payments.approvals import approval_summary, approve_run
from app.services.payments.mandates import add_mandate, b2b_confirmation_hint, list_mandates
from app.services.payments.orders import (
    OrderResult,
    create_debit,
    create_transfer,
    move_orders,
    remove_order,
    take_bank_name,
    update_order,
)
from app.services.payments.runs import export_run, list_runs, reject_run, submit_run
from app.services.payments.settings import set_approval_limit, set_creditor_id


def _password(prompt: str) -> str:
    """KONTOR_USER_PASSWORD for automation, else a prompt in the terminal."""
    from_env = os.environ.get("KONTOR_USER_PASSWORD")
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise CliError(_("No password: set KONTOR_USER_PASSWORD or run in a terminal."))
    return getpass.getpass(prompt)


def _user_name(args: argparse.Namespace) -> str:
    name = getattr(args, "user", None) or os.environ.get("KONTOR_USER", "")
    if not name:
        raise CliError(_("This ledger has users: sign in with --user NAME (or KONTOR_USER)."), EXIT_SIGN_IN)
    return name


def _sign_in(ledger: Ledger, args: argparse.Namespace) -> SignedInUser:
    """The user named by --user or KONTOR_USER, after their password; exits with EXIT_SIGN_IN if it is wrong."""
    name = _user_name(args)
    password = _password(_("Password of {name}: ").format(name=name))
    return sign_in(ledger, name, password)


def _actor(ledger: Ledger, args: argparse.Namespace) -> str:
    """Who changes payments: always a signed-in user (a ledger without users gets its admin first)."""
    if not ledger_has_users(ledger):
        raise CliError(
            _("Payments need signed-in users: add the ledger's first user (its admin) with `kontor user add NAME`."),
            EXIT_SIGN_IN,
        )
    return _sign_in(ledger, args).name


def _run(args: argparse.Namespace, action: Callable[[Any], Any]) -> Any:
    """Open the ledger and run the service call; its refusals are KontorErrors that `main` prints."""
    with open_ledger(args) as ledger:
        return action(ledger)


def _order_text(result: OrderResult, kind: str) -> str:
    lines = [
        _("{kind} {id} for {amount} on {date} in run {run} (end-to-end ID {e2e})").format(
            kind=kind,
            id=result.order_id,
            amount=format_amount(result.amount),
            date=result.execution_on,
            run=result.run_id,
            e2e=result.end_to_end_id,
        )
    ]
    if result.note:
        lines.append("  " + result.note)
    lines += ["  " + _("warning: {text}").format(text=warning.message) for warning in result.warnings]
    return "\n".join(lines)


def cmd_pay_transfer(args: argparse.Namespace) -> int:
    result = _run(
        args,
        lambda ledger: create_transfer(
            ledger,
            name=args.to or "",
            iban=args.iban or "",
            bic=args.bic or "",
            amount=args.amount,
            text=args.text or "",
            execution_on=args.date,
            instant=args.instant,
            account_iban=args.from_account,
            invoice_number=args.invoice,
            actor=_actor(ledger, args),
        ),
    )
    emit(args, asdict(result), _order_text(result, _("Transfer")))
    return 0


def cmd_pay_edit(args: argparse.Namespace) -> int:
    """Change an order's amount or text; an approval of its run is void and the run needs approving again."""
    if args.amount is None and args.text is None:
        raise CliError(_("Give --amount or --text to change."))
    result = _run(
        args,
        lambda ledger: update_order(ledger, args.id, amount=args.amount, text=args.text, actor=_actor(ledger, args)),
    )
    note = _("An approval given before this change is void: the run needs approving again.")
    emit(args, asdict(result), _order_text(result, _("Order")) + "\n" + note)
    return 0


def cmd_pay_delete(args: argparse.Namespace) -> int:
    """Take an order out of its run; an approval of the run is void."""
    _run(args, lambda ledger: remove_order(ledger, args.id, actor=_actor(ledger, args)))
    note = _("An approval given before this change is void: the run needs approving again.")
    emit(args, {"id": args.id}, _("Order {id} removed.").format(id=args.id) + "\n" + note)
    return 0


def cmd_pay_move(args: argparse.Namespace) -> int:
    """Orders into another open run, or split off into the run of another date or own account."""
    if args.to_run is None and args.date is None and args.from_account is None:
        raise CliError(_("Give --to-run, or --date and/or --from-account for a run of its own."))
    run_id = _run(
        args,
        lambda ledger: move_orders(
            ledger,
            args.ids,
            to_run_id=args.to_run,
            execution_on=args.date,
            account_iban=args.from_account,
            actor=_actor(ledger, args),
        ),
    )
    note = _("An approval given before this change is void: the run needs approving again.")
    text = ngettext("{n} order is now in run {run}.", "{n} orders are now in run {run}.", len(args.ids)).format(
        n=len(args.ids), run=run_id
    )
    emit(args, {"ids": args.ids, "run_id": run_id}, text + "\n" + note)
    return 0


def cmd_pay_bank_name(args: argparse.Namespace) -> int:
    """The holder's name from the bank's payee check (close match) into the order and the supplier."""
    name = _run(args, lambda ledger: take_bank_name(ledger, args.id, actor=_actor(ledger, args)))
    note = _("An approval given before this change is void: the run needs approving again.")
    emit(
        args,
        {"id": args.id, "name": name},
        _("Order {id} now goes to “{name}”.").format(id=args.id, name=name) + "\n" + note,
    )
    return 0


def cmd_pay_confirm_account(args: argparse.Namespace) -> int:
    """An approver who called the supplier makes the account an invoice names their account on record."""
    from app.services.payments.account_confirmation import confirm_payee_account

    name = _run(args, lambda ledger: confirm_payee_account(ledger, args.id, actor=_actor(ledger, args)))
    emit(
        args,
        {"id": args.id, "supplier": name},
        _("The account of order {id} is now {name}'s account on record.").format(id=args.id, name=name),
    )
    return 0


def cmd_pay_debit(args: argparse.Namespace) -> int:
    result = _run(
        args,
        lambda ledger: create_debit(
            ledger,
            customer_number=args.customer,
            amount=args.amount,
            text=args.text or "",
            invoice_number=args.invoice,
            b2b=args.b2b,
            collection_on=args.date,
            account_iban=args.from_account,
            actor=_actor(ledger, args),
        ),
    )
    emit(args, asdict(result), _order_text(result, _("Direct debit")))
    return 0


def cmd_pay_creditor_id(args: argparse.Namespace) -> int:
    compact = _run(args, lambda ledger: set_creditor_id(ledger, args.creditor_id, actor=_actor(ledger, args)))
    emit(args, {"creditor_id": compact}, _("Creditor identifier {id} saved.").format(id=compact))
    return 0


def cmd_mandate_add(args: argparse.Namespace) -> int:
    row = _run(
        args,
        lambda ledger: add_mandate(
            ledger,
            customer_number=args.customer,
            reference=args.reference,
            signed_on=args.signed,
            iban=args.iban,
            bic=args.bic or "",
            name=args.name or "",
            scheme="B2B" if args.b2b else "CORE",
            recurring=not args.once,
            actor=_actor(ledger, args),
        ),
    )
    text = _("Mandate {reference} of {name} recorded.").format(reference=row.reference, name=row.customer_name)
    if row.scheme == "B2B":
        text += "\n" + b2b_confirmation_hint(row)
    emit(args, asdict(row), text)
    return 0


def cmd_mandate_list(args: argparse.Namespace) -> int:
    rows = _run(args, lambda ledger: list_mandates(ledger, customer_number=args.customer))
    text = "\n".join(
        f"{r.reference:<20} {r.customer_number:<10} {r.debtor_name[:30]:<30} {r.debtor_iban:<24} "
        f"{r.scheme:<4} {r.sequence} {r.status} {r.signed_on}"
        for r in rows
    )
    emit(args, {"mandates": [asdict(r) for r in rows]}, text or _("No mandates."))
    return 0


def cmd_run_list(args: argparse.Namespace) -> int:
    rows = _run(args, lambda ledger: list_runs(ledger, status=args.status))
    text = "\n".join(
        f"{r.id:>4} {r.kind:<8} {r.scheme or '-':<4} {r.status:<9} {r.execution_on} {r.count:>4} "
        f"{format_amount(r.total):>16} {r.account_iban}"
        for r in rows
    )
    emit(args, {"runs": [asdict(r) for r in rows]}, text or _("No payment runs."))
    return 0


def cmd_run_show(args: argparse.Namespace) -> int:
    summary = _run(args, lambda ledger: approval_summary(ledger, args.id))
    lines = [
        _("Run {id}: {kind} {scheme} from {account} on {date}, {status}").format(
            id=summary.run_id,
            kind=summary.kind,
            scheme=summary.scheme,
            account=summary.account_iban,
            date=summary.execution_on,
            status=summary.status,
        ),
        _("{count} orders, total {total}, created by {creator}").format(
            count=summary.count, total=format_amount(summary.total), creator=summary.created_by
        ),
    ]
    for o in summary.orders:
        lines.append(f"  {o.id:>4} {o.name[:30]:<30} {o.iban:<28} {format_amount(o.amount):>14}  {o.remittance}")
        if o.payee_check_text:
            lines.append(f"       {o.payee_check_text}")
    lines += ["  " + _("warning: {text}").format(text=w.message) for w in summary.warnings]
    if summary.approved_by:
        lines.append(_("Approved by: {names}").format(names=", ".join(summary.approved_by)))
    if summary.needed:
        lines.append(_("Still needed: {what}").format(what=summary.needed))
    lines.append(_("Content digest: {digest}").format(digest=summary.digest))
    emit(args, asdict(summary), "\n".join(lines))
    return 0


def cmd_run_submit(args: argparse.Namespace) -> int:
    row = _run(args, lambda ledger: submit_run(ledger, args.id, actor=_actor(ledger, args)))
    emit(args, asdict(row), _("Run {id} submitted for approval.").format(id=row.id))
    return 0


def cmd_run_approve(args: argparse.Namespace) -> int:
    result = _run(args, lambda ledger: approve_run(ledger, args.id, approver=_sign_in(ledger, args)))
    emit(args, asdict(result), result.message)
    return 0


def cmd_run_reject(args: argparse.Namespace) -> int:
    row = _run(args, lambda ledger: reject_run(ledger, args.id, reason=args.reason, actor=_actor(ledger, args)))
    emit(args, asdict(row), _("Run {id} rejected.").format(id=row.id))
    return 0


def cmd_run_export(args: argparse.Namespace) -> int:
    result = _run(
        args, lambda ledger: export_run(ledger, args.id, args.out, actor=_actor(ledger, args), schema=args.schema)
    )
    emit(
        args,
        asdict(result),
        _("Run {id}: {count} orders, {total}, written to {path} ({schema}); marked as sent.").format(
            id=result.run_id,
            count=result.count,
            total=format_amount(result.total),
            path=result.path,
            schema=result.schema,
        ),
    )
    return 0


def cmd_run_send(args: argparse.Namespace) -> int:
    from app.services.banking.send import send_run

    result = _run(args, lambda ledger: send_run(ledger, args.id, prompts=CliPrompts(), actor=_actor(ledger, args)))
    if not result.ok:
        raise CliError(
            _("Run {id} was refused by the bank: {reason}").format(id=args.id, reason=result.message), EXIT_BANK
        )
    emit(
        args,
        asdict(result),
        _("Run {id} sent to the bank (reference {reference}).").format(id=args.id, reference=result.reference),
    )
    return 0


def _new_password(name: str) -> str:
    """KONTOR_NEW_USER_PASSWORD (when an admin signs in with KONTOR_USER_PASSWORD) or a prompt."""
    return new_secret(
        variable="KONTOR_NEW_USER_PASSWORD",
        prompt=_("New password for {name}: ").format(name=name),
        repeat=_("Repeat the new password: "),
        missing=_("No new password: set KONTOR_NEW_USER_PASSWORD or run in a terminal."),
        differ=_("The two passwords differ."),
    )


def cmd_user_add(args: argparse.Namespace) -> int:
    """The first user (the admin) sets their password like a sign-in; later users are added by a signed-in admin."""

    def add(ledger: Ledger) -> str:
        if not ledger_has_users(ledger):
            role = args.role or "admin"
            password = _password(_("Password for {name}: ").format(name=args.name))
            by = None
        else:
            if not args.role:
                raise CliError(_("Give the new user's role with --role."))
            role = args.role
            by = _sign_in(ledger, args)
            password = _new_password(args.name)
        with ledger.writer() as session:
            add_user(session, name=args.name, role=role, password=password, by=by)
        return role

    role = _run(args, add)
    emit(args, {"name": args.name, "role": role}, _("User {name} ({role}) added.").format(name=args.name, role=role))
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    def rows(ledger: Any) -> list[Any]:
        with ledger.session() as session:
            return list_users(session)

    users = _run(args, rows)
    text = "\n".join(f"{u.name:<20} {u.role:<11} {'' if u.active else _('inactive')}".rstrip() for u in users)
    emit(args, {"users": [asdict(u) for u in users]}, text or _("No users."))
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    """Users change their own password after signing in as themselves; an admin signs in to reset anyone's."""

    def change(ledger: Ledger) -> None:
        if not args.user and not os.environ.get("KONTOR_USER"):
            args.user = args.name
        by = _sign_in(ledger, args)
        password = _new_password(args.name)
        with ledger.writer() as session:
            change_password(session, name=args.name, new_password=password, by=by)

    _run(args, change)
    emit(args, {"name": args.name}, _("Password of {name} changed.").format(name=args.name))
    return 0


def cmd_user_deactivate(args: argparse.Namespace) -> int:
    def deactivate(ledger: Ledger) -> None:
        by = _sign_in(ledger, args)
        with ledger.writer() as session:
            deactivate_user(session, name=args.name, by=by)

    _run(args, deactivate)
    emit(args, {"name": args.name}, _("User {name} deactivated.").format(name=args.name))
    return 0


def cmd_user_reactivate(args: argparse.Namespace) -> int:
    def reactivate(ledger: Ledger) -> None:
        by = _sign_in(ledger, args)
        with ledger.writer() as session:
            reactivate_user(session, name=args.name, by=by)

    _run(args, reactivate)
    emit(args, {"name": args.name}, _("User {name} reactivated.").format(name=args.name))
    return 0


def cmd_user_role(args: argparse.Namespace) -> int:
    def change(ledger: Ledger) -> None:
        by = _sign_in(ledger, args)
        with ledger.writer() as session:
            change_role(session, name=args.name, role=args.role, by=by)

    _run(args, change)
    emit(args, {"name": args.name, "role": args.role},
          _("{name} is now {role}.").format(name=args.name, role=args.role))  # fmt: skip
    return 0


def cmd_user_limit(args: argparse.Namespace) -> int:
    """An approver's limit per run, or everybody's default with --default; 'none' lifts it."""
    if (args.name is None) == (not args.default):
        raise CliError(_("Name an approver, or give --default for every approver."))
    try:
        limit = None if args.amount.lower() == "none" else parse_amount(args.amount)
    except ValueError as error:
        raise CliError(_("{amount} is not an amount (or 'none').").format(amount=args.amount)) from error

    def store(ledger: Ledger) -> None:
        by = _sign_in(ledger, args)
        set_approval_limit(ledger, approver=args.name, limit=limit, actor=by.name)

    _run(args, store)
    who = args.name or _("every approver")
    shown = _("no limit") if limit is None else format_amount(limit)
    emit(args, {"name": args.name, "limit": None if limit is None else str(limit)},
          _("Approval limit of {who}: {limit}.").format(who=who, limit=shown))  # fmt: skip
    return 0


def _sub(
    parent: Any, name: str, handler: Handler, help_text: str, *, signs_in: bool = False
) -> argparse.ArgumentParser:
    """A sub-command; with `signs_in` it takes `--user` for the sign-in a ledger with users asks for."""
    parser: argparse.ArgumentParser = parent.add_parser(name, help=help_text)
    parser.set_defaults(handler=handler)
    if signs_in:
        parser.add_argument(
            "--user",
            metavar="NAME",
            help=_("sign in as this user (default: KONTOR_USER); password from KONTOR_USER_PASSWORD or a prompt"),
        )
    return json_flag(parser)


def register(commands: Commands) -> None:
    """Add the payment commands to `kontor`'s parser."""
    pay = commands.add_parser("pay", help=_("create SEPA transfers and direct debits")).add_subparsers(
        dest="what", metavar="WHAT", required=True
    )
    transfer = _sub(pay, "transfer", cmd_pay_transfer, _("a SEPA credit transfer (into the draft run)"), signs_in=True)
    transfer.add_argument("--to", metavar="NAME", help=_("recipient (default: the invoice's supplier)"))
    transfer.add_argument("--iban", help=_("recipient IBAN (default: the supplier's)"))
    transfer.add_argument("--bic", help=_("recipient BIC (derived for DE and AT)"))
    transfer.add_argument("--amount", help=_("123,45 or 123.45 (default: the invoice's open amount)"))
    transfer.add_argument("--text", help=_("remittance text, at most 140 characters"))
    transfer.add_argument("--date", type=iso_date, metavar="YYYY-MM-DD", help=_("execution date"))
    transfer.add_argument("--instant", action="store_true", help=_("SEPA instant credit transfer"))
    transfer.add_argument("--from-account", metavar="IBAN", help=_("own account to pay from"))
    transfer.add_argument("--invoice", metavar="NUMBER", help=_("pay this payable invoice"))
    debit = _sub(pay, "debit", cmd_pay_debit, _("a SEPA direct debit from a customer with a mandate"), signs_in=True)
    debit.add_argument("--customer", required=True, metavar="NUMBER")
    debit.add_argument("--amount", help=_("default: the invoice's open amount"))
    debit.add_argument("--text", help=_("remittance text"))
    debit.add_argument("--invoice", metavar="NUMBER", help=_("collect this receivable"))
    debit.add_argument("--b2b", action="store_true", help=_("SEPA B2B instead of core"))
    debit.add_argument("--date", type=iso_date, metavar="YYYY-MM-DD", help=_("due date"))
    debit.add_argument("--from-account", metavar="IBAN", help=_("own account to collect to"))

    edit = _sub(pay, "edit", cmd_pay_edit, _("change an order of an unsent run (voids its approval)"), signs_in=True)
    edit.add_argument("id", type=int, help=_("order id (see run show)"))
    edit.add_argument("--amount", help=_("new amount"))
    edit.add_argument("--text", help=_("new remittance text"))
    delete = _sub(pay, "delete", cmd_pay_delete, _("remove an order from an unsent run (voids its approval)"),
                  signs_in=True)  # fmt: skip
    delete.add_argument("id", type=int, help=_("order id (see run show)"))
    move = _sub(pay, "move", cmd_pay_move,
                _("move orders of an unsent run to another run, or to a run of another date or account"),
                signs_in=True)  # fmt: skip
    move.add_argument("ids", type=int, nargs="+", metavar="ID", help=_("order ids (see run show)"))
    move.add_argument("--to-run", type=int, metavar="RUN", help=_("an open run of the same kind"))
    move.add_argument("--date", type=iso_date, metavar="YYYY-MM-DD", help=_("execution or collection date"))
    move.add_argument("--from-account", metavar="IBAN", help=_("own account"))
    bank_name = _sub(pay, "use-bank-name", cmd_pay_bank_name,
                     _("take the account holder's name the bank's payee check gave (close match) into an order"),
                     signs_in=True)  # fmt: skip
    bank_name.add_argument("id", type=int, help=_("order id (see run show)"))

    confirm = _sub(pay, "confirm-account", cmd_pay_confirm_account,
                   _("after calling the supplier at a number you already had: make the account an invoice names "
                     "their account on record (an approver other than the order's creator)"),
                   signs_in=True)  # fmt: skip
    confirm.add_argument("id", type=int, help=_("order id (see run show)"))

    creditor = _sub(
        pay, "creditor-id", cmd_pay_creditor_id, _("set the company's SEPA creditor identifier"), signs_in=True
    )
    creditor.add_argument("creditor_id", metavar="ID")

    mandate = commands.add_parser("mandate", help=_("SEPA direct debit mandates")).add_subparsers(
        dest="what", metavar="WHAT", required=True
    )
    adding = _sub(mandate, "add", cmd_mandate_add, _("record a signed mandate"), signs_in=True)
    adding.add_argument("--customer", required=True, metavar="NUMBER")
    adding.add_argument("--reference", required=True, metavar="R")
    adding.add_argument("--signed", required=True, type=iso_date, metavar="YYYY-MM-DD")
    adding.add_argument("--iban", required=True)
    adding.add_argument("--bic")
    adding.add_argument("--name", help=_("account holder (default: the customer's name)"))
    adding.add_argument("--b2b", action="store_true", help=_("a B2B mandate"))
    adding.add_argument("--once", action="store_true", help=_("a one-off mandate (OOFF)"))
    listing = _sub(mandate, "list", cmd_mandate_list, _("list mandates"))
    listing.add_argument("--customer", metavar="NUMBER")

    run = commands.add_parser("run", help=_("payment runs: review, approve, export")).add_subparsers(
        dest="what", metavar="WHAT", required=True
    )
    _sub(run, "list", cmd_run_list, _("list payment runs")).add_argument("--status")
    _sub(run, "show", cmd_run_show, _("a run's orders, warnings and approvals")).add_argument("id", type=int)
    _sub(run, "submit", cmd_run_submit, _("hand a draft to the approvers"), signs_in=True).add_argument("id", type=int)
    approving = _sub(run, "approve", cmd_run_approve, _("approve with your own password"), signs_in=True)
    approving.add_argument("id", type=int)
    rejecting = _sub(run, "reject", cmd_run_reject, _("reject a run"), signs_in=True)
    rejecting.add_argument("id", type=int)
    rejecting.add_argument("--reason", required=True)
    exporting = _sub(run, "export", cmd_run_export, _("write an approved run as a pain file"), signs_in=True)
    exporting.add_argument("id", type=int)
    exporting.add_argument("--out", required=True, type=Path, metavar="FILE.xml")
    exporting.add_argument("--schema", metavar="PAIN", help=_("e.g. pain.001.001.03 if the bank needs it"))
    sending = _sub(run, "send", cmd_run_send, _("send an approved run through the bank"), signs_in=True)
    sending.add_argument("id", type=int)

    user = commands.add_parser("user", help=_("ledger users for approvals")).add_subparsers(
        dest="what", metavar="WHAT", required=True
    )
    user_add = _sub(
        user, "add", cmd_user_add, _("add a user; the first one is the admin, later ones need an admin's sign-in"),
        signs_in=True,
    )  # fmt: skip
    user_add.add_argument("name")
    user_add.add_argument(
        "--role", choices=["bookkeeper", "approver", "admin"], help=_("required, except for the first user (admin)")
    )
    _sub(user, "list", cmd_user_list, _("list users"))
    _sub(user, "passwd", cmd_user_passwd, _("set a user's password"), signs_in=True).add_argument("name")
    _sub(user, "deactivate", cmd_user_deactivate, _("take a user's access away"), signs_in=True).add_argument("name")
    _sub(user, "reactivate", cmd_user_reactivate, _("give a deactivated user access again (admins)"), signs_in=True
         ).add_argument("name")  # fmt: skip
    user_role = _sub(user, "role", cmd_user_role, _("change what a user may do (admins)"), signs_in=True)
    user_role.add_argument("name")
    user_role.add_argument("role", choices=["bookkeeper", "approver", "admin"])
    user_limit = _sub(
        user, "limit", cmd_user_limit, _("an approver's limit per run; above it a second approver is needed (admins)"),
        signs_in=True,
    )  # fmt: skip
    user_limit.add_argument("name", nargs="?", help=_("the approver; leave out with --default"))
    user_limit.add_argument("amount", help=_("the limit, or 'none'"))
    user_limit.add_argument("--default", action="store_true", help=_("the limit of every approver without their own"))
