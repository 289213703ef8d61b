"""Own MT940/MT942 reader: a line-streaming parser that survives the quirks real bank exports have."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from app.services.formatting import MAX_AMOUNT
from app.services.i18n import _
from app.services.statements.model import (
    ParsedBalance,
    ParsedStatement,
    ParsedTransaction,
    StatementFormatError,
    at_line,
)
from app.services.statements.sepa_purpose import (
    find_return_reason,
    join_purpose_lines,
    split_sepa_purpose,
)

KNOWN_TAGS = frozenset(
    {"20", "21", "25", "28", "28C", "60F", "60M", "61", "86", "62F", "62M", "64", "65", "65F", "34F", "13",
     "13D", "90D", "90C", "NS"}
)  # fmt: skip
_TAG_RE = re.compile(r"^:([0-9]{2}[A-Z]?|NS):")
_BALANCE_RE = re.compile(r"^([CD])(\d{6})([A-Z]{3})?(\d[\d.,]*)")
_LINE61_RE = re.compile(
    r"^(?P<value>\d{6})(?P<entry>\d{4}|\s{4})?\s*(?P<mark>RC|RD|EC|ED|C|D)(?P<funds>[A-Z])?\s*"
    r"(?P<amount>\d[\d.,]*)\s*(?P<type>[NSF][A-Z0-9]{3}|N[A-Z]{2}(?= ))?(?P<rest>.*)$"
)
_CONTROL_CHARS = str.maketrans("", "", "\x00\x01\x02\x03\x1a")
# German GVCs for SEPA returns: 108/109 direct debit, 118/119 card/B2B, 159/169 transfer returns.
RETURN_GVCS = frozenset({"108", "109", "118", "119", "159", "169"})
_IBAN_RE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
# ?xx subfield codes of a structured :86:: stripped fields go to a slot, purpose lines and name parts are kept.
_SUBFIELD_IGNORED, _SUBFIELD_PURPOSE, _SUBFIELD_NAME = -1, -2, -3
_SUBFIELD_KINDS = {f"{code:02d}": _SUBFIELD_IGNORED for code in range(100)} | {
    "00": 0,  # posting text
    "10": 1,  # primanota
    "30": 2,  # bank code / BIC
    "31": 3,  # account / IBAN
    "34": 4,  # text key extension
    "32": _SUBFIELD_NAME,
    "33": _SUBFIELD_NAME,
    **{f"{code:02d}": _SUBFIELD_PURPOSE for code in (*range(20, 30), *range(60, 64))},
}


@dataclass(slots=True)
class Details86:
    """The fields of one German structured (or free-text) :86: line."""

    gvc: str = ""
    posting_text: str = ""
    primanota: str = ""
    purpose_lines: list[str] = field(default_factory=list)
    bank_code: str = ""
    account: str = ""
    name: str = ""
    text_key_extension: str = ""
    purpose: str = ""
    sepa: dict[str, str] = field(default_factory=dict)
    structured: bool = False


@dataclass(slots=True)
class _Record:
    tag: str
    line_no: int
    lines: list[str]


@dataclass(slots=True)
class _Ending:
    """How the text ended: after a '-' terminator or within a line, and where its last record began."""

    terminated: bool = False
    within_line: bool = False
    last_line: int = 0


def parse_details_86(content: str) -> Details86:
    """Split a :86: value (lines already concatenated) into GVC, ?00 posting text, purpose, counterparty."""
    if len(content) > 4 and content[:3].isdigit() and content[3] in "?/|":
        return _parse_structured_86(content, content[3])
    details = Details86()
    if content[:3].isdigit() and (len(content) == 3 or content[3] == " "):
        details.gvc = content[:3]
    sepa = split_sepa_purpose(content)
    details.purpose, details.sepa = sepa.purpose, sepa.keys
    return details


def _parse_structured_86(content: str, separator: str) -> Details86:
    purpose_lines: list[str] = []
    fields = ["", "", "", "", ""]  # posting text, primanota, bank code, account, text key extension
    name = ""
    kinds, purpose_kind, name_kind = _SUBFIELD_KINDS, _SUBFIELD_PURPOSE, _SUBFIELD_NAME
    for chunk in content[4:].split(separator):
        kind = kinds.get(chunk[:2])
        if kind is None:  # not two ASCII digits: a continuation, or a code in other Unicode digits
            if len(chunk) < 2 or not chunk[:2].isdigit():
                if purpose_lines and chunk:
                    purpose_lines[-1] += separator + chunk
                continue
            kind = kinds[f"{int(chunk[:2]):02d}"]
        if kind == purpose_kind:
            purpose_lines.append(chunk[2:])
        elif kind == name_kind:
            name += chunk[2:]
        elif kind >= 0:
            fields[kind] = chunk[2:].strip()
    sepa = split_sepa_purpose(join_purpose_lines(purpose_lines))
    posting_text, primanota, bank_code, account, text_key_extension = fields
    return Details86(
        gvc=content[:3],
        posting_text=posting_text,
        primanota=primanota,
        purpose_lines=purpose_lines,
        bank_code=bank_code,
        account=account,
        name=" ".join(name.split()),
        text_key_extension=text_key_extension,
        purpose=sepa.purpose,
        sepa=sepa.keys,
        structured=True,
    )


def parse_mt940(lines: Iterable[str], *, source: str) -> Iterator[ParsedStatement]:
    """Yield MT940/MT942 statements from text lines as each one ends; StatementFormatError names the line."""
    builder = _StatementBuilder(source)
    finished = builder.statements
    ending = _Ending()
    for record in _records(lines, ending):
        builder.add(record)
        if finished:
            yield from finished
            finished.clear()
    yield from builder.finish(ending)


def _records(lines: Iterable[str], ending: _Ending) -> Iterator[_Record]:
    """Group physical lines into tag records, dropping SWIFT envelopes, preambles and terminators."""
    current: _Record | None = None
    raw_line = ""
    held: list[str] = []  # a lone "-" is a terminator unless :86: text goes on after it
    after_terminator = False
    for line_no, raw_line in enumerate(lines, start=1):
        line = raw_line.rstrip("\r\n")
        if not line.isprintable():  # translate() is slow; only lines with control characters need it
            line = line.translate(_CONTROL_CHARS)
        if line[:1] == "{":
            block = line.find("{4:")
            if current is not None:
                yield current
                current = None
            held.clear()
            after_terminator = True
            if block < 0 or not line[block + 3 :].strip():
                continue
            line = line[block + 3 :]
        match = _TAG_RE.match(line) if line[:1] == ":" else None
        if match and match.group(1) in KNOWN_TAGS:
            if current is not None:
                yield current
            held.clear()
            after_terminator = False
            current = _Record(match.group(1), line_no, [line[match.end() :]])
            continue
        stripped = line.strip()
        if stripped == "-" or stripped[:2] == "-}":
            held.append(line)
            after_terminator = True
            continue
        if current is None or not stripped:
            continue
        if after_terminator:
            if current.tag == "86" and held:
                current.lines.extend(held)
                held.clear()
                after_terminator = False
            else:
                continue
        current.lines.append(line)
    ending.terminated = after_terminator
    tail = raw_line.rstrip("\x00\x1a")  # a DOS end-of-file mark after the last line is no cut
    ending.within_line = bool(tail) and tail[-1] not in "\r\n"
    if current is not None:
        ending.last_line = current.line_no
        yield current


class _StatementBuilder:
    """Turns tag records into ParsedStatements, one per :20: block."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.statements: list[ParsedStatement] = []
        self.statement: ParsedStatement | None = None
        self.reference = ""
        self.transaction: ParsedTransaction | None = None
        self.tx_record: list[str] = []
        self.tx_has_86 = False
        self.ns_lines: list[str] = []
        self.is_942 = False
        # :61: value and entry date as written -> the dates, and the days after a month's end among them
        self.dates: dict[tuple[str, str | None], tuple[date, date, tuple[tuple[str, date], ...]]] = {}

    def error(self, record: _Record, reason: str) -> StatementFormatError:
        return StatementFormatError(self.source, at_line(record.line_no), reason)

    def add(self, record: _Record) -> None:
        tag = record.tag
        statement = self.statement
        if tag == "61" and statement is not None:  # the bookings first: they are nearly all records
            self._close_transaction()
            self.transaction = self._transaction(record, statement)
            self.tx_record = [":61:" + record.lines[0], *record.lines[1:]]
            return
        if tag == "86" and statement is not None:
            self._details(record)
            return
        if tag == "20":
            self._close_statement()
            self.reference = record.lines[0].strip()
            self.statement = ParsedStatement(account_iban="", source=self.source, statement_id=self.reference)
            return
        if statement is None:
            raise self.error(
                record, _(":{tag}: before the first :20: statement header (not a statement file)").format(tag=tag)
            )
        if tag == "25":
            if statement.account_iban or statement.account_number:
                raise self.error(record, _("a second :25: account inside one statement"))
            self._set_account(statement, "".join(record.lines))
        elif tag in ("28", "28C"):
            number = "".join(part.strip() for part in record.lines)
            statement.statement_id = f"{self.reference}/{number}" if self.reference else number
        elif tag in ("60F", "60M"):
            statement.opening = self._balance(record)
            statement.currency = statement.opening.currency
        elif tag in ("62F", "62M"):
            self._close_transaction()
            statement.closing = self._balance(record)
        elif tag == "NS":
            if self.transaction is not None:
                self.ns_lines.extend(record.lines)
                self.tx_record.append(":NS:" + "\n".join(record.lines))
        elif tag in ("13", "13D", "34F", "90D", "90C"):
            self.is_942 = True
            statement.pending = True

    def finish(self, ending: _Ending) -> list[ParsedStatement]:
        """The last statement; a text cut off inside it (no closing balance, no '-') is refused, not half read.

        Cut within a line it is certainly truncated; at a line end it may be a sample or an export without the
        closing balance, which the import warns of. An MT942 has no closing balance and often no '-' either.
        """
        statement = self.statement
        if statement is not None and statement.closing is None and not statement.pending and not ending.terminated:
            if ending.within_line:
                raise StatementFormatError(
                    self.source,
                    at_line(ending.last_line),
                    _(
                        "the file ends inside a statement, within a line, without its closing balance :62F: and "
                        "'-': truncated"
                    ),
                )
            statement.open_end_at = ending.last_line
        self._close_statement()
        return self.statements

    def _close_statement(self) -> None:
        self._close_transaction()
        if self.statement is not None:
            if self.statement.pending:
                for transaction in self.statement.transactions:
                    transaction.pending = True
            self.statements.append(self.statement)
        self.statement = None

    def _close_transaction(self) -> None:
        transaction = self.transaction
        if transaction is None or self.statement is None:
            return
        if self.ns_lines and not self.tx_has_86:
            _apply_ns(transaction, self.ns_lines)
        transaction.raw = "\n".join(self.tx_record)
        if transaction.is_return and not transaction.return_reason:
            transaction.return_reason = find_return_reason(transaction.raw)
        self.statement.transactions.append(transaction)
        self.transaction = None
        self.tx_record = []
        self.tx_has_86 = False
        self.ns_lines = []

    def _set_account(self, statement: ParsedStatement, value: str) -> None:
        value = value.strip()
        compact = value.replace(" ", "")
        for candidate in (compact, compact[:-3]):
            if _IBAN_RE.match(candidate) and is_valid_iban(candidate):
                statement.account_iban = candidate
                return
        statement.account_number = value

    def _balance(self, record: _Record) -> ParsedBalance:
        value = "".join(part.strip() for part in record.lines)
        match = _BALANCE_RE.match(value)
        if match is None:
            raise self.error(record, _("unreadable balance {value}").format(value=repr(value)))
        sign, raw_date, currency, raw_amount = match.groups()
        amount = _amount(raw_amount)
        if amount is None:
            raise self.error(record, _("unreadable or absurdly large amount {amount}").format(amount=repr(raw_amount)))
        currency = currency or (self.statement.currency if self.statement else "EUR")
        try:
            on = _yymmdd(raw_date)
        except ValueError:
            raise self.error(record, _("impossible date {date} in the balance").format(date=repr(raw_date))) from None
        if on.day != int(raw_date[4:]) and self.statement is not None:
            self.statement.date_notes.append((record.line_no, raw_date, on))
        return ParsedBalance(on, -amount if sign == "D" else amount, currency)

    def _transaction(self, record: _Record, statement: ParsedStatement) -> ParsedTransaction:
        first = record.lines[0]
        match = _LINE61_RE.match(first)
        if match is None:
            raise self.error(record, _("unreadable :61: line {line}").format(line=repr(first)))
        raw_value, raw_entry, mark, raw_amount, tx_type, rest = match.group(
            "value", "entry", "mark", "amount", "type", "rest"
        )
        amount = _amount(raw_amount)
        if amount is None:
            raise self.error(
                record, _("unreadable or absurdly large :61: amount {amount}").format(amount=repr(raw_amount))
            )
        dates = self.dates.get((raw_value, raw_entry))
        if dates is None:
            dates = self.dates[raw_value, raw_entry] = self._booking_dates(record, raw_value, raw_entry)
        value_on, booked_on, moved = dates
        if moved:
            statement.date_notes += [(record.line_no, written, on) for written, on in moved]
        if mark in ("D", "RC", "ED"):
            amount = -amount
        tx_type = tx_type or ""
        customer, separator, bank = rest.partition("//")
        transaction = ParsedTransaction(
            booked_on=booked_on,
            value_on=value_on,
            amount=amount,
            currency=statement.currency,
            bank_reference=bank.strip(),
            bank_transaction_code=tx_type,
            is_return=tx_type[1:] in ("RTI", "RTR"),
            is_reversal=mark in ("RC", "RD"),
        )
        if not separator:
            customer = _counterparty_from_supplement([customer, *record.lines[1:]], transaction)
        customer = customer.strip().removeprefix("KREF+")
        transaction.customer_reference = "" if customer == "NONREF" else customer
        return transaction

    def _booking_dates(
        self, record: _Record, raw_value: str, raw_entry: str | None
    ) -> tuple[date, date, tuple[tuple[str, date], ...]]:
        """Value and entry date of a :61: line, and those of them that were a day after their month's end."""
        try:
            value_on = _yymmdd(raw_value)
        except ValueError:
            raise self.error(record, _("impossible value date {date}").format(date=repr(raw_value))) from None
        try:
            booked_on = _entry_date(value_on, raw_entry)
        except ValueError:
            raise self.error(record, _("impossible entry date {date}").format(date=repr(raw_entry))) from None
        moved = []
        if value_on.day != int(raw_value[4:]):
            moved.append((raw_value, value_on))
        if raw_entry and raw_entry.strip() and booked_on.day != int(raw_entry[2:]):
            moved.append((raw_entry, booked_on))
        return value_on, booked_on, tuple(moved)

    def _details(self, record: _Record) -> None:
        transaction = self.transaction
        if transaction is None:
            return  # statement-level information (e.g. Danske, ING) belongs to no booking
        self.tx_record.append(":86:" + "\n".join(record.lines))
        details = parse_details_86("".join(record.lines))
        if self.tx_has_86:  # repeated :86: lines (old Rabobank) add to the purpose
            transaction.purpose = " ".join(filter(None, (transaction.purpose, details.purpose)))
            return
        self.tx_has_86 = True
        transaction.gvc = details.gvc
        transaction.posting_text = details.posting_text
        transaction.purpose = details.purpose
        if details.name:
            transaction.counterparty_name = details.name
        _apply_counterparty_account(transaction, details)
        sepa = details.sepa
        transaction.end_to_end_id = _not_nonref(sepa.get("EREF", ""))
        transaction.mandate_id = sepa.get("MREF", "")
        transaction.creditor_id = sepa.get("CRED", "")
        if sepa.get("KREF") and not transaction.customer_reference:
            transaction.customer_reference = sepa["KREF"]
        if details.gvc in RETURN_GVCS:
            transaction.is_return = True
        if transaction.is_return:
            transaction.return_reason = find_return_reason(
                " ".join((details.purpose, *details.sepa.values(), details.text_key_extension))
            )


