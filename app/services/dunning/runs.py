"""Dunning runs: the letters of one day, made all at once and stored as sent; holds on invoices and customers.

A run is made from today's proposal minus the customers the bookkeeper excludes (held ones are excluded unless
named). Its letters are PDFs kept in the ledger with their digest in the audit log. Levels advance only when the
run is marked as sent; a draft run can be discarded and made again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.dunning import DunningHold, DunningItem, DunningLetter, DunningRun, DunningRunStatus
from app.models.schema import BankAccount, Customer, Invoice
from app.services.dunning.letters import LetterData, LetterLine, Sender, render_letter
from app.services.dunning.proposal import ProposedLetter, propose_in
from app.services.dunning.settings import DunningError, DunningSettings, load_settings
from app.services.formatting import format_cents, format_date, from_cents, grouped_iban
from app.services.i18n import _, ngettext
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.settings import company_row
from app.services.matching import RECEIVABLE
from app.services.payments.sepa_checks import PaymentError, resolve_bic


@dataclass(frozen=True, slots=True)
class LetterRow:
    id: int
    run_id: int
    run_on: date
    status: str
    customer_number: str
    customer_name: str
    level: int
    total_cents: int
    invoices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: int
    run_on: date
    status: str
    letters: tuple[LetterRow, ...]

    def text(self) -> str:
        total = sum(letter.total_cents for letter in self.letters)
        return ngettext(
            "Dunning run {id} ({status}): {n} letter, {total} in all.",
            "Dunning run {id} ({status}): {n} letters, {total} in all.",
            len(self.letters),
        ).format(id=self.id, status=_(self.status), n=len(self.letters), total=format_cents(total))


def create_run(
    ledger: Ledger,
    *,
    actor: str,
    today: date | None = None,
    exclude: Collection[int] = (),
    include_held: Collection[int] = (),
) -> RunSummary:
    """Make today's letters, except for the excluded customers (ids) and, unless named, the held ones."""
    today = today or date.today()
    with ledger.writer() as session:
        settings = load_settings(session)
        chosen = [
            letter
            for letter in propose_in(session, today=today, settings=settings)
            if letter.customer_id not in exclude and (not letter.held or letter.customer_id in include_held)
        ]
        if not chosen:
            raise DunningError(_("No letters to make today: nothing is due, or everything due is excluded or held."))
        sender = _sender(session, settings)
        run = DunningRun(run_on=today, status=DunningRunStatus.DRAFT.value, created_by=actor)
        session.add(run)
        audit.record_row(session, actor=actor, action="create", row=run, summary=f"dunning run {today.isoformat()}")
        for proposed in chosen:
            _store_letter(session, run, proposed, sender, settings, actor=actor)
        return _summary(session, run.id)


def _letter_data(run_on: date, proposed: ProposedLetter, sender: Sender, settings: DunningSettings) -> LetterData:
    """What the letter to one customer says, for the run of `run_on`."""
    level = settings.level(proposed.level)
    language = settings.language
    deadline = run_on + timedelta(days=settings.payment_days)
    text = level.text(language).format(
        customer=proposed.customer_name,
        total=format_cents(proposed.total_cents, language=language),
        deadline=format_date(deadline, language=language),
        date=format_date(run_on, language=language),
        company=sender.company,
        iban=grouped_iban(sender.iban),
        bic=sender.bic,
    )
    return LetterData(
        sender=sender,
        customer_name=proposed.customer_name,
        customer_number=proposed.customer_number,
        customer_address=proposed.customer_address,
        letter_date=run_on,
        title=level.name(language),
        text=text,
        lines=tuple(
            LetterLine(
                i.number,
                i.issued_on,
                i.due_on,
                i.days_overdue,
                i.open_cents,
                i.interest_cents,
                i.lump_sum_cents,
                i.charges_cents,
            )
            for i in proposed.items
        ),
        fee_cents=proposed.fee_cents,
        consumer=proposed.consumer,
        language=language,
    )


def preview_letter(ledger: Ledger, customer_id: int, *, today: date) -> bytes:
    """The PDF the next run would send this customer today, made without storing anything."""
    with ledger.session() as session:
        settings = load_settings(session)
        proposed = next(
            (p for p in propose_in(session, today=today, settings=settings) if p.customer_id == customer_id), None
        )
        if proposed is None:
            raise DunningError(_("No letter is due for this customer today."))
        return render_letter(_letter_data(today, proposed, _sender(session, settings), settings))


