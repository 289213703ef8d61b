"""Business transactions of the demo bank: accounts, balance, statements, transfers and direct debits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from fints.formals import KTI1, Amount1, Balance2, BookedCamtStatements1, CreditDebit2
from fints.segments.base import FinTS3Segment
from fints.segments.debit import HIDME2, HIDSE2
from fints.segments.saldo import HISAL7
from fints.segments.statement import HICAZ1, HIKAZ7

from app.demobank import camt_writer, mt940_writer
from app.demobank.messages import Reply
from app.demobank.pain_reader import PainError, PainMessage, parse_pain
from app.demobank.parameters import BANK_NAME, PAIN_001, PAIN_008, generic, hispa, hitab5
from app.demobank.payee_check import Transfer
from app.demobank.state import Account, Booking, Dialog, ScheduledBooking, User, money
from app.services.errors import KontorError
from app.services.fints_segments import HIBME2, HIBSE2

if TYPE_CHECKING:
    from app.demobank.server import DemoBank

_PAYMENTS = {
    "HKCCS": "transfer",
    "HKCCM": "transfer",
    "HKIPZ": "transfer",  # SEPA Instant, booked at once like the demo's other transfers
    "HKIPM": "transfer",
    "HKDSE": "debit",
    "HKDME": "debit",
    "HKBSE": "debit",  # SEPA B2B (Firmenlastschrift)
    "HKBME": "debit",
}
_BATCH = ("HKCCM", "HKIPM", "HKDME", "HKBME")
_B2B = ("HKBSE", "HKBME")
_NO_EXECUTION_DATE = date(1999, 1, 1)  # python-fints' "as soon as possible" marker


class OrderError(KontorError):
    """An order the bank rejects before asking for a TAN; code and text go into HIRMS."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


@dataclass(frozen=True)
class Prepared:
    """A checked order: whether it needs SCA and what the TAN challenge shows about it."""

    needs_tan: bool
    text: str
    account_digits: str
    amount: str


def _euro(value: Decimal) -> str:
    """German amount notation for challenge texts."""
    return f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def own_account(bank: DemoBank, user: User, segment: FinTS3Segment) -> Account:
    """The account an order refers to, if it belongs to the user (9210 otherwise)."""
    iban = getattr(segment.account, "iban", None)
    if iban not in user.accounts or iban not in bank.accounts:
        raise OrderError("9210", "Konto ist dem Benutzer nicht zugeordnet.")
    return bank.accounts[iban]


def _period(bank: DemoBank, segment: FinTS3Segment) -> tuple[date, date]:
    """Requested period; a missing start means the whole stored history."""
    today = bank.today()
    return segment.date_start or today - timedelta(days=365), segment.date_end or today


def _check_pain(bank: DemoBank, account: Account, segment: FinTS3Segment) -> PainMessage:
    """Validate a pain message against the order segment like a bank's SEPA intake."""
    kind = segment.header.type
    allowed = PAIN_001 if _PAYMENTS[kind] == "transfer" else PAIN_008
    if not any(str(segment.sepa_descriptor).startswith(d) for d in allowed):
        raise OrderError("9210", f"SEPA-Format {segment.sepa_descriptor} wird nicht unterstützt.")
    try:
        pain = parse_pain(segment.sepa_pain_message)
    except PainError as exc:
        raise OrderError("9210", f"SEPA-Nachricht fehlerhaft: {exc}") from exc
    if pain.kind != _PAYMENTS[kind]:
        raise OrderError("9210", "SEPA-Nachricht passt nicht zum Geschäftsvorfall.")
    if pain.own_iban.replace(" ", "") != account.iban:
        raise OrderError("9210", "Auftraggeberkonto stimmt nicht mit der Kontoverbindung überein.")
    if pain.number_of_transactions != len(pain.transactions):
        raise OrderError("9210", "Anzahl der Transaktionen stimmt nicht (NbOfTxs).")
    if pain.control_sum is not None and pain.control_sum != pain.total:
        raise OrderError("9210", "Kontrollsumme (CtrlSum) stimmt nicht mit den Einzelbeträgen überein.")
    if kind in _BATCH:
        declared = segment.sum_amount.amount if segment.sum_amount else None
        if declared is None or money(declared) != pain.total:
            raise OrderError("9210", "Summenfeld stimmt nicht mit der Summe der Einzelbeträge überein.")
    elif len(pain.transactions) != 1:
        raise OrderError("9210", "Einzelauftrag mit mehreren Transaktionen.")
    if pain.kind == "debit" and (kind in _B2B) != (pain.schemes == {"B2B"}):
        raise OrderError("9210", "Lastschriftart (CORE/B2B) passt nicht zum Geschäftsvorfall.")
    if pain.kind == "debit":
        earliest = bank.today() + timedelta(days=1)
        if any(t.due is None or t.due < earliest for t in pain.transactions):
            raise OrderError("9210", f"Fälligkeitsdatum muss frühestens {earliest:%d.%m.%Y} sein.")
    return pain