def _apply_counterparty_account(transaction: ParsedTransaction, details: Details86) -> None:
    account = details.account.replace(" ", "")
    if _IBAN_RE.match(account):
        transaction.counterparty_iban = account
    elif account:
        transaction.counterparty_iban = f"{details.bank_code}/{account}" if details.bank_code else account
        return
    if details.bank_code and not details.bank_code.isdigit():
        transaction.counterparty_bic = details.bank_code


def _apply_ns(transaction: ParsedTransaction, lines: list[str]) -> None:
    """DEM-era :NS: lines: 01-14 purpose, 15 name, 17 posting text."""
    purpose: list[str] = []
    for line in lines:
        code, value = line[:2], line[2:].strip()
        if not code.isdigit():
            continue
        if 1 <= int(code) <= 14:
            purpose.append(value)
        elif code == "15":
            transaction.counterparty_name = value
        elif code == "17":
            transaction.posting_text = value
    transaction.purpose = " ".join(filter(None, purpose))


def _counterparty_from_supplement(lines: list[str], transaction: ParsedTransaction) -> str:
    """NL banks put the IBAN in the reference and the name on the next line; old Rabobank appends the name."""
    tokens = lines[0].split(maxsplit=1)
    if tokens and _IBAN_RE.match(tokens[0]) and is_valid_iban(tokens[0]):
        transaction.counterparty_iban = tokens[0]
        names = [tokens[1] if len(tokens) > 1 else "", *lines[1:]]
        transaction.counterparty_name = " ".join(" ".join(names).split())
        return ""
    if len(lines[0]) > 16:  # the customer reference is at most 16 characters
        transaction.counterparty_name = " ".join(lines[0][16:].split())
        return lines[0][:16]
    return lines[0]


