"""SEPA transfers and direct debits as orders in payment runs, with duplicate and recipient checks.

The forms (and `kontor pay`) call `create_transfer`, `transfer_from_invoice`, `create_debit` and
`debits_from_open_receivables`; each is one ledger transaction and returns the order with its warnings.
Blocks; call from a worker.
"""

from __future__ import annotations

import secrets
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus
from app.models.payments import RunStatus
from app.models.schema import BankAccount, Customer, Invoice, Mandate, PaymentOrder, PaymentRun, Transaction
from app.services.formatting import format_amount, format_date, from_cents, grouped_iban, to_cents
from app.services.i18n import _
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.payments.business_days import earliest_collection, is_business_day, next_business_day
from app.services.payments.invoice_terms import (
    account_warnings,
    debit_mandate,
    iban_warnings,
    invoice_document,
    payee_account,
    skonto_payment,
)
from app.services.payments.mandates import usable_mandate
from app.services.payments.payee_checks import latest_checks
from app.services.payments.runs import LIVE_STATUSES, before_change, draft_run, get_run
from app.services.payments.sepa_checks import (
    END_TO_END_LENGTH,
    NAME_LENGTH,
    REMITTANCE_LENGTH,
    PaymentError,
    keeps_umlauts,
    normalize_iban,
    parse_amount,
    resolve_bic,
    sepa_text,
    transliterate,
    validate_creditor_id,
    validate_iban,
    validate_reference,
)
from app.services.payments.settings import PaymentConfig, company, payment_config
from app.services.reconciliation.engine_input import engine_invoices


@dataclass(frozen=True, slots=True)
class PaymentWarning:
    """Something an approver should look at; `kind` is duplicate, first_time, changed_iban or large_amount."""

    kind: str
    message: str
    order_id: int | None = None


@dataclass(frozen=True, slots=True)
class OrderResult:
    order_id: int
    run_id: int
    end_to_end_id: str
    amount: Decimal
    execution_on: date
    warnings: tuple[PaymentWarning, ...]
    note: str = ""  # what was decided for the user, such as a Skonto taken


class WarningsToConfirm(PaymentError):
    """An order not added because it has warnings the user has not seen yet (`confirm_warnings`); nothing was
    written, so the form can show them with "Add anyway" and "Cancel"."""

    def __init__(self, warnings: Sequence[PaymentWarning]) -> None:
        super().__init__("", _("Please check before the order is added."))
        self.warnings = tuple(warnings)


def _checked(result: OrderResult, *, confirm_warnings: bool) -> OrderResult:
    """The result, or WarningsToConfirm (rolling back the writer's transaction) while warnings wait for the user."""
    if confirm_warnings and result.warnings:
        raise WarningsToConfirm(result.warnings)
    return result


def new_end_to_end_id() -> str:
    """Unique and in the restricted SEPA reference set, so the booking can be found again by it."""
    return "KONTOR-" + secrets.token_hex(8).upper()


def _account(session: Session, iban: str | None) -> BankAccount:
    if iban:
        account = session.scalar(select(BankAccount).where(BankAccount.iban == normalize_iban(iban)))
        if account is None:
            raise PaymentError(
                "from_account", _("No own account {iban} in the ledger.").format(iban=grouped_iban(iban))
            )
        return account
    accounts = list(session.scalars(select(BankAccount).where(BankAccount.currency == "EUR").limit(2)))
    if len(accounts) != 1:
        raise PaymentError(
            "from_account",
            _("Choose the account to pay from.") if accounts else _("Add a bank account to pay from first."),
        )
    return accounts[0]


def _from_german_account(session: Session, run: PaymentRun) -> bool:
    """Whether the run pays from an account whose bank takes umlauts in names (`keeps_umlauts`)."""
    account = session.get(BankAccount, run.account_id)
    return account is not None and keeps_umlauts(account.iban)


def _execution_date(requested: date | None, today: date) -> date:
    if requested is None:
        return next_business_day(today)
    if requested < today:
        raise PaymentError("date", _("{date} has passed.").format(date=requested))
    if not is_business_day(requested):
        raise PaymentError(
            "date",
            _("{date} is no TARGET2 business day; the next one is {next}.").format(
                date=requested, next=next_business_day(requested)
            ),
        )
    return requested


def _normalized(text: str) -> str:
    return " ".join(transliterate(text).casefold().split())