def _store_letter(
    session: Session,
    run: DunningRun,
    proposed: ProposedLetter,
    sender: Sender,
    settings: DunningSettings,
    *,
    actor: str,
) -> None:
    level = settings.level(proposed.level)
    data = _letter_data(run.run_on, proposed, sender, settings)
    pdf = render_letter(data)
    letter = DunningLetter(
        run_id=run.id,
        customer_id=proposed.customer_id,
        level=proposed.level,
        open_cents=proposed.open_cents,
        interest_cents=proposed.interest_cents,
        fees_cents=proposed.fees_cents,
        pdf=pdf,
        digest=hashlib.sha256(pdf).hexdigest(),
    )
    session.add(letter)
    summary = f"{level.name_de} {proposed.customer_number} {from_cents(proposed.total_cents)}"
    audit.record_row(session, actor=actor, action="create", row=letter, summary=summary)
    for proposed_item in proposed.items:
        item = DunningItem(
            letter_id=letter.id,
            invoice_id=proposed_item.invoice_id,
            level=proposed_item.level,
            open_cents=proposed_item.open_cents,
            interest_cents=proposed_item.interest_cents,
            lump_sum_cents=proposed_item.lump_sum_cents,
            charges_cents=proposed_item.charges_cents,
        )
        session.add(item)
        audit.record_row(session, actor=actor, action="create", row=item, summary=proposed_item.number)


def _sender(session: Session, settings: DunningSettings) -> Sender:
    """The company's side of every letter: name, letterhead and the account customers pay into."""
    account = session.scalar(
        select(BankAccount).where(BankAccount.iban.like("DE%") | BankAccount.iban.like("AT%")).order_by(BankAccount.id)
    )
    account = account or session.scalar(select(BankAccount).order_by(BankAccount.id))
    if account is None:
        raise DunningError(
            _("A letter needs the account customers pay into: import a statement or connect a bank first.")
        )
    try:
        bic = resolve_bic(account.iban, account.bic)
    except PaymentError:  # a foreign account without a BIC: the GiroCode works without one (version 002)
        bic = ""
    head = settings.letterhead
    contact = " · ".join(part for part in (head.phone, head.email, head.vat_id) if part)
    return Sender(company_row(session).name, head.address, contact, account.iban, bic)


def mark_sent(ledger: Ledger, run_id: int, *, actor: str) -> RunSummary:
    """The letters went out: from now on their invoices stand at the letters' levels."""
    with ledger.writer() as session:
        run = _run(session, run_id)
        if run.status == DunningRunStatus.SENT:
            raise DunningError(_("Dunning run {id} is marked as sent already.").format(id=run_id))
        run.status = DunningRunStatus.SENT.value
        run.sent_by = actor
        run.sent_at = utcnow()
        audit.record_row(session, actor=actor, action="update", row=run, summary=f"dunning run {run_id} sent")
        return _summary(session, run_id)


def discard_run(ledger: Ledger, run_id: int, *, actor: str) -> None:
    """Throw away a draft run and its letters (a sent one stays: the letters are out)."""
    with ledger.writer() as session:
        run = _run(session, run_id)
        if run.status == DunningRunStatus.SENT:
            raise DunningError(_("Dunning run {id} was sent; its letters cannot be taken back.").format(id=run_id))
        letters = list(session.scalars(select(DunningLetter).where(DunningLetter.run_id == run_id)))
        for letter in letters:
            for item in session.scalars(select(DunningItem).where(DunningItem.letter_id == letter.id)):
                audit.record_row(session, actor=actor, action="delete", row=item, summary="discarded")
            session.execute(delete(DunningItem).where(DunningItem.letter_id == letter.id))
            audit.record_row(session, actor=actor, action="delete", row=letter, summary="discarded")
            session.delete(letter)
        session.flush()
        audit.record_row(session, actor=actor, action="delete", row=run, summary=f"dunning run {run_id} discarded")
        session.delete(run)


def runs(ledger: Ledger) -> list[RunSummary]:
    with ledger.session() as session:
        ids = session.scalars(select(DunningRun.id).order_by(DunningRun.id.desc())).all()
        return [_summary(session, run_id) for run_id in ids]


def letter_pdf(ledger: Ledger, letter_id: int) -> bytes:
    with ledger.session() as session:
        letter = session.get(DunningLetter, letter_id)
        if letter is None:
            raise DunningError(_("There is no dunning letter {id}.").format(id=letter_id))
        return letter.pdf


