"""`kontor bank …`, `kontor sync` and `kontor demo-bank`: bank connections on the command line."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import threading
from dataclasses import asdict
from typing import Any

from app.cli.common import CliError, Commands, add_command, emit, iso_date, open_ledger
from app.cli.prompts import CliPrompts
from app.services.errors import EXIT_BANK, EXIT_WARNINGS
from app.services.i18n import _
from app.services.ledger.actor import current_actor

EXIT_SYNC_WARNINGS = EXIT_WARNINGS  # every connection synced, but some account has warnings (no balance…)


def _pin(label: str) -> str:
    from_env = os.environ.get("KONTOR_PIN")
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise CliError(_("No PIN: set KONTOR_PIN or run in a terminal."))
    pin = getpass.getpass(_("PIN for {label}: ").format(label=label))
    if not pin:
        raise CliError(_("Cancelled."))
    return pin


def cmd_bank_add(args: argparse.Namespace) -> int:
    from app.services.banking.connections import add_connection
    from app.services.ledger.secrets import KeyringUnavailableError, pin_key, remember_pin

    pin = _pin(f"{args.login} @ {args.blz}")
    with open_ledger(args) as ledger:
        summary = add_connection(
            ledger,
            blz=args.blz,
            url=args.url,
            login=args.login,
            customer_id=args.customer_id or "",
            pin=pin,
            prompts=CliPrompts(args.tan_method, args.tan_medium),
            actor=current_actor(),
        )
    if args.remember_pin:
        try:
            remember_pin(pin_key(summary.blz, summary.login), pin)
        except KeyringUnavailableError as error:
            print(str(error), file=sys.stderr)
    text = _("Connection {id}: {bank}, TAN method {method}, accounts: {accounts}").format(
        id=summary.id, bank=summary.bank_name, method=summary.tan_mechanism, accounts=", ".join(summary.accounts)
    )
    emit(args, asdict(summary), text)
    return 0


def cmd_bank_list(args: argparse.Namespace) -> int:
    from app.services.banking.connections import list_connections

    with open_ledger(args) as ledger:
        connections = list_connections(ledger)
    if args.json:
        print(json.dumps([asdict(c) for c in connections], ensure_ascii=False, default=str))
        return 0
    if not connections:
        print(_("No bank connections."))
    for c in connections:
        synced = c.last_sync_at.strftime("%Y-%m-%d %H:%M") if c.last_sync_at else _("never")
        print(f"{c.id:>3}  {c.bank_name} ({c.blz})  {c.login}  TAN {c.tan_mechanism}  {_('synced')} {synced}")
        for iban in c.accounts:
            print(f"       {iban}")
    return 0


def cmd_bank_remove(args: argparse.Namespace) -> int:
    from app.services.banking.connections import remove_connection

    with open_ledger(args) as ledger:
        remove_connection(ledger, args.id, actor=current_actor())
    emit(args, {"removed": args.id}, _("Connection {id} removed; its accounts keep their history.").format(id=args.id))
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    """Each connection on its own; 0 all fine, 5 completed with warnings, 4 a bank refused, 3 wrong PIN (stops)."""
    from app.services.banking.connections import list_connections, sync
    from app.services.banking.fints_client import BankError, WrongPinError
    from app.services.banking.pins import pin_for
    from app.services.payments.runs import after_statement_import

    prompts = CliPrompts()
    results: list[dict[str, Any]] = []
    failed = warned = False
    with open_ledger(args) as ledger:
        connections = list_connections(ledger)
        if args.connection is not None:
            connections = [c for c in connections if c.id == args.connection]
            if not connections:
                raise CliError(_("There is no bank connection {id}.").format(id=args.connection))
        for connection in connections:
            pin = pin_for(connection, prompts)
            if not pin:
                raise CliError(_("No PIN: set KONTOR_PIN or run in a terminal."))
            if not args.json:
                print(f"{connection.bank_name} ({connection.login}):")
            actor = current_actor()
            try:
                result = sync(
                    ledger,
                    connection.id,
                    pin=pin,
                    prompts=prompts,
                    actor=actor,
                    since=args.since,
                    after_import=after_statement_import(actor),
                )
            except BankError as error:
                if isinstance(error, WrongPinError):
                    raise  # a wrong PIN stops everything; so do a cancel and a connection problem of ours
                failed = True
                print(_("kontor: {bank}: {error}").format(bank=connection.bank_name, error=error), file=sys.stderr)
                results.append({"connection_id": connection.id, "error": str(error), "accounts": []})
                continue
            warned = warned or result.warnings > 0
            results.append(asdict(result))
            if not args.json:
                _print_sync(result)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, default=str))
    if failed:
        return EXIT_BANK
    return EXIT_SYNC_WARNINGS if warned else 0


def _print_sync(result: Any) -> None:
    """One line per account, its warnings below it."""
    for account in result.accounts:
        balance = account.balance if account.balance is not None else _("none")
        print(
            "  "
            + _("{iban}: {new} new, {duplicates} duplicates, {warnings} warnings, balance {balance}").format(
                iban=account.iban,
                new=account.new,
                duplicates=account.duplicates,
                warnings=len(account.warnings),
                balance=balance,
            )
        )
        for warning in account.warnings:
            print("    " + _("warning: {text}").format(text=warning))


def cmd_demo_bank(args: argparse.Namespace) -> int:
    """Serve the Kontor Demobank on 127.0.0.1 until Ctrl+C, for trying `kontor bank add` and the GUI."""
    from app.demobank import DEMO_BLZ, DEMO_LOGIN, DEMO_PIN, run_demo_bank
    from app.demobank.payee_check import describe

    server = run_demo_bank(port=args.port, seed=args.seed)
    try:
        info = {"url": server.url, "blz": DEMO_BLZ, "login": DEMO_LOGIN, "pin": DEMO_PIN}
        register = server.bank.policy.vop_register
        text = _("Kontor Demobank at {url}\nBLZ {blz}, login {login}, PIN {pin}\nCtrl+C stops it.").format(**info)
        text += "\n" + _("Verification of payee, account holders it knows:") + "\n  " + "\n  ".join(describe(register))
        text += "\n" + _(
            "The exact name is a match (RCVC); umlauts, legal form, word order or a small typo a close match with the "
            "holder's name (RVMC); another name no match (RVNM); any other IBAN cannot be checked (RVNA)."
        )
        emit(args, info | {"payee_register": dict(register)}, text)
        sys.stdout.flush()
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def register(commands: Commands) -> None:
    """Add the bank commands to `kontor`'s parser."""
    bank = commands.add_parser("bank", help=_("online banking connections (FinTS)"))
    what = bank.add_subparsers(dest="what", metavar="WHAT", required=True)
    adding = what.add_parser("add", help=_("set up a FinTS PIN/TAN login and its accounts"))
    adding.set_defaults(handler=cmd_bank_add)
    adding.add_argument("--blz", required=True, help=_("bank code (Bankleitzahl)"))
    adding.add_argument("--url", required=True, help=_("the bank's FinTS PIN/TAN URL"))
    adding.add_argument("--login", required=True, help=_("online banking login"))
    adding.add_argument("--customer-id", help=_("customer ID, if the bank gave one besides the login"))
    adding.add_argument("--tan-method", metavar="CODE", help=_("TAN method, e.g. 942 (else asked)"))
    adding.add_argument("--tan-medium", metavar="NAME", help=_("TAN medium (else asked)"))
    adding.add_argument("--remember-pin", action="store_true", help=_("remember the PIN in the OS keyring"))
    listing = what.add_parser("list", help=_("list bank connections"))
    listing.set_defaults(handler=cmd_bank_list)
    listing.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=_("machine-readable output"))
    removing = what.add_parser("remove", help=_("remove a bank connection (accounts and history stay)"))
    removing.set_defaults(handler=cmd_bank_remove)
    removing.add_argument("id", type=int)

    syncing = add_command(commands, "sync", cmd_sync, _("fetch balances and statements from the bank"))
    syncing.description = _(
        "Fetch each account's balance and statements on its own. Exit status: 0 done; 5 done with warnings "
        "(an account without balance, an unreadable document, a bank error on one account); 4 a bank refused "
        "or could not be reached; 3 the bank did not accept the PIN (never retried, stops the sync)."
    )
    syncing.add_argument("--connection", type=int, metavar="ID", help=_("only this connection (default: all)"))
    syncing.add_argument("--since", type=iso_date, metavar="DATE", help=_("fetch from this date (may need a TAN)"))
    syncing.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=_("machine-readable output"))

    demo = add_command(commands, "demo-bank", cmd_demo_bank, _("run the Kontor Demobank on 127.0.0.1 until Ctrl+C"))
    demo.add_argument("--port", type=int, default=0)
    demo.add_argument("--seed", type=int, default=1)