def prepare(bank: DemoBank, user: User, dialog: Dialog, segment: FinTS3Segment) -> Prepared:
    """Check an order that HIPINS marks as TAN-relevant and decide whether SCA is needed (PSD2 rules)."""
    account = own_account(bank, user, segment)
    kind = segment.header.type
    if kind in ("HKKAZ", "HKCAZ"):
        start, _ = _period(bank, segment)
        if kind == "HKCAZ" and camt_writer.CAMT_052_08 not in list(segment.supported_camt_messages.expected_type):
            raise OrderError("9210", "Kein unterstütztes camt-Format angefragt.")
        old = start < bank.today() - timedelta(days=bank.policy.free_history_days)
        needs = old and not segment.touchdown_point and not dialog.statements_authorised
        return Prepared(needs, f"Umsatzabruf ab {start:%d.%m.%Y} für Konto {account.iban}", account.number, "")
    pain = _check_pain(bank, account, segment)
    first = pain.transactions[0]
    label = {
        "HKCCS": f"Überweisung an {first.name}",
        "HKCCM": f"Sammelüberweisung, {len(pain.transactions)} Posten",
        "HKIPZ": f"Echtzeitüberweisung an {first.name}",
        "HKIPM": f"Echtzeit-Sammelüberweisung, {len(pain.transactions)} Posten",
        "HKDSE": f"Lastschrift von {first.name}",
        "HKDME": f"Sammellastschrift, {len(pain.transactions)} Posten",
        "HKBSE": f"Firmenlastschrift von {first.name}",
        "HKBME": f"Firmen-Sammellastschrift, {len(pain.transactions)} Posten",
    }
    digits = "".join(ch for ch in (first.iban if len(pain.transactions) == 1 else account.iban) if ch.isdigit())
    return Prepared(True, f"{label[kind]}, Summe {_euro(pain.total)} EUR", digits[-10:], _euro(pain.total))


def payees(bank: DemoBank, user: User, segment: FinTS3Segment) -> list[Transfer]:
    """Each transfer's payee (IBAN, name, end-to-end ID), as the payee check compares them."""
    pain = _check_pain(bank, own_account(bank, user, segment), segment)
    return [Transfer(t.iban, t.name, t.end_to_end_id) for t in pain.transactions]


def execute(bank: DemoBank, user: User, dialog: Dialog, segment: FinTS3Segment, number: int, reply: Reply) -> None:
    """Run an order and put its answer (referencing customer segment `number`) into the reply."""
    try:
        handler = _HANDLERS[segment.header.type]
    except KeyError:
        reply.answer(number, "9120", f"Geschäftsvorfall {segment.header.type} wird nicht unterstützt.")
        return
    try:
        handler(bank, user, dialog, segment, number, reply)
    except OrderError as exc:
        reply.answer(number, exc.code, exc.text)


def _accounts(bank: DemoBank, user: User, dialog: Dialog, segment: FinTS3Segment, number: int, reply: Reply) -> None:
    """HKSPA: the user's SEPA accounts."""
    reply.add(hispa([bank.accounts[iban] for iban in user.accounts], bank.blz), number)
    reply.answer(number, "0020", "Auftrag ausgeführt.")