# -- warnings ------------------------------------------------------------------------------------------------


def duplicate_warnings(
    session: Session,
    *,
    kind: str,
    iban: str,
    amount_cents: int,
    remittance: str,
    invoice_id: int | None,
    exclude_order_id: int | None = None,
    config: PaymentConfig,
    today: date,
) -> list[PaymentWarning]:
    """The same invoice, or the same recipient, amount and text, in a live run or paid within N days."""
    warnings = []
    live = (
        select(PaymentOrder, PaymentRun)
        .join(PaymentRun, PaymentRun.id == PaymentOrder.run_id)
        .where(PaymentRun.status.in_(LIVE_STATUSES), PaymentRun.kind == kind)
    )
    if exclude_order_id is not None:
        live = live.where(PaymentOrder.id != exclude_order_id)
    if invoice_id is not None:
        for order, run in session.execute(live.where(PaymentOrder.invoice_id == invoice_id)):
            invoice = session.get(Invoice, invoice_id)
            warnings.append(
                PaymentWarning(
                    "duplicate",
                    _("Invoice {number} is already in run {run} ({status}).").format(
                        number=invoice.number if invoice else invoice_id, run=run.id, status=run.status
                    ),
                    order.id,
                )
            )
    text = _normalized(remittance)
    same = live.where(PaymentOrder.iban == iban, PaymentOrder.amount_cents == amount_cents)
    for order, run in session.execute(same):
        if _normalized(order.remittance) == text and not (invoice_id and order.invoice_id == invoice_id):
            warnings.append(
                PaymentWarning(
                    "duplicate",
                    _("The same recipient, amount and text are already in run {run} ({status}).").format(
                        run=run.id, status=run.status
                    ),
                    order.id,
                )
            )
    sign = -1 if kind == "transfer" else 1
    since = today - timedelta(days=config.duplicate_days)
    for tx in session.scalars(
        select(Transaction).where(
            Transaction.counterparty_iban == iban,
            Transaction.amount_cents == sign * amount_cents,
            Transaction.booked_on >= since,
            Transaction.status == BookingStatus.BOOKED,
        )
    ):
        if text in _normalized(tx.purpose):
            warnings.append(
                PaymentWarning(
                    "duplicate",
                    _("{amount} with this text went to this IBAN on {date} already.").format(
                        amount=format_amount(from_cents(amount_cents)), date=format_date(tx.booked_on)
                    ),
                )
            )
    return warnings


def recipient_warnings(
    session: Session, *, name: str, iban: str, amount_cents: int, config: PaymentConfig, before_run: int | None = None
) -> list[PaymentWarning]:
    """First-time recipients, a known name with a new IBAN, and amounts far above the usual ones (transfers)."""
    warnings = []
    paid = select(
        Transaction.booked_on, Transaction.counterparty_name, Transaction.counterparty_iban, Transaction.amount_cents
    ).where(Transaction.amount_cents < 0, Transaction.status == BookingStatus.BOOKED)
    sent = (
        select(PaymentRun.execution_on, PaymentOrder.name, PaymentOrder.iban, PaymentOrder.amount_cents)
        .join(PaymentRun, PaymentRun.id == PaymentOrder.run_id)
        .where(PaymentRun.kind == "transfer", PaymentRun.status.in_((RunStatus.SENT, RunStatus.BOOKED)))
    )
    if before_run is not None:
        sent = sent.where(PaymentRun.id != before_run)
    history = [(on, name_, iban_, abs(cents)) for on, name_, iban_, cents in session.execute(paid)]
    history += list(session.execute(sent))
    to_iban = [cents for _on, _name, other, cents in history if normalize_iban(other or "") == iban]
    amount = format_amount(from_cents(amount_cents))
    if not to_iban:
        warnings.append(
            PaymentWarning(
                "first_time", _("{name}: first payment ever to {iban}.").format(name=name, iban=grouped_iban(iban))
            )
        )
    key = _normalized(name)
    by_name = sorted(
        ((on, normalize_iban(other or "")) for on, other_name, other, _c in history if _normalized(other_name) == key),
        key=lambda item: item[0],
    )
    if by_name and by_name[-1][1] and by_name[-1][1] != iban:
        # A known payee at a new account: "changed IBAN" says it all, "first payment ever" would contradict it.
        warnings = [warning for warning in warnings if warning.kind != "first_time"]
        warnings.append(
            PaymentWarning(
                "changed_iban",
                _("{name} was paid to {old} last time, now to {new}.").format(
                    name=name, old=grouped_iban(by_name[-1][1]), new=grouped_iban(iban)
                ),
            )
        )
    if len(to_iban) >= 3 and amount_cents > config.median_factor * Decimal(statistics.median(to_iban)):
        warnings.append(
            PaymentWarning(
                "large_amount",
                _("{amount} to {name} is more than {factor}× the usual {median}.").format(
                    amount=amount,
                    name=name,
                    factor=config.median_factor,
                    median=format_amount(from_cents(int(statistics.median(to_iban)))),
                ),
            )
        )
    elif from_cents(amount_cents) > config.large_amount:
        warnings.append(
            PaymentWarning(
                "large_amount",
                _("{amount} to {name} is above the threshold of {limit}.").format(
                    amount=amount, name=name, limit=format_amount(config.large_amount)
                ),
            )
        )
    return warnings


