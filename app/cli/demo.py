"""`kontor demo` and `kontor demo-run`: the demo ledger, and the demo opened in the GUI with its bank."""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict
from pathlib import Path

from app.cli.common import (
    Commands,
    add_command,
    emit,
    new_passphrase,
    open_ledger,
)
from app.services.i18n import _
from app.services.ledger.actor import current_actor


def cmd_demo(args: argparse.Namespace) -> int:
    from app.services.demo.data import add_demo_users, create_demo_ledger
    from app.services.ledger.database import Ledger

    passphrase = os.environ.get("KONTOR_PASSPHRASE") or new_passphrase()
    with Ledger.create(args.ledger, passphrase, company_name="Demo") as ledger:
        summary = create_demo_ledger(ledger, actor=current_actor())
        add_demo_users(ledger)
    text = _("Demo ledger {path}: {transactions} transactions, {invoices} invoices, {customers} customers").format(
        path=args.ledger, **asdict(summary)
    )
    emit(args, {"ledger": str(args.ledger), **asdict(summary)}, text)
    return 0


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


def register(commands: Commands) -> None:
    """Add the demo commands to `kontor`'s parser."""
    add_command(commands, "demo", cmd_demo, _("create a demo ledger with sample data"))
    add_command(commands, "demo-run", cmd_demo_run, _("open the demo ledger in the GUI, creating it first if needed"))