def _media(bank: DemoBank, user: User, dialog: Dialog, segment: FinTS3Segment, number: int, reply: Reply) -> None:
    """HKTAB: the user's TAN media."""
    if bank.policy.garbled_tan_media:
        reply.add(generic("HITAB", 5, "X", ["Handy", "?"]), number)
        reply.answer(number, "0020", "Auftrag ausgeführt.")
        return
    reply.add(hitab5(user.media), number)
    reply.answer(number, "0020", "Auftrag ausgeführt.")


def _balance(bank: DemoBank, user: User, dialog: Dialog, segment: FinTS3Segment, number: int, reply: Reply) -> None:
    """HKSAL: booked and available balance."""
    account = own_account(bank, user, segment)
    if account.iban in bank.policy.no_balance_for:  # HISALS announced, yet no HISAL (a real test bank does this)
        reply.answer(number, "0020", "Auftrag ausgeführt.")
        return
    value = account.balance()
    reply.add(
        HISAL7(
            account=KTI1(iban=account.iban, bic=account.bic),
            account_product=account.product,
            currency=account.currency,
            balance_booked=Balance2(
                CreditDebit2.DEBIT if value < 0 else CreditDebit2.CREDIT,
                Amount1(abs(value), account.currency),
                bank.today(),
            ),
            available_amount=Amount1(max(value, Decimal("0.00")), account.currency),
        ),
        number,
    )
    reply.answer(number, "0020", "Auftrag ausgeführt.")


def _page(bank: DemoBank, account: Account, segment: FinTS3Segment) -> tuple[list[Booking], int, int | None]:
    """The page of bookings a statement request (with touchdown point) asks for, and the next touchdown."""
    start, end = _period(bank, segment)
    indexed = [(i, b) for i, b in enumerate(account.bookings) if start <= b.booking_date <= end]
    try:
        offset = int(segment.touchdown_point or 0)
    except ValueError as exc:
        raise OrderError("9210", "Aufsetzpunkt ungültig.") from exc
    size = bank.policy.page_size
    chunk = indexed[offset : offset + size]
    following = offset + size if offset + size < len(indexed) else None
    first_index = chunk[0][0] if chunk else len(account.bookings)
    return [b for _, b in chunk], first_index, following


def _statement(bank: DemoBank, user: User, dialog: Dialog, segment: FinTS3Segment, number: int, reply: Reply) -> None:
    """HKKAZ (MT940) or HKCAZ (camt.052) with touchdown paging (3040)."""
    account = own_account(bank, user, segment)
    if account.iban in bank.policy.refuse_statements_for:
        raise OrderError("9210", "Umsatzabfrage für dieses Konto derzeit nicht möglich.")
    bookings, first_index, following = _page(bank, account, segment)
    if not bookings:
        reply.answer(number, "3010", "Keine Umsätze im angegebenen Zeitraum vorhanden.")
        return
    opening = account.balance_before(first_index)
    page = int(segment.touchdown_point or 0) // bank.policy.page_size + 1
    if segment.header.type == "HKKAZ":
        text = mt940_writer.statement(account, bank.blz, bookings, opening, page, bookings[0].booking_date)
        reply.add(HIKAZ7(statement_booked=text.encode("iso-8859-1")), number)
    else:
        xml = camt_writer.report(
            account,
            BANK_NAME,
            bookings,
            opening,
            page,
            following is None,
            _period(bank, segment),
            datetime.combine(bank.today(), datetime.now().time()),
        )
        reply.add(
            HICAZ1(
                account=KTI1(iban=account.iban, bic=account.bic),
                camt_descriptor=camt_writer.CAMT_052_08,
                statement_booked=BookedCamtStatements1(
                    camt_statements=[camt_writer.EMPTY_DOCUMENT, xml] if bank.policy.empty_camt_document else [xml]
                ),
            ),
            number,
        )
    if following is None:
        reply.answer(number, "0020", "Auftrag ausgeführt.")
    else:
        reply.answer(number, "3040", "Es liegen weitere Informationen vor.", str(following))