# -- transfers -----------------------------------------------------------------------------------------------


def _payable(session: Session, number: str) -> Invoice:
    invoice = session.scalar(select(Invoice).where(Invoice.kind == "payable", Invoice.number == number))
    if invoice is None:
        raise PaymentError("invoice", _("No payable invoice {number}.").format(number=number))
    if invoice.cancelled:
        raise PaymentError("invoice", _("Invoice {number} is cancelled.").format(number=number))
    return invoice


def _open_cents(session: Session, invoice: Invoice) -> int:
    found = engine_invoices(session, [invoice.id])
    return to_cents(found[0].open_amount) if found else 0


def _add_order(
    session: Session,
    run: PaymentRun,
    *,
    name: str,
    iban: str,
    bic: str,
    amount_cents: int,
    remittance: str,
    end_to_end_id: str,
    actor: str,
    invoice_id: int | None = None,
    customer_id: int | None = None,
    mandate_id: int | None = None,
    sequence: str = "",
) -> PaymentOrder:
    if session.scalar(select(PaymentOrder.id).where(PaymentOrder.end_to_end_id == end_to_end_id)):
        raise PaymentError("end_to_end_id", _("End-to-end ID {id} is used already.").format(id=end_to_end_id))
    before_change(session, run, actor=actor, what=f"order {end_to_end_id} added")
    order = PaymentOrder(
        run_id=run.id,
        name=name,
        iban=iban,
        bic=bic,
        amount_cents=amount_cents,
        remittance=remittance,
        end_to_end_id=end_to_end_id,
        invoice_id=invoice_id,
        customer_id=customer_id,
        mandate_id=mandate_id,
        sequence=sequence,
        created_by=actor,
    )
    session.add(order)
    summary = f"{run.kind} {end_to_end_id} {format_amount(from_cents(amount_cents))} to {name} in run {run.id}"
    audit.record_row(session, actor=actor, action="create", row=order, summary=summary)
    return order