def letters_for_invoice(ledger: Ledger, number: str) -> list[LetterRow]:
    """Every letter that named the invoice, oldest first."""
    with ledger.session() as session:
        invoice = _invoice(session, number)
        ids = session.scalars(
            select(DunningItem.letter_id).where(DunningItem.invoice_id == invoice.id).order_by(DunningItem.letter_id)
        ).all()
        return [_letter_row(session, letter_id) for letter_id in ids]


def hold(
    ledger: Ledger, *, actor: str, invoice: str = "", customer: str = "", until: date | None = None, reason: str = ""
) -> None:
    """Keep an invoice or a whole customer out of dunning: for good (a block) or until a promised date."""
    with ledger.writer() as session:
        target = DunningHold(created_by=actor, until=until, reason=reason)
        if invoice:
            target.invoice_id = _invoice(session, invoice).id
        elif customer:
            target.customer_id = _customer(session, customer).id
        else:
            raise DunningError(_("Name an invoice or a customer to hold."))
        session.add(target)
        what = invoice or customer
        audit.record_row(
            session, actor=actor, action="create", row=target, summary=f"dunning hold {what} {until or ''}"
        )


def lift_holds(ledger: Ledger, *, actor: str, invoice: str = "", customer: str = "") -> int:
    """End every hold on an invoice or a customer; returns how many there were."""
    with ledger.writer() as session:
        if invoice:
            condition = DunningHold.invoice_id == _invoice(session, invoice).id
        else:
            condition = DunningHold.customer_id == _customer(session, customer).id
        holds = list(session.scalars(select(DunningHold).where(condition)))
        for target in holds:
            audit.record_row(session, actor=actor, action="delete", row=target, summary="dunning hold lifted")
            session.delete(target)
        return len(holds)


def set_customer_details(
    ledger: Ledger, number: str, *, actor: str, address: str | None = None, consumer: bool | None = None
) -> None:
    """The letter's recipient address and whether the consumer rate of § 288 BGB applies."""
    with ledger.writer() as session:
        customer = _customer(session, number)
        changes = []
        if address is not None:
            customer.address = address.strip()
            changes.append("address")
        if consumer is not None:
            customer.consumer = consumer
            changes.append(f"consumer={consumer}")
        # The address and the flag are outside the customer's audited columns: the event names the change.
        summary = f"dunning details {number}: {', '.join(changes)}"
        audit.record_row(session, actor=actor, action="update", row=customer, summary=summary)


def _run(session: Session, run_id: int) -> DunningRun:
    run = session.get(DunningRun, run_id)
    if run is None:
        raise DunningError(_("There is no dunning run {id}.").format(id=run_id))
    return run


def _invoice(session: Session, number: str) -> Invoice:
    invoice = session.scalar(select(Invoice).where(Invoice.number == number, Invoice.kind == RECEIVABLE))
    if invoice is None:
        raise DunningError(_("There is no invoice {number}.").format(number=number))
    return invoice


def _customer(session: Session, number: str) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.number == number))
    if customer is None:
        raise DunningError(_("There is no customer {number}.").format(number=number))
    return customer


def _letter_row(session: Session, letter_id: int) -> LetterRow:
    letter = session.get(DunningLetter, letter_id)
    assert letter is not None
    run = session.get(DunningRun, letter.run_id)
    customer = session.get(Customer, letter.customer_id)
    assert run is not None and customer is not None
    numbers = session.scalars(
        select(Invoice.number)
        .join(DunningItem, DunningItem.invoice_id == Invoice.id)
        .where(DunningItem.letter_id == letter_id)
        .order_by(Invoice.number)
    ).all()
    return LetterRow(
        id=letter.id,
        run_id=run.id,
        run_on=run.run_on,
        status=run.status,
        customer_number=customer.number,
        customer_name=customer.name,
        level=letter.level,
        total_cents=letter.open_cents + letter.interest_cents + letter.fees_cents,
        invoices=tuple(numbers),
    )


def _summary(session: Session, run_id: int) -> RunSummary:
    run = _run(session, run_id)
    ids = session.scalars(
        select(DunningLetter.id).where(DunningLetter.run_id == run_id).order_by(DunningLetter.id)
    ).all()
    return RunSummary(run.id, run.run_on, run.status, tuple(_letter_row(session, letter_id) for letter_id in ids))
