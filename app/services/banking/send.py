"""Approved payment runs through FinTS: `send_run`, the one way the CLI and the GUI send a run to its bank.

Blocks on the bank, the TAN prompt and the ledger; call from the FinTS worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.models.schema import BankAccount, BankConnection, PayeeCheckResult, PaymentOrder
from app.services.banking.banks import product_id as configured_product_id
from app.services.banking.connections import BankConnectionError, bank_login, list_connections
from app.services.banking.fints_client import BankError, Cancelled, FinTSService, WrongPinError
from app.services.banking.pins import pin_for
from app.services.banking.prompts import PayeeCheck, UserPrompts
from app.services.formatting import format_amount, grouped_iban
from app.services.i18n import _, ngettext
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.secrets import forget_pin, pin_key
from app.services.payments import runs
from app.services.payments.runs import SendResult, get_run

log = logging.getLogger(__name__)


class FinTSRunSender:
    """A `RunSender` over one stored connection: one dialog per order, the client state stored afterwards."""

    def __init__(
        self,
        ledger: Ledger,
        connection_id: int,
        *,
        pin: str,
        prompts: UserPrompts,
        run_id: int,
        actor: str,
        cancel: threading.Event | None = None,
    ) -> None:
        self.ledger = ledger
        self.connection_id = connection_id
        self.run_id = run_id
        self.actor = actor
        self.pin = pin
        self.prompts = prompts
        self.cancel = cancel

    def send_transfers(
        self,
        account_iban: str,
        pain_xml: bytes,
        *,
        multiple: bool,
        control_sum: Decimal,
        instant: bool,
        pain_descriptor: str,
    ) -> SendResult:
        return self._send(
            lambda service: service.send_sepa_transfer(
                account_iban,
                pain_xml,
                multiple=multiple,
                control_sum=control_sum,
                instant=instant,
                pain_descriptor=pain_descriptor,
            )
        )

    def send_debits(
        self,
        account_iban: str,
        pain_xml: bytes,
        *,
        multiple: bool,
        control_sum: Decimal,
        scheme: str,
        pain_descriptor: str,
    ) -> SendResult:
        return self._send(
            lambda service: service.send_sepa_debit(
                account_iban,
                pain_xml,
                multiple=multiple,
                control_sum=control_sum,
                scheme=scheme,
                pain_descriptor=pain_descriptor,
            )
        )

    def _send(self, order: Callable[[FinTSService], SendResult]) -> SendResult:
        """No ledger transaction is open while the bank and the TAN prompt work; the state is written after."""
        with self.ledger.session() as session:
            login = bank_login(_connection(session, self.connection_id))
            product = configured_product_id(session)
        service = FinTSService(login, pin=self.pin, product_id=product, prompts=self.prompts, cancel=self.cancel)
        service.order_summary = order_summary(runs.run_row(self.ledger, self.run_id))
        outcome: SendResult | None = None
        try:
            with service.session():
                outcome = order(service)
        except WrongPinError:
            forget_pin(pin_key(login.blz, login.login))
            raise
        except BankError:
            if outcome is None:
                raise
            # The bank answered the order; only ending the dialog failed. Raising would leave the run approved.
            log.warning("FinTS dialog end failed after a payment order was answered", exc_info=True)
        finally:
            self._record_payee_checks(service)
        assert outcome is not None
        self._store_state(service.state())
        return outcome

    def _record_payee_checks(self, service: FinTSService) -> None:
        """The bank's check of each order, and who sent a questioned transfer anyway or stopped it, into the ledger
        (shown in `run show` and the approval dialog) and the audit log."""
        decisions = {id(check): confirmed for check, confirmed in service.payee_decisions}
        checks = list(service.payee_results)
        if not checks:
            return
        with self.ledger.writer() as session:
            orders = runs.orders_of(session, self.run_id)
            for check in checks:
                confirmed = decisions.get(id(check))
                decision = "" if confirmed is None else ("confirmed" if confirmed else "declined")
                order = _order_for(check, orders)
                if order is not None:
                    row = PayeeCheckResult(
                        order_id=order.id,
                        result=check.result[:4],
                        bank_name=check.close_match_name[:140],
                        reason=check.reason,
                        notice=check.notice,
                        decision=decision,
                        decided_by=self.actor if decision else "",
                    )
                    session.add(row)
                    session.flush()
                    audit.record_row(session, actor=self.actor, action="create", row=row,
                                     summary=f"payee check {check.result} for order {order.end_to_end_id}")  # fmt: skip
                if decision:
                    audit.record(
                        session,
                        actor=self.actor,
                        action=f"payee_{decision}",
                        entity="payment_runs",
                        entity_id=self.run_id,
                        data={
                            "result": check.result,
                            "iban": check.iban,
                            "close_match_name": check.close_match_name,
                            "reason": check.reason,
                            "notice": check.notice,
                        },
                        summary=f"run {self.run_id}: payee check {check.result or '?'} for {check.iban}, "
                        + ("sent anyway" if confirmed else "stopped"),
                    )

    def _store_state(self, state: bytes) -> None:
        """Best effort: the order is at the bank now, so a failed write must not read as "nothing was sent"."""
        try:
            with self.ledger.writer() as session:
                connection = session.get(BankConnection, self.connection_id)
                if connection is not None:
                    connection.client_state = state
        except SQLAlchemyError:
            log.warning("FinTS state of connection %s not stored after a payment order", self.connection_id)


def order_summary(run: runs.RunRow) -> str:
    """What the TAN for a run authorises, in Kontor's words, to set beside the bank's own text."""
    if run.kind == "transfer":
        kind = _("SEPA Instant transfer") if run.instant else _("Transfer")
    else:
        kind = _("SEPA B2B direct debit") if run.scheme == "B2B" else _("Direct debit")
    orders = ngettext("{n} order", "{n} orders", run.count).format(n=run.count)
    return _("{kind}, {orders}, {total} (run {id})").format(
        kind=kind, orders=orders, total=format_amount(run.total), id=run.id
    )


def _order_for(check: PayeeCheck, orders: list[PaymentOrder]) -> PaymentOrder | None:
    """The order a check is about: by end-to-end ID (collective orders), else by IBAN, else the only one."""
    if check.end_to_end_id:
        return next((order for order in orders if order.end_to_end_id == check.end_to_end_id), None)
    iban = check.iban.replace(" ", "").upper()
    found = [order for order in orders if order.iban == iban] if iban else []
    if len(found) == 1:
        return found[0]
    return orders[0] if len(orders) == 1 else None


def _connection(session: Session, connection_id: int) -> BankConnection:
    connection = session.get(BankConnection, connection_id)
    if connection is None:
        raise BankConnectionError(_("There is no bank connection {id}.").format(id=connection_id))
    return connection


def connection_for_run(ledger: Ledger, run_id: int) -> int:
    """The connection that owns the run's debtor account: its login is the one that may pay from it."""
    with ledger.session() as session:
        run = get_run(session, run_id)
        account = session.get(BankAccount, run.account_id)
        assert account is not None
        if account.connection_id is None:
            raise BankConnectionError(
                _(
                    "The account {iban} of run {id} has no bank connection; set one up with `kontor bank add`, or "
                    "export the run with `kontor run export {id} --out FILE.xml` and upload it in online banking."
                ).format(iban=grouped_iban(account.iban), id=run_id)
            )
        return account.connection_id


def send_run(
    ledger: Ledger,
    run_id: int,
    *,
    prompts: UserPrompts,
    actor: str,
    cancel: threading.Event | None = None,
    pin: str | None = None,
) -> SendResult:
    """Send an approved run with PIN and TAN through its account's connection, and record the bank's answer.

    The PIN comes from `pin`, KONTOR_PIN, the keyring or `prompts` (None there cancels). A refusal is a result
    (the run is marked failed); an exception means nothing was sent and the run stays approved.
    """
    connection_id = connection_for_run(ledger, run_id)
    if pin is None:
        [connection] = [item for item in list_connections(ledger) if item.id == connection_id]
        pin = pin_for(connection, prompts)
        if not pin:
            raise Cancelled
    sender = FinTSRunSender(ledger, connection_id, pin=pin, prompts=prompts, run_id=run_id, actor=actor, cancel=cancel)
    return runs.send_run(ledger, run_id, sender=sender, actor=actor)