def create_transfer(
    ledger: Ledger,
    *,
    name: str = "",
    iban: str = "",
    amount: Decimal | str | None = None,
    text: str = "",
    bic: str = "",
    execution_on: date | None = None,
    instant: bool = False,
    account_iban: str | None = None,
    invoice_number: str | None = None,
    end_to_end_id: str | None = None,
    run_id: int | None = None,
    actor: str,
    today: date | None = None,
    confirm_warnings: bool = False,
) -> OrderResult:
    """A SEPA credit transfer, added to the draft run of its account and date (or to `run_id`).

    With `invoice_number` (a payable) the recipient, IBAN and open amount come from the invoice and its supplier,
    and the invoice number leads the remittance text; given values override them. With `confirm_warnings` an
    order that has warnings is not added: WarningsToConfirm carries them to the form first.
    """
    today = today or date.today()
    with ledger.writer() as session:
        config = payment_config(session)
        invoice = _payable(session, invoice_number) if invoice_number else None
        supplier = session.get(Customer, invoice.customer_id) if invoice else None
        document = invoice_document(session, invoice.id) if invoice else None
        mandate = debit_mandate(document)
        if invoice is not None and supplier is not None and mandate:
            raise PaymentError(
                "invoice",
                _("{supplier} collects invoice {number} by direct debit (mandate {mandate}); a transfer would pay it "
                  "twice.").format(supplier=supplier.name, number=invoice.number, mandate=mandate),
            )  # fmt: skip
        skonto = None
        if invoice is not None and amount is None:
            open_cents = _open_cents(session, invoice)
            if open_cents <= 0:
                raise PaymentError("invoice", _("Invoice {number} is paid already.").format(number=invoice.number))
            skonto = skonto_payment(invoice, document, open_cents=open_cents, requested_on=execution_on, today=today)
            amount = from_cents(skonto.amount_cents if skonto else open_cents)
            execution_on = skonto.execution_on if skonto else execution_on
        if amount is None:
            raise PaymentError("amount", _("An amount is needed."))
        cents = to_cents(parse_amount(amount))
        given_run = get_run(session, run_id) if run_id is not None else None
        account = session.get(BankAccount, given_run.account_id) if given_run else _account(session, account_iban)
        umlauts = account is not None and keeps_umlauts(account.iban)
        name = sepa_text(name or (supplier.name if supplier else ""), field="name", limit=NAME_LENGTH, umlauts=umlauts)
        if invoice is not None and not iban:
            iban, invoice_bic = payee_account(document, supplier)
            bic = bic or invoice_bic
        if not iban:
            raise PaymentError("iban", _("{name} has no IBAN; enter one.").format(name=name))
        iban = validate_iban(iban)
        bic = resolve_bic(iban, bic)
        if invoice is not None and invoice.number not in text:
            text = f"{invoice.number} {text}".strip()
        if skonto is not None:
            text = f"{text} abzgl. {skonto.offer.percent.normalize():f}% Skonto"
        remittance = sepa_text(text, field="text", limit=REMITTANCE_LENGTH)
        e2e = validate_reference(end_to_end_id or new_end_to_end_id(), field="end_to_end_id")
        if len(e2e) > END_TO_END_LENGTH:
            raise PaymentError("end_to_end_id", _("At most 35 characters."))
        if given_run is not None:
            run = given_run
            if run.kind != "transfer":
                raise PaymentError("run", _("Run {id} holds direct debits.").format(id=run_id))
        else:
            assert account is not None
            run = draft_run(
                session,
                kind="transfer",
                account=account,
                execution_on=_execution_date(execution_on, today),
                instant=instant,
                actor=actor,
            )
        warnings = duplicate_warnings(
            session,
            kind="transfer",
            iban=iban,
            amount_cents=cents,
            remittance=remittance,
            invoice_id=invoice.id if invoice else None,
            config=config,
            today=today,
        )
        order = _add_order(
            session,
            run,
            name=name,
            iban=iban,
            bic=bic,
            amount_cents=cents,
            remittance=remittance,
            end_to_end_id=e2e,
            invoice_id=invoice.id if invoice else None,
            customer_id=supplier.id if supplier else None,
            actor=actor,
        )
        session.flush()
        warnings += recipient_warnings(session, name=name, iban=iban, amount_cents=cents, config=config)
        if invoice is not None:
            changed = [PaymentWarning("changed_iban", m) for m in account_warnings(invoice, supplier, document, iban)]
            warnings = _with_account_warnings(warnings, changed)
        result = OrderResult(
            order.id,
            run.id,
            e2e,
            from_cents(cents),
            run.execution_on,
            tuple(_for(order.id, w) for w in warnings),
            skonto.remark() if skonto else "",
        )
        return _checked(result, confirm_warnings=confirm_warnings)


def _with_account_warnings(found: list[PaymentWarning], changed: list[PaymentWarning]) -> list[PaymentWarning]:
    """Add an invoice's changed-account warnings; "first payment ever" would only repeat that the account is new."""
    if changed:
        found = [warning for warning in found if warning.kind != "first_time"]
    return found + changed


def invoice_iban_warnings(session: Session, invoice_id: int | None, iban: str) -> list[PaymentWarning]:
    return [PaymentWarning("changed_iban", message) for message in iban_warnings(session, invoice_id, iban)]


def _for(order_id: int, warning: PaymentWarning) -> PaymentWarning:
    return PaymentWarning(warning.kind, warning.message, order_id)


def transfer_from_invoice(
    ledger: Ledger,
    invoice_number: str,
    *,
    actor: str,
    execution_on: date | None = None,
    account_iban: str | None = None,
) -> OrderResult:
    """One click on a payable invoice: the open amount to the supplier's IBAN, the invoice number as text."""
    return create_transfer(
        ledger, invoice_number=invoice_number, execution_on=execution_on, account_iban=account_iban, actor=actor
    )


