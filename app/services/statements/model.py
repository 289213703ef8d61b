"""The normalized shape every statement reader produces, independent of the file format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.services.errors import KontorError
from app.services.i18n import _


def at_line(line: int | str) -> str:
    """Where in a file, for StatementFormatError: "line 12" in the user's language."""
    return _("line {n}").format(n=line)


class StatementFormatError(KontorError, ValueError):
    """A statement file that cannot be read; the message names the file and the line or element."""

    def __init__(self, source: str, where: str, reason: str) -> None:
        super().__init__(f"{source}: {where}: {reason}" if where else f"{source}: {reason}")
        self.source = source
        self.where = where
        self.reason = reason


@dataclass(slots=True)
class ParsedTransaction:
    """One booking (or one detail of a batched booking) as the bank reported it."""

    booked_on: date
    value_on: date | None
    amount: Decimal  # signed: credit > 0, debit < 0
    currency: str = "EUR"
    counterparty_name: str = ""
    counterparty_iban: str = ""
    counterparty_bic: str = ""
    purpose: str = ""  # remittance information without the SEPA keys
    end_to_end_id: str = ""
    mandate_id: str = ""
    creditor_id: str = ""
    bank_reference: str = ""  # CAMT AcctSvcrRef / MT940 :61: bank reference
    customer_reference: str = ""  # MT940 :61: customer reference / KREF
    gvc: str = ""  # German Geschäftsvorfallcode (MT940 :86: or CAMT Prtry)
    bank_transaction_code: str = ""  # ISO Domain/Family/SubFamily, e.g. PMNT-RCDT-ESCT
    posting_text: str = ""  # ?00 Buchungstext / AddtlNtryInf
    pending: bool = False
    return_reason: str = ""  # ISO reason code (AC04, MD06, ...) for R-transactions
    is_return: bool = False
    is_reversal: bool = False  # Storno: MT940 RC/RD mark or CAMT RvslInd; amount keeps the booked direction
    batch_ref: str = ""  # links details of one batched booking
    raw: str = ""  # the source record, kept for audit


@dataclass(slots=True)
class ParsedBalance:
    on: date
    amount: Decimal
    currency: str = "EUR"


@dataclass(slots=True)
class ParsedStatement:
    """One statement/report/notification of one account, in file order."""

    account_iban: str  # may be "" when the file names only a local account number
    account_number: str = ""  # e.g. MT940 :25: "BLZ/Konto" when no IBAN is given
    currency: str = "EUR"
    statement_id: str = ""  # :20:/:28C: or CAMT Stmt/Id + ElctrncSeqNb
    opening: ParsedBalance | None = None
    closing: ParsedBalance | None = None
    transactions: list[ParsedTransaction] = field(default_factory=list)
    pending: bool = False  # MT942 / camt.052 intraday
    source: str = ""  # file name (and member inside a ZIP)
    # (line, date as written, date taken) for a day after its month's end, which banks do send (30 Feb)
    date_notes: list[tuple[int, str, date]] = field(default_factory=list)
    open_end_at: int = 0  # line of the last record of a text that ends without closing balance or '-'
    layout: str = ""  # a CSV's layout and the columns read, for the import report
