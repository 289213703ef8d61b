"""One workstation of the concurrency test, run in a process of its own: it imports overlapping statements (each
import matches its payments), matches again, and approves and changes the same payment runs as the others."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from app.services.ledger.server import open_server
from app.services.ledger.users import sign_in
from app.services.payments.approvals import approve_run
from app.services.payments.orders import update_order
from app.services.payments.runs import after_statement_import
from app.services.payments.sepa_checks import PaymentError
from app.services.reconciliation.automatic import match_payments
from app.services.statements.importing import import_statement_files


def work(
    url: str, number: int, statements: list[str], runs: list[tuple[int, int]], passwords: dict[str, str], start: Any
) -> dict[str, int]:
    """What one workstation did (imported, duplicates, approvals, changes); raises if anything failed."""
    import keyring
    from keyring.backends import null

    keyring.set_keyring(null.Keyring())  # this process has no desktop keyring; PGPASSFILE has the password
    shuffle = random.Random(number)
    files = [Path(name) for name in statements[number:] + statements[:number]]  # each starts elsewhere
    done = {"new": 0, "duplicates": 0, "approved": 0, "refused": 0, "changed": 0}
    with open_server(url) as ledger:
        approver = sign_in(ledger, "bob" if number % 2 else "carla", passwords["bob" if number % 2 else "carla"])
        start.wait()  # all four begin together
        for path in files:
            [result] = import_statement_files(ledger, [path], actor="anna", after_import=after_statement_import("anna"))
            assert result.ok and not [w for w in result.warnings if "matching did not run" in w], result
            done["new"] += result.new
            done["duplicates"] += result.duplicates
            for run_id, order_id in shuffle.sample(runs, len(runs)):
                if number == 0 and shuffle.random() < 0.5:
                    update_order(ledger, order_id, amount=f"{shuffle.randint(10, 99)}.00", actor="anna")
                    done["changed"] += 1
                try:
                    approve_run(ledger, run_id, approver=approver)
                    done["approved"] += 1
                except PaymentError:  # approved by the other approver already, or not submitted any more
                    done["refused"] += 1
        match_payments(ledger, actor="anna")
    return done