# -- direct debits -------------------------------------------------------------------------------------------


def _lead_days(config: PaymentConfig, *, scheme: str, sequence: str) -> int:
    if scheme == "B2B":
        return config.lead_days_b2b
    if sequence in ("FRST", "OOFF") and config.lead_days_first is not None:
        return config.lead_days_first
    return config.lead_days_core


def create_debit(
    ledger: Ledger,
    *,
    customer_number: str,
    amount: Decimal | str | None = None,
    text: str = "",
    invoice_number: str | None = None,
    b2b: bool = False,
    collection_on: date | None = None,
    account_iban: str | None = None,
    actor: str,
    today: date | None = None,
    confirm_warnings: bool = False,
) -> OrderResult:
    """A SEPA direct debit from a customer with an active mandate, due no earlier than the lead time allows.

    `confirm_warnings` as for `create_transfer`."""
    today = today or date.today()
    scheme = "B2B" if b2b else "CORE"
    with ledger.writer() as session:
        result = _create_debit(
            session,
            customer_number=customer_number,
            amount=amount,
            text=text,
            invoice_number=invoice_number,
            scheme=scheme,
            collection_on=collection_on,
            account_iban=account_iban,
            actor=actor,
            today=today,
        )
        return _checked(result, confirm_warnings=confirm_warnings)


def _create_debit(
    session: Session,
    *,
    customer_number: str,
    amount: Decimal | str | None,
    text: str,
    invoice_number: str | None,
    scheme: str,
    collection_on: date | None,
    account_iban: str | None,
    actor: str,
    today: date,
) -> OrderResult:
    config = payment_config(session)
    validate_creditor_id(company(session).creditor_id)
    customer = session.scalar(select(Customer).where(Customer.number == customer_number))
    if customer is None:
        raise PaymentError("customer", _("No customer with number {number}.").format(number=customer_number))
    invoice = None
    if invoice_number:
        invoice = session.scalar(select(Invoice).where(Invoice.kind == "receivable", Invoice.number == invoice_number))
        if invoice is None or invoice.customer_id != customer.id:
            raise PaymentError(
                "invoice",
                _("No receivable {number} of customer {customer}.").format(
                    number=invoice_number, customer=customer_number
                ),
            )
        if amount is None:
            open_cents = _open_cents(session, invoice)
            if open_cents <= 0:
                raise PaymentError("invoice", _("Invoice {number} is paid already.").format(number=invoice.number))
            amount = from_cents(open_cents)
        if invoice.number not in text:
            text = f"{invoice.number} {text}".strip()
    if amount is None:
        raise PaymentError("amount", _("An amount is needed."))
    cents = to_cents(parse_amount(amount))
    remittance = sepa_text(text, field="text", limit=REMITTANCE_LENGTH)
    mandate = usable_mandate(session, customer, scheme=scheme, today=today, actor=actor)
    earliest = earliest_collection(today, _lead_days(config, scheme=scheme, sequence=mandate.sequence))
    if collection_on is None:
        due = invoice.due_on if invoice is not None and invoice.due_on else earliest
        collection_on = next_business_day(max(due, earliest))
    elif collection_on < earliest or not is_business_day(collection_on):
        raise PaymentError(
            "date",
            _("{date} is too early or no business day; the earliest due date is {earliest}.").format(
                date=collection_on, earliest=earliest
            ),
        )
    run = draft_run(
        session,
        kind="debit",
        account=_account(session, account_iban),
        execution_on=collection_on,
        scheme=scheme,
        actor=actor,
    )
    warnings = duplicate_warnings(
        session,
        kind="debit",
        iban=mandate.debtor_iban,
        amount_cents=cents,
        remittance=remittance,
        invoice_id=invoice.id if invoice else None,
        config=config,
        today=today,
    )
    e2e = new_end_to_end_id()
    order = _add_order(
        session,
        run,
        name=mandate.debtor_name,
        iban=mandate.debtor_iban,
        bic=mandate.debtor_bic,
        amount_cents=cents,
        remittance=remittance,
        end_to_end_id=e2e,
        invoice_id=invoice.id if invoice else None,
        customer_id=customer.id,
        mandate_id=mandate.id,
        sequence=mandate.sequence,
        actor=actor,
    )
    session.flush()
    return OrderResult(
        order.id, run.id, e2e, from_cents(cents), collection_on, tuple(_for(order.id, w) for w in warnings)
    )