def _transfer(bank: DemoBank, user: User, dialog: Dialog, segment: FinTS3Segment, number: int, reply: Reply) -> None:
    """HKCCS/HKCCM: book the debits (individually or as one collective line) and credit internal payees."""
    account = own_account(bank, user, segment)
    pain = _check_pain(bank, account, segment)
    today = bank.today()
    single = segment.header.type in ("HKCCS", "HKIPZ") or bool(segment.request_single_booking)
    due = {t.due for t in pain.transactions if t.due and t.due != _NO_EXECUTION_DATE}
    day = max(due | {today})
    if single:
        for t in pain.transactions:
            bank.book(
                account.iban,
                Booking(
                    day,
                    day,
                    -t.amount,
                    t.name,
                    t.iban,
                    t.bic,
                    t.purpose,
                    "116",
                    "ONLINE-UEBERWEISUNG",
                    bank.next_reference(),
                    t.end_to_end_id,
                ),
            )
    else:
        bank.book(
            account.iban,
            Booking(
                day,
                day,
                -pain.total,
                "Sammelüberweisung",
                "",
                "",
                f"Sammelüberweisung {len(pain.transactions)} Posten",
                "191",
                "SAMMEL-UEBERWEISUNG",
                bank.next_reference(),
            ),
        )
    for t in pain.transactions:
        if t.iban in bank.accounts:
            bank.book(
                t.iban,
                Booking(
                    day,
                    day,
                    t.amount,
                    pain.own_name,
                    account.iban,
                    account.bic,
                    t.purpose,
                    "166",
                    "GUTSCHR. UEBERWEISUNG",
                    bank.next_reference(),
                    t.end_to_end_id,
                ),
            )
    reply.answer(number, "0020", "Auftrag ausgeführt.")


def _debit(bank: DemoBank, user: User, dialog: Dialog, segment: FinTS3Segment, number: int, reply: Reply) -> None:
    """HKDSE/HKDME: schedule the credits for the due date and remember each collection for returns."""
    account = own_account(bank, user, segment)
    pain = _check_pain(bank, account, segment)
    single = segment.header.type in ("HKDSE", "HKBSE") or bool(segment.request_single_booking)
    task_id = f"LS{bank.next_reference()}"
    for t in pain.transactions:
        bank.collections[t.end_to_end_id] = (account.iban, t)
    if single:
        for t in pain.transactions:
            bank.scheduled.append(
                ScheduledBooking(
                    t.due or bank.today(),
                    account.iban,
                    Booking(
                        t.due or bank.today(),
                        t.due or bank.today(),
                        t.amount,
                        t.name,
                        t.iban,
                        t.bic,
                        t.purpose,
                        "171",
                        "SEPA-LASTSCHRIFT",
                        bank.next_reference(),
                        t.end_to_end_id,
                        t.mandate_id,
                        t.creditor_id,
                    ),
                )
            )
    else:
        for due in sorted({t.due or bank.today() for t in pain.transactions}):
            group = [t for t in pain.transactions if (t.due or bank.today()) == due]
            bank.scheduled.append(
                ScheduledBooking(
                    due,
                    account.iban,
                    Booking(
                        due,
                        due,
                        sum((t.amount for t in group), Decimal("0")),
                        "Sammellastschrift",
                        "",
                        "",
                        f"Sammellastschrift {len(group)} Posten {task_id}",
                        "192",
                        "SAMMEL-LS-EINZUG",
                        bank.next_reference(),
                        creditor_id=group[0].creditor_id,
                    ),
                )
            )
    answers = {"HKDSE": HIDSE2, "HKDME": HIDME2, "HKBSE": HIBSE2, "HKBME": HIBME2}
    reply.add(answers[segment.header.type](task_id=task_id), number)
    reply.answer(number, "0020", "Auftrag ausgeführt.")


_HANDLERS = {
    "HKSPA": _accounts,
    "HKTAB": _media,
    "HKSAL": _balance,
    "HKKAZ": _statement,
    "HKCAZ": _statement,
    "HKCCS": _transfer,
    "HKCCM": _transfer,
    "HKIPZ": _transfer,
    "HKIPM": _transfer,
    "HKDSE": _debit,
    "HKDME": _debit,
    "HKBSE": _debit,
    "HKBME": _debit,
}