def _not_nonref(value: str) -> str:
    return "" if value.upper() in ("NOTPROVIDED", "NONREF") else value


def _amount(text: str) -> Decimal | None:
    """The amount, or None when unreadable or above MAX_AMOUNT (the parser's digits are never negative)."""
    try:
        amount = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return amount if amount <= MAX_AMOUNT else None


def _yymmdd(text: str) -> date:
    """A YYMMDD date; 30 Feb or 31 Nov (banks do send them) is the month's last day. ValueError for month 13."""
    year, month, day = int(text[:2]), int(text[2:4]), int(text[4:6])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise ValueError(text)
    year += 2000 if year < 70 else 1900
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _entry_date(value_on: date, entry: str | None) -> date:
    """The MMDD entry date lies within half a year of the value date, across a year end if need be."""
    if not entry or not entry.strip():
        return value_on
    month, day = int(entry[:2]), int(entry[2:])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise ValueError(entry)
    candidates = []
    for year in (value_on.year - 1, value_on.year, value_on.year + 1):
        candidates.append(date(year, month, min(day, calendar.monthrange(year, month)[1])))
    return min(candidates, key=lambda candidate: abs(candidate - value_on) // timedelta(days=1))


def is_valid_iban(iban: str) -> bool:
    """ISO 7064 mod-97 check, so an account number that merely looks like an IBAN is not taken for one."""
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return digits.isdigit() and int(digits) % 97 == 1