def debits_from_open_receivables(
    ledger: Ledger,
    *,
    actor: str,
    due_until: date | None = None,
    b2b: bool = False,
    account_iban: str | None = None,
    today: date | None = None,
) -> list[OrderResult]:
    """Debits for every open receivable (due by `due_until`) of customers with a usable mandate, not yet in a run."""
    today = today or date.today()
    scheme = "B2B" if b2b else "CORE"
    results = []
    with ledger.writer() as session:
        in_runs = (
            select(PaymentOrder.invoice_id)
            .join(PaymentRun, PaymentRun.id == PaymentOrder.run_id)
            .where(PaymentRun.status.in_(LIVE_STATUSES), PaymentOrder.invoice_id.is_not(None))
        )
        query = (
            select(Invoice, Customer)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(Invoice.kind == "receivable", Invoice.cancelled.is_(False), Invoice.id.not_in(in_runs))
            .order_by(Invoice.due_on, Invoice.number)
        )
        if due_until is not None:
            query = query.where(func.coalesce(Invoice.due_on, Invoice.issued_on) <= due_until)
        for invoice, customer in session.execute(query).all():
            if _open_cents(session, invoice) <= 0:
                continue
            try:
                usable_mandate(session, customer, scheme=scheme, today=today, actor=actor)
            except PaymentError:
                continue
            results.append(
                _create_debit(
                    session,
                    customer_number=customer.number,
                    amount=None,
                    text="",
                    invoice_number=invoice.number,
                    scheme=scheme,
                    collection_on=None,
                    account_iban=account_iban,
                    actor=actor,
                    today=today,
                )
            )
    return results


# -- changing orders -----------------------------------------------------------------------------------------


def update_order(
    ledger: Ledger, order_id: int, *, actor: str, amount: Decimal | str | None = None, text: str | None = None
) -> OrderResult:
    """Change an order's amount or text; an approved run goes back to submitted and needs approval again."""
    with ledger.writer() as session:
        order = session.get(PaymentOrder, order_id)
        if order is None:
            raise PaymentError("order", _("No payment order {id}.").format(id=order_id))
        run = get_run(session, order.run_id)
        before_change(session, run, actor=actor, what=f"order {order.end_to_end_id} changed")
        if amount is not None:
            order.amount_cents = to_cents(parse_amount(amount))
        if text is not None:
            order.remittance = sepa_text(text, field="text", limit=REMITTANCE_LENGTH)
        audit.record_row(session, actor=actor, action="update", row=order, summary=f"order {order.end_to_end_id}")
        return OrderResult(order.id, run.id, order.end_to_end_id, from_cents(order.amount_cents), run.execution_on, ())


def take_bank_name(ledger: Ledger, order_id: int, *, actor: str) -> str:
    """Put the holder's name the bank's payee check gave on a close match into the order and its supplier;
    returns the name. The run goes back for approval: what the approver saw is no longer what would be sent."""
    with ledger.writer() as session:
        order = session.get(PaymentOrder, order_id)
        if order is None:
            raise PaymentError("order", _("No payment order {id}.").format(id=order_id))
        check = latest_checks(session, [order_id]).get(order_id)
        if check is None or check.result != "RVMC" or not check.bank_name:
            raise PaymentError("order", _("The bank named no other account holder for order {id}.").format(id=order_id))
        run = get_run(session, order.run_id)
        name = sepa_text(check.bank_name, field="name", limit=NAME_LENGTH,
                         umlauts=_from_german_account(session, run))  # fmt: skip
        before_change(session, run, actor=actor, what=f"order {order.end_to_end_id}: the bank's payee name")
        order.name = name
        audit.record_row(session, actor=actor, action="update", row=order, summary=f"payee name from the bank: {name}")
        supplier = session.get(Customer, order.customer_id) if order.customer_id is not None else None
        if supplier is not None and supplier.name != check.bank_name:
            supplier.name = check.bank_name[:200]
            audit.record_row(
                session, actor=actor, action="update", row=supplier, summary="name from the bank's payee check"
            )
        return name


def move_orders(
    ledger: Ledger,
    order_ids: Sequence[int],
    *,
    to_run_id: int | None = None,
    execution_on: date | None = None,
    account_iban: str | None = None,
    actor: str,
    today: date | None = None,
) -> int:
    """Move orders of one run into another open run of the same kind, or split them off into the draft run of
    another date or own account; returns the run they are in now.

    Both runs change, so approvals of either are void (the approval covers exactly the content it saw)."""
    today = today or date.today()
    with ledger.writer() as session:
        orders = [session.get(PaymentOrder, order_id) for order_id in order_ids]
        if not orders or any(order is None for order in orders):
            raise PaymentError("order", _("No such payment order."))
        moving = [order for order in orders if order is not None]
        source = get_run(session, moving[0].run_id)
        if any(order.run_id != source.id for order in moving):
            raise PaymentError("order", _("The orders to move must come from one run."))
        if to_run_id is not None:
            target = get_run(session, to_run_id)
            if (target.kind, target.scheme, target.instant) != (source.kind, source.scheme, source.instant):
                raise PaymentError(
                    "run", _("Run {id} holds other payments (kind, scheme or instant).").format(id=to_run_id)
                )
        else:
            day = execution_on or source.execution_on
            if source.kind == "transfer":
                day = _execution_date(day, today)
            else:
                _check_collection_day(session, moving, day, scheme=source.scheme, today=today)
            account = _account(session, account_iban) if account_iban else session.get(BankAccount, source.account_id)
            assert account is not None
            target = draft_run(session, kind=source.kind, account=account, execution_on=day, scheme=source.scheme,
                               instant=source.instant, actor=actor)  # fmt: skip
        if target.id == source.id:
            raise PaymentError("run", _("The orders are in run {id} already.").format(id=source.id))
        what = f"{len(moving)} order(s) moved from run {source.id} to run {target.id}"
        before_change(session, source, actor=actor, what=what)
        before_change(session, target, actor=actor, what=what)
        for order in moving:
            order.run_id = target.id
            audit.record_row(session, actor=actor, action="update", row=order,
                             summary=f"order {order.end_to_end_id}: run {source.id} -> {target.id}")  # fmt: skip
        return target.id


def _check_collection_day(session: Session, orders: Sequence[PaymentOrder], day: date, *, scheme: str,
                          today: date) -> None:  # fmt: skip
    """A new due date for debits: a business day no earlier than each mandate's lead time allows."""
    config = payment_config(session)
    for order in orders:
        mandate = session.get(Mandate, order.mandate_id) if order.mandate_id else None
        sequence = order.sequence or (mandate.sequence if mandate else "RCUR")
        earliest = earliest_collection(today, _lead_days(config, scheme=scheme, sequence=sequence))
        if day < earliest or not is_business_day(day):
            raise PaymentError(
                "date",
                _("{date} is too early or no business day; the earliest due date is {earliest}.").format(
                    date=day, earliest=earliest
                ),
            )


def remove_order(ledger: Ledger, order_id: int, *, actor: str) -> None:
    """Take an order out of its run (a change: approvals are voided)."""
    with ledger.writer() as session:
        order = session.get(PaymentOrder, order_id)
        if order is None:
            raise PaymentError("order", _("No payment order {id}.").format(id=order_id))
        run = get_run(session, order.run_id)
        before_change(session, run, actor=actor, what=f"order {order.end_to_end_id} removed")
        audit.record_row(session, actor=actor, action="delete", row=order, summary=f"order {order.end_to_end_id}")
        session.delete(order)


def order_warnings(
    session: Session, run: PaymentRun, orders: Sequence[PaymentOrder], *, today: date
) -> list[PaymentWarning]:
    """Every warning of a run's orders, as the approval dialog lists them."""
    config = payment_config(session)
    warnings = []
    for order in orders:
        found = duplicate_warnings(
            session,
            kind=run.kind,
            iban=order.iban,
            amount_cents=order.amount_cents,
            remittance=order.remittance,
            invoice_id=order.invoice_id,
            exclude_order_id=order.id,
            config=config,
            today=today,
        )
        if run.kind == "transfer":
            found += recipient_warnings(
                session,
                name=order.name,
                iban=order.iban,
                amount_cents=order.amount_cents,
                config=config,
                before_run=run.id,
            )
            found = _with_account_warnings(found, invoice_iban_warnings(session, order.invoice_id, order.iban))
        warnings += [_for(order.id, warning) for warning in found]
    return warnings
